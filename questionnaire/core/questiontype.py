"""What every question type is: the base class ``QuestionType`` and what all types share
(answer errors, "Not sure", numbers in words, options, the bank reader's hooks). The
types themselves are in ``qtypes.py``. Pure."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, TypeGuard

from questionnaire.core.yamlsrc import LineDict

if TYPE_CHECKING:  # the model imports the types; only the checker needs the reverse
    from questionnaire.core.model import Question

TEXT_MAX_LENGTH = 2000
MAX_NUMBER_DIGITS = 15  # beyond any figure a question asks for, and within a float's precision
YES, NO = "yes", "no"
NOT_SURE = "not_sure"  # the answer "Not sure", for any scored question
NOT_SURE_LABEL = "Not sure"
NOT_SURE_FIELD = "not_sure"  # the posted field a number question's "Not sure" box sends


class AnswerError(ValueError):
    """An answer that does not fit its question (wrong type, unknown option, out of range)."""


def is_number(value: Any) -> TypeGuard[int | float]:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def format_number(value: float | int | None) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return f"{value:,}" if isinstance(value, int) else f"{value:g}"


@dataclass(frozen=True, slots=True)
class Option:
    key: str
    label: str
    requires: str | None  # the offering this option needs; None = no requirement
    retired: bool = False  # kept so stored answers read; not offered to new buyers


@dataclass(frozen=True, slots=True)
class Match:
    """A requirement held against a commitment (method fit/3): ``outcome`` is "met",
    "partly_met", "not_met", or "unknown" when the commitment is silent on part of it.

    ``credit`` is the share of the question's points earned when compared (0 for an
    unknown); ``short`` the required option keys documented as not offered, ``unknown``
    those neither offered nor documented as not offered; ``gap`` how far a number falls
    short, in its unit; ``near`` a miss within the question's tolerance."""

    outcome: str
    credit: float
    short: tuple[str, ...] | None = None
    unknown: tuple[str, ...] | None = None
    gap: float | None = None
    near: bool = False


class FormData(Protocol):
    """Posted form data as the types read it: werkzeug's MultiDict, without importing it."""

    def get(self, key: str) -> Any: ...

    def getlist(self, key: str) -> list[Any]: ...


class SpecReader:
    """What a type needs from the bank loader to read its own fields and report errors."""

    def __init__(
        self,
        raw: LineDict,
        error_at: Callable[[int, str], None],
        warn_at: Callable[[int, str], None],
    ):
        self.raw = raw
        self.error_at = error_at
        self.warn_at = warn_at

    def error(self, key: str | None, message: str) -> None:
        """Report at the line of ``key`` in this question (its first line for None)."""
        self.error_at(self.raw.line_of(key) if key else self.raw.line, message)


class QuestionType:
    name = ""
    scored = True  # text is never scored
    default_weight = 1
    field_keys: frozenset[str] = frozenset()  # extra keys this type reads from the bank
    condition_ops: frozenset[str] = frozenset({"equals", "in", "not"})
    required = False  # must be answered before Next (radios); others may stay empty
    widget = ""  # the macro in templates/_questions.html that draws the field
    hint = ""  # shown under the help text in the form

    # --- bank side -----------------------------------------------------------
    def read_spec(self, spec: SpecReader) -> dict[str, Any]:
        """The type's own fields of a question, checked; errors go to spec.error."""
        return {}

    def commitment_error(self, q: Question, value: Any) -> str | None:
        """Why ``value`` cannot be this question's commitment, or None if it fits."""
        return None

    def not_offered_error(self, q: Question, value: Any, offered: Any) -> str | None:
        """Why ``value`` cannot be the commitment's ``not_offered`` list, or None."""
        return (
            "only a choice or multi commitment lists what is not offered; "
            f"a {self.name} commitment says it with its value"
        )

    def commitment_warning(self, q: Question, value: Any) -> str | None:
        """Why a fitting ``value`` looks like a mistake, or None."""
        return None

    def operand_error(self, q: Question, op: str, operand: Any) -> str | None:
        """Why a condition on this question cannot compare with ``operand``."""
        if op not in self.condition_ops:
            return f"'{op}' cannot be used on a {self.name} question"
        values = operand if op == "in" else [operand]
        if op == "in" and not isinstance(operand, list):
            return "'in' takes a list"
        for value in values:
            try:
                self.parse(q, value)
            except AnswerError as exc:
                hint = (
                    "; quote it: YAML reads bare yes/no as true/false"
                    if isinstance(value, bool)
                    else ""
                )
                return f"{value!r} is not a possible answer to '{q.id}' ({exc}{hint})"
        return None

    # --- answer side -----------------------------------------------------------
    def read_answer(self, q: Question, value: Any) -> Any:
        """An answer normalised: "not_sure" on a scored question, else what ``parse`` makes of
        it. AnswerError when it does not fit. ``None`` is never passed in."""
        if isinstance(value, str) and value == NOT_SURE and self.scored:
            if not q.offers_not_sure:
                raise AnswerError(f"{NOT_SURE_LABEL!r} is not offered on this question")
            return NOT_SURE
        return self.parse(q, value)

    def parse(self, q: Question, value: Any) -> Any:
        """The answer normalised, or AnswerError. ``None`` is never passed in."""
        raise NotImplementedError

    def missing_message(self, q: Question) -> str:
        """The error when a required answer is left out."""
        return "Answer this question"

    def requirement(self, q: Question, answer: Any) -> Any:
        """What the answer requires of the provider; None when it states no requirement."""
        return None

    def credit(self, q: Question, requirement: Any, offered: Any) -> float:
        """Share of the requirement the commitment meets, 0..1 (method fit/2)."""
        raise NotImplementedError

    def compare(
        self, q: Question, requirement: Any, offered: Any, not_offered: tuple[str, ...] = ()
    ) -> Match:
        """The requirement against a commitment's value (method fit/3): met in full, or not
        at all. Types with a tolerance or with options say more."""
        if self.credit(q, requirement, offered) >= 1:
            return Match("met", 1.0)
        return Match("not_met", 0.0)

    def missing(self, q: Question, requirement: Any, offered: Any) -> tuple[str, ...] | None:
        """The required keys ``offered`` lacks, in option order (empty when none, or when
        nothing is required); None for a type whose answers are not option keys."""
        return None

    def matches(self, q: Question, op: str, answer: Any, operand: Any) -> bool:
        """Condition test against this question's (visible, given) answer."""
        if op == "equals":
            return bool(answer == operand)
        if op == "not":
            return bool(answer != operand)
        if op == "in":
            return answer in operand
        raise ValueError(op)

    def describe(self, q: Question, answer: Any) -> str:
        return str(answer)

    def choices(self, q: Question) -> list[tuple[str, str]]:
        """The (value, label) options a buyer picks from (empty for typed answers)."""
        return []

    def describe_commitment(self, q: Question, value: Any) -> str:
        return str(value)

    # --- form side ---------------------------------------------------------------

    def form_data(self, q: Question, formdata: FormData) -> Any:
        """This question's raw value in posted form data (a werkzeug MultiDict)."""
        return formdata.get(q.id)

    def from_form(self, q: Question, data: Any) -> Any:
        """Form data to an answer (None = not answered); raises AnswerError."""
        if data in (None, "", []):
            return None
        return self.read_answer(q, data)

    def to_form(self, q: Question, answer: Any) -> Any:
        """An answer as the form shows it: a string, a tuple of keys, or None."""
        return answer
