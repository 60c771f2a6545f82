"""Plain data for templates: the result page and the PDF read the same view, never ORM objects.

``today`` is the day the page or report is made: it decides whether a source is flagged
as possibly out of date.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import date
from typing import Any

from questionnaire.core.bank import Bank, Question
from questionnaire.core.evidence import GRADE_LABELS
from questionnaire.core.qtypes import NOT_SURE, NOT_SURE_LABEL, format_number
from questionnaire.core.scoring import (
    ATTENTION_STATUSES,
    FOLLOW_UP_CONFIRM,
    FOLLOW_UP_STATUSES,
    MET,
    STATUS_LABELS,
    STATUSES,
)
from questionnaire.core.summary import evidence_view, not_found_text, summary_view


def score_text(score: float | None) -> str:
    return "Not scored" if score is None else f"{score:.1f}"


def points_text(points: float, maximum: float) -> str:
    return f"{format_number(round(points, 2))} of {format_number(maximum)}"


def answer_text(question: Question, answer: Any) -> str:
    if answer is None or answer in ("", []):
        return "Not answered" if question.kind.required else "No requirement"
    if question.scored and answer == NOT_SURE:
        return NOT_SURE_LABEL
    return question.kind.describe(question, answer)


def missing_labels(question: Question, keys: Collection[str] | None) -> list[str]:
    """The labels of the required options a commitment leaves out."""
    return question.kind.labels(question, keys or ())


def gap_text(question: Question, gap: float | None) -> str:
    """A shortfall in the reader's terms (a number's minutes a month, a date's days)."""
    return question.kind.gap_text(question, gap) if gap else ""


PLAN_DEPENDENT = "Holds only for some of the provider's plans: check that yours includes it."


def outcome_view(question: Question, outcome: Mapping[str, Any]) -> dict[str, Any]:
    """A stored outcome in words: its status, points, and (fit/3) the evidence behind it,
    what is unknown or short, a near miss, a plan caveat."""
    status = outcome["status"]
    grade = outcome.get("evidence")
    near = bool(outcome.get("near_miss"))
    unconfirmed = bool(outcome.get("unconfirmed"))
    label = STATUS_LABELS[status]
    if near:
        label = "Near miss"
    return {
        "status": status,
        "status_label": label,
        "points": outcome["points"],
        "max": outcome["max"],
        "points_text": points_text(outcome["points"], outcome["max"]) if outcome["max"] else "",
        "must_have": outcome["must_have"],
        "deal_breaker": outcome["deal_breaker"],
        "missing": missing_labels(question, outcome.get("missing")),
        "unknown": missing_labels(question, outcome.get("unknown")),
        "short": missing_labels(question, outcome.get("short")),
        "evidence_grade": grade,
        "evidence_label": GRADE_LABELS.get(grade or "", "") if status == MET or near else "",
        "unconfirmed": unconfirmed,
        "near_miss": near,
        "gap_text": gap_text(question, outcome.get("gap")),
        "plan_note": PLAN_DEPENDENT if outcome.get("plan_dependent") else "",
        "attention": status in ATTENTION_STATUSES or unconfirmed,
    }


def question_view(
    question: Question, answer: Any, outcome: Mapping[str, Any] | None, today: date
) -> dict[str, Any]:
    """One question with the buyer's answer, the commitment (where and when it was
    documented, judged on ``today``) and, when scored, its outcome."""
    commitment = question.commitment
    view = {
        "id": question.id,
        "prompt": question.prompt,
        "type": question.type,
        "answer": answer_text(question, answer),
        "is_text": not question.kind.scored,  # text: printed as written
        "scored": question.scored,
        "context": not question.scored and question.kind.scored,  # opens others
        "commitment": None,
        "follow_up": question.follow_up or question.prompt,
        "feel": [],
        "written": None,  # the provider's written answer, if any (core.written.mark_written)
    }
    if commitment is not None:
        quoted: dict[str, Any] = {
            "text": question.kind.describe_commitment(question, commitment.value),
            "statement": commitment.statement,
        }
        quoted |= evidence_view(commitment.source, commitment.url, commitment.as_of, today)
        view["commitment"] = quoted
    offered = commitment.value if commitment is not None else None
    view["feel"] = question.kind.feel(question, answer, offered)
    if outcome is not None:
        view.update(outcome_view(question, outcome))
    return view


def footing_view(stored: Mapping[str, Any]) -> dict[str, Any]:
    """A section's footing (fit/3): "3 of 5 compared", and whether its score may be drawn
    as one (its weighted coverage reaches the bank's min_coverage)."""
    coverage = stored.get("coverage")
    if coverage is None:  # fit/1 and fit/2 sections: the score as stored
        return {"footing_text": "", "enough": True}
    stated, compared = coverage["stated"], coverage["compared"]
    text = f"{compared} of {stated} compared" if stated else "nothing stated"
    return {"footing_text": text, "enough": bool(stored.get("enough"))}


def result_view(
    bank: Bank,
    answers: Mapping[str, Any],
    must_have: Collection[str],
    result: Mapping[str, Any],
    today: date,
) -> dict[str, Any]:
    """The stored result (``Result.to_dict()``) joined with the bank's words and the answers.

    The numbers come from the stored result, never recomputed, so a result stays
    exactly what it was at submission (one stored by fit/1 shows as fit/1).
    """
    outcomes = {q["id"]: q for q in result["questions"]}
    sections = []
    by_id: dict[str, dict[str, Any]] = {}
    not_found = not_found_text(bank)
    for section, stored in zip(bank.sections, result["sections"], strict=True):
        questions = []
        for question in section.questions:
            if question.id not in outcomes:
                continue  # hidden by its condition
            view = question_view(question, answers.get(question.id), outcomes[question.id], today)
            view["section_title"] = section.title
            view["not_found"] = not_found
            questions.append(view)
            by_id[question.id] = view
        sections.append(
            {
                "id": section.id,
                "title": section.title,
                "intro": section.intro,
                "score": stored["score"],
                "score_text": score_text(stored["score"]),
                "points_text": points_text(stored["points"], stored["max"]),
                "questions": questions,
                "attention": sum(q.get("attention", False) for q in questions),
                **footing_view(stored),
            }
        )
    counts = result["counts"]
    summary = summary_view(bank, result, by_id, today)
    return {
        **summary,
        "title": bank.title,
        "provider": bank.provider.name,
        "score": result["score"],
        "score_text": score_text(result["score"]),
        "rating": result["rating"] or summary["verdict"]["headline"],
        "capped": result["capped_by_deal_breaker"],
        "method": result["method"],
        "bank_version": result["bank_version"],
        "bank_sha256": result["bank_sha256"],
        "counts": [  # only the statuses the result's method has
            {"status": s, "label": STATUS_LABELS[s], "count": counts[s]}
            for s in STATUSES
            if s in counts
        ],
        "sections": sections,
        "deal_breakers": [by_id[qid] for qid in result["deal_breakers"]],
        "follow_ups": [
            {
                **by_id[f["id"]],
                "text": f["question"],
                "reason": f.get("reason", f["status"]),
                "reason_label": "Confirm in the contract"
                if f.get("reason") == FOLLOW_UP_CONFIRM
                else by_id[f["id"]]["status_label"],
            }
            for f in result["follow_ups"]
            if f["status"] in FOLLOW_UP_STATUSES or f.get("reason") == FOLLOW_UP_CONFIRM
        ],
        "notes": [v for v in by_id.values() if v["is_text"] and v["answer"] != "No requirement"],
        "must_have": [by_id[qid] for qid in must_have if qid in by_id],
        "written_answers": [],  # filled by core.written.mark_written
    }
