"""Plain data for templates: the result page and the PDF read the same view, never ORM objects."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from questionnaire.bank import Bank, Question
from questionnaire.qtypes import format_number
from questionnaire.scoring import FOLLOW_UP_STATUSES, STATUS_LABELS, STATUSES

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
    return question.kind.describe(question, answer)


def question_view(question: Question, answer: Any, outcome: Mapping | None) -> dict:
    """One question with the buyer's answer, the commitment and (when scored) its outcome."""
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
        view["commitment"] = {
            "text": question.kind.describe_commitment(question, commitment.value),
            "statement": commitment.statement,
            "source": commitment.source,
        }
    if question.availability:
        figures = [("You asked for", answer)] if isinstance(answer, int | float) else []
        if commitment is not None:
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
        )
    return view


def result_view(
    bank: Bank, answers: Mapping[str, Any], must_have: Collection[str], result: Mapping
) -> dict:
    """The stored result (``Result.to_dict()``) joined with the bank's words and the answers.

    The numbers come from the stored result, never recomputed, so a result stays
    exactly what it was at submission.
    """
    outcomes = {q["id"]: q for q in result["questions"]}
    sections = []
    by_id: dict[str, dict] = {}
    for section, stored in zip(bank.sections, result["sections"], strict=True):
        questions = []
        for question in section.questions:
            if question.id not in outcomes:
                continue  # hidden by its condition
            view = question_view(question, answers.get(question.id), outcomes[question.id])
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
            }
        )
    counts = result["counts"]
    return {
        "title": bank.title,
        "provider": bank.provider.name,
        "provider_source": bank.provider.source,
        "score": result["score"],
        "score_text": score_text(result["score"]),
        "rating": result["rating"] or "Not rated",
        "capped": result["capped_by_deal_breaker"],
        "method": result["method"],
        "bank_version": result["bank_version"],
        "bank_sha256": result["bank_sha256"],
        "counts": [
            {"status": s, "label": STATUS_LABELS[s], "count": counts.get(s, 0)} for s in STATUSES
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
