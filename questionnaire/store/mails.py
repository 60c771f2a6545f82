"""The record of e-mails sent about assessments: what kind, when, and whether each went.

Only the outcome is kept, never the message, which may hold a buyer's secret link. The
record also limits, across every web process since they all share the database, how
often a buyer may have their link e-mailed, and how many e-mails one address gets in an
hour whatever assessments name it: anyone can start an assessment with someone else's
address, and this must not be a way to flood that person's inbox.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update

from questionnaire.store.db import db
from questionnaire.store.models import Assessment, SentMail, utcnow

QUEUED, SENT, FAILED = "queued", "sent", "failed"
RESUME_LINK, CONFIRMATION, SALES_NOTICE = "resume_link", "confirmation", "sales_notice"
ANSWERED = "answered"  # the provider answered some of the buyer's questions (store.notices)
WINDOW = timedelta(hours=1)  # both limits count the e-mails of the last hour
RESUME_LINK_LIMIT = 3  # resume-link e-mails per assessment per window
TO_BUYERS = (RESUME_LINK, CONFIRMATION, ANSWERED)
ADDRESS_LIMIT = 10  # e-mails to one buyer's address per window, over all its assessments
ERROR_LENGTH = 300


class TooMany(Exception):
    """As many e-mails went as allowed: of the link for this assessment, or to this address
    (``to_address``); ``retry_at`` is when one more may go."""

    def __init__(self, retry_at: datetime, to_address: bool = False):
        super().__init__(retry_at.isoformat())
        self.retry_at = retry_at
        self.to_address = to_address


def record(assessment_id: int, kind: str) -> int:
    """A new e-mail about to be handed to the sender; its id."""
    mail = SentMail(assessment_id=assessment_id, kind=kind, status=QUEUED, created_at=utcnow())
    db.session.add(mail)
    db.session.commit()
    return mail.id


def record_to_buyer(assessment_id: int, kind: str, now: datetime | None = None) -> int:
    """Like ``record`` for an e-mail to the buyer (``TO_BUYERS``), or TooMany past a limit:
    RESUME_LINK_LIMIT resume links per assessment, ADDRESS_LIMIT e-mails to its address.

    Two web processes asking at once must not both slip under the per-assessment limit:
    the row is written first and then counted with the others, with the assessment's row
    locked (PostgreSQL; on SQLite the write itself holds the database's one write lock
    until the commit), so every count sees the rows of those that went before it. On
    PostgreSQL the per-address count can be passed by requests racing on other
    assessments, by as many as race.
    """
    now = now or utcnow()
    since = now - WINDOW
    address = db.session.scalar(
        select(Assessment.email).where(Assessment.id == assessment_id).with_for_update()
    )
    mail = SentMail(assessment_id=assessment_id, kind=kind, status=QUEUED, created_at=now)
    db.session.add(mail)
    db.session.flush()
    recent = select(SentMail.created_at).where(
        SentMail.kind.in_(TO_BUYERS), SentMail.created_at > since, SentMail.id != mail.id
    )
    if kind == RESUME_LINK:
        earlier = db.session.scalars(
            recent.where(
                SentMail.assessment_id == assessment_id, SentMail.kind == RESUME_LINK
            ).order_by(SentMail.created_at)
        ).all()
        if len(earlier) >= RESUME_LINK_LIMIT:
            db.session.rollback()
            raise TooMany(earlier[-RESUME_LINK_LIMIT] + WINDOW)
    to_address = db.session.scalars(
        recent.join(Assessment, Assessment.id == SentMail.assessment_id)
        .where(func.lower(Assessment.email) == (address or "").lower())
        .order_by(SentMail.created_at)
    ).all()
    if len(to_address) >= ADDRESS_LIMIT:
        db.session.rollback()
        raise TooMany(to_address[-ADDRESS_LIMIT] + WINDOW, to_address=True)
    db.session.commit()
    return mail.id


def finish(mail_id: int, error: str | None = None) -> None:
    """The sender's outcome: sent, or failed with the reason for operators."""
    db.session.execute(
        update(SentMail)
        .where(SentMail.id == mail_id)
        .values(
            status=FAILED if error else SENT,
            error=error[:ERROR_LENGTH] if error else None,
            finished_at=utcnow(),
        )
    )
    db.session.commit()


@dataclass(frozen=True)
class Outcome:
    status: str
    created_at: datetime
    finished_at: datetime | None


def latest(assessment_id: int, kind: str) -> Outcome | None:
    """The newest e-mail of ``kind`` about the assessment, for the buyer's page."""
    row = db.session.execute(
        select(SentMail.status, SentMail.created_at, SentMail.finished_at)
        .where(SentMail.assessment_id == assessment_id, SentMail.kind == kind)
        .order_by(SentMail.created_at.desc(), SentMail.id.desc())
        .limit(1)
    ).first()
    return Outcome(*row) if row else None
