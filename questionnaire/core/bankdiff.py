"""What changed between two versions of the question bank, and what that does to results.

``diff_banks(old, new)`` lists the changes an editor should review (questions added,
removed, reworded, re-weighted, commitments changed...). ``rescore(new, answers,
must_have)`` scores answers given on an older bank under a newer one: answers the new
bank no longer accepts are dropped and named. Both are pure: nothing is written.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from questionnaire.core import answers as answers_mod
from questionnaire.core.bank import Bank, Commitment, Question
from questionnaire.core.conditions import Compare, Condition
from questionnaire.core.scoring import Result, score


@dataclass(frozen=True, slots=True)
class Change:
    kind: str  # bank, section, added, removed, moved, type, reworded, options, weight, ...
    subject: str  # the question or section id, or "bank"
    text: str

    def __str__(self) -> str:
        return f"{self.kind:<10} {self.subject}: {self.text}"


def _condition_text(condition: Condition | None) -> str:
    if condition is None:
        return "always shown"
    if isinstance(condition, Compare):
        operand = (
            list(condition.operand) if isinstance(condition.operand, tuple) else condition.operand
        )
        return f"{condition.question.id} {condition.op} {operand!r}"
    inner = f" {condition.mode} ".join(_condition_text(item) for item in condition.items)
    return f"({inner})"


def _text(value: object) -> str:
    return "(none)" if value in (None, "") else repr(str(value))


def _number(value: object) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _weight(question: Question) -> str:
    return f"{question.weight:g}" if question.scored else "not scored"


def _bank_changes(old: Bank, new: Bank) -> Iterable[Change]:  # noqa: PLR0912  one branch per bank field compared
    if old.title != new.title:
        yield Change("bank", "bank", f"title {old.title!r} -> {new.title!r}")
    if old.intro != new.intro:
        yield Change("bank", "bank", f"intro: {_text(new.intro)}")
    for name in ("name", "source", "url", "as_of", "scope"):
        before, after = getattr(old.provider, name, None), getattr(new.provider, name, None)
        if before != after:
            yield Change("bank", "bank", f"provider {name}: {_text(before)} -> {_text(after)}")
    for name in ("schema", "min_coverage", "must_have_evidence", "top_band_evidence"):
        before, after = getattr(old, name), getattr(new, name)
        if before != after:
            yield Change("bank", "bank", f"{name}: {_number(before)} -> {_number(after)}")
    bands = [(r.min, r.label) for r in old.ratings], [(r.min, r.label) for r in new.ratings]
    if bands[0] != bands[1]:
        yield Change("bank", "bank", f"ratings {bands[0]} -> {bands[1]}")
    old_sections = {s.id: s for s in old.sections}
    new_sections = {s.id: s for s in new.sections}
    for section in new.sections:
        before = old_sections.get(section.id)
        if before is None:
            yield Change("section", section.id, f"added: {section.title!r}")
        elif before.title != section.title:
            yield Change("section", section.id, f"title {before.title!r} -> {section.title!r}")
        if before is not None and before.intro != section.intro:
            yield Change("section", section.id, f"intro: {_text(section.intro)}")
    for section in old.sections:
        if section.id not in new_sections:
            yield Change("section", section.id, f"removed: {section.title!r}")


def _question_changes(old: Question, new: Question) -> Iterable[Change]:  # noqa: PLR0912  one branch per question field compared
    qid = new.id
    if old.section_id != new.section_id:
        yield Change("moved", qid, f"section {old.section_id} -> {new.section_id}")
    if old.type != new.type:
        yield Change("type", qid, f"{old.type} -> {new.type}")
    # The prompt is what the buyer answered: both versions, so an editor can see whether
    # old answers still mean the same. Help and follow-up: the new text.
    if old.prompt != new.prompt:
        yield Change("reworded", qid, f"prompt: {_text(old.prompt)} -> {_text(new.prompt)}")
    for name in ("help", "follow_up"):
        if getattr(old, name) != getattr(new, name):
            yield Change("reworded", qid, f"{name}: {getattr(new, name)!r}")
    # The type's own settings (options, a unit and range), where both versions have them.
    if type(old.settings) is type(new.settings):
        for kind, text in new.kind.setting_changes(old, new):
            yield Change(kind, qid, text)
    if old.gate_not_sure != new.gate_not_sure:
        offered = "now offers" if new.gate_not_sure else "no longer offers"
        yield Change("options", qid, f"{offered} Not sure (a gate)")
    if _weight(old) != _weight(new):
        yield Change("weight", qid, f"{_weight(old)} -> {_weight(new)}")
    if old.commitment != new.commitment:
        if new.commitment is None:
            yield Change("commitment", qid, "removed: the buyer is now told to ask the provider")
        elif old.commitment is None:
            yield Change("commitment", qid, f"added: value {new.commitment.value!r}")
        else:
            yield from _commitment_changes(qid, old.commitment, new.commitment)
    for name in sorted(old.frameworks.keys() | new.frameworks.keys()):
        before, after = old.frameworks.get(name), new.frameworks.get(name)
        if before != after:
            refs = [list(r) if r is not None else "(none)" for r in (before, after)]
            yield Change("frameworks", qid, f"{name} {refs[0]} -> {refs[1]}")
    if _condition_text(old.show_if) != _condition_text(new.show_if):
        yield Change(
            "condition", qid, f"{_condition_text(old.show_if)} -> {_condition_text(new.show_if)}"
        )


def _commitment_changes(qid: str, old: Commitment, new: Commitment) -> Iterable[Change]:
    if old.value != new.value:
        yield Change("commitment", qid, f"value {old.value!r} -> {new.value!r}")
    if old.evidence != new.evidence:
        yield Change("commitment", qid, f"evidence grade {old.evidence} -> {new.evidence}")
    if old.not_offered != new.not_offered:
        yield Change(
            "commitment",
            qid,
            f"not offered {list(old.not_offered)!r} -> {list(new.not_offered)!r}",
        )
    if old.plan_dependent != new.plan_dependent:
        said = "now" if new.plan_dependent else "no longer"
        yield Change("commitment", qid, f"{said} plan-dependent")
    if (old.statement, old.source, old.url, old.as_of) != (
        new.statement,
        new.source,
        new.url,
        new.as_of,
    ):
        yield Change("commitment", qid, "evidence (statement or source) changed")


def diff_banks(old: Bank, new: Bank) -> list[Change]:
    """Every change from ``old`` to ``new``: the bank, its sections, then question by question
    in the new bank's order, removed questions last."""
    changes = list(_bank_changes(old, new))
    for question in new.questions:
        before = old.by_id.get(question.id)
        if before is None:
            changes.append(
                Change("added", question.id, f"{question.prompt!r} (weight {_weight(question)})")
            )
        else:
            changes.extend(_question_changes(before, question))
    for question in old.questions:
        if question.id not in new.by_id:
            changes.append(Change("removed", question.id, repr(question.prompt)))
    return changes


@dataclass(frozen=True)
class Rescored:
    result: Result
    dropped: tuple[str, ...]  # question ids whose answer the new bank does not accept


def rescore(bank: Bank, answers: Mapping[str, Any], must_have: Iterable[str]) -> Rescored:
    """Score answers given on another version of the bank under ``bank``."""
    carried = answers_mod.carry_over(bank, answers, must_have)
    return Rescored(score(bank, carried.values, carried.must_have), carried.dropped)


@dataclass(frozen=True, slots=True)
class Move:
    """One stored assessment: its result as stored and under the new bank."""

    assessment_id: int
    company: str
    score_before: float | None
    rating_before: str | None
    score_after: float | None
    rating_after: str | None

    @property
    def change(self) -> float:
        if self.score_before is None or self.score_after is None:
            return math.inf if self.score_before != self.score_after else 0.0
        return self.score_after - self.score_before

    @property
    def band_changed(self) -> bool:
        return self.rating_before != self.rating_after


def biggest_moves(moves: Iterable[Move], count: int) -> list[Move]:
    """The ``count`` moves with the largest change of score, band changes first."""
    return heapq.nsmallest(
        count, moves, key=lambda m: (not m.band_changed, -abs(m.change), m.assessment_id)
    )
