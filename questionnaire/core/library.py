"""The sales team's answer library in the core: which banks a reusable written answer fits,
the buyer's requirement in words, an answer judged against one buyer's requirement, the
buyer's open questions ranked by what unblocks the deal, and the library written out as
commitments an editor can paste into ``questions.yaml``. Pure.

A library answer is a written answer (``core.written``) kept for reuse: one question, a
value in that question's own terms, a statement, a reference and a grade (``written``, or
``contract`` when the reference is a contract clause). Its value means something only
while the question's options or range stay as they were: ``value_space`` fingerprints
them, and a bank whose question has another fingerprint needs the answer reviewed.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import yaml

from questionnaire.core.bank import Bank, Question
from questionnaire.core.evidence import ASSERTION, GRADE_LABELS, GRADES
from questionnaire.core.qtypes import NOT_SURE, NOT_SURE_LABEL, AnswerError
from questionnaire.core.scoring import (
    ASK_PROVIDER,
    MET,
    NOT_SURE_STATUS,
    OPEN_NEAR_MISS,
    OPEN_UNCONFIRMED,
    QuestionResult,
    assess_question,
)
from questionnaire.core.verdict_state import PROVISIONAL, state_of
from questionnaire.core.written import WrittenAnswer, written_commitments

UNRESOLVED_GROUP, DEAL_BREAKER_GROUP, OTHER_GROUP = "unresolved", "deal_breaker", "other"
GROUPS = {
    UNRESOLVED_GROUP: "Must-haves not yet settled",
    DEAL_BREAKER_GROUP: "Deal-breakers: what the buyer needs against what is documented",
    OTHER_GROUP: "The other questions, by weight",
}
REASONS = {  # why an open question is open, in words for the salesperson
    ASK_PROVIDER: "Not found in the source: ask the provider",
    OPEN_UNCONFIRMED: "Met on the public word only: confirm it in writing or in the contract",
    OPEN_NEAR_MISS: "Near miss: negotiate",
    "not_met": "Not met on what is documented",
    "partly_met": "Partly met on what is documented",
}


def value_space(question: Question) -> str:
    """A short fingerprint of what a written value for ``question`` can say: its type and
    its options (keys, labels, what each requires) or its unit, range and direction. A
    library answer fits every bank whose question has the fingerprint it was written for."""
    data = question.kind.value_space_data(question)
    text = json.dumps(data, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def answerable_by_library(question: Question | None) -> bool:
    """Whether a question can hold a library answer: a scored one (text questions and
    weight 0 take no written answer)."""
    return question is not None and question.scored


def requirement_text(question: Question, answer: Any) -> str:
    """What the buyer asked for, in words: "At most 30 days", "In the EU", "Yes".

    An answer the question no longer takes was given to an earlier version of it (since
    changed in type, options or range): it is shown as it was stored, and said to be so,
    never read as an answer of today's kind (a stored "yes" is not a number of days)."""
    if answer is None:
        return "Not answered"
    if answer == NOT_SURE:
        return NOT_SURE_LABEL
    try:
        question.kind.read_answer(question, answer)
    except AnswerError:
        stored = ", ".join(map(str, answer)) if isinstance(answer, list) else str(answer)
        return f"“{stored}”, answered to an earlier version of the question"
    return question.kind.describe_requirement(question, answer)


def value_text(question: Question, value: Any) -> str:
    """A written value in the question's words ("30 days", "In the EU; In the UK")."""
    return question.kind.describe_commitment(question, value)


def value_hint(question: Question) -> str:
    """What a written value for ``question`` takes, in its own terms: "Enter a number of
    days, like 4. The question's range: 0 days to 365 days." Empty where the choices say it."""
    return question.kind.written_hint(question)


# --- one answer against one buyer ----------------------------------------------------------


@dataclass(frozen=True)
class Judged:
    """A written value held against one buyer's requirement (method fit/3)."""

    status: str  # met, partly_met, not_met (a written answer is never silent)
    meets: bool
    near_miss: bool
    requirement: str  # the buyer's requirement in words
    value: str  # the written value in words

    @property
    def text(self) -> str:
        # In the sentence: "In the EU" reads "in the EU", and "SOC 2" keeps its capitals.
        asked = self.requirement
        if asked[1:2].islower():
            asked = asked[:1].lower() + asked[1:]
        if self.meets:
            return f"Meets what the buyer asked for: {asked}"
        if self.near_miss:
            return f"A near miss on what the buyer asked for: {asked}"
        return f"Falls short of what the buyer asked for: {asked}"


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def judge(
    bank: Bank, question_id: str, answer: Any, must_have: bool, value: Any, grade: str
) -> Judged:
    """How ``value``, given in writing with ``grade``, fares against the buyer's ``answer``:
    the same rule the result uses (``scoring.assess_question`` on the written commitment)."""
    question = bank.question(question_id)
    value = tuple(value) if isinstance(value, list) else value  # as stored in JSON
    written = WrittenAnswer(question_id, value, "", "", "", _EPOCH, grade)
    commitment = written_commitments({question_id: written}, bank)[question_id]
    outcome: QuestionResult = assess_question(
        question, answer, must_have, commitment, bank.must_have_evidence
    )
    return Judged(
        status=outcome.status,
        meets=outcome.status == MET,
        near_miss=outcome.near_miss,
        requirement=requirement_text(question, answer),
        value=value_text(question, value),
    )


# --- open questions ranked by what unblocks the deal ---------------------------------------


@dataclass(frozen=True)
class Lift:
    """What would take a provisional ("Not yet rated") result to a rating: ``needed`` the
    written answers that would settle it, fewest first (unsettled must-haves, then the
    heaviest questions until enough weight is compared); ``possible`` False when written
    answers cannot do it alone (``blocked``: must-haves only the buyer can settle, or
    open points that are not questions for the provider)."""

    needed: tuple[str, ...]
    possible: bool
    blocked: tuple[str, ...]


def lift_plan(
    result: Mapping[str, Any], open_ids: Collection[str], order: Mapping[str, int]
) -> Lift | None:
    """For a provisional fit/3 ``result``: the written answers among ``open_ids`` that would
    lift it; None for a result that is not provisional or not fit/3 (no weights stored).
    ``order`` ranks questions in the bank's order, for ties."""
    if state_of(result) != PROVISIONAL or "unresolved_reasons" not in result:
        return None
    by_id = {q["id"]: q for q in result["questions"]}
    reasons = result["unresolved_reasons"]
    asked = set(open_ids)
    needed, blocked = [], []
    for qid in result.get("unresolved_must_haves", []):
        if reasons.get(qid) == NOT_SURE_STATUS or qid not in asked:
            blocked.append(qid)
        else:
            needed.append(qid)
    coverage = result["coverage"]
    stated = coverage.get("stated_weight") or 0.0
    compared = coverage.get("compared_weight") or 0.0
    compared += math.fsum(
        by_id[qid].get("weight", 0.0) for qid in needed if by_id[qid]["status"] == ASK_PROVIDER
    )
    least = result.get("min_coverage") or 0.0

    def enough() -> bool:
        # As scoring judges it: the weighted coverage rounded to 0.1.
        return stated > 0 and round(100 * compared / stated, 1) >= least

    more = sorted(
        (
            qid
            for qid in asked
            if qid not in needed and by_id.get(qid, {}).get("status") == ASK_PROVIDER
        ),
        key=lambda qid: (-by_id[qid].get("weight", 0.0), order.get(qid, 0)),
    )
    for qid in more:
        if enough():
            break
        needed.append(qid)
        compared += by_id[qid].get("weight", 0.0)
    return Lift(tuple(needed), possible=not blocked and enough(), blocked=tuple(blocked))


@dataclass(frozen=True)
class OpenItem:
    """One of the buyer's open questions as the sales page lists it."""

    id: str
    prompt: str
    group: str
    requirement: str  # the buyer's requirement in words
    documented: str  # what the provider documents now, in words ("" when nothing)
    must_have: bool
    reason: str
    weight: float
    lifts: bool  # one of the answers that would lift "provisional"


def rank_open(
    bank: Bank,
    answers: Mapping[str, Any],
    result: Mapping[str, Any],
    open_ids: Iterable[str],
    lift: Lift | None,
) -> list[OpenItem]:
    """The open questions, in the order that unblocks the deal: must-haves not yet settled
    (including those met only on the public word), then deal-breakers, then the rest by
    weight (ties in bank order). ``result`` is the result in force."""
    by_id = {q["id"]: q for q in result["questions"]}
    order = {q.id: n for n, q in enumerate(bank.questions)}
    reasons = result.get("unresolved_reasons") or {}
    lifting = set(lift.needed) if lift is not None and lift.possible else set()
    items = []
    for qid in open_ids:
        question = bank.question(qid)
        stored = by_id.get(qid, {})
        must = bool(stored.get("must_have"))
        if stored.get("deal_breaker"):
            group = DEAL_BREAKER_GROUP
        elif must:
            group = UNRESOLVED_GROUP
        else:
            group = OTHER_GROUP
        status = stored.get("status", ASK_PROVIDER)
        reason = reasons.get(qid) or (OPEN_UNCONFIRMED if stored.get("unconfirmed") else status)
        if stored.get("near_miss"):
            reason = OPEN_NEAR_MISS
        commitment = question.commitment
        items.append(
            OpenItem(
                id=qid,
                prompt=question.prompt,
                group=group,
                requirement=requirement_text(question, answers.get(qid)),
                documented=value_text(question, commitment.value) if commitment else "",
                must_have=must,
                reason=REASONS.get(reason, REASONS[ASK_PROVIDER]),
                weight=question.weight,
                lifts=qid in lifting,
            )
        )
    rank = {UNRESOLVED_GROUP: 0, DEAL_BREAKER_GROUP: 1, OTHER_GROUP: 2}
    return sorted(
        items,
        key=lambda i: (
            rank[i.group],
            -i.weight if i.group == OTHER_GROUP else 0,
            order[i.id],
        ),
    )


# --- the library as commitments for questions.yaml -----------------------------------------


@dataclass(frozen=True)
class Exported:
    """A library answer as the export needs it."""

    id: int
    question_id: str
    value: Any
    statement: str
    reference: str
    grade: str
    author: str
    changed: date
    versions: tuple[str, ...]  # the bank versions it fits


def commitment_of(bank: Bank, item: Exported) -> dict[str, Any]:
    """A library answer as a ``commitment:`` of ``questions.yaml``. A written answer's grade
    is not a bank grade: it is exported as ``assertion``, never more, for the editor to raise
    to the grade of its source."""
    question = bank.question(item.question_id)
    value = list(item.value) if isinstance(item.value, tuple | list) else item.value
    found: dict[str, Any] = {
        "value": value,
        "statement": item.statement,
        "source": item.reference,
        "evidence": item.grade if item.grade in GRADES else ASSERTION,
        "as_of": item.changed,
    }
    # A written answer lists what the provider offers; it answered the whole question.
    not_offered = question.kind.not_offered_besides(question, item.value)
    if not_offered:
        found["not_offered"] = list(not_offered)
    return found


def export_yaml(bank: Bank, items: Iterable[Exported], left_out: Mapping[int, str]) -> str:
    """The library as YAML an editor can paste, one ``- question: ... commitment: ...`` each,
    with a comment saying who gave it and what to check first. ``left_out`` names the answers
    not exported (by id) and why."""
    lines = [
        f"# The answer library as commitments for questions.yaml (bank version {bank.version}).",
        "# Before pasting one under its question, check that the statement is the source's own",
        "# words, word for word, and that the source is public: a commitment in the bank is",
        "# shown to every buyer. docs/questions.md says when an answer should become one.",
    ]
    for item in items:
        grade = GRADE_LABELS.get(item.grade, item.grade)
        lines.append("")
        lines.append(
            f"# Library answer {item.id} ({grade}), last changed by {item.author} on "
            f"{item.changed.isoformat()}; fits bank version {', '.join(item.versions) or 'none'}."
        )
        if item.grade not in GRADES:
            lines.append(
                "# Graded assertion here: raise it to the grade of the source (policy, "
                "contract, independent) if the source is one."
            )
        block = [{"question": item.question_id, "commitment": commitment_of(bank, item)}]
        lines.append(
            yaml.safe_dump(block, sort_keys=False, allow_unicode=True, width=88).rstrip("\n")
        )
    if left_out:
        lines.append("")
        lines.append("# Left out:")
        lines.extend(f"#   library answer {n}: {why}" for n, why in sorted(left_out.items()))
    return "\n".join(lines) + "\n"
