"""Method ``fit/3``: the buyer's requirements against the provider's documented commitments,
with the strength of the evidence behind each, and a range where the evidence cannot carry
a point (docs/method.md defines it; results of fit/1 and fit/2 stay as stored).

Each visible question with weight > 0 gets one status:
- *not required*: the answer states no requirement;
- *not sure*: the buyer answered "Not sure" (a decision pending on their side);
- *ask the provider*: no commitment, or one that is silent on part of what is required
  (silence is never a shortfall; ``unknown`` names the options it is silent on);
- *met*, *partly met* or *not met*, by the type's match rule (``QuestionType.compare``).
  A number missed by no more than the question's ``near`` is a *near miss*: partly met,
  half credit, never a deal-breaker.

Every commitment carries an evidence grade (``evidence.GRADES``; a written answer is
``written``). A must-have is *unresolved* while it is ask the provider, not sure, a near
miss, or met only by evidence weaker than the bank's ``must_have_evidence``
(*unconfirmed*). A must-have partly or not met (near misses aside) is a *deal-breaker*.

Over the stated questions (compared, ask the provider, not sure), weighted:
- ``score``: the compared questions only, ``100 * sum(w * credit) / sum(w)``;
- ``score_range``: ``low`` counts every open point (ask the provider, not sure, an
  unresolved must-have) as 0 credit, ``high`` as full credit;
- ``coverage``: compared over stated, by count and by weight;
- ``assurance``: the share of stated weight met by contract, independent or written
  evidence; the top band needs ``top_band_evidence`` percent of it.

``state`` is "not_rated" when nothing is stated; "provisional" when a must-have is
unresolved or the weighted coverage is below ``min_coverage``; else "rated", and the
``rating`` is the band of ``score_range.low``, capped at the lowest band by a
deal-breaker and at the second by too little assurance. ``rating_range`` gives the bands
the result can end in: ``low`` as the rating is worked out (the lowest band while a
must-have is unresolved), ``high`` the band of ``score_range.high`` under the caps that
would remain if every open point went well.

Pure: a function of (bank, answers, must-haves, commitments). ``commitments`` may replace
the bank's commitment of some questions (a provider's written answer); by default the
bank's are used.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any

from questionnaire.core.bank import Bank, Commitment, Question
from questionnaire.core.conditions import visible
from questionnaire.core.evidence import ASSURED, meets_bar
from questionnaire.core.qtypes import NOT_SURE

METHOD = "fit/3"
FIT2_METHOD = "fit/2"  # results stored under fit/2 keep it, and are never scored again
LEGACY_METHOD = "fit/1"  # likewise for fit/1
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
PROVISIONAL_BAND = 1  # fit/2: a provisional result was rated no better than the second band
EVIDENCE_BAND = 1  # fit/3: too little assurance caps a result at the second band
CAPPED_BY_DEAL_BREAKER, CAPPED_BY_PROVISIONAL, CAPPED_BY_EVIDENCE = (
    "deal_breaker",
    "provisional",
    "evidence",
)
RATED, PROVISIONAL, NOT_RATED = "rated", "provisional", "not_rated"
STATES = (RATED, PROVISIONAL, NOT_RATED)

# Why a must-have is unresolved (``unresolved_reasons``), and why a follow-up is asked.
OPEN_ASK, OPEN_NOT_SURE, OPEN_UNCONFIRMED, OPEN_NEAR_MISS = (
    "ask_provider",
    "not_sure",
    "unconfirmed",
    "near_miss",
)
FOLLOW_UP_CONFIRM = "confirm"  # met on evidence too weak for a must-have: confirm it


@dataclass(frozen=True, slots=True)
class QuestionResult:
    id: str
    section_id: str
    status: str
    points: float
    max: float
    credit: float | None  # None when nothing was compared
    must_have: bool = False
    deal_breaker: bool = False
    missing: tuple[str, ...] | None = None  # choice/multi: required keys not offered
    unknown: tuple[str, ...] | None = None  # ... of which the commitment is silent on
    short: tuple[str, ...] | None = None  # ... of which it documents as not offered
    evidence: str | None = None  # the grade of the commitment compared with
    unconfirmed: bool = False  # a must-have met only by evidence below the bar
    near_miss: bool = False
    gap: float | None = None  # number: how far the commitment falls short, in its unit
    plan_dependent: bool = False  # met by a commitment that holds only for some plans
    weight: float = 0.0  # the question's weight when stated (in the range), else 0
    low: float = 0.0  # credit counted in score_range.low (open points at 0)
    high: float = 0.0  # ... and in score_range.high (open points at full credit)

    @property
    def open_reason(self) -> str | None:
        """Why this must-have is unresolved, or None when it is settled (or no must-have)."""
        if not self.must_have:
            return None
        if self.status in UNRESOLVED:
            return self.status
        if self.near_miss:
            return OPEN_NEAR_MISS
        if self.unconfirmed:
            return OPEN_UNCONFIRMED
        return None

    @property
    def is_open(self) -> bool:
        """An open point: counted at 0 in the range's low end and at full credit in its high."""
        return self.status in UNRESOLVED or self.open_reason is not None


@dataclass(frozen=True, slots=True)
class Footing:
    """What a score rests on: stated and compared questions, by count and by weight."""

    stated: int
    compared: int
    stated_weight: float
    compared_weight: float

    @property
    def percent(self) -> float | None:
        return round(100 * self.compared / self.stated, 1) if self.stated else None

    @property
    def weighted_percent(self) -> float | None:
        if self.stated_weight <= 0:
            return None
        return round(100 * self.compared_weight / self.stated_weight, 1)

    def to_dict(self) -> dict[str, Any]:
        return {
            "stated": self.stated,
            "compared": self.compared,
            "percent": self.percent,
            "stated_weight": self.stated_weight,
            "compared_weight": self.compared_weight,
            "weighted_percent": self.weighted_percent,
        }


def footing(results: Collection[QuestionResult]) -> Footing:
    stated = [r for r in results if r.status in STATED]
    compared = [r for r in stated if r.status in COMPARED]
    return Footing(
        stated=len(stated),
        compared=len(compared),
        stated_weight=math.fsum(r.weight for r in stated),
        compared_weight=math.fsum(r.weight for r in compared),
    )


Coverage = Footing  # fit/2's name for it


@dataclass(frozen=True, slots=True)
class SectionResult:
    id: str
    title: str
    score: float | None
    points: float
    max: float
    footing: Footing
    enough: bool  # the weighted coverage reaches min_coverage: the score may be shown


@dataclass(frozen=True, slots=True)
class FollowUp:
    id: str
    section_id: str
    status: str
    text: str
    must_have: bool
    reason: str  # the status, or "confirm" for a must-have met on weaker evidence


@dataclass(frozen=True)
class Result:
    method: str
    bank_version: str
    bank_sha256: str
    score: float | None  # the compared questions only
    score_range: tuple[float, float] | None
    state: str
    rating: str | None  # None unless rated
    rating_range: tuple[str | None, str | None]
    capped_by: str | None  # "deal_breaker", "evidence" or None
    sections: tuple[SectionResult, ...]
    questions: tuple[QuestionResult, ...]
    deal_breakers: tuple[str, ...]
    follow_ups: tuple[FollowUp, ...]
    coverage: Footing
    min_coverage: float
    unresolved_must_haves: tuple[str, ...]
    must_haves_without_requirement: tuple[str, ...]
    assurance: float | None  # % of stated weight met by assured evidence
    must_have_evidence: str
    top_band_evidence: float
    frameworks: Mapping[str, Mapping[str, Mapping[str, int]]]

    @property
    def provisional(self) -> bool:
        return self.state == PROVISIONAL

    @property
    def capped(self) -> bool:
        """The fit/1 flag: the rating is capped by a deal-breaker."""
        return self.capped_by == CAPPED_BY_DEAL_BREAKER

    @property
    def decide_internally(self) -> tuple[str, ...]:
        return tuple(q.id for q in self.questions if q.status == NOT_SURE_STATUS)

    @property
    def open_points(self) -> int:
        return sum(q.is_open for q in self.questions)

    @property
    def counts(self) -> dict[str, int]:
        found = Counter(q.status for q in self.questions)
        return {status: found[status] for status in STATUSES}

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data; what is stored with a submitted assessment. The keys of
        fit/1 and fit/2 are kept (``provisional``, ``capped_by_deal_breaker`` among them),
        so readers of every method work."""
        low, high = self.score_range or (None, None)
        return {
            "method": self.method,
            "bank_version": self.bank_version,
            "bank_sha256": self.bank_sha256,
            "state": self.state,
            "score": self.score,
            "score_range": None if self.score_range is None else {"low": low, "high": high},
            "rating": self.rating,
            "rating_range": {"low": self.rating_range[0], "high": self.rating_range[1]},
            "capped_by_deal_breaker": self.capped,
            "capped_by": self.capped_by,
            "provisional": self.provisional,
            "open_points": self.open_points,
            "coverage": self.coverage.to_dict(),
            "min_coverage": self.min_coverage,
            "assurance": {
                "percent": self.assurance,
                "top_band_evidence": self.top_band_evidence,
                "must_have_evidence": self.must_have_evidence,
            },
            "unresolved_must_haves": list(self.unresolved_must_haves),
            "unresolved_reasons": {
                q.id: q.open_reason for q in self.questions if q.open_reason is not None
            },
            "must_haves_without_requirement": list(self.must_haves_without_requirement),
            "decide_internally": list(self.decide_internally),
            "counts": self.counts,
            "frameworks": {
                name: {ref: dict(counts) for ref, counts in refs.items()}
                for name, refs in self.frameworks.items()
            },
            "sections": [
                {
                    "id": s.id,
                    "title": s.title,
                    "score": s.score,
                    "points": s.points,
                    "max": s.max,
                    "coverage": s.footing.to_dict(),
                    "enough": s.enough,
                }
                for s in self.sections
            ],
            "questions": [_question_dict(q) for q in self.questions],
            "deal_breakers": list(self.deal_breakers),
            "follow_ups": [
                {
                    "id": f.id,
                    "section": f.section_id,
                    "status": f.status,
                    "reason": f.reason,
                    "question": f.text,
                    "must_have": f.must_have,
                }
                for f in self.follow_ups
            ],
        }


def _keys(keys: tuple[str, ...] | None) -> list[str] | None:
    return list(keys) if keys is not None else None


def _question_dict(q: QuestionResult) -> dict[str, Any]:
    return {
        "id": q.id,
        "section": q.section_id,
        "status": q.status,
        "points": q.points,
        "max": q.max,
        "credit": q.credit,
        "must_have": q.must_have,
        "deal_breaker": q.deal_breaker,
        "missing": _keys(q.missing),
        "unknown": _keys(q.unknown),
        "short": _keys(q.short),
        "evidence": q.evidence,
        "unconfirmed": q.unconfirmed,
        "near_miss": q.near_miss,
        "gap": q.gap,
        "plan_dependent": q.plan_dependent,
        "weight": q.weight,
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


def states_no_requirement(question: Question, answer: Any) -> bool:
    """Whether an answer to a scored question states no requirement ("No", "No
    requirement", nothing chosen, 0 where more is better): a must-have on it weighs nothing."""
    if not question.scored or answer is None or answer == NOT_SURE:
        return False
    return question.kind.requirement(question, answer) is None


def assess_question(
    question: Question,
    answer: Any,
    must_have: bool,
    commitment: Commitment | None,
    bar: str,
) -> QuestionResult:
    """One question's status, points and range credits under fit/3, against
    ``commitment``; ``bar`` is the evidence grade a must-have needs."""
    kind = question.kind
    # Weight 0 (and every text question) is shown but never scored: no requirement to check.
    scored = question.scored and answer is not None
    not_sure = scored and answer == NOT_SURE
    requirement = kind.requirement(question, answer) if scored and not not_sure else None
    if not_sure:
        status = NOT_SURE_STATUS
        match = None
    elif requirement is None:
        nothing = kind.missing(question, None, ())  # () for option types, else None
        return QuestionResult(
            id=question.id,
            section_id=question.section_id,
            status=NOT_REQUIRED,
            points=0.0,
            max=0.0,
            credit=None,
            missing=nothing,
            unknown=nothing,
            short=nothing,
        )
    elif commitment is None:
        status = ASK_PROVIDER
        everything = kind.missing(question, requirement, ())
        match = None
    else:
        match = kind.compare(question, requirement, commitment.value, commitment.not_offered)
        status = ASK_PROVIDER if match.outcome == "unknown" else match.outcome
    weight = question.weight
    if match is None or status == ASK_PROVIDER:
        credit, points, maximum, evidence = None, 0.0, 0.0, None
    else:
        credit, maximum = match.credit, weight
        points = weight * credit
        evidence = commitment.evidence if commitment is not None else None
    near_miss = bool(match and match.near)
    unconfirmed = (
        must_have and status == MET and evidence is not None and not meets_bar(evidence, bar)
    )
    deal_breaker = must_have and status in (PARTLY_MET, NOT_MET) and not near_miss
    open_point = status in UNRESOLVED or (must_have and (near_miss or unconfirmed))
    low = 0.0 if open_point or credit is None else credit
    high = 1.0 if open_point or credit is None else credit
    if match is not None and commitment is not None:
        missing = kind.missing(question, requirement, commitment.value)
        unknown, short = match.unknown, match.short
    elif status == ASK_PROVIDER:  # no commitment: silent on every required option
        missing = unknown = everything
        short = () if everything is not None else None
    else:
        missing = unknown = short = kind.missing(question, None, ())
    return QuestionResult(
        id=question.id,
        section_id=question.section_id,
        status=status,
        points=points,
        max=maximum,
        credit=credit,
        must_have=must_have,
        deal_breaker=deal_breaker,
        missing=missing,
        unknown=unknown,
        short=short,
        evidence=evidence,
        unconfirmed=unconfirmed,
        near_miss=near_miss,
        gap=match.gap if match is not None and match.gap else None,
        plan_dependent=bool(commitment is not None and commitment.plan_dependent and status == MET),
        weight=weight,
        low=low,
        high=high,
    )


def _score(results: Collection[QuestionResult]) -> tuple[float | None, float, float]:
    # fsum is exactly rounded, so the order of questions cannot change a score.
    points = math.fsum(r.points for r in results)
    maximum = math.fsum(r.max for r in results)
    return (100 * points / maximum if maximum > 0 else None), points, maximum


def _share(
    results: Collection[QuestionResult], credit: Callable[[QuestionResult], float]
) -> float | None:
    """100 * sum(weight * credit(r)) / sum(weight) over the stated results."""
    stated = [r for r in results if r.status in STATED]
    weight = math.fsum(r.weight for r in stated)
    if weight <= 0:
        return None
    return 100 * math.fsum(r.weight * credit(r) for r in stated) / weight


def reference_order(ref: str) -> tuple[tuple[int, int, str], ...]:
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
    found: dict[str, dict[str, Counter[str]]] = {}
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


def follow_up_text(question: Question, result: QuestionResult) -> str:
    """The question to put to the provider; options the commitment is silent on are named."""
    text = question.follow_up or question.prompt
    if result.status == ASK_PROVIDER and result.unknown and question.commitment is not None:
        labels = [question.option(k).label for k in result.unknown]
        which = "this" if len(labels) == 1 else "which of these"
        return f"Do you offer {which}: {'; '.join(labels)}? {text}"
    return text


def follow_ups(bank: Bank, results: Collection[QuestionResult]) -> tuple[FollowUp, ...]:
    """A follow-up for each requirement the provider should answer: asked, short, or a
    must-have met only on evidence below the bar (its verification question)."""
    found = []
    for r in results:
        if r.status in FOLLOW_UP_STATUSES:
            reason = r.status
        elif r.unconfirmed:
            reason = FOLLOW_UP_CONFIRM
        else:
            continue
        question = bank.question(r.id)
        found.append(
            FollowUp(r.id, r.section_id, r.status, follow_up_text(question, r), r.must_have, reason)
        )
    return tuple(found)


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
    bar = bank.must_have_evidence
    results = [
        assess_question(q, shown.get(q.id), q.id in must, replaced.get(q.id, q.commitment), bar)
        for q in bank.questions
        if visible(q, shown)
    ]
    without_requirement = tuple(
        r.id
        for r in results
        if r.status == NOT_REQUIRED and r.id in must and bank.question(r.id).scored
    )
    sections = []
    for section in bank.sections:
        in_section = [r for r in results if r.section_id == section.id]
        section_score, points, maximum = _score(in_section)
        base = footing(in_section)
        enough = base.weighted_percent is not None and base.weighted_percent >= bank.min_coverage
        sections.append(
            SectionResult(section.id, section.title, section_score, points, maximum, base, enough)
        )
    overall, _, _ = _score(results)
    coverage = footing(results)
    deal_breakers = tuple(r.id for r in results if r.deal_breaker)
    unresolved = tuple(r.id for r in results if r.open_reason is not None)
    # Rounded as printed (to 0.1), so that the band always agrees with the figure shown.
    low = _rounded(_share(results, lambda r: r.low))
    high = _rounded(_share(results, lambda r: r.high))
    assurance = _rounded(_share(results, lambda r: (r.credit or 0.0) if _assured(r) else 0.0))
    # If every open point went well, it would be settled in writing: assured.
    best_assurance = _rounded(
        _share(results, lambda r: r.high if r.is_open or _assured(r) else 0.0)
    )
    state: str = NOT_RATED
    rating: str | None = None
    rating_range: tuple[str | None, str | None] = (None, None)
    capped_by: str | None = None
    if low is not None and high is not None:
        weighted = coverage.weighted_percent or 0.0
        state = PROVISIONAL if unresolved or weighted < bank.min_coverage else RATED
        capped_by, best_band = _cap(deal_breakers, assurance, bank, low)
        # An unresolved must-have could go against the buyer: a deal-breaker, the lowest band.
        lowest = len(bank.ratings) - 1 if unresolved else best_band
        rating_range = (
            bank.rating_for(low, lowest),
            bank.rating_for(high, _cap(deal_breakers, best_assurance, bank, high)[1]),
        )
        rating = rating_range[0] if state == RATED else None
    return Result(
        method=METHOD,
        bank_version=bank.version,
        bank_sha256=bank.sha256,
        score=overall,
        score_range=None if low is None or high is None else (low, high),
        state=state,
        rating=rating,
        rating_range=rating_range,
        capped_by=capped_by,
        sections=tuple(sections),
        questions=tuple(results),
        deal_breakers=deal_breakers,
        follow_ups=follow_ups(bank, results),
        coverage=coverage,
        min_coverage=bank.min_coverage,
        unresolved_must_haves=unresolved,
        must_haves_without_requirement=without_requirement,
        assurance=assurance,
        must_have_evidence=bar,
        top_band_evidence=bank.top_band_evidence,
        frameworks=framework_counts(bank, results),
    )


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def _assured(result: QuestionResult) -> bool:
    return result.evidence in ASSURED and result.credit is not None


def _cap(
    deal_breakers: Collection[str], assured: float | None, bank: Bank, value: float
) -> tuple[str | None, int]:
    """What caps the rating of ``value`` and the best band it allows (0 = the top band).
    The evidence cap is named only where it binds: where ``value`` reaches the top band."""
    if deal_breakers:
        return CAPPED_BY_DEAL_BREAKER, len(bank.ratings) - 1
    short = assured is not None and assured < bank.top_band_evidence
    if short and bank.band(value) < EVIDENCE_BAND:
        return CAPPED_BY_EVIDENCE, EVIDENCE_BAND
    return None, 0
