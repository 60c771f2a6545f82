"""A submitted result as the sales list, the CSV, the API and webhooks see it: the
assessment's list columns always describe the result in force (the submitted one, or
the current revision of it, see store.followup)."""

from __future__ import annotations

from collections.abc import Mapping

from questionnaire.core.verdict_state import score_range_of, state_of
from questionnaire.store import outbox
from questionnaire.store.models import Assessment

SUBMITTED_EVENT, REVISED_EVENT = "assessment.submitted", "assessment.revised"


def summary_of(result: Mapping) -> dict:
    """What a CRM needs of a result beyond score and rating. Keys a result method does not
    produce (fit/1 has no coverage) stay None, never a made-up 0."""
    unresolved = result.get("unresolved_must_haves")
    coverage = result.get("coverage")
    return {
        "deal_breakers": list(result.get("deal_breakers", [])),
        "unresolved_must_haves": len(unresolved) if unresolved is not None else None,
        "coverage": coverage.get("percent") if isinstance(coverage, dict) else None,
        "provisional": result.get("provisional"),
        "sections": [{"title": s["title"], "score": s["score"]} for s in result["sections"]],
        "state": state_of(result),
        "score_range": score_range_of(result),
        "method": result.get("method"),
        "open_points": result.get("open_points"),
    }


def apply_result(assessment: Assessment, result: Mapping, open_follow_ups: int) -> None:
    """Point the assessment's list columns at ``result`` (the current revision's)."""
    assessment.score = result["score"]
    assessment.rating = result["rating"]
    assessment.deal_breakers = len(result["deal_breakers"])
    assessment.summary = summary_of(result)
    assessment.state = assessment.summary["state"]
    assessment.open_follow_ups = open_follow_ups


def webhook(assessment: Assessment, event: str, sales_url: str | None) -> None:
    """Queue the change's webhook in the current transaction (if webhooks are set up)."""
    outbox.add_webhook(
        event,
        assessment.id,
        {
            "event": event,
            "assessment_id": assessment.id,
            "revision": assessment.result_revision,
            "score": assessment.score,
            "rating": assessment.rating,
            "provisional": (assessment.summary or {}).get("provisional"),
            "sales_url": sales_url,
        },
    )
