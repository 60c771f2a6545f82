"""Method ``fit/1``: the buyer's requirements against the provider's documented commitments.

For each visible question with weight > 0: an answer that states no requirement
is *not required*; a requirement with no documented commitment is *ask the
provider*; otherwise the type's match rule gives credit in [0, 1] (*met*,
*partly met*, *not met*) and the question adds ``weight * credit`` points of
``weight``. ``score = 100 * points / max`` per section and overall, ``None``
where nothing is scored. A must-have that is not fully met is a deal-breaker
and caps the rating at the lowest band. Pure.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from questionnaire.bank import Bank, Question
from questionnaire.conditions import visible

METHOD = "fit/1"
MET, PARTLY_MET, NOT_MET = "met", "partly_met", "not_met"
NOT_REQUIRED, ASK_PROVIDER = "not_required", "ask_provider"
STATUSES = (MET, PARTLY_MET, NOT_MET, NOT_REQUIRED, ASK_PROVIDER)
STATUS_LABELS = {
    MET: "Met",
    PARTLY_MET: "Partly met",
    NOT_MET: "Not met",
    NOT_REQUIRED: "Not required",
    ASK_PROVIDER: "Ask the provider",
}
FOLLOW_UP_STATUSES = (ASK_PROVIDER, NOT_MET, PARTLY_MET)


@dataclass(frozen=True, slots=True)
class QuestionResult:
    id: str
    section_id: str
    status: str
    points: float
    max: float
    credit: float | None  # None when nothing was compared
    answer: Any  # the normalised answer; None when not answered
    must_have: bool = False
    deal_breaker: bool = False


@dataclass(frozen=True, slots=True)
class SectionResult:
    id: str
    title: str
    score: float | None
    points: float
    max: float


@dataclass(frozen=True, slots=True)
class FollowUp:
    id: str
    section_id: str
    status: str
    text: str
    must_have: bool


@dataclass(frozen=True)
class Result:
    method: str
    bank_version: str
    bank_sha256: str
    score: float | None
    rating: str | None
    capped: bool  # the rating was capped by a deal-breaker
    sections: tuple[SectionResult, ...]
    questions: tuple[QuestionResult, ...]
    deal_breakers: tuple[str, ...]
    follow_ups: tuple[FollowUp, ...]

    @property
    def counts(self) -> dict[str, int]:
        found = Counter(q.status for q in self.questions)
        return {status: found[status] for status in STATUSES}

    def to_dict(self) -> dict:
        """Plain JSON-ready data; what is stored with a submitted assessment."""
        return {
            "method": self.method,
            "bank_version": self.bank_version,
            "bank_sha256": self.bank_sha256,
            "score": self.score,
            "rating": self.rating,
            "capped_by_deal_breaker": self.capped,
            "counts": self.counts,
            "sections": [
                {"id": s.id, "title": s.title, "score": s.score, "points": s.points, "max": s.max}
                for s in self.sections
            ],
            "questions": [
                {
                    "id": q.id,
                    "section": q.section_id,
                    "status": q.status,
                    "points": q.points,
                    "max": q.max,
                    "credit": q.credit,
                    "must_have": q.must_have,
                    "deal_breaker": q.deal_breaker,
                }
                for q in self.questions
            ],
            "deal_breakers": list(self.deal_breakers),
            "follow_ups": [
                {
                    "id": f.id,
                    "section": f.section_id,
                    "status": f.status,
                    "question": f.text,
                    "must_have": f.must_have,
                }
                for f in self.follow_ups
            ],
        }


def visible_answers(bank: Bank, answers: Mapping[str, Any]) -> dict[str, Any]:
    """The answers to questions that are shown, in bank order; hidden ones are dropped.

    Conditions look only at earlier questions, so one pass in bank order settles them.
    """
    kept: dict[str, Any] = {}
    for question in bank.questions:
        if question.id in answers and visible(question, kept):
            kept[question.id] = answers[question.id]
    return kept


def visible_questions(bank: Bank, answers: Mapping[str, Any]) -> list[Question]:
    kept = visible_answers(bank, answers)
    return [q for q in bank.questions if visible(q, kept)]


def assess_question(question: Question, answer: Any, must_have: bool) -> QuestionResult:
    """One question's status and points under fit/1."""
    kind = question.kind
    # Weight 0 (and every text question) is shown but never scored: no requirement to check.
    scored = question.scored and answer is not None
    requirement = kind.requirement(question, answer) if scored else None
    weight = question.weight
    if requirement is None:
        status, credit, weight = NOT_REQUIRED, None, 0.0
    elif question.commitment is None:
        status, credit, weight = ASK_PROVIDER, None, 0.0
    else:
        credit = kind.credit(question, requirement, question.commitment.value)
        status = MET if credit >= 1 else NOT_MET if credit <= 0 else PARTLY_MET
    must_have = must_have and requirement is not None
    return QuestionResult(
        id=question.id,
        section_id=question.section_id,
        status=status,
        points=weight * credit if credit is not None else 0.0,
        max=weight,
        credit=credit,
        answer=answer,
        must_have=must_have,
        deal_breaker=must_have and credit is not None and credit < 1,
    )


def _score(results: Collection[QuestionResult]) -> tuple[float | None, float, float]:
    # fsum is exactly rounded, so the order of questions cannot change a score.
    points = math.fsum(r.points for r in results)
    maximum = math.fsum(r.max for r in results)
    return (100 * points / maximum if maximum > 0 else None), points, maximum


def score(bank: Bank, answers: Mapping[str, Any], must_have: Collection[str] = ()) -> Result:
    """Score checked answers (see ``answers.check``) against the bank's commitments."""
    shown = visible_answers(bank, answers)
    must = set(must_have)
    results = [
        assess_question(q, shown.get(q.id), q.id in must)
        for q in bank.questions
        if visible(q, shown)
    ]
    sections = []
    for section in bank.sections:
        in_section = [r for r in results if r.section_id == section.id]
        section_score, points, maximum = _score(in_section)
        sections.append(SectionResult(section.id, section.title, section_score, points, maximum))
    overall, _, _ = _score(results)
    deal_breakers = tuple(r.id for r in results if r.deal_breaker)
    follow_ups = tuple(
        FollowUp(
            id=r.id,
            section_id=r.section_id,
            status=r.status,
            text=bank.question(r.id).follow_up or bank.question(r.id).prompt,
            must_have=r.must_have,
        )
        for r in results
        if r.status in FOLLOW_UP_STATUSES
    )
    return Result(
        method=METHOD,
        bank_version=bank.version,
        bank_sha256=bank.sha256,
        score=overall,
        rating=bank.rating_for(overall, capped=bool(deal_breakers)),
        capped=bool(deal_breakers),
        sections=tuple(sections),
        questions=tuple(results),
        deal_breakers=deal_breakers,
        follow_ups=follow_ups,
    )
