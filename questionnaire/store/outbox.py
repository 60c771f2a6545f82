"""The outbox: messages written in the same transaction as the change they announce, and
delivered afterwards, retried with back-off until they succeed or expire.

Any sender (webhooks; e-mail keeps its letters in memory instead, as they carry secret
links: see notify/mailer.py) works
in three steps: ``due`` ids, ``claim`` one (so two processes never send it at once),
then ``delivered`` or ``attempt_failed``.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func, select, update

from questionnaire.store.db import db
from questionnaire.store.models import OutboxMessage, utcnow

WEBHOOK = "webhook"
PENDING, DELIVERED, FAILED = "pending", "delivered", "failed"
FIRST_RETRY = timedelta(seconds=30)
LONGEST_WAIT = timedelta(hours=2)
GIVE_UP_AFTER = timedelta(hours=24)
LEASE = timedelta(minutes=2)  # a claimed message is not claimed again for this long
MAX_ERROR = 300


def add_webhook(event: str, assessment_id: int | None, payload: dict) -> None:
    """Queue a webhook in the caller's transaction; nothing when no WEBHOOK_URL is set."""
    if not current_app.config.get("WEBHOOK_URL"):
        return
    now = utcnow()
    db.session.add(
        OutboxMessage(
            channel=WEBHOOK,
            event=event,
            assessment_id=assessment_id,
            body=json.dumps(payload, ensure_ascii=False, separators=(",", ":")),
            state=PENDING,
            attempts=0,
            created_at=now,
            next_attempt_at=now,
        )
    )


def due(channel: str, now: datetime | None = None, limit: int = 100) -> list[int]:
    """Ids of pending messages whose time has come, oldest first."""
    return list(
        db.session.scalars(
            select(OutboxMessage.id)
            .where(
                OutboxMessage.state == PENDING,
                OutboxMessage.next_attempt_at <= (now or utcnow()),
                OutboxMessage.channel == channel,
            )
            .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
            .limit(limit)
        )
    )


def claim(message_id: int, now: datetime | None = None) -> OutboxMessage | None:
    """Take a due message for one attempt (None if another process took it first)."""
    now = now or utcnow()
    taken = db.session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.id == message_id,
            OutboxMessage.state == PENDING,
            OutboxMessage.next_attempt_at <= now,
        )
        .values(next_attempt_at=now + LEASE, attempts=OutboxMessage.attempts + 1)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    if taken != 1:
        return None
    return db.session.get(OutboxMessage, message_id, populate_existing=True)


def delivered(message: OutboxMessage, now: datetime | None = None) -> None:
    message.state, message.delivered_at, message.last_error = DELIVERED, now or utcnow(), None
    db.session.commit()


def retry_delay(attempts: int) -> timedelta:
    """30 s after the first failure, doubling, at most 2 h apart."""
    return min(FIRST_RETRY * 2 ** max(attempts - 1, 0), LONGEST_WAIT)


def attempt_failed(message: OutboxMessage, error: str, now: datetime | None = None) -> None:
    """Schedule the next try, or give up once it would fall past GIVE_UP_AFTER."""
    now = now or utcnow()
    message.last_error = error[:MAX_ERROR]
    following = now + retry_delay(message.attempts)
    if following > message.created_at + GIVE_UP_AFTER:
        message.state = FAILED
    else:
        message.next_attempt_at = following
    db.session.commit()


def next_due(channel: str) -> datetime | None:
    return db.session.scalar(
        select(func.min(OutboxMessage.next_attempt_at)).where(
            OutboxMessage.state == PENDING, OutboxMessage.channel == channel
        )
    )


def problems(channel: str, limit: int = 20) -> dict:
    """For the admin page: messages that gave up, and pending ones that have failed."""
    counts = dict(
        db.session.execute(
            select(OutboxMessage.state, func.count(OutboxMessage.id))
            .where(OutboxMessage.channel == channel)
            .group_by(OutboxMessage.state)
        ).all()
    )
    rows = db.session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.channel == channel, OutboxMessage.last_error.is_not(None))
        .order_by(OutboxMessage.id.desc())
        .limit(limit)
    )
    return {
        "pending": counts.get(PENDING, 0),
        "delivered": counts.get(DELIVERED, 0),
        "failed": counts.get(FAILED, 0),
        "failures": [
            {
                "id": m.id,
                "event": m.event,
                "assessment_id": m.assessment_id,
                "state": m.state,
                "attempts": m.attempts,
                "error": m.last_error,
                "created_at": m.created_at,
                "next_attempt_at": m.next_attempt_at if m.state == PENDING else None,
            }
            for m in rows
        ],
    }
