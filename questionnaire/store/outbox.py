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

from sqlalchemy import delete, func, or_, select, update

from questionnaire.store.db import db, rowcount
from questionnaire.store.models import OutboxMessage, Tombstone, utcnow

WEBHOOK = "webhook"
PENDING, DELIVERED, FAILED = "pending", "delivered", "failed"
DROPPED = "dropped"  # its assessment was deleted before it went: see store.results
FIRST_RETRY = timedelta(seconds=30)
LONGEST_WAIT = timedelta(hours=2)
GIVE_UP_AFTER = timedelta(hours=24)
LEASE = timedelta(minutes=2)  # a claimed message is not claimed again for this long
MAX_ERROR = 300
DELETION = "assessment.deleted"  # the one message still sent about a deleted assessment
DELIVERED_KEPT = timedelta(days=30)  # then `flask purge` deletes delivered and dropped rows


def _json_value(value: object) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON")


def add_webhook(
    event: str, assessment_id: int | None, data: dict, now: datetime | None = None
) -> None:
    """Queue a webhook in the caller's transaction (callers add none when no WEBHOOK_URL
    is set: see store.results).

    The body is the Standard Webhooks envelope: ``{"type", "timestamp", "data"}``."""
    now = now or utcnow()
    payload = {"type": event, "timestamp": now.isoformat(), "data": data}
    db.session.add(
        OutboxMessage(
            channel=WEBHOOK,
            event=event,
            assessment_id=assessment_id,
            body=json.dumps(
                payload, ensure_ascii=False, separators=(",", ":"), default=_json_value
            ),
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
    """Take a due message for one attempt (None if another process took it first). The
    caller commits the claim before sending: that is what keeps other processes off it."""
    now = now or utcnow()
    taken = rowcount(
        db.session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.id == message_id,
                OutboxMessage.state == PENDING,
                OutboxMessage.next_attempt_at <= now,
            )
            .values(next_attempt_at=now + LEASE, attempts=OutboxMessage.attempts + 1)
            .execution_options(synchronize_session=False)
        )
    )
    if taken != 1:
        return None
    return db.session.get(OutboxMessage, message_id, populate_existing=True)


def delivered(message: OutboxMessage, now: datetime | None = None) -> None:
    message.state, message.delivered_at, message.last_error = DELIVERED, now or utcnow(), None
    db.session.flush()


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
    db.session.flush()


def drop_pending(assessment_ids: list[int], now: datetime) -> int:
    """Pending messages about these (deleted) assessments are not sent; returns how many."""
    if not assessment_ids:
        return 0
    return rowcount(
        db.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.assessment_id.in_(assessment_ids), OutboxMessage.state == PENDING)
            .values(state=DROPPED, last_error=None, delivered_at=now)
            .execution_options(synchronize_session=False)
        )
    )


def resend(channel: str, since: datetime, now: datetime | None = None) -> int:
    """Queue again every message created since ``since`` that was delivered or gave up,
    except those about an assessment deleted since (only its deletion is sent again).
    They keep their id, so a receiver that has them can tell. Returns how many."""
    now = now or utcnow()
    gone = select(Tombstone.id)
    return rowcount(
        db.session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.channel == channel,
                OutboxMessage.created_at >= since,
                OutboxMessage.state.in_((DELIVERED, FAILED)),
                or_(
                    OutboxMessage.event == DELETION,
                    OutboxMessage.assessment_id.is_(None),
                    OutboxMessage.assessment_id.not_in(gone),
                ),
            )
            .values(state=PENDING, next_attempt_at=now, created_at=now, attempts=0, last_error=None)
            .execution_options(synchronize_session=False)
        )
    )


def purge_delivered(now: datetime) -> int:
    """Delete delivered (and dropped) messages older than DELIVERED_KEPT; returns how many."""
    return rowcount(
        db.session.execute(
            delete(OutboxMessage).where(
                OutboxMessage.state.in_((DELIVERED, DROPPED)),
                OutboxMessage.delivered_at < now - DELIVERED_KEPT,
            )
        )
    )


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
