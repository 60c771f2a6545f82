"""``show_if``: when a question is shown, written as data and evaluated without ``eval``.

Forms: ``{question: q, equals: v}``, ``{question: q, in: [v, ...]}``,
``{question: q, not: v}``, ``{question: q, at_least: n}`` (number or multi),
and ``{all: [...]}`` / ``{any: [...]}`` combining them. For a multi question,
``equals: k`` reads "k is among the chosen options". A condition on a question
that is unanswered or itself hidden is false. A comparison with a "Not sure" answer
holds, whatever it asks: the buyer may yet need the question it guards, so it is shown
(static/app.js does the same on the page). Pure.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from questionnaire.core.questiontype import NOT_SURE
from questionnaire.core.text import did_you_mean

if TYPE_CHECKING:  # the model imports conditions; only the checker needs the reverse
    from questionnaire.core.model import Question

OPS = ("equals", "in", "not", "at_least")
GROUPS = ("all", "any")


@dataclass(frozen=True, slots=True)
class Compare:
    question: Question  # the earlier question this looks at
    op: str
    operand: Any

    def holds(self, answers: Mapping[str, Any]) -> bool:
        if self.question.id not in answers or answers[self.question.id] is None:
            return False
        answer = answers[self.question.id]
        if isinstance(answer, str) and answer == NOT_SURE:
            return True
        return self.question.kind.matches(self.question, self.op, answer, self.operand)

    def references(self) -> set[str]:
        return {self.question.id}


@dataclass(frozen=True, slots=True)
class Group:
    mode: str  # "all" | "any"
    items: tuple[Condition, ...]

    def holds(self, answers: Mapping[str, Any]) -> bool:
        results = (item.holds(answers) for item in self.items)
        return all(results) if self.mode == "all" else any(results)

    def references(self) -> set[str]:
        return set().union(*(item.references() for item in self.items))


Condition = Compare | Group


def parse(
    raw: object, earlier: Mapping[str, Question], known: set[str], line: int, own_id: str
) -> tuple[Condition | None, list[tuple[int, str]]]:
    """Read a show_if value; returns (condition or None, [(line, problem), ...]).

    ``earlier`` maps the ids of questions before this one to their Question;
    ``known`` holds every question id in the bank; ``own_id`` is the asking question.
    """
    problems: list[tuple[int, str]] = []
    condition = _parse(raw, earlier, known, line, problems, own_id)
    return (None if problems else condition), problems


def _parse(  # noqa: PLR0911, PLR0912  one return per condition form
    raw: object,
    earlier: Mapping[str, Question],
    known: set[str],
    line: int,
    problems: list[tuple[int, str]],
    own_id: str,
) -> Condition | None:
    if not isinstance(raw, dict):
        problems.append((line, "a condition must be a mapping such as {question: q, equals: v}"))
        return None
    line = getattr(raw, "line", line)
    groups = [key for key in GROUPS if key in raw]
    if groups:
        key = groups[0]
        if len(raw) != 1:
            problems.append((line, f"'{key}' must stand alone in its condition"))
            return None
        items = raw[key]
        if not isinstance(items, list) or not items:
            problems.append((line, f"'{key}' takes a non-empty list of conditions"))
            return None
        parsed = [
            _parse(
                item,
                earlier,
                known,
                items.line_of(i) if hasattr(items, "line_of") else line,
                problems,
                own_id,
            )
            for i, item in enumerate(items)
        ]
        kept = [item for item in parsed if item is not None]
        return Group(key, tuple(kept)) if len(kept) == len(parsed) else None

    ops = [key for key in OPS if key in raw]
    extra = [key for key in raw if key not in OPS and key != "question"]
    if extra:
        problems.append(
            (
                line,
                f"unknown condition key {extra[0]!r} (use question with one of {', '.join(OPS)}, or all/any)",
            )
        )
        return None
    if "question" not in raw:
        problems.append((line, "a condition needs 'question'"))
        return None
    if len(ops) != 1:
        problems.append((line, f"a condition needs exactly one of {', '.join(OPS)}"))
        return None
    op, target = ops[0], raw["question"]
    where = raw.line_of("question") if hasattr(raw, "line_of") else line
    if target not in earlier:
        if target == own_id:
            problems.append(
                (where, f"'{target}' is this question; a condition must look at an earlier one")
            )
        elif target in known:
            problems.append(
                (where, f"'{target}' comes later; a condition may only look at earlier questions")
            )
        else:
            problems.append(
                (
                    where,
                    f"'{target}' is not a question in this bank" + did_you_mean(target, earlier),
                )
            )
        return None
    question = earlier[target]
    operand = raw[op]
    problem = question.kind.operand_error(question, op, operand)
    if problem:
        problems.append((raw.line_of(op) if hasattr(raw, "line_of") else line, problem))
        return None
    if op == "in":
        operand = tuple(operand)
    return Compare(question, op, operand)


def visible(question: Question, answers: Mapping[str, Any]) -> bool:
    return question.show_if is None or question.show_if.holds(answers)
