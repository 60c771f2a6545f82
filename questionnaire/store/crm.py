"""What a CRM is told of an assessment: one plain dict for the API's list, detail and
change feed, the webhooks (without the contact), and the CSV's revision cells.

Built from the sales list's columns (store.listing.COLUMNS) plus two small look-ups per
page: the later revisions of each assessment and what made each current result revision.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import cast

from sqlalchemy import select, tuple_

from questionnaire.store.db import db
from questionnaire.store.models import SUBMITTED, Assessment, ResultRevision

SUBMISSION = "submission"  # result revision 0: the result scored at submit
MAX_REVISED_BY = 20  # later revisions named per assessment (a buyer rarely makes more)


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
            for original, number in later:  # revision_of_id IN (...): never NULL here
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


def fields(row: Mapping, owners: Mapping[int, str], links: Links, contact: bool = True) -> dict:
    """One assessment as the API lists it (``contact`` False: as webhooks announce it)."""
    submitted = row["status"] == SUBMITTED
    out = {
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
        "owner": owners.get(row["owner_id"]) if row["owner_id"] else None,
        "stage": row["stage"],
        "revision": row["result_revision"],
        "result_revision": result_revision(row, links),
        "revision_of": row["revision_of_id"],
        "revised_by": links.revised_by_of(row["id"]),
    }
    if contact:
        out["contact"] = {
            "company": row["company"],
            "name": row["contact_name"],
            "email": row["email"],
        }
    return out
