"""Question types: each is one class holding everything a type means.

A type knows how to read its extra fields from the bank, which commitment and
condition values fit it, how to check and normalise an answer, what requirement
an answer states, how much credit a commitment earns against it (method fit/1),
how to put it into words, and how a posted form carries it (``widget`` names the
template macro that draws it). Adding a type means
adding one class here and listing it in ``TYPES``.

Pure: no Flask, no database, no PDF.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from questionnaire.text import clean_text
from questionnaire.yamlsrc import LineDict

TEXT_MAX_LENGTH = 2000
MAX_NUMBER_DIGITS = 15  # beyond any figure a question asks for, and within a float's precision
YES, NO = "yes", "no"


class AnswerError(ValueError):
    """An answer that does not fit its question (wrong type, unknown option, out of range)."""


def is_number(value: Any) -> bool:
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
    def read_spec(self, spec: SpecReader) -> dict:
        """The type's own fields of a question, checked; errors go to spec.error."""
        return {}

    def commitment_error(self, q, value) -> str | None:
        """Why ``value`` cannot be this question's commitment, or None if it fits."""
        return None

    def commitment_warning(self, q, value) -> str | None:
        """Why a fitting ``value`` looks like a mistake, or None."""
        return None

    def operand_error(self, q, op: str, operand) -> str | None:
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
    def parse(self, q, value):
        """The answer normalised, or AnswerError. ``None`` is never passed in."""
        raise NotImplementedError

    def requirement(self, q, answer):
        """What the answer requires of the provider; None when it states no requirement."""
        return None

    def credit(self, q, requirement, offered) -> float:
        """Share of the requirement the commitment meets, 0..1 (method fit/1)."""
        raise NotImplementedError

    def matches(self, q, op: str, answer, operand) -> bool:
        """Condition test against this question's (visible, given) answer."""
        if op == "equals":
            return answer == operand
        if op == "not":
            return answer != operand
        if op == "in":
            return answer in operand
        raise ValueError(op)

    def describe(self, q, answer) -> str:
        return str(answer)

    def choices(self, q) -> list[tuple[str, str]]:
        """The (value, label) options a buyer picks from (empty for typed answers)."""
        return []

    def describe_commitment(self, q, value) -> str:
        return str(value)

    # --- form side ---------------------------------------------------------------

    def form_data(self, q, formdata):
        """This question's raw value in posted form data (a werkzeug MultiDict)."""
        return formdata.get(q.id)

    def from_form(self, q, data):
        """Form data to an answer (None = not answered); raises AnswerError."""
        if data in (None, "", []):
            return None
        return self.parse(q, data)

    def to_form(self, q, answer):
        """An answer as the form shows it: a string, a tuple of keys, or None."""
        return answer


def _read_options(spec: SpecReader) -> tuple[Option, ...]:
    raw = spec.raw.get("options")
    if not raw:
        spec.error(
            "options" if raw is not None else None, "a choice or multi question needs options"
        )
        return ()
    if not isinstance(raw, list):
        spec.error("options", "'options' must be a list of {key, label}")
        return ()
    found: dict[str, int] = {}
    pending: list[tuple[LineDict, str, str]] = []
    for index, item in enumerate(raw):
        line = raw.line_of(index)
        if not isinstance(item, dict):
            spec.error_at(line, "each option needs a key and a label")
            continue
        key, label = item.get("key"), item.get("label")
        if key is None:
            spec.error_at(line, "option without a key")
            continue
        if not isinstance(key, str):
            hint = (
                " (quote it: YAML reads bare yes/no/on/off as true/false)"
                if isinstance(key, bool)
                else ""
            )
            spec.error_at(item.line_of("key"), f"option key {key!r} must be a string{hint}")
            continue
        if key in found:
            spec.error_at(
                item.line_of("key"), f"duplicate option key {key!r} (first on line {found[key]})"
            )
            continue
        found[key] = item.line_of("key")
        for extra in item.keys() - {"key", "label", "requires"}:
            spec.warn_at(
                item.line_of(extra), f"unknown field {extra!r} in option {key!r} is ignored"
            )
        if not isinstance(label, str) or not label.strip():
            spec.error_at(line, f"option {key!r} needs a label")
            label = key
        pending.append((item, key, label))
    options = []
    for item, key, label in pending:
        requires = item.get("requires", key)
        if requires is not None and requires not in found:
            spec.error_at(
                item.line_of("requires"),
                f"option {key!r} requires {requires!r}, which is not an option",
            )
            requires = key
        options.append(Option(key=key, label=label, requires=requires))
    return tuple(options)


def _option_keys(q) -> list[str]:
    return [o.key for o in q.options]


class YesNo(QuestionType):
    name = "yesno"
    required = True
    missing = "Select Yes or No"
    widget = "radios"

    def commitment_error(self, q, value):
        if not isinstance(value, bool):
            return "the commitment of a yesno question must be true or false"
        return None

    def parse(self, q, value):
        if value not in (YES, NO):
            raise AnswerError('expected "yes" or "no"')
        return value

    def requirement(self, q, answer):
        return True if answer == YES else None

    def credit(self, q, requirement, offered):
        return 1.0 if offered is True else 0.0

    def describe(self, q, answer):
        return "Yes" if answer == YES else "No"

    def describe_commitment(self, q, value):
        return "Yes" if value else "No"

    def choices(self, q):
        return [(YES, "Yes"), (NO, "No")]


class _Options(QuestionType):
    """Shared by choice and multi: options, each requiring an offering (or nothing)."""

    field_keys = frozenset({"options"})

    def read_spec(self, spec):
        return {"options": _read_options(spec)}

    def commitment_error(self, q, value):
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            return f"the commitment of a {self.name} question must be a list of option keys"
        unknown = [v for v in value if v not in _option_keys(q)]
        if unknown:
            return f"commitment names option {unknown[0]!r}, which '{q.id}' does not offer"
        return None

    def _check_key(self, q, value):
        if not isinstance(value, str):
            raise AnswerError(f"expected an option key (a string), got {value!r}")
        if value not in _option_keys(q):
            raise AnswerError(f"{value!r} is not an option (options: {', '.join(_option_keys(q))})")
        return value

    def choices(self, q):
        return [(o.key, o.label) for o in q.options]

    def describe_commitment(self, q, value):
        labels = [o.label for o in q.options if o.key in value]
        return "; ".join(labels) if labels else "None of the options"


class Choice(_Options):
    name = "choice"
    required = True
    missing = "Select one option"
    widget = "radios"

    def parse(self, q, value):
        return self._check_key(q, value)

    def requirement(self, q, answer):
        return q.option(answer).requires

    def credit(self, q, requirement, offered):
        return 1.0 if requirement in offered else 0.0

    def describe(self, q, answer):
        return q.option(answer).label


class Multi(_Options):
    name = "multi"
    condition_ops = frozenset({"equals", "in", "not", "at_least"})
    hint = "Select all that apply. Select none if you have no requirement."
    widget = "checkboxes"

    def operand_error(self, q, op, operand):
        if op == "at_least":
            if not isinstance(operand, int) or isinstance(operand, bool) or operand < 0:
                return "'at_least' on a multi question takes a whole number of options"
            return None
        if op not in self.condition_ops:
            return f"'{op}' cannot be used on a multi question"
        values = operand if op == "in" else [operand]
        if op == "in" and not isinstance(operand, list):
            return "'in' takes a list"
        for value in values:
            if value not in _option_keys(q):
                return f"{value!r} is not an option of '{q.id}'"
        return None

    def parse(self, q, value):
        if not isinstance(value, list):
            raise AnswerError(f"expected a list of option keys, got {value!r}")
        chosen = {self._check_key(q, v) for v in value}
        return [k for k in _option_keys(q) if k in chosen]  # bank order, no repeats

    def requirement(self, q, answer):
        required = {q.option(k).requires for k in answer} - {None}
        return frozenset(required) or None

    def credit(self, q, requirement, offered):
        return len(requirement & set(offered)) / len(requirement)

    def matches(self, q, op, answer, operand):
        # A multi answer is a set: "equals x" reads "x is among the chosen".
        if op == "equals":
            return operand in answer
        if op == "not":
            return operand not in answer
        if op == "in":
            return any(k in answer for k in operand)
        if op == "at_least":
            return len(answer) >= operand
        raise ValueError(op)

    def describe(self, q, answer):
        labels = [q.option(k).label for k in answer]
        return "; ".join(labels) if labels else "None selected"

    def form_data(self, q, formdata):
        return formdata.getlist(q.id)

    def from_form(self, q, data):
        return self.parse(q, list(data or []))

    def to_form(self, q, answer):
        return tuple(answer or ())


class Number(QuestionType):
    name = "number"
    field_keys = frozenset({"unit", "min", "max", "better", "step", "availability"})
    condition_ops = frozenset({"equals", "in", "not", "at_least"})
    hint = "Leave blank if you have no requirement."
    widget = "number"

    def read_spec(self, spec):
        raw, out = spec.raw, {}
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
        return out

    def commitment_error(self, q, value):
        if not is_number(value):
            return "the commitment of a number question must be a number"
        return None

    def commitment_warning(self, q, value):
        if (q.min is not None and value < q.min) or (q.max is not None and value > q.max):
            return f"commitment {format_number(value)} lies outside min..max, so no answer can compare with it fairly"
        return None

    def operand_error(self, q, op, operand):
        if op == "at_least":
            return None if is_number(operand) else "'at_least' takes a number"
        return super().operand_error(q, op, operand)

    def parse(self, q, value):
        if not is_number(value):
            raise AnswerError(f"expected a number, got {value!r}")
        if q.min is not None and value < q.min:
            raise AnswerError(f"{format_number(value)} is below the minimum {format_number(q.min)}")
        if q.max is not None and value > q.max:
            raise AnswerError(f"{format_number(value)} is above the maximum {format_number(q.max)}")
        return value

    def requirement(self, q, answer):
        return answer

    def credit(self, q, requirement, offered):
        meets = offered >= requirement if q.better == "higher" else offered <= requirement
        return 1.0 if meets else 0.0

    def matches(self, q, op, answer, operand):
        if op == "at_least":
            return answer >= operand
        return super().matches(q, op, answer, operand)

    def describe(self, q, answer):
        return f"{format_number(answer)}{_unit_suffix(q.unit)}"

    def describe_commitment(self, q, value):
        return self.describe(q, value)

    def form_data(self, q, formdata):
        value = formdata.get(q.id)
        return value.strip() if isinstance(value, str) else value

    def from_form(self, q, data):
        if data in (None, ""):
            return None
        try:
            number = Decimal(str(data).replace(",", ""))
        except InvalidOperation:
            raise AnswerError("enter a number, like 99.9") from None
        if not number.is_finite():
            raise AnswerError("enter a number, like 99.9")
        if number.adjusted() >= MAX_NUMBER_DIGITS:  # int() of 1e999999999 takes minutes
            raise AnswerError(
                f"enter a number with at most {MAX_NUMBER_DIGITS} digits before the decimal point"
            )
        value = int(number) if number == number.to_integral_value() else float(number)
        return self.parse(q, value)

    def to_form(self, q, answer):
        return "" if answer is None else format_number(answer).replace(",", "")


def _unit_suffix(unit: str) -> str:
    if not unit:
        return ""
    return unit if unit in ("%", "°") else f" {unit}"


class Text(QuestionType):
    name = "text"
    hint = "Optional."
    widget = "textarea"
    scored = False
    default_weight = 0
    field_keys = frozenset({"max_length"})
    condition_ops = frozenset()

    def read_spec(self, spec):
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

    def commitment_error(self, q, value):
        return "a text question is never scored, so it takes no commitment"

    def operand_error(self, q, op, operand):
        return "conditions cannot look at a text question"

    def parse(self, q, value):
        if not isinstance(value, str):
            raise AnswerError(f"expected text, got {value!r}")
        value = clean_text(value)
        if len(value) > q.max_length:
            raise AnswerError(f"text is {len(value):,} characters; the limit is {q.max_length:,}")
        return value


TYPES: dict[str, QuestionType] = {t.name: t for t in (YesNo(), Choice(), Multi(), Number(), Text())}
TYPE_NAMES: Sequence[str] = tuple(TYPES)
