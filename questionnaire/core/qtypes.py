"""Question types: each is one class holding everything a type means.

A type knows how to read its extra fields from the bank, which commitment and
condition values fit it, how to check and normalise an answer, what requirement
an answer states, how much credit a commitment earns against it (method fit/2) and
which required keys it leaves missing, how to put it into words, and how a posted form
carries it (``widget`` names the template macro that draws it). Adding a type means
adding one class (here, or in optiontypes.py for types answered with the bank's own
options) and listing it in ``TYPES``.

Every scored question (a scored type, weight > 0) may also be answered ``"not_sure"``
(``NOT_SURE``), whatever its type: ``read_answer`` takes it before the type's ``parse``.

Pure: no Flask, no database, no PDF.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any, NamedTuple

from questionnaire.core.optiontypes import Choice, Multi
from questionnaire.core.questiontype import (
    MAX_NUMBER_DIGITS,
    NO,
    NOT_SURE,
    NOT_SURE_FIELD,
    NOT_SURE_LABEL,
    TEXT_MAX_LENGTH,
    YES,
    AnswerError,
    FormData,
    Match,
    Option,
    QuestionType,
    SpecReader,
    format_number,
    is_number,
)
from questionnaire.core.text import clean_text

if TYPE_CHECKING:
    from questionnaire.core.model import Question

NEAR_MISS_CREDIT = 0.5  # a number missed by no more than the question's `near`

# The shared parts are imported from here by most callers.
__all__ = [
    "NOT_SURE",
    "NOT_SURE_FIELD",
    "NOT_SURE_LABEL",
    "TYPES",
    "TYPE_NAMES",
    "AnswerError",
    "NumberField",
    "Option",
    "QuestionType",
    "SpecReader",
    "format_number",
    "is_number",
]


class YesNo(QuestionType):
    name = "yesno"
    required = True
    widget = "radios"

    def missing_message(self, q: Question) -> str:
        return f"Select Yes, No or {NOT_SURE_LABEL}" if q.scored else "Select Yes or No"

    def commitment_error(self, q: Question, value: Any) -> str | None:
        if not isinstance(value, bool):
            return "the commitment of a yesno question must be true or false"
        return None

    def parse(self, q: Question, value: Any) -> Any:
        if value not in (YES, NO):
            raise AnswerError('expected "yes" or "no"')
        return value

    def requirement(self, q: Question, answer: Any) -> Any:
        return True if answer == YES else None

    def credit(self, q: Question, requirement: Any, offered: Any) -> float:
        return 1.0 if offered is True else 0.0

    def describe(self, q: Question, answer: Any) -> str:
        return "Yes" if answer == YES else "No"

    def describe_commitment(self, q: Question, value: Any) -> str:
        return "Yes" if value else "No"

    def choices(self, q: Question) -> list[tuple[str, str]]:
        return [(YES, "Yes"), (NO, "No")]


class NumberField(NamedTuple):
    """A number question as the form holds it: the text in the box and the "Not sure" box."""

    text: str
    not_sure: bool = False


class Number(QuestionType):
    name = "number"
    field_keys = frozenset({"unit", "min", "max", "better", "step", "availability", "near"})
    condition_ops = frozenset({"equals", "in", "not", "at_least"})
    hint = "Leave blank if you have no requirement."
    widget = "number"

    def read_spec(self, spec: SpecReader) -> dict[str, Any]:
        raw, out = spec.raw, dict[str, Any]()
        for key in ("min", "max", "step"):
            value = raw.get(key)
            if value is not None and not is_number(value):
                spec.error(key, f"'{key}' must be a number, got {value!r}")
                value = None
            out[key] = value
        if out["min"] is not None and out["max"] is not None and out["min"] > out["max"]:
            spec.error("min", f"min ({out['min']}) is greater than max ({out['max']})")
        if out["step"] is not None and out["step"] <= 0:
            spec.error("step", "step must be greater than 0")
        better = raw.get("better")
        if better is None:
            spec.error(None, "a number question needs 'better: higher' or 'better: lower'")
        elif better not in ("higher", "lower"):
            spec.error("better", f"'better' must be 'higher' or 'lower', got {better!r}")
            better = None
        out["better"] = better
        unit = raw.get("unit", "")
        if not isinstance(unit, str):
            spec.error("unit", "'unit' must be text")
            unit = ""
        out["unit"] = unit
        availability = raw.get("availability", False)
        if not isinstance(availability, bool):
            spec.error("availability", "'availability' must be true or false")
            availability = False
        elif availability and unit != "%":
            spec.error("availability", 'an availability question must have unit: "%"')
            availability = False
        out["availability"] = availability
        near = raw.get("near")
        if near is not None and (not is_number(near) or near < 0):
            spec.error("near", f"'near' must be a number of at least 0 (in the unit), got {near!r}")
            near = None
        out["near"] = near
        return out

    def commitment_error(self, q: Question, value: Any) -> str | None:
        if not is_number(value):
            return "the commitment of a number question must be a number"
        return None

    def commitment_warning(self, q: Question, value: Any) -> str | None:
        if (q.min is not None and value < q.min) or (q.max is not None and value > q.max):
            return f"commitment {format_number(value)} lies outside min..max, so no answer can compare with it fairly"
        return None

    def operand_error(self, q: Question, op: str, operand: Any) -> str | None:
        if op == "at_least":
            return None if is_number(operand) else "'at_least' takes a number"
        return super().operand_error(q, op, operand)

    def parse(self, q: Question, value: Any) -> Any:
        if not is_number(value):
            raise AnswerError(f"expected a number, got {value!r}")
        if q.min is not None and value < q.min:
            raise AnswerError(f"{format_number(value)} is below the minimum {format_number(q.min)}")
        if q.max is not None and value > q.max:
            raise AnswerError(f"{format_number(value)} is above the maximum {format_number(q.max)}")
        return value

    def requirement(self, q: Question, answer: Any) -> Any:
        # Asking for at least nothing (0 days' notice, a 0% credit) states no requirement.
        if q.better == "higher" and answer <= 0:
            return None
        return answer

    def credit(self, q: Question, requirement: Any, offered: Any) -> float:
        meets = offered >= requirement if q.better == "higher" else offered <= requirement
        return 1.0 if meets else 0.0

    def shortfall(self, q: Question, requirement: float, offered: float) -> float:
        """How far ``offered`` falls short of ``requirement``, in the unit (0 when met).
        Rounded to 9 places, so 99.95 - 99.9 is the 0.05 a reader sees."""
        gap = requirement - offered if q.better == "higher" else offered - requirement
        return max(round(gap, 9), 0)

    def compare(
        self, q: Question, requirement: Any, offered: Any, not_offered: tuple[str, ...] = ()
    ) -> Match:
        gap = self.shortfall(q, requirement, offered)
        if gap == 0:
            return Match("met", 1.0, gap=0)
        if q.near is not None and gap <= q.near:
            return Match("partly_met", NEAR_MISS_CREDIT, gap=gap, near=True)
        return Match("not_met", 0.0, gap=gap)

    def matches(self, q: Question, op: str, answer: Any, operand: Any) -> bool:
        if op == "at_least":
            return bool(answer >= operand)
        return super().matches(q, op, answer, operand)

    def describe(self, q: Question, answer: Any) -> str:
        return f"{format_number(answer)}{_unit_suffix(q.unit, answer)}"

    def describe_commitment(self, q: Question, value: Any) -> str:
        return self.describe(q, value)

    def form_data(self, q: Question, formdata: FormData) -> Any:
        value = formdata.get(q.id)
        text = value.strip() if isinstance(value, str) else ""
        return NumberField(text, q.id in formdata.getlist(NOT_SURE_FIELD))

    def from_form(self, q: Question, data: Any) -> Any:
        text, not_sure = data
        if not_sure:
            if text:
                raise AnswerError(f"Enter a number or select “{NOT_SURE_LABEL}”, not both")
            return self.read_answer(q, NOT_SURE)
        if text == "":
            return None
        data = text
        try:
            number = Decimal(str(data).replace(",", ""))
        except InvalidOperation:
            raise AnswerError(self.wanted(q)) from None
        if not number.is_finite():
            raise AnswerError(self.wanted(q))
        if number.adjusted() >= MAX_NUMBER_DIGITS:  # int() of 1e999999999 takes minutes
            raise AnswerError(
                f"enter a number with at most {MAX_NUMBER_DIGITS} digits before the decimal point"
            )
        value = int(number) if number == number.to_integral_value() else float(number)
        return self.parse(q, value)

    def to_form(self, q: Question, answer: Any) -> Any:
        if answer == NOT_SURE:
            return NumberField("", True)
        return NumberField("" if answer is None else format_number(answer).replace(",", ""))

    def wanted(self, q: Question) -> str:
        """What the field takes, in its unit, with an example that fits it: "enter a
        number of hours, like 4", "enter a percentage, like 99.9"."""
        if q.unit == "%":
            what, example = "a percentage", 99.9
        elif any(c.isalpha() for c in q.unit):
            what, example = f"a number of {q.unit}", 4
        else:
            what, example = f"a number in {q.unit}" if q.unit else "a number", 4
        if q.step is not None and float(q.step).is_integer():
            example = round(example)
        if q.min is not None:
            example = max(example, q.min)
        if q.max is not None:
            example = min(example, q.max)
        return f"enter {what}, like {format_number(example)}"


def _unit_suffix(unit: str, value: float | None = None) -> str:
    """ "%", or the unit after a space, made singular for one ("1 day", "2 days")."""
    if not unit:
        return ""
    if unit in ("%", "°"):
        return unit
    if value == 1 and unit.isalpha() and unit.endswith("s"):
        unit = unit[:-1]
    return f" {unit}"


class Text(QuestionType):
    name = "text"
    hint = "Optional."
    widget = "textarea"
    scored = False
    default_weight = 0
    field_keys = frozenset({"max_length"})
    condition_ops = frozenset()

    def read_spec(self, spec: SpecReader) -> dict[str, Any]:
        value = spec.raw.get("max_length", TEXT_MAX_LENGTH)
        if (
            not isinstance(value, int)
            or isinstance(value, bool)
            or not 1 <= value <= TEXT_MAX_LENGTH
        ):
            spec.error(
                "max_length", f"max_length must be a whole number from 1 to {TEXT_MAX_LENGTH}"
            )
            value = TEXT_MAX_LENGTH
        return {"max_length": value}

    def commitment_error(self, q: Question, value: Any) -> str | None:
        return "a text question is never scored, so it takes no commitment"

    def operand_error(self, q: Question, op: str, operand: Any) -> str | None:
        return "conditions cannot look at a text question"

    def parse(self, q: Question, value: Any) -> Any:
        if not isinstance(value, str):
            raise AnswerError(f"expected text, got {value!r}")
        value = clean_text(value)
        if len(value) > q.max_length:
            raise AnswerError(f"text is {len(value):,} characters; the limit is {q.max_length:,}")
        return value


TYPES: dict[str, QuestionType] = {t.name: t for t in (YesNo(), Choice(), Multi(), Number(), Text())}
TYPE_NAMES: Sequence[str] = tuple(TYPES)
