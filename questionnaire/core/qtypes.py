"""Question types: each is one class holding everything a type means.

A type knows how to read its settings from the bank (into its own ``Settings``), which
commitment and condition values fit it, how to check and normalise an answer, what
requirement an answer states, how much credit a commitment earns against it and which
required keys it leaves missing, how to put answers and commitments into words, how a
posted form carries an answer (``field``), and the provider's side: a written answer
parsed and checked, and the field a salesperson gives it with (``written_field``).
Adding a type means adding one class (here, or in optiontypes.py for types answered
with the bank's own options) and listing it in ``TYPES``: docs/architecture.md shows how.

Every scored question (a scored type, weight > 0) may also be answered ``"not_sure"``
(``NOT_SURE``), whatever its type: ``read_answer`` takes it before the type's ``parse``.

Pure: no Flask, no database, no PDF.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any, NamedTuple, cast

from questionnaire.core.dates import EXAMPLE, MAX_LENGTH, day_text, parse_day
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
    Field,
    FormData,
    Match,
    Option,
    QuestionType,
    Settings,
    SpecReader,
    WrittenAnswerError,
    format_number,
    is_number,
)
from questionnaire.core.text import clean_text, sentence

if TYPE_CHECKING:
    from questionnaire.core.model import Question

NEAR_MISS_CREDIT = 0.5  # a number missed by no more than the question's `near`
MINUTES_IN_30_DAYS = 30 * 24 * 60

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
    "TypedField",
    "WrittenAnswerError",
    "format_number",
    "is_number",
]


class YesNo(QuestionType):
    name = "yesno"
    json_value = 'yes/no: true/false (or "yes"/"no")'
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

    def field(self, q: Question) -> Field:
        return Field(self.widget, inline=True)

    def parse_written(self, q: Question, raw: Any) -> Any:
        if isinstance(raw, bool):
            return raw
        if raw in (YES, NO):
            return raw == YES
        raise WrittenAnswerError('Choose "yes" or "no"', code="not_yes_or_no")

    def written_field(self, q: Question) -> Field:
        return Field(
            "radios",
            label="What do you commit to?",
            choices=((YES, "Yes, we commit to it"), (NO, "No, we do not")),
        )

    def written_form_value(self, q: Question, value: Any) -> list[str]:
        return [YES if value else NO]


class TypedField(NamedTuple):
    """A typed answer (a number, a date) as the form holds it: the text in the box and the
    "Not sure" box."""

    text: str
    not_sure: bool = False


NumberField = TypedField  # the name a number question's callers know it by


class _Typed(QuestionType):
    """A type answered by typing one value in a box, with a "Not sure" box beside it on a
    scored question: ``from_text`` reads the box."""

    widget = "input"
    hint = "Leave blank if you have no requirement."

    def from_text(self, q: Question, text: str) -> Any:
        """The box's (stripped, non-empty) text as an answer; AnswerError."""
        raise NotImplementedError

    def text_of(self, q: Question, answer: Any) -> str:
        """An answer as the box shows it."""
        raise NotImplementedError

    def form_data(self, q: Question, formdata: FormData) -> Any:
        value = formdata.get(q.id)
        text = value.strip() if isinstance(value, str) else ""
        return TypedField(text, q.id in formdata.getlist(NOT_SURE_FIELD))

    def from_form(self, q: Question, data: Any) -> Any:
        text, not_sure = data
        if not_sure:
            if text:
                raise AnswerError(f"Enter {self.what} or select “{NOT_SURE_LABEL}”, not both")
            return self.read_answer(q, NOT_SURE)
        if text == "":
            return None
        return self.from_text(q, text)

    def to_form(self, q: Question, answer: Any) -> Any:
        if answer == NOT_SURE:
            return TypedField("", True)
        return TypedField("" if answer is None else self.text_of(q, answer))

    #: what the box takes, after "Enter" ("a number", "a date")
    what = ""

    def shortfall(self, q: Question, requirement: Any, offered: Any) -> float:
        """How far ``offered`` falls short of ``requirement`` (0 when met)."""
        raise NotImplementedError

    def near_margin(self, q: Question) -> float | None:
        """The shortfall a near miss may have (the question's ``near``), or None."""
        return None

    def compare(
        self, q: Question, requirement: Any, offered: Any, not_offered: tuple[str, ...] = ()
    ) -> Match:
        """Met with no shortfall; a near miss (partly met, half credit) within the
        question's margin; else not met. ``gap`` carries the shortfall."""
        gap = self.shortfall(q, requirement, offered)
        near = self.near_margin(q)
        if gap == 0:
            return Match("met", 1.0, gap=0)
        if near is not None and gap <= near:
            return Match("partly_met", NEAR_MISS_CREDIT, gap=gap, near=True)
        return Match("not_met", 0.0, gap=gap)


@dataclass(frozen=True, slots=True)
class NumberSettings(Settings):
    """A number question's own settings: its unit, range, step, which way is better,
    whether it is an availability (a % of time up) and its near-miss margin."""

    unit: str = ""
    min: float | None = None
    max: float | None = None
    step: float | None = None
    better: str | None = None
    #: a % of time the service is up: reports show the downtime
    availability: bool = False
    #: a miss by at most this much (in the unit) is a near miss
    near: float | None = None


def number_settings(q: Question) -> NumberSettings:
    return cast(NumberSettings, q.settings)


def downtime_minutes(percent: float) -> float:
    """Downtime a monthly uptime allows in a 30-day month (99.9% -> 43.2 minutes)."""
    return MINUTES_IN_30_DAYS * (100 - percent) / 100


def downtime_text(percent: float) -> str:
    minutes = downtime_minutes(percent)
    if minutes >= 120:
        return f"{minutes / 60:.1f} hours of downtime a month"
    return f"{minutes:.1f} minutes of downtime a month"


def _words(value: object) -> str:
    return "(none)" if value in (None, "") else repr(str(value))


def _margin(value: object) -> str:
    if value is None:
        return "(none)"
    return f"{value:g}" if isinstance(value, float) else str(value)


class Number(_Typed):
    name = "number"
    field_keys = frozenset({"unit", "min", "max", "better", "step", "availability", "near"})
    condition_ops = frozenset({"equals", "in", "not", "at_least"})
    what = "a number"
    json_value = "number: a number"

    def read_spec(self, spec: SpecReader) -> NumberSettings:
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
        return NumberSettings(**out)

    def commitment_error(self, q: Question, value: Any) -> str | None:
        if not is_number(value):
            return "the commitment of a number question must be a number"
        return None

    def commitment_warning(self, q: Question, value: Any) -> str | None:
        s = number_settings(q)
        if (s.min is not None and value < s.min) or (s.max is not None and value > s.max):
            return f"commitment {format_number(value)} lies outside min..max, so no answer can compare with it fairly"
        return None

    def operand_error(self, q: Question, op: str, operand: Any) -> str | None:
        if op == "at_least":
            return None if is_number(operand) else "'at_least' takes a number"
        return super().operand_error(q, op, operand)

    def setting_changes(self, old: Question, new: Question) -> Iterable[tuple[str, str]]:
        # The unit is what the buyer answered in: both versions, as for the prompt.
        was, now = number_settings(old), number_settings(new)
        if was.unit != now.unit:
            yield "reworded", f"unit: {_words(was.unit)} -> {_words(now.unit)}"
        if (was.min, was.max, was.better) != (now.min, now.max, now.better):
            yield (
                "options",
                f"range/direction {was.min}..{was.max} {was.better} -> {now.min}..{now.max} {now.better}",
            )
        if was.near != now.near:
            yield "options", f"near miss margin {_margin(was.near)} -> {_margin(now.near)}"

    def parse(self, q: Question, value: Any) -> Any:
        s = number_settings(q)
        if not is_number(value):
            raise AnswerError(f"expected a number, got {value!r}")
        if s.min is not None and value < s.min:
            raise AnswerError(f"{format_number(value)} is below the minimum {format_number(s.min)}")
        if s.max is not None and value > s.max:
            raise AnswerError(f"{format_number(value)} is above the maximum {format_number(s.max)}")
        return value

    def requirement(self, q: Question, answer: Any) -> Any:
        # Asking for at least nothing (0 days' notice, a 0% credit) states no requirement.
        if number_settings(q).better == "higher" and answer <= 0:
            return None
        return answer

    def credit(self, q: Question, requirement: Any, offered: Any) -> float:
        higher = number_settings(q).better == "higher"
        meets = offered >= requirement if higher else offered <= requirement
        return 1.0 if meets else 0.0

    def shortfall(self, q: Question, requirement: float, offered: float) -> float:
        """How far ``offered`` falls short of ``requirement``, in the unit (0 when met).
        Rounded to 9 places, so 99.95 - 99.9 is the 0.05 a reader sees."""
        higher = number_settings(q).better == "higher"
        gap = requirement - offered if higher else offered - requirement
        return max(round(gap, 9), 0)

    def near_margin(self, q: Question) -> float | None:
        return number_settings(q).near

    def matches(self, q: Question, op: str, answer: Any, operand: Any) -> bool:
        if op == "at_least":
            return bool(answer >= operand)
        return super().matches(q, op, answer, operand)

    def describe(self, q: Question, answer: Any) -> str:
        return f"{format_number(answer)}{_unit_suffix(number_settings(q).unit, answer)}"

    def describe_requirement(self, q: Question, answer: Any) -> str:
        bound = "At least" if number_settings(q).better == "higher" else "At most"
        return f"{bound} {self.describe(q, answer)}"

    def describe_commitment(self, q: Question, value: Any) -> str:
        return self.describe(q, value)

    def gap_text(self, q: Question, gap: float) -> str:
        """A shortfall in the reader's terms: minutes a month for an uptime."""
        s = number_settings(q)
        if s.availability:
            minutes = MINUTES_IN_30_DAYS * gap / 100
            return (
                f"{format_number(gap)} percentage points short: about {minutes:.1f} more minutes "
                "of downtime allowed in a 30-day month"
            )
        unit = f" {s.unit}" if s.unit and s.unit != "%" else s.unit
        return f"{format_number(gap)}{unit} short"

    def feel(self, q: Question, answer: Any, offered: Any) -> list[str]:
        """An availability's figures as the downtime they allow."""
        if not number_settings(q).availability:
            return []
        figures = [("Asked for", answer)] if isinstance(answer, int | float) else []
        if is_number(offered):
            figures.append(("The provider commits to", offered))
        return [
            f"{who} {format_number(value)}%: up to {downtime_text(value)}" for who, value in figures
        ]

    def field(self, q: Question) -> Field:
        s = number_settings(q)
        bounds = ""
        if s.min is not None and s.max is not None:
            unit = f" ({s.unit})" if s.unit else ""
            bounds = f"Enter a number from {format_number(s.min)} to {format_number(s.max)}{unit}."
        return Field(self.widget, hint=bounds, inputmode="decimal", suffix=s.unit, size="number")

    def from_text(self, q: Question, text: str) -> Any:
        try:
            number = Decimal(text.replace(",", ""))
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

    def text_of(self, q: Question, answer: Any) -> str:
        return format_number(answer).replace(",", "")

    def wanted(self, q: Question) -> str:
        """What the field takes, in its unit, with an example that fits it: "enter a
        number of hours, like 4", "enter a percentage, like 99.9"."""
        s = number_settings(q)
        if s.unit == "%":
            what, example = "a percentage", 99.9
        elif any(c.isalpha() for c in s.unit):
            what, example = f"a number of {s.unit}", 4
        else:
            what, example = f"a number in {s.unit}" if s.unit else "a number", 4
        if s.step is not None and float(s.step).is_integer():
            example = round(example)
        if s.min is not None:
            example = max(example, s.min)
        if s.max is not None:
            example = min(example, s.max)
        return f"enter {what}, like {format_number(example)}"

    # --- the provider's written answer: a figure in the question's unit and range -------
    def parse_written(self, q: Question, raw: Any) -> Any:
        try:
            value = self.from_form(q, TypedField(raw.strip())) if isinstance(raw, str) else raw
            if value is None or not is_number(value):
                raise AnswerError(self.wanted(q))
            return self.parse(q, value)
        except AnswerError as exc:
            raise WrittenAnswerError(sentence(str(exc)), code="invalid_number") from None

    def written_hint(self, q: Question) -> str:
        """ "Enter a number of days, like 4. The question's range: 0 days to 365 days." """
        s = number_settings(q)
        hint = sentence(self.wanted(q)) + "."
        low, high = s.min, s.max
        if low is not None and high is not None:
            hint += f" The question's range: {self.describe(q, low)} to {self.describe(q, high)}."
        elif low is not None:
            hint += f" At least {self.describe(q, low)}."
        elif high is not None:
            hint += f" At most {self.describe(q, high)}."
        return hint

    def written_field(self, q: Question) -> Field:
        unit = number_settings(q).unit
        return Field(
            "input",
            label=f"What figure do you commit to?{f' ({unit})' if unit else ''}",
            hint=self.written_hint(q),
            inputmode="decimal",
            max_length=32,
            size="number",
        )

    def value_space_data(self, q: Question) -> dict[str, Any]:
        s = number_settings(q)
        bound = [None if v is None else float(v) for v in (s.min, s.max)]
        return super().value_space_data(q) | {"unit": s.unit, "range": bound, "better": s.better}

    def value_terms(self, q: Question) -> dict[str, Any]:
        s = number_settings(q)
        return super().value_terms(q) | {"unit": s.unit, "min": s.min, "max": s.max}


def _unit_suffix(unit: str, value: float | None = None) -> str:
    """ "%", or the unit after a space, made singular for one ("1 day", "2 days")."""
    if not unit:
        return ""
    if unit in ("%", "°"):
        return unit
    if value == 1 and unit.isalpha() and unit.endswith("s"):
        unit = unit[:-1]
    return f" {unit}"


@dataclass(frozen=True, slots=True)
class TextSettings(Settings):
    """A text question's own setting: the longest answer it takes."""

    max_length: int = TEXT_MAX_LENGTH


class Text(QuestionType):
    name = "text"
    hint = "Optional."
    widget = "textarea"
    scored = False
    default_weight = 0
    field_keys = frozenset({"max_length"})
    condition_ops = frozenset()

    def read_spec(self, spec: SpecReader) -> TextSettings:
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
        return TextSettings(value)

    def commitment_error(self, q: Question, value: Any) -> str | None:
        return "a text question is never scored, so it takes no commitment"

    def operand_error(self, q: Question, op: str, operand: Any) -> str | None:
        return "conditions cannot look at a text question"

    def parse(self, q: Question, value: Any) -> Any:
        if not isinstance(value, str):
            raise AnswerError(f"expected text, got {value!r}")
        value = clean_text(value)
        limit = cast(TextSettings, q.settings).max_length
        if len(value) > limit:
            raise AnswerError(f"text is {len(value):,} characters; the limit is {limit:,}")
        return value

    def field(self, q: Question) -> Field:
        return Field(self.widget, max_length=cast(TextSettings, q.settings).max_length)


_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")  # how answers, written answers and the API give a day


def _day(value: Any) -> date | None:
    """A day from a YAML date or ISO text ("2027-03-31"), or None when it is neither."""
    if isinstance(value, datetime):  # a moment is not a day
        return None
    if isinstance(value, date):
        return value
    if isinstance(value, str) and _ISO_DAY.fullmatch(value):
        try:
            return date.fromisoformat(value)
        except ValueError:  # 2027-02-30
            return None
    return None


def _days(count: float) -> str:
    return f"{format_number(count)} day{'' if count == 1 else 's'}"


@dataclass(frozen=True, slots=True)
class DateSettings(Settings):
    """A date question's own setting: its near-miss margin, in days."""

    #: a commitment at most this many days early is a near miss
    near: int | None = None


class Date(_Typed):
    """A day by which something must hold ("a certificate valid until at least"): met when
    the provider's day is on or after the buyer's. Answers and commitments are held as ISO
    text ("2027-03-31"), so they store as JSON; people read "31 Mar 2027"."""

    name = "date"
    field_keys = frozenset({"near"})
    condition_ops = frozenset()  # the page's script compares typed text, not days
    what = "a date"
    json_value = 'date: the day as "YYYY-MM-DD"'

    def read_spec(self, spec: SpecReader) -> DateSettings:
        near = spec.raw.get("near")
        if near is not None and (not isinstance(near, int) or isinstance(near, bool) or near < 0):
            spec.error("near", f"'near' must be a whole number of days, at least 0, got {near!r}")
            near = None
        return DateSettings(near)

    def commitment_error(self, q: Question, value: Any) -> str | None:
        if _day(value) is None:
            return "the commitment of a date question must be a date, like 2027-03-31"
        return None

    def commitment_value(self, q: Question, value: Any) -> Any:
        return self.parse(q, value)

    def operand_error(self, q: Question, op: str, operand: Any) -> str | None:
        return "conditions cannot look at a date question"

    def setting_changes(self, old: Question, new: Question) -> Iterable[tuple[str, str]]:
        was, now = cast(DateSettings, old.settings).near, cast(DateSettings, new.settings).near
        if was != now:
            yield "options", f"near miss margin {_margin(was)} -> {_margin(now)} days"

    def parse(self, q: Question, value: Any) -> Any:
        day = _day(value)
        if day is None:
            raise AnswerError(f"expected a date like 2027-03-31, got {value!r}")
        return day.isoformat()

    def requirement(self, q: Question, answer: Any) -> Any:
        return answer

    def credit(self, q: Question, requirement: Any, offered: Any) -> float:
        return 1.0 if self.shortfall(q, requirement, offered) == 0 else 0.0

    def shortfall(self, q: Question, requirement: Any, offered: Any) -> float:
        """The days ``offered`` falls before ``requirement`` (0 when on or after it); both
        are ISO text, as ``parse`` holds them."""
        return max((date.fromisoformat(requirement) - date.fromisoformat(offered)).days, 0)

    def near_margin(self, q: Question) -> float | None:
        return cast(DateSettings, q.settings).near

    def describe(self, q: Question, answer: Any) -> str:
        day = _day(answer)
        return day_text(day) if day is not None else str(answer)

    def describe_requirement(self, q: Question, answer: Any) -> str:
        return f"On or after {self.describe(q, answer)}"

    def describe_commitment(self, q: Question, value: Any) -> str:
        return self.describe(q, value)

    def gap_text(self, q: Question, gap: float) -> str:
        return f"{_days(gap)} short"

    def field(self, q: Question) -> Field:
        return Field(self.widget, hint=f"Enter a date, like {EXAMPLE}.", size="date")

    def from_text(self, q: Question, text: str) -> Any:
        try:
            return parse_day(text).isoformat()
        except ValueError:
            raise AnswerError(f"enter a date, like {EXAMPLE}") from None

    def text_of(self, q: Question, answer: Any) -> str:
        return self.describe(q, answer)

    # --- the provider's written answer: the day it commits to --------------------------
    def parse_written(self, q: Question, raw: Any) -> Any:
        try:
            return parse_day(raw).isoformat() if isinstance(raw, str) else self.parse(q, raw)
        except (ValueError, AnswerError):
            raise WrittenAnswerError(self.written_hint(q), code="invalid_date") from None

    def written_hint(self, q: Question) -> str:
        return f"Enter a date, like {EXAMPLE}."

    def written_field(self, q: Question) -> Field:
        return Field(
            "input",
            label="What date do you commit to?",
            hint=self.written_hint(q),
            max_length=MAX_LENGTH,
            size="date",
        )

    def written_form_value(self, q: Question, value: Any) -> list[str]:
        return [self.describe(q, value)]


TYPES: dict[str, QuestionType] = {
    t.name: t for t in (YesNo(), Choice(), Multi(), Number(), Date(), Text())
}
TYPE_NAMES: Sequence[str] = tuple(TYPES)
