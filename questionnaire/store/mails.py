"""The record of e-mails sent about assessments: what kind, when, and whether each went.

Only the outcome is kept, never the message, which may hold a buyer's secret link. The
record also limits, across every web process since they all share the database, how
often a buyer may have their link e-mailed, and how many e-mails one address gets in an
hour whatever assessments name it: anyone can start an assessment with someone else's
address, and this must not be a way to flood that person's inbox. That count is kept
apart from the assessments (``MailRecipient``: a keyed hash of the address and the time),
so deleting an assessment and starting again does not reset it; the sales team's
addresses get a limit of their own on submission notices.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, text, update

from questionnaire.store.db import db, rowcount
from questionnaire.store.models import Assessment, MailRecipient, SentMail, utcnow

QUEUED, SENT, FAILED = "queued", "sent", "failed"
RESUME_LINK, CONFIRMATION, SALES_NOTICE = "resume_link", "confirmation", "sales_notice"
ANSWERED = "answered"  # the provider answered some of the buyer's questions (store.notices)
NEW_LINK = "new_link"  # a way to make new resume links, asked for on the start page
WINDOW = timedelta(hours=1)  # every limit counts the e-mails of the last hour
RESUME_LINK_LIMIT = 3  # resume-link e-mails per assessment per window
TO_BUYERS = (RESUME_LINK, CONFIRMATION, ANSWERED, NEW_LINK)
ADDRESS_LIMIT = 10  # e-mails to one buyer's address per window, over all its assessments
# NEW_LINK e-mails to one address per window: anyone may ask for them with any address,
# and they must not use up the ADDRESS_LIMIT its owner's own e-mails need.
NEW_LINK_LIMIT = 3
# Whose limit an e-mail counts against (MailRecipient.purpose; NEW_LINK e-mails count
# against both theirs and BUYER's).
BUYER, SALES = "buyer", "sales"
ERROR_LENGTH = 300


class TooMany(Exception):
    """As many e-mails went as allowed: of the link for this assessment, or to this address
    (``to_address``); ``retry_at`` is when one more may go."""

    def __init__(self, retry_at: datetime, to_address: bool = False):
        super().__init__(retry_at.isoformat())
        self.retry_at = retry_at
        self.to_address = to_address


def normalise_address(address: str) -> str:
    """One address however it is written: case, spaces, and a ``+tag`` in the local part
    (``Ann+1@Example.org`` and ``ann@example.org`` reach the same inbox)."""
    local, _, domain = address.strip().lower().rpartition("@")
    return f"{local.split('+', 1)[0]}@{domain}"


def recipient_key(secret: str, address: str) -> str:
    """A keyed hash of the address (HMAC-SHA256 under ``secret``, the app's secret key):
    the same address always gives the same key, and the key alone gives nobody the address."""
    message = b"mail-recipient\0" + normalise_address(address).encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def record_to_buyer(secret: str, assessment_id: int, kind: str, now: datetime | None = None) -> int:
    """A new e-mail to the buyer (``TO_BUYERS``) about to be handed to the sender, its id
    (``secret``: see recipient_key); or TooMany past a limit: RESUME_LINK_LIMIT resume links
    per assessment, NEW_LINK_LIMIT new-link e-mails and ADDRESS_LIMIT e-mails to its address.

    Two web processes asking at once must not both slip under a limit: the rows are
    written first and then counted with the others, with the assessment's row and the
    address's key locked (PostgreSQL; on SQLite the write itself holds the database's one
    write lock until the commit), so every count sees the rows of those that went before.
    """
    now = now or utcnow()
    since = now - WINDOW
    address = db.session.scalar(
        select(Assessment.email).where(Assessment.id == assessment_id).with_for_update()
    )
    key = recipient_key(secret, address or "")
    _lock(key)
    mail = SentMail(assessment_id=assessment_id, kind=kind, status=QUEUED, created_at=now)
    db.session.add(mail)
    db.session.flush()
    if kind == RESUME_LINK:
        earlier = db.session.scalars(
            select(SentMail.created_at)
            .where(
                SentMail.assessment_id == assessment_id,
                SentMail.kind == RESUME_LINK,
                SentMail.created_at > since,
                SentMail.id != mail.id,
            )
            .order_by(SentMail.created_at)
        ).all()
        if len(earlier) >= RESUME_LINK_LIMIT:  # the caller's unit of work rolls back
            raise TooMany(earlier[-RESUME_LINK_LIMIT] + WINDOW)
    limits = [(NEW_LINK, NEW_LINK_LIMIT)] if kind == NEW_LINK else []
    for purpose, limit in [*limits, (BUYER, ADDRESS_LIMIT)]:
        to_address = _sent_to(key, purpose, since)
        if len(to_address) >= limit:  # the caller's unit of work rolls back
            raise TooMany(to_address[-limit] + WINDOW, to_address=True)
        db.session.add(MailRecipient(key=key, purpose=purpose, created_at=now))
    db.session.flush()
    return mail.id


def record_to_sales(
    secret: str,
    assessment_id: int,
    recipients: tuple[str, ...],
    per_hour: int,
    now: datetime | None = None,
) -> tuple[int, tuple[str, ...]]:
    """A new notice to the sales team about to be handed to the sender: (its id, the
    addresses it may go to), leaving out any that have had ``per_hour`` notices in the
    last hour (0: no limit); TooMany when none may have it. A flood of submissions must not bury the
    team's inboxes either: the sales list shows every submission all the same."""
    now = now or utcnow()
    since = now - WINDOW
    allowed = []
    for address in recipients:
        key = recipient_key(secret, address)
        _lock(key)
        if per_hour <= 0 or len(_sent_to(key, SALES, since)) < per_hour:
            allowed.append(address)
            db.session.add(MailRecipient(key=key, purpose=SALES, created_at=now))
    if not allowed:
        raise TooMany(now + WINDOW, to_address=True)
    mail = SentMail(assessment_id=assessment_id, kind=SALES_NOTICE, status=QUEUED, created_at=now)
    db.session.add(mail)
    db.session.flush()
    return mail.id, tuple(allowed)


def _sent_to(key: str, purpose: str, since: datetime) -> list[datetime]:
    """When the e-mails of ``purpose`` to this address in the window went, oldest first."""
    return list(
        db.session.scalars(
            select(MailRecipient.created_at)
            .where(
                MailRecipient.key == key,
                MailRecipient.purpose == purpose,
                MailRecipient.created_at > since,
            )
            .order_by(MailRecipient.created_at)
        )
    )


def _lock(key: str) -> None:
    """On PostgreSQL, hold a lock on this address's key until the transaction ends, so
    requests for one address, from any assessment, count one after another."""
    if db.session.get_bind().dialect.name == "postgresql":
        number = int(key[:15], 16)  # 60 bits: a bigint
        db.session.execute(text("SELECT pg_advisory_xact_lock(:n)"), {"n": number})


def purge_recipients(now: datetime) -> int:
    """Delete counts older than any window; returns how many."""
    removed = db.session.execute(
        delete(MailRecipient).where(MailRecipient.created_at < now - timedelta(days=1))
    )
    return rowcount(removed)


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


@dataclass(frozen=True)
class Outcome:
    status: str
    created_at: datetime
    finished_at: datetime | None


def latest(assessment_id: int, kind: str, since: datetime | None = None) -> Outcome | None:
    """The newest e-mail of ``kind`` about the assessment (asked for after ``since``), for
    the buyer's page."""
    query = select(SentMail.status, SentMail.created_at, SentMail.finished_at).where(
        SentMail.assessment_id == assessment_id, SentMail.kind == kind
    )
    if since is not None:
        query = query.where(SentMail.created_at > since)
    row = db.session.execute(
        query.order_by(SentMail.created_at.desc(), SentMail.id.desc()).limit(1)
    ).first()
    return Outcome(*row) if row else None
