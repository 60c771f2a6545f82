"""An assessment as the world outside the buyer's own pages is told of it: one plain dict,
the same for the sales list and the sales page, the CRM API (list, detail and change
feed), the webhooks (without the contact) and the CSV export.

Built from the sales list's columns (``COLUMNS``: never the answers or the result JSON)
plus two small look-ups per page of rows: the later revisions of each assessment and what
made each current result revision. ``result_facts`` reads what the list columns keep of
the result beyond its score and rating (the CSV's extra columns, the list's state line).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import select, tuple_

from questionnaire.store.db import db
from questionnaire.store.models import SUBMITTED, Assessment, ResultRevision, User

SUBMISSION = "submission"  # result revision 0: the result scored at submit
MAX_REVISED_BY = 20  # later revisions named per assessment (a buyer rarely makes more)

COLUMNS = (
    Assessment.id,
    Assessment.company,
    Assessment.contact_name,
    Assessment.email,
    Assessment.status,
    Assessment.submitted_at,
    Assessment.updated_at,
    Assessment.score,
    Assessment.rating,
    Assessment.deal_breakers,
    Assessment.bank_version,
    Assessment.revision_of_id,
    Assessment.owner_id,
    Assessment.stage,
    Assessment.result_revision,
    Assessment.open_follow_ups,
    Assessment.summary,
    Assessment.state,
    Assessment.score_low,
    Assessment.score_high,
    Assessment.created_at,
    Assessment.version,
)
COLUMN_NAMES = tuple(c.key for c in COLUMNS)


def row_of(assessment: Assessment) -> dict[str, Any]:
    """The list columns of an assessment already loaded."""
    return {name: getattr(assessment, name) for name in COLUMN_NAMES}


def owner_names() -> dict[int, str]:
    """Every account's name (or email), by id: owners shown in lists (a few dozen staff)."""
    return {u.id: u.name or u.email for u in db.session.scalars(select(User))}


@dataclass(frozen=True)
class Links:
    """For one page of rows: each one's later revisions and what made its result revision."""

    revised_by: Mapping[int, list[int]]
    causes: Mapping[int, str]

    @classmethod
    def of(cls, rows: Sequence[Mapping]) -> Links:
        ids = [r["id"] for r in rows]
        revised_by: dict[int, list[int]] = {}
        if ids:
            later = db.session.execute(
                select(Assessment.revision_of_id, Assessment.id)
                .where(Assessment.revision_of_id.in_(ids))
                .order_by(Assessment.id)
            )
            for original, number in later:  # revisions only: original is never None
                revised_by.setdefault(cast(int, original), []).append(number)
        revised = [(r["id"], r["result_revision"]) for r in rows if r["result_revision"]]
        causes: dict[int, str] = {}
        if revised:
            causes = dict(
                db.session.execute(
                    select(ResultRevision.assessment_id, ResultRevision.cause).where(
                        tuple_(ResultRevision.assessment_id, ResultRevision.number).in_(revised)
                    )
                ).all()
            )
        return cls(revised_by, causes)

    def revised_by_of(self, assessment_id: int) -> list[int]:
        return self.revised_by.get(assessment_id, [])[-MAX_REVISED_BY:]


def score_range(row: Mapping) -> dict | None:
    if row["score_low"] is None or row["score_high"] is None:
        return None
    return {"low": row["score_low"], "high": row["score_high"]}


def result_revision(row: Mapping, links: Links) -> dict | None:
    """The result revision in force: its number and what made it; None for a draft."""
    if row["status"] != SUBMITTED:
        return None
    number = row["result_revision"]
    cause = links.causes.get(row["id"], "written_answer") if number else SUBMISSION
    return {"number": number, "created_by": cause}


def assessment_dict(
    row: Mapping, owners: Mapping[int, str], links: Links, contact: bool = True
) -> dict[str, Any]:
    """The public dict of one assessment (a row of ``COLUMNS``). ``contact`` False: as a
    webhook tells it, with no contact and no owner's name (the owner's id says enough)."""
    submitted = row["status"] == SUBMITTED
    out: dict[str, Any] = {
        "id": row["id"],
        "version": row["version"],
        "status": row["status"],
        "created_at": row["created_at"],
        "submitted_at": row["submitted_at"],
        "updated_at": row["updated_at"],
        "score": row["score"],
        "rating": row["rating"],
        "state": row["state"] if submitted else None,
        "score_range": score_range(row) if submitted else None,
        "deal_breakers": row["deal_breakers"] if submitted else None,
        "open_follow_ups": row["open_follow_ups"] if submitted else None,
        "bank_version": row["bank_version"],
        "owner_id": row["owner_id"],
        "stage": row["stage"],
        "revision": row["result_revision"],
        "result_revision": result_revision(row, links),
        "revision_of": row["revision_of_id"],
        "revised_by": links.revised_by_of(row["id"]),
    }
    if contact:
        out["owner"] = owners.get(row["owner_id"]) if row["owner_id"] else None
        out["contact"] = {
            "company": row["company"],
            "name": row["contact_name"],
            "email": row["email"],
        }
    return out


def assessment_dicts(rows: Sequence[Mapping], links: Links | None = None) -> list[dict[str, Any]]:
    """The public dicts of a page of rows, with their owners and (unless the caller has
    them already) their revisions looked up."""
    if not rows:
        return []
    owners = owner_names()
    links = links if links is not None else Links.of(rows)
    return [assessment_dict(r, owners, links) for r in rows]


def result_facts(row: Mapping) -> dict[str, Any]:
    """What the list columns keep of a submitted result beyond its score and rating (the
    ``summary`` column: store.results.summary_of). A draft has none: every value is
    empty. Keys a result method did not produce (fit/1 has no coverage) stay None."""
    summary = (row["summary"] or {}) if row["status"] == SUBMITTED else {}
    return {
        "deal_breaker_ids": list(summary.get("deal_breakers", [])),
        "unresolved_must_haves": summary.get("unresolved_must_haves"),
        "coverage": summary.get("coverage"),
        "provisional": summary.get("provisional"),
        "sections": list(summary.get("sections", [])),
        "method": summary.get("method"),
        "state": summary.get("state"),
        "score_range": summary.get("score_range"),
        "open_points": summary.get("open_points"),
    }
