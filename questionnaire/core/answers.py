"""Checking a buyer's answers against the bank before anything scores or stores them.

The answers-file format is ``{"answers": {question_id: value}, "must_have": [id, ...]}``:
yesno ``"yes"``/``"no"``, choice an option key, multi a list of keys, number a
number, text a string; ``"not_sure"`` for "Not sure" on any scored question; ``null`` or
a missing id means not answered. Pure.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from questionnaire.core.bank import Bank
from questionnaire.core.qtypes import AnswerError
from questionnaire.core.scoring import visible_answers
from questionnaire.core.text import did_you_mean


class AnswersInvalid(ValueError):
    """The answers do not fit the bank; ``problems`` names each question and value."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


@dataclass(frozen=True)
class Answers:
    values: dict[str, Any]  # question id -> normalised answer, visible questions only
    must_have: tuple[str, ...]


def check_value(bank: Bank, question_id: str, value: Any) -> Any:
    """One answer normalised, or AnswerError naming what is wrong."""
    question = bank.question(question_id)
    return question.kind.read_answer(question, value)


def check(bank: Bank, answers: Any, must_have: Any = ()) -> Answers:  # noqa: PLR0912  one branch per kind of problem, all listed at once
    """Normalised answers, or AnswersInvalid listing every problem at once."""
    problems: list[str] = []
    values: dict[str, Any] = {}
    invalid: set[str] = set()
    if not isinstance(answers, Mapping):
        raise AnswersInvalid(["'answers' must be an object mapping question ids to answers"])
    for question_id, value in answers.items():
        if question_id not in bank.by_id:
            problems.append(
                f"{question_id!r}: not a question in bank version {bank.version}"
                + did_you_mean(question_id, bank.by_id)
            )
            continue
        if value is None:
            continue
        try:
            values[question_id] = check_value(bank, question_id, value)
        except AnswerError as exc:
            problems.append(f"{question_id!r}: answer {value!r} does not fit: {exc}")
            invalid.add(question_id)

    shown = visible_answers(bank, values)
    for question_id in values:
        if question_id not in shown:
            problems.append(
                f"{question_id!r}: answered, but its condition hides it given the other answers"
            )

    if not isinstance(must_have, list | tuple) or not all(isinstance(m, str) for m in must_have):
        problems.append("'must_have' must be a list of question ids")
        must_have = ()
    for question_id in must_have:
        if question_id not in bank.by_id:
            problems.append(
                f"must_have {question_id!r}: not a question in bank version {bank.version}"
                + did_you_mean(question_id, bank.by_id)
            )
        elif not bank.question(question_id).scored:
            problems.append(f"must_have {question_id!r}: this question is not scored")
        elif question_id not in shown and question_id not in invalid:
            problems.append(f"must_have {question_id!r}: the question is not answered")

    if problems:
        raise AnswersInvalid(problems)
    return Answers(values=shown, must_have=tuple(dict.fromkeys(must_have)))


@dataclass(frozen=True)
class Carried:
    values: dict[str, Any]  # the answers this bank accepts, visible questions only
    must_have: tuple[str, ...]
    dropped: tuple[str, ...]  # ids whose answer this bank does not take, in the answers' order


def carry_over(bank: Bank, answers: Mapping[str, Any], must_have: Iterable[str] = ()) -> Carried:
    """Answers given on another version of the bank, moved onto ``bank``: an answer to a
    question it no longer has, or that no longer fits (an option gone, a new range), is
    dropped and named, as is one its conditions now hide; must-haves follow their answers."""
    values: dict[str, Any] = {}
    for question_id, value in answers.items():
        if value is None or question_id not in bank.by_id:
            continue
        try:
            values[question_id] = check_value(bank, question_id, value)
        except AnswerError:
            continue
    shown = visible_answers(bank, values)
    dropped = tuple(q for q, v in answers.items() if v is not None and q not in shown)
    must = tuple(
        dict.fromkeys(qid for qid in must_have if qid in shown and bank.question(qid).scored)
    )
    return Carried(values=shown, must_have=must, dropped=dropped)


def retired_answers(bank: Bank, values: Mapping[str, Any]) -> list[str]:
    """A warning for each answer that picks an option the bank has retired: such answers are
    still read (stored answers and old answers files keep working), but new buyers are no
    longer offered the option."""
    warnings = []
    for question_id, value in values.items():
        question = bank.question(question_id)
        chosen = value if isinstance(value, list) else [value]
        for option in question.options:
            if option.retired and option.key in chosen:
                warnings.append(
                    f"{question_id!r}: option {option.key!r} ({option.label}) is retired: "
                    "it is still read, but new buyers are no longer offered it"
                )
    return warnings


def check_file(bank: Bank, data: Any) -> Answers:
    """An answers file's parsed JSON checked as a whole."""
    if not isinstance(data, Mapping) or "answers" not in data:
        raise AnswersInvalid(
            ['the file must be a JSON object with "answers" (and optionally "must_have")']
        )
    return check(bank, data["answers"], data.get("must_have", []))
