"""A buyer who lost their resume link: their assessments found by e-mail address, and a
new link made in place of the old one.

Only the hash of a resume link is kept, so a lost link cannot be sent again; instead the
buyer is e-mailed a signed way to make a new one (web.lost_link). Finding the assessments
changes nothing, so a stranger typing someone's address breaks nobody's link: only
``replace``, from that e-mail, does, and only while the link is still the one the e-mail
was made for.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import load_only

from questionnaire.store import access
from questionnaire.store import operations as ops
from questionnaire.store.db import db, rowcount
from questionnaire.store.models import AccessEvent, Assessment, hash_token, utcnow
from questionnaire.store.unit_of_work import StoreSettings

LOOKED_AT = 100  # rows of one address read at most (expired ones not yet purged included)


@dataclass(frozen=True)
class Found:
    """One of an address's assessments, as the e-mail lists it."""

    id: int
    email: str
    company: str
    submitted: bool
    at: datetime  # submitted, or (a draft) last saved
    token_hash: str


# What is read of an assessment here: not its answers or result.
_FOUND = (
    select(Assessment)
    .options(
        load_only(
            Assessment.email,
            Assessment.company,
            Assessment.status,
            Assessment.token_hash,
            Assessment.updated_at,
            Assessment.submitted_at,
        )
    )
    .order_by(Assessment.id.desc())
)


def _found(assessment: Assessment) -> Found:
    return Found(
        id=assessment.id,
        email=assessment.email,
        company=assessment.company,
        submitted=assessment.submitted,
        at=assessment.submitted_at or assessment.updated_at,
        token_hash=assessment.token_hash,
    )


def for_address(address: str, most: int, settings: StoreSettings) -> list[Found]:
    """The address's assessments still kept (drafts and submitted, not past their
    retention), newest first, ``most`` at most. The address matches whatever its case, as
    the buyer may type it differently from the first time."""
    rows = db.session.scalars(
        _FOUND.where(func.lower(Assessment.email) == address.strip().lower()).limit(LOOKED_AT)
    ).all()
    now = utcnow()
    return [_found(a) for a in rows if ops.expiry(a, settings) > now][:most]


def one(assessment_id: int) -> Found | None:
    """The assessment as it is now (its link's hash included); None once it is deleted."""
    found = db.session.scalar(_FOUND.where(Assessment.id == assessment_id))
    return None if found is None else _found(found)


def replace(assessment_id: int, old_hash: str) -> str | None:
    """A new resume link for the assessment, in place of the one whose hash is
    ``old_hash``, recorded in the buyer's access log; its token (shown once). None when the
    link is no longer that one (already replaced, or the assessment deleted): one e-mail
    makes one new link, however many times its button is pressed at once.

    Only the link changes: answers, result, read-only link and the change feed's version
    stay as they were."""
    token = ops.new_token()
    changed = rowcount(
        db.session.execute(
            update(Assessment)
            .where(Assessment.id == assessment_id, Assessment.token_hash == old_hash)
            .values(token_hash=hash_token(token))
            .execution_options(synchronize_session=False)
        )
    )
    if changed != 1:
        return None
    access.add_event(assessment_id, None, access.NEW_LINK_ACTOR, access.NEW_LINK)
    db.session.flush()
    return token


def replaced_at(assessment_id: int) -> datetime | None:
    """When the assessment's resume link was last replaced (None: never): e-mails sent
    before then hold a link that no longer works."""
    return db.session.scalar(
        select(func.max(AccessEvent.created_at)).where(
            AccessEvent.assessment_id == assessment_id, AccessEvent.action == access.NEW_LINK
        )
    )
