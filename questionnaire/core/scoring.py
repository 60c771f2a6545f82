"""Method ``fit/2``: the buyer's requirements against the provider's documented commitments.

For each visible question with weight > 0, one status: an answer that states no
requirement is *not required*; "Not sure" is *not sure* (for the buyer's own team to
decide); a requirement with no documented commitment is *ask the provider*; otherwise
the type's match rule gives credit in [0, 1] (*met*, *partly met*, *not met*) and the
question adds ``weight * credit`` points of ``weight``.

``score = 100 * points / max`` over the compared questions (met, partly met, not met),
per section and overall; ``None`` where nothing is compared. *Coverage* is compared over
stated (compared + ask the provider + not sure). A must-have not fully met is a
*deal-breaker* and caps the rating at the lowest band; a must-have that is ask the
provider or not sure is *unresolved*. A result with an unresolved must-have, or with
coverage below the bank's ``min_coverage``, is *provisional*: its rating is capped at the
second band. ``choice`` and ``multi`` results name the ``missing`` required keys.

Pure: a function of (bank, answers, must-haves, commitments). ``commitments`` may replace
the bank's commitment of some questions (say, a provider's written answer); by default
the bank's are used.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from questionnaire.core.bank import Bank, Commitment, Question
from questionnaire.core.conditions import visible
from questionnaire.core.qtypes import NOT_SURE

METHOD = "fit/2"
LEGACY_METHOD = "fit/1"  # results stored before fit/2 keep it, and are never scored again
MET, PARTLY_MET, NOT_MET = "met", "partly_met", "not_met"
NOT_REQUIRED, ASK_PROVIDER, NOT_SURE_STATUS = "not_required", "ask_provider", "not_sure"
STATUSES = (MET, PARTLY_MET, NOT_MET, NOT_REQUIRED, ASK_PROVIDER, NOT_SURE_STATUS)
STATUS_LABELS = {
    MET: "Met",
    PARTLY_MET: "Partly met",
    NOT_MET: "Not met",
    NOT_REQUIRED: "Not required",
    ASK_PROVIDER: "Ask the provider",
    NOT_SURE_STATUS: "Not sure",
}
COMPARED = (MET, PARTLY_MET, NOT_MET)
STATED = (*COMPARED, ASK_PROVIDER, NOT_SURE_STATUS)
UNRESOLVED = (ASK_PROVIDER, NOT_SURE_STATUS)
FOLLOW_UP_STATUSES = (ASK_PROVIDER, NOT_MET, PARTLY_MET)
ATTENTION_STATUSES = (NOT_MET, PARTLY_MET, ASK_PROVIDER, NOT_SURE_STATUS)
PROVISIONAL_BAND = 1  # a provisional result is rated no better than the second band
CAPPED_BY_DEAL_BREAKER, CAPPED_BY_PROVISIONAL = "deal_breaker", "provisional"


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
    missing: tuple[str, ...] | None = None  # choice/multi: required keys not documented


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


@dataclass(frozen=True, slots=True)
class Coverage:
    stated: int
    compared: int

    @property
    def percent(self) -> float | None:
        return round(100 * self.compared / self.stated, 1) if self.stated else None

    def to_dict(self) -> dict:
        return {"stated": self.stated, "compared": self.compared, "percent": self.percent}


@dataclass(frozen=True)
class Result:
    method: str
    bank_version: str
    bank_sha256: str
    score: float | None
    rating: str | None
    capped_by: str | None  # "deal_breaker", "provisional" or None
    sections: tuple[SectionResult, ...]
    questions: tuple[QuestionResult, ...]
    deal_breakers: tuple[str, ...]
    follow_ups: tuple[FollowUp, ...]
    coverage: Coverage
    min_coverage: float
    unresolved_must_haves: tuple[str, ...]
    provisional: bool
    frameworks: Mapping[str, Mapping[str, Mapping[str, int]]]

    @property
    def capped(self) -> bool:
        """The fit/1 flag: the rating is capped by a deal-breaker."""
        return self.capped_by == CAPPED_BY_DEAL_BREAKER

    @property
    def decide_internally(self) -> tuple[str, ...]:
        return tuple(q.id for q in self.questions if q.status == NOT_SURE_STATUS)

    @property
    def counts(self) -> dict[str, int]:
        found = Counter(q.status for q in self.questions)
        return {status: found[status] for status in STATUSES}

    def to_dict(self) -> dict:
        """Plain JSON-ready data; what is stored with a submitted assessment. Every key of
        fit/1 is kept (``capped_by_deal_breaker`` among them), so readers of both work."""
        return {
            "method": self.method,
            "bank_version": self.bank_version,
            "bank_sha256": self.bank_sha256,
            "score": self.score,
            "rating": self.rating,
            "capped_by_deal_breaker": self.capped,
            "capped_by": self.capped_by,
            "provisional": self.provisional,
            "coverage": self.coverage.to_dict(),
            "min_coverage": self.min_coverage,
            "unresolved_must_haves": list(self.unresolved_must_haves),
            "decide_internally": list(self.decide_internally),
            "counts": self.counts,
            "frameworks": {
                name: {ref: dict(counts) for ref, counts in refs.items()}
                for name, refs in self.frameworks.items()
            },
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
                    "missing": list(q.missing) if q.missing is not None else None,
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


def assess_question(
    question: Question, answer: Any, must_have: bool, commitment: Commitment | None
) -> QuestionResult:
    """One question's status and points under fit/2, against ``commitment``."""
    kind = question.kind
    # Weight 0 (and every text question) is shown but never scored: no requirement to check.
    scored = question.scored and answer is not None
    not_sure = scored and answer == NOT_SURE
    requirement = kind.requirement(question, answer) if scored and not not_sure else None
    weight, credit, missing = question.weight, None, kind.missing(question, None, ())
    if not_sure:
        status, weight = NOT_SURE_STATUS, 0.0
    elif requirement is None:
        status, weight = NOT_REQUIRED, 0.0
    elif commitment is None:
        status, weight = ASK_PROVIDER, 0.0
        missing = kind.missing(question, requirement, ())
    else:
        credit = kind.credit(question, requirement, commitment.value)
        status = MET if credit >= 1 else NOT_MET if credit <= 0 else PARTLY_MET
        missing = kind.missing(question, requirement, commitment.value)
    must_have = must_have and status in STATED
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
        missing=missing,
    )


def _score(results: Collection[QuestionResult]) -> tuple[float | None, float, float]:
    # fsum is exactly rounded, so the order of questions cannot change a score.
    points = math.fsum(r.points for r in results)
    maximum = math.fsum(r.max for r in results)
    return (100 * points / maximum if maximum > 0 else None), points, maximum


def reference_order(ref: str) -> tuple:
    """NCSC principle "10" after "9": numbers by value, then text."""
    return tuple(
        (0, int(part), "") if part.isdigit() else (1, 0, part)
        for part in re.split(r"(\d+)", ref)
        if part
    )


def framework_counts(
    bank: Bank, results: Collection[QuestionResult]
) -> dict[str, dict[str, dict[str, int]]]:
    """Counts by status of the stated questions under each framework reference (zeros
    left out), frameworks in order of first use and references in natural order."""
    found: dict[str, dict[str, Counter]] = {}
    for result in results:
        if result.status not in STATED:
            continue
        for name, refs in bank.question(result.id).frameworks.items():
            for ref in refs:
                found.setdefault(name, {}).setdefault(ref, Counter())[result.status] += 1
    return {
        name: {
            ref: {s: refs[ref][s] for s in STATUSES if refs[ref][s]}
            for ref in sorted(refs, key=reference_order)
        }
        for name, refs in found.items()
    }


def score(
    bank: Bank,
    answers: Mapping[str, Any],
    must_have: Collection[str] = (),
    commitments: Mapping[str, Commitment] | None = None,
) -> Result:
    """Score checked answers (see ``answers.check``) against the bank's commitments, or
    against ``commitments[question id]`` where given."""
    shown = visible_answers(bank, answers)
    must = set(must_have)
    replaced = commitments or {}
    results = [
        assess_question(q, shown.get(q.id), q.id in must, replaced.get(q.id, q.commitment))
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
    unresolved = tuple(r.id for r in results if r.must_have and r.status in UNRESOLVED)
    coverage = Coverage(
        stated=sum(r.status in STATED for r in results),
        compared=sum(r.status in COMPARED for r in results),
    )
    provisional = bool(unresolved) or (
        coverage.percent is not None and coverage.percent < bank.min_coverage
    )
    if deal_breakers:
        capped_by, no_better_than = CAPPED_BY_DEAL_BREAKER, len(bank.ratings) - 1
    elif provisional:
        capped_by, no_better_than = CAPPED_BY_PROVISIONAL, PROVISIONAL_BAND
    else:
        capped_by, no_better_than = None, 0
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
        rating=bank.rating_for(overall, no_better_than),
        capped_by=capped_by,
        sections=tuple(sections),
        questions=tuple(results),
        deal_breakers=deal_breakers,
        follow_ups=follow_ups,
        coverage=coverage,
        min_coverage=bank.min_coverage,
        unresolved_must_haves=unresolved,
        provisional=provisional,
        frameworks=framework_counts(bank, results),
    )
