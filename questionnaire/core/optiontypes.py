"""The question types whose answers are the bank's own options: ``choice`` (one) and
``multi`` (any number). Each option requires an offering of the provider (its own key,
another key, or nothing); the commitment lists the keys the provider offers. Pure.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from questionnaire.core.questiontype import (
    NOT_SURE,
    NOT_SURE_LABEL,
    AnswerError,
    Field,
    FormData,
    Match,
    Option,
    QuestionType,
    Settings,
    SpecReader,
    WrittenAnswerError,
)
from questionnaire.core.text import did_you_mean
from questionnaire.core.yamlsrc import LineDict, LineList

if TYPE_CHECKING:
    from questionnaire.core.model import Question

COUNT_WORDS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")


@dataclass(frozen=True, slots=True)
class OptionSettings(Settings):
    """A choice or multi question's own settings: its options, in the bank's order."""

    options: tuple[Option, ...] = ()


def _read_options(spec: SpecReader) -> tuple[Option, ...]:  # noqa: PLR0912  one branch per option spec error
    raw = spec.raw.get("options")
    if not raw:
        spec.error(
            "options" if raw is not None else None, "a choice or multi question needs options"
        )
        return ()
    if not isinstance(raw, LineList):
        spec.error("options", "'options' must be a list of {key, label}")
        return ()
    found: dict[str, int] = {}
    pending: list[tuple[LineDict, str, str]] = []
    for index, item in enumerate(raw):
        line = raw.line_of(index)
        if not isinstance(item, LineDict):
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
        if key == NOT_SURE:
            spec.error_at(
                item.line_of("key"),
                f"option key {NOT_SURE!r} is reserved for the answer “{NOT_SURE_LABEL}”",
            )
            continue
        found[key] = item.line_of("key")
        for extra in item.keys() - {"key", "label", "requires", "retired"}:
            spec.warn_at(
                item.line_of(extra), f"unknown field {extra!r} in option {key!r} is ignored"
            )
        if not isinstance(label, str) or not label.strip():
            spec.error_at(line, f"option {key!r} needs a label")
            label = key
        pending.append((item, key, label))
    options = []
    for item, key, label in pending:
        retired = item.get("retired", False)
        if not isinstance(retired, bool):
            spec.error_at(
                item.line_of("retired"), f"'retired' of option {key!r} must be true or false"
            )
            retired = False
        requires = item.get("requires", key)
        if requires is not None and requires not in found:
            spec.error_at(
                item.line_of("requires"),
                f"option {key!r} requires {requires!r}, which is not an option"
                + did_you_mean(requires, found),
            )
            requires = key
        options.append(Option(key=key, label=label, requires=requires, retired=retired))
    if options and all(o.retired for o in options):
        spec.error("options", "every option is retired: a buyer could not answer")
    return tuple(options)


def _options(q: Question) -> tuple[Option, ...]:
    return cast(OptionSettings, q.settings).options


def _option_keys(q: Question) -> list[str]:
    return [o.key for o in _options(q)]


def _required(requirement: str | Collection[str]) -> set[str]:
    return {requirement} if isinstance(requirement, str) else set(requirement)


def _required_order(q: Question) -> list[str]:
    """The offerings the options require, in option order (with repeats)."""
    return [o.requires for o in _options(q) if o.requires is not None]


def _required_keys(q: Question) -> set[str]:
    """The offerings some option requires."""
    return set(_required_order(q))


class _Options(QuestionType):
    """Shared by choice and multi: options, each requiring an offering (or nothing)."""

    field_keys = frozenset({"options"})
    json_value = "choice and multi: the option keys the provider offers"

    def read_spec(self, spec: SpecReader) -> OptionSettings:
        return OptionSettings(_read_options(spec))

    def options(self, q: Question) -> tuple[Option, ...]:
        return _options(q)

    def setting_changes(self, old: Question, new: Question) -> Iterable[tuple[str, str]]:
        before = {o.key: o for o in _options(old)}
        after = {o.key: o for o in _options(new)}
        for key, option in after.items():
            if key not in before:
                yield "options", f"option {key!r} added ({option.label!r})"
            elif before[key].label != option.label:
                yield (
                    "options",
                    f"option {key!r} relabelled {before[key].label!r} -> {option.label!r}",
                )
            elif before[key].requires != option.requires:
                yield (
                    "options",
                    f"option {key!r} now requires {option.requires!r} (was {before[key].requires!r})",
                )
            if key in before and before[key].retired != option.retired:
                yield (
                    "options",
                    f"option {key!r} {'retired' if option.retired else 'offered again'}",
                )
        for key in before.keys() - after.keys():
            yield "options", f"option {key!r} removed"

    def commitment_error(self, q: Question, value: Any) -> str | None:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            return f"the commitment of a {self.name} question must be a list of option keys"
        unknown = [v for v in value if v not in _option_keys(q)]
        if unknown:
            return f"commitment names option {unknown[0]!r}, which '{q.id}' does not offer" + (
                did_you_mean(unknown[0], _option_keys(q))
            )
        return None

    def not_offered_error(self, q: Question, value: Any, offered: Any) -> str | None:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            return "'not_offered' must be a list of option keys"
        unknown = [v for v in value if v not in _option_keys(q)]
        if unknown:
            return f"not_offered names option {unknown[0]!r}, which '{q.id}' does not have" + (
                did_you_mean(unknown[0], _option_keys(q))
            )
        both = [v for v in value if isinstance(offered, list) and v in offered]
        if both:
            return f"option {both[0]!r} is listed both as offered (value) and as not offered"
        needless = [v for v in value if v not in _required_keys(q)]
        if needless:
            return f"no option of '{q.id}' requires {needless[0]!r}, so it cannot be not offered"
        return None

    def _check_key(self, q: Question, value: Any) -> str:
        if not isinstance(value, str):
            raise AnswerError(f"expected an option key (a string), got {value!r}")
        if value not in _option_keys(q):
            raise AnswerError(
                f"{value!r} is not an option{did_you_mean(value, _option_keys(q))} "
                f"(options: {', '.join(_option_keys(q))})"
            )
        return value

    def choices(self, q: Question) -> list[tuple[str, str]]:
        return [(o.key, o.label) for o in _options(q)]

    def describe_commitment(self, q: Question, value: Any) -> str:
        labels = [o.label for o in _options(q) if o.key in value]
        return "; ".join(labels) if labels else "None of the options"

    def labels(self, q: Question, keys: Collection[str]) -> list[str]:
        labels = {o.key: o.label for o in _options(q)}
        return [labels.get(key, key) for key in keys]

    # --- the provider's written answer: the options it offers this buyer -------------
    def parse_written(self, q: Question, raw: Any) -> Any:
        keys = [raw] if isinstance(raw, str) else raw
        offered = set(_option_keys(q))
        listed = isinstance(keys, list | tuple)
        if not listed or not all(isinstance(key, str) and key in offered for key in keys):
            # Named as people read them, with the keys the API takes beside them.
            options = "; ".join(f"“{o.label}” ({o.key})" for o in _options(q))
            raise WrittenAnswerError(
                f"Choose from this question's options: {options}",
                code="invalid_option" if listed else "not_a_list",
            )
        return tuple(k for k in _option_keys(q) if k in keys)  # bank order, no repeats

    def written_field(self, q: Question) -> Field:
        return Field(
            "checkboxes",
            label="Which of these do you offer?",
            hint="Select all you commit to in writing: any other is counted as not offered.",
            choices=tuple(self.choices(q)),
        )

    def written_form_value(self, q: Question, value: Any) -> list[str]:
        return list(value)

    def written_from_form(self, q: Question, posted: list[str]) -> Any:
        return posted

    def not_offered_besides(self, q: Question, value: Any) -> tuple[str, ...]:
        offered = set(value)
        return tuple(dict.fromkeys(k for k in _required_order(q) if k not in offered))

    def value_space_data(self, q: Question) -> dict[str, Any]:
        return super().value_space_data(q) | {
            "options": [[o.key, o.label, o.requires] for o in _options(q)]
        }

    def value_terms(self, q: Question) -> dict[str, Any]:
        return super().value_terms(q) | {
            "options": [{"key": o.key, "label": o.label} for o in _options(q)]
        }

    def missing(self, q: Question, requirement: Any, offered: Any) -> tuple[str, ...]:
        if requirement is None:
            return ()
        required = {requirement} if isinstance(requirement, str) else requirement
        return tuple(k for k in _option_keys(q) if k in required and k not in offered)

    def compare(
        self, q: Question, requirement: Any, offered: Any, not_offered: tuple[str, ...] = ()
    ) -> Match:
        """Each required option is offered, documented as not offered (a shortfall), or
        unknown: the commitment is silent on it, which is never a shortfall. A
        requirement is met only as a whole: its credit is the least of its options', so
        asking for more can never earn more."""
        missing = self.missing(q, requirement, offered)
        short = tuple(k for k in missing if k in not_offered)
        unknown = tuple(k for k in missing if k not in not_offered)
        if short:
            some_met = len(missing) < len(_required(requirement))
            return Match("partly_met" if some_met else "not_met", 0.0, short, unknown)
        if unknown:
            return Match("unknown", 0.0, short, unknown)
        return Match("met", 1.0, short, unknown)


class Choice(_Options):
    name = "choice"
    required = True
    widget = "radios"

    def missing_message(self, q: Question) -> str:
        return f"Select one option, or {NOT_SURE_LABEL}" if q.scored else "Select one option"

    def parse(self, q: Question, value: Any) -> Any:
        return self._check_key(q, value)

    def requirement(self, q: Question, answer: Any) -> Any:
        return q.option(answer).requires

    def credit(self, q: Question, requirement: Any, offered: Any) -> float:
        return 1.0 if requirement in offered else 0.0

    def describe(self, q: Question, answer: Any) -> str:
        return q.option(answer).label


class Multi(_Options):
    name = "multi"
    condition_ops = frozenset({"equals", "in", "not", "at_least"})
    hint = "Select all that apply. Select none if you have no requirement."
    widget = "checkboxes"

    def operand_error(self, q: Question, op: str, operand: Any) -> str | None:
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
                return f"{value!r} is not an option of '{q.id}'" + did_you_mean(
                    value, _option_keys(q)
                )
        return None

    def parse(self, q: Question, value: Any) -> Any:
        if not isinstance(value, list):
            raise AnswerError(f"expected a list of option keys, got {value!r}")
        chosen = {self._check_key(q, v) for v in value}
        return [k for k in _option_keys(q) if k in chosen]  # bank order, no repeats

    def requirement(self, q: Question, answer: Any) -> Any:
        required = {q.option(k).requires for k in answer} - {None}
        return frozenset(required) or None

    def credit(self, q: Question, requirement: Any, offered: Any) -> float:
        return len(requirement & set(offered)) / len(requirement)

    def matches(self, q: Question, op: str, answer: Any, operand: Any) -> bool:
        # A multi answer is a set: "equals x" reads "x is among the chosen".
        if op == "equals":
            return operand in answer
        if op == "not":
            return operand not in answer
        if op == "in":
            return any(k in answer for k in operand)
        if op == "at_least":
            return bool(len(answer) >= operand)
        raise ValueError(op)

    def describe(self, q: Question, answer: Any) -> str:
        labels = [q.option(k).label for k in answer]
        return "; ".join(labels) if labels else "None selected"

    def condition_words(self, q: Question, op: str, operand: Any, unsure: str) -> str:
        # "equals k" on a multi reads "k is among the chosen".
        if op == "at_least":
            if operand == 0:
                text = f"you answered “{q.prompt}”"
            else:
                count = COUNT_WORDS[operand] if operand < len(COUNT_WORDS) else f"{operand:,}"
                text = f"you chose at least {count} of the options in “{q.prompt}”"
            return f"{text}, or you answered {unsure} to it" if unsure else text
        values = operand if op == "in" else (operand,)
        negated = op == "not"
        words = " or ".join(f"“{q.option(v).label}”" for v in values)
        text = f"you {'did not choose' if negated else 'chose'} {words} in “{q.prompt}”"
        return f"{text}, or you answered {unsure} to it" if unsure and not negated else text

    def form_data(self, q: Question, formdata: FormData) -> Any:
        return formdata.getlist(q.id)

    def from_form(self, q: Question, data: Any) -> Any:
        chosen = list(data or [])
        if NOT_SURE in chosen:
            if len(chosen) > 1:
                raise AnswerError(f"Select “{NOT_SURE_LABEL}” or the options that apply, not both")
            return self.read_answer(q, NOT_SURE)
        return self.parse(q, chosen)

    def to_form(self, q: Question, answer: Any) -> Any:
        if answer == NOT_SURE:
            return (NOT_SURE,)
        return tuple(answer or ())
