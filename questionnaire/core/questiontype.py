"""What every question type is: the base class ``QuestionType`` and what all types share
(answer errors, "Not sure", numbers in words, options, the bank reader's hooks, the
fields a form draws). The types themselves are in ``qtypes.py`` and ``optiontypes.py``.

A type owns both sides of a question. The buyer's: its settings read from the bank, the
answer parsed and checked, the requirement it states, the form field. The provider's: the
commitment read from the bank, a written answer parsed and checked, the field a
salesperson answers with, the commitment in words for the result and the PDF. Pure."""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Iterable
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


class WrittenAnswerError(ValueError):
    """A written answer that does not fit its question; the message says why, ``field``
    which part of the answer, ``code`` what kind of problem (stable, for the API)."""

    def __init__(self, message: str, field: str = "value", code: str = "invalid_value"):
        super().__init__(message)
        self.field = field
        self.code = code


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
class Settings:
    """A type's own settings of one question, read from the bank by ``read_spec``: each
    type that has some subclasses this (a yes/no question has none)."""


NO_SETTINGS = Settings()


@dataclass(frozen=True, slots=True)
class Field:
    """How a form draws a value, as plain data for the templates: the buyer's field on a
    step page (``QuestionType.field``) and the salesperson's written answer
    (``QuestionType.written_field``)."""

    #: "radios", "checkboxes", "input" (one line of typed text) or "textarea"
    widget: str
    #: the question the field asks (the written answer's; a step page shows the prompt)
    label: str = ""
    #: a line under the label: what to enter, in the question's terms
    hint: str = ""
    #: (value, label) pairs of radios and checkboxes
    choices: tuple[tuple[str, str], ...] = ()
    #: the keyboard a phone shows for an input ("decimal" for numbers)
    inputmode: str = "text"
    #: shown after an input: the question's unit
    suffix: str = ""
    #: the longest text the field takes
    max_length: int = 0
    #: radios side by side (yes/no), with no "or" before "Not sure"
    inline: bool = False
    #: an input's width, drawn as the class ``input-<size>`` ("number", "date")
    size: str = ""


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
    """One kind of question, both sides of it. Subclasses set the class attributes below and
    override what their answers need; the defaults fit a type answered with one value."""

    #: the ``type:`` in questions.yaml
    name = ""
    #: text is never scored
    scored = True
    default_weight = 1
    #: the extra keys this type reads from the bank (its settings)
    field_keys: frozenset[str] = frozenset()
    condition_ops: frozenset[str] = frozenset({"equals", "in", "not"})
    #: must be answered before Next (radios); others may stay empty
    required = False
    #: how the buyer's field is drawn (``Field.widget``)
    widget = ""
    #: shown under the help text in the form
    hint = ""
    #: what a written value is in the API's JSON (scored types)
    json_value = ""

    # --- bank side -----------------------------------------------------------
    def read_spec(self, spec: SpecReader) -> Settings:
        """The type's own settings of a question, checked; errors go to spec.error."""
        return NO_SETTINGS

    def options(self, q: Question) -> tuple[Option, ...]:
        """The question's options (empty for a type answered with a typed value)."""
        return ()

    def commitment_error(self, q: Question, value: Any) -> str | None:
        """Why ``value`` cannot be this question's commitment, or None if it fits."""
        return None

    def commitment_value(self, q: Question, value: Any) -> Any:
        """A fitting commitment value as scoring holds it (a list as a tuple)."""
        return tuple(value) if isinstance(value, list) else value

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

    def setting_changes(self, old: Question, new: Question) -> Iterable[tuple[str, str]]:
        """What an edit changed in the type's settings, as (kind, words) for bankdiff."""
        return ()

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

    # --- in words ----------------------------------------------------------------
    def describe(self, q: Question, answer: Any) -> str:
        return str(answer)

    def condition_words(self, q: Question, op: str, operand: Any, unsure: str) -> str:
        """A condition on this question in words, for people without the page's script:
        "you answered “Yes” to “…”". ``unsure`` is "“Not sure”" where that answer shows
        the question too, else empty."""
        if op == "at_least":
            text = f"you answered {self.describe(q, operand)} or more to “{q.prompt}”"
            return f"{text}, or you answered {unsure} to it" if unsure else text
        values = operand if op == "in" else (operand,)
        negated = op == "not"
        words = " or ".join(f"“{self.describe(q, v)}”" for v in values)
        words += f" or {unsure}" if unsure and not negated else ""
        return f"you {'did not answer' if negated else 'answered'} {words} to “{q.prompt}”"

    def describe_requirement(self, q: Question, answer: Any) -> str:
        """What a (given, not "Not sure") answer asks of the provider: "At least 99.9%"."""
        return self.describe(q, answer)

    def choices(self, q: Question) -> list[tuple[str, str]]:
        """The (value, label) options a buyer picks from (empty for typed answers)."""
        return []

    def describe_commitment(self, q: Question, value: Any) -> str:
        """A commitment's value (the bank's or a written one) in words, for the result, the
        PDF and the sales pages."""
        return str(value)

    def labels(self, q: Question, keys: Collection[str]) -> list[str]:
        """Option keys of a stored outcome (missing, unknown, short) in words."""
        return list(keys)

    def gap_text(self, q: Question, gap: float) -> str:
        """How far a commitment falls short (a stored outcome's ``gap``), in words."""
        return ""

    def feel(self, q: Question, answer: Any, offered: Any) -> list[str]:
        """Lines that give a figure a feel (an uptime as downtime); none by default."""
        return []

    # --- form side ---------------------------------------------------------------
    def field(self, q: Question) -> Field:
        """The buyer's field on a step page (its choices come from ``choices``, less the
        retired ones)."""
        return Field(self.widget)

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

    # --- the provider's written answer -------------------------------------------
    def parse_written(self, q: Question, raw: Any) -> Any:
        """A written value as the question's commitment holds it, from the salesperson's
        form (text) or the API (JSON); WrittenAnswerError when it does not fit."""
        raise WrittenAnswerError(
            f"A {self.name} question is never scored, so it takes no answer",
            field="question",
            code="not_scored",
        )

    def written_field(self, q: Question) -> Field:
        """The field a salesperson gives a written value with."""
        return Field("input", label="What do you commit to?", max_length=32)

    def written_form_value(self, q: Question, value: Any) -> list[str]:
        """A written value as that field shows it: the posted values that give it back."""
        return [str(value)]

    def written_from_form(self, q: Question, posted: list[str]) -> Any:
        """The posted values of the field as ``parse_written`` takes them."""
        return posted[0] if posted else ""

    def written_hint(self, q: Question) -> str:
        """What a written value takes, in the question's terms (empty when the field's
        choices say it)."""
        return ""

    def not_offered_besides(self, q: Question, value: Any) -> tuple[str, ...]:
        """What a written value, which answers the whole question, leaves not offered: the
        offerings of the options it does not list (none for typed values)."""
        return ()

    def value_space_data(self, q: Question) -> dict[str, Any]:
        """What a written value for ``q`` can say, for the answer library's fingerprint
        (``library.value_space``). Every type gives these five keys, as the fingerprint
        had them before types owned it: a library answer keeps fitting its question."""
        return {"type": self.name, "unit": "", "range": [None, None], "better": None, "options": []}

    def value_terms(self, q: Question) -> dict[str, Any]:
        """What a written value must be, for the API's follow-ups: the options to pick from,
        or the unit and range of a figure."""
        return {"options": [], "unit": "", "min": None, "max": None}
