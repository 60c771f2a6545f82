"""Revisions: a buyer changes a submitted assessment by starting a new one from it.

A submitted assessment never changes. Its revision is a new draft, with a new secret
token, on the bank in use now, holding the answers and must-haves that still fit
(core.revision.carry_over); ``revision_of_id`` links the two.
"""

from __future__ import annotations

from sqlalchemy import select

from questionnaire.core import progress
from questionnaire.core.bank import Bank
from questionnaire.core.report_context import report_id_of
from questionnaire.core.revision import CarriedOver, carry_over
from questionnaire.store import operations as ops
from questionnaire.store.banks import BanksBySha
from questionnaire.store.db import db
from questionnaire.store.models import Assessment

LISTED_REVISIONS = 20  # a page names at most this many later revisions of one assessment
DELETABLE_REVISIONS = 200  # the delete page offers at most this many (a start limit holds it)


class NotSubmitted(Exception):
    """Only a submitted assessment is revised; a draft is simply changed."""


def carried_from(banks: BanksBySha, original: Assessment, bank: Bank) -> CarriedOver:
    """What of ``original`` holds on ``bank`` (the same answer whenever it is asked)."""
    earlier = ops.bank_of(banks, original)
    return carry_over(bank, original.answers, original.must_have, earlier.by_id)


def revise(
    banks: BanksBySha, original: Assessment, bank: Bank
) -> tuple[Assessment, str, CarriedOver]:
    """A new draft on ``bank`` filled from the submitted ``original`` (flushed); returns it,
    its secret token (shown once) and what was carried over. ``original`` is not changed."""
    if not original.submitted:
        raise NotSubmitted
    carried = carried_from(banks, original, bank)
    revision, token = ops.new_draft(
        bank,
        company=original.company,
        contact_name=original.contact_name,
        email=original.email,
        search_text=original.search_text,
        consent=original.consent,
        consent_at=original.consent_at,  # given once, for this buyer's assessment
        answers=carried.answers,
        must_have=list(carried.must_have),
        progress={section_id: progress.COMPLETE for section_id in carried.complete},
        revision_of_id=original.id,
    )
    return revision, token, carried


def left_behind(banks: BanksBySha, revision: Assessment) -> list[str]:
    """The questions of the original's answers that did not come along to ``revision``
    (in the original's words), worked out again each time so it never goes stale."""
    original = db.session.get(Assessment, revision.revision_of_id or 0)
    if original is None:
        return []
    earlier = ops.bank_of(banks, original)
    carried = carried_from(banks, original, ops.bank_of(banks, revision))
    prompts = [earlier.question(q).prompt for q in carried.dropped if q in earlier.by_id]
    return prompts + [
        f"{earlier.question(q).prompt} (no longer a must-have: the question is not scored now)"
        for q in carried.dropped_must_haves
        if q in earlier.by_id
    ]


def links(assessment: Assessment) -> dict:
    """The assessments this one is a revision of and was revised by, as plain data."""
    original = None
    if assessment.revision_of_id is not None:
        found = db.session.get(Assessment, assessment.revision_of_id)
        original = summary(found) if found is not None else None
    later = db.session.scalars(
        select(Assessment)
        .where(Assessment.revision_of_id == assessment.id)
        .order_by(Assessment.id.desc())
        .limit(LISTED_REVISIONS)
    ).all()
    return {"revision_of": original, "revised_by": [summary(a) for a in reversed(later)]}


def descendants(assessment: Assessment) -> list[Assessment]:
    """Every revision made from ``assessment``, and from those in turn, oldest first: what
    the buyer's delete page offers to delete with it (each holds a copy of the answers and
    contact details). At most DELETABLE_REVISIONS."""
    found: list[Assessment] = []
    frontier = [assessment.id]
    while frontier and len(found) < DELETABLE_REVISIONS:
        later = db.session.scalars(
            select(Assessment)
            .where(Assessment.revision_of_id.in_(frontier))
            .order_by(Assessment.id)
            .limit(DELETABLE_REVISIONS - len(found))
        ).all()
        found.extend(later)
        frontier = [a.id for a in later]
    return sorted(found, key=lambda a: a.id)


def summary(assessment: Assessment) -> dict:
    return {
        "id": assessment.id,
        "name": report_id_of(assessment.id),
        "submitted": assessment.submitted,
        "submitted_at": assessment.submitted_at,
        "created_at": assessment.created_at,
    }
