"""A submitted result as the sales list, the CSV, the API and webhooks see it: the
assessment's list columns always describe the result in force (the submitted one, or
the current revision of it, see store.followup); webhooks announce each change of it."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from questionnaire.core.verdict_state import score_range_of, state_of
from questionnaire.store import outbox, public
from questionnaire.store.db import db
from questionnaire.store.models import Assessment
from questionnaire.store.unit_of_work import UnitOfWork

SUBMITTED_EVENT = "assessment.submitted"
REVISED_EVENT = "assessment.revised"  # a result revision made other than by a written answer
ANSWERED_EVENT = "assessment.answered"  # a written answer, with the result revision it made
DELETED_EVENT = outbox.DELETION
EVENTS = (SUBMITTED_EVENT, REVISED_EVENT, ANSWERED_EVENT, DELETED_EVENT)
# What made a result revision -> the event announcing it.
REVISED_BY = {"written_answer": ANSWERED_EVENT}


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
    assessment.open_follow_ups = open_follow_ups
    assessment.state = state_of(result)
    scores = score_range_of(result)
    assessment.score_low = scores["low"] if scores else None
    assessment.score_high = scores["high"] if scores else None


def webhook(uow: UnitOfWork, assessment: Assessment, event: str, sales_url: str | None) -> None:
    """Queue the change's webhook in ``uow`` (if webhooks are set up).

    Flushes first: the payload carries the version this change is given on flush
    (store.changes), so a receiver can drop an older event arriving after a newer one."""
    if not uow.settings.webhooks:
        return
    db.session.flush()
    row = public.row_of(assessment)
    data = public.assessment_dict(row, {}, public.Links.of([row]), contact=False)
    outbox.add_webhook(event, assessment.id, {**data, "sales_url": sales_url})


def deletion_webhooks(uow: UnitOfWork, tombstones: list[dict], now: datetime) -> None:
    """Deleted assessments: their pending deliveries are dropped (they may describe what
    is now erased) and a tombstone, with nothing personal, is sent instead (if webhooks
    are set up)."""
    outbox.drop_pending([t["id"] for t in tombstones], now)
    if not uow.settings.webhooks:
        return
    for stone in tombstones:
        outbox.add_webhook(
            DELETED_EVENT,
            stone["id"],
            {
                "id": stone["id"],
                "change": "deleted",
                "version": stone["version"],
                "deleted_at": stone["deleted_at"].isoformat(),
            },
            now,
        )
