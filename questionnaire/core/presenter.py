"""Plain data for templates: the result page and the PDF read the same view, never ORM objects.

``today`` is the day the page or report is made: it decides whether a source is flagged
as possibly out of date.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import date
from typing import Any

from questionnaire.core.bank import Bank, Question
from questionnaire.core.qtypes import NOT_SURE, NOT_SURE_LABEL, format_number, is_number
from questionnaire.core.scoring import (
    ATTENTION_STATUSES,
    FOLLOW_UP_STATUSES,
    STATUS_LABELS,
    STATUSES,
)
from questionnaire.core.summary import evidence_view, summary_view

MINUTES_IN_30_DAYS = 30 * 24 * 60


def score_text(score: float | None) -> str:
    return "Not scored" if score is None else f"{score:.1f}"


def points_text(points: float, maximum: float) -> str:
    return f"{format_number(round(points, 2))} of {format_number(maximum)}"


def downtime_minutes(percent: float) -> float:
    """Downtime a monthly uptime allows in a 30-day month (99.9% -> 43.2 minutes)."""
    return MINUTES_IN_30_DAYS * (100 - percent) / 100


def downtime_text(percent: float) -> str:
    minutes = downtime_minutes(percent)
    if minutes >= 120:
        return f"{minutes / 60:.1f} hours of downtime a month"
    return f"{minutes:.1f} minutes of downtime a month"


def answer_text(question: Question, answer: Any) -> str:
    if answer is None or answer == "" or answer == []:
        return "Not answered" if question.kind.required else "No requirement"
    if question.scored and answer == NOT_SURE:
        return NOT_SURE_LABEL
    return question.kind.describe(question, answer)


def missing_labels(question: Question, keys: Collection[str] | None) -> list[str]:
    """The labels of the required options a commitment leaves out."""
    labels = {o.key: o.label for o in question.options}
    return [labels.get(key, key) for key in keys or ()]


def question_view(question: Question, answer: Any, outcome: Mapping | None, today: date) -> dict:
    """One question with the buyer's answer, the commitment (where and when it was
    documented, judged on ``today``) and, when scored, its outcome."""
    commitment = question.commitment
    view = {
        "id": question.id,
        "prompt": question.prompt,
        "type": question.type,
        "answer": answer_text(question, answer),
        "is_text": question.type == "text",
        "scored": question.scored,
        "commitment": None,
        "follow_up": question.follow_up or question.prompt,
        "feel": [],
    }
    if commitment is not None:
        quoted: dict[str, Any] = {
            "text": question.kind.describe_commitment(question, commitment.value),
            "statement": commitment.statement,
        }
        quoted |= evidence_view(commitment.source, commitment.url, commitment.as_of, today)
        view["commitment"] = quoted
    if question.availability:
        figures = [("You asked for", answer)] if isinstance(answer, int | float) else []
        if commitment is not None and is_number(commitment.value):
            figures.append(("The provider commits to", commitment.value))
        view["feel"] = [
            f"{who} {format_number(value)}%: up to {downtime_text(value)}" for who, value in figures
        ]
    if outcome is not None:
        status = outcome["status"]
        view.update(
            status=status,
            status_label=STATUS_LABELS[status],
            points=outcome["points"],
            max=outcome["max"],
            points_text=points_text(outcome["points"], outcome["max"]) if outcome["max"] else "",
            must_have=outcome["must_have"],
            deal_breaker=outcome["deal_breaker"],
            missing=missing_labels(question, outcome.get("missing")),
            attention=status in ATTENTION_STATUSES,
        )
    return view


def result_view(
    bank: Bank,
    answers: Mapping[str, Any],
    must_have: Collection[str],
    result: Mapping,
    today: date,
) -> dict:
    """The stored result (``Result.to_dict()``) joined with the bank's words and the answers.

    The numbers come from the stored result, never recomputed, so a result stays
    exactly what it was at submission (one stored by fit/1 shows as fit/1).
    """
    outcomes = {q["id"]: q for q in result["questions"]}
    sections = []
    by_id: dict[str, dict] = {}
    for section, stored in zip(bank.sections, result["sections"], strict=True):
        questions = []
        for question in section.questions:
            if question.id not in outcomes:
                continue  # hidden by its condition
            view = question_view(question, answers.get(question.id), outcomes[question.id], today)
            view["section_title"] = section.title
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
            }
        )
    counts = result["counts"]
    return {
        **summary_view(bank, result, by_id, today),
        "title": bank.title,
        "provider": bank.provider.name,
        "score": result["score"],
        "score_text": score_text(result["score"]),
        "rating": result["rating"] or "Not rated",
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
            {**by_id[f["id"]], "text": f["question"]}
            for f in result["follow_ups"]
            if f["status"] in FOLLOW_UP_STATUSES
        ],
        "notes": [v for v in by_id.values() if v["is_text"] and v["answer"] != "No requirement"],
        "must_have": [by_id[qid] for qid in must_have if qid in by_id],
    }
