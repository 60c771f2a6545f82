"""Bearer tokens of the CRM API: made with ``flask api-tokens create`` or on the admin page,
shown once, kept only as a hash, with scopes (read, write) and an optional expiry; a
per-token request count per minute for the rate limit; and the first responses to writes
sent with an ``Idempotency-Key``."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite

from questionnaire.store.db import db, rowcount
from questionnaire.store.models import (
    ApiRequestCount,
    ApiToken,
    IdempotencyKey,
    hash_token,
    utcnow,
)

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ._-]{0,63}$")
MAX_TOKEN = 128
TOUCH_EVERY = timedelta(minutes=1)  # last_used_at is a hint: not a write per request
READ, WRITE = "read", "write"
SCOPES = (READ, WRITE)
MINUTE = timedelta(minutes=1)
KEYS_KEPT = timedelta(hours=24)  # an Idempotency-Key is honoured this long
MAX_KEY = 255


class TokenError(ValueError):
    """A token name that cannot be used; the message says why."""


@dataclass(frozen=True)
class Caller:
    """The token a request came with, as the API needs it."""

    id: int
    name: str
    scopes: frozenset[str]

    @property
    def actor(self) -> str:
        return actor_of(self.name)


def actor_of(name: str) -> str:
    """How the buyer's access list names reads made with this token."""
    return f"CRM integration {name}"


def create(name: str, scopes: tuple[str, ...] = SCOPES, expires_at: datetime | None = None) -> str:
    """A new token for ``name``; returns the token itself (256 random bits), shown once."""
    name = name.strip()
    if not NAME.match(name):
        raise TokenError(
            "A token name is 1 to 64 letters, digits, spaces, dots, dashes or underscores"
        )
    if not scopes or any(s not in SCOPES for s in scopes):
        raise TokenError(f"A token's scopes are {' and '.join(SCOPES)}")
    now = utcnow()
    if expires_at is not None and expires_at <= now:
        raise TokenError("A token's expiry must be in the future")
    if db.session.scalar(select(ApiToken).where(ApiToken.name == name)) is not None:
        raise TokenError(f"There is already a token named {name!r}; revoke it or pick another")
    token = secrets.token_urlsafe(32)
    db.session.add(
        ApiToken(
            name=name,
            token_hash=hash_token(token),
            scopes=" ".join(s for s in SCOPES if s in scopes),
            created_at=now,
            expires_at=expires_at,
        )
    )
    db.session.flush()
    return token


def find(token: str) -> Caller | None:
    """The live token this is, else None (unknown, revoked, expired, or not a token).
    Notes when it was last used, at most every TOUCH_EVERY, in the caller's transaction:
    a hint, whose commit may fail without failing the request."""
    if not token or len(token) > MAX_TOKEN:
        return None
    found = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(token)))
    now = utcnow()
    if found is None or found.revoked_at is not None:
        return None
    if found.expires_at is not None and found.expires_at <= now:
        return None
    caller = Caller(found.id, found.name, frozenset(found.scopes.split()))
    if found.last_used_at is None or now - found.last_used_at > TOUCH_EVERY:
        found.last_used_at = now
    return caller


def count_request(token_id: int, now: datetime) -> int:
    """Count one request in this minute (one statement, shared by every process); returns
    the minute's count so far, this one included."""
    minute = now.replace(second=0, microsecond=0)
    dialect = db.session.get_bind().dialect.name
    module = postgresql if dialect == "postgresql" else sqlite
    statement = module.insert(ApiRequestCount).values(token_id=token_id, minute=minute, count=1)
    statement = statement.on_conflict_do_update(
        index_elements=["token_id", "minute"],
        set_={"count": ApiRequestCount.count + 1},
    ).returning(ApiRequestCount.count)
    count: int = db.session.execute(statement).scalar_one()
    return count


def revoke(name: str) -> None:
    found = db.session.scalar(select(ApiToken).where(ApiToken.name == name.strip()))
    if found is None:
        raise TokenError(f"No token named {name.strip()!r}")
    if found.revoked_at is None:
        found.revoked_at = utcnow()
        db.session.flush()


def all_tokens() -> list[dict]:
    return [
        {
            "id": t.id,
            "name": t.name,
            "scopes": t.scopes.split(),
            "created_at": t.created_at,
            "expires_at": t.expires_at,
            "last_used_at": t.last_used_at,
            "revoked_at": t.revoked_at,
        }
        for t in db.session.scalars(select(ApiToken).order_by(ApiToken.name))
    ]


# --- idempotent writes -----------------------------------------------------------------


def request_hash(method: str, path: str, body: bytes) -> str:
    return hashlib.sha256(f"{method} {path}\n".encode() + body).hexdigest()


@dataclass(frozen=True)
class Replay:
    """What an Idempotency-Key already answered: the same request gets it again."""

    same_request: bool
    status: int
    body: str


def replay(token_id: int, key: str, digest: str) -> Replay | None:
    found = db.session.scalar(
        select(IdempotencyKey).where(
            IdempotencyKey.token_id == token_id,
            IdempotencyKey.key == key,
            IdempotencyKey.created_at >= utcnow() - KEYS_KEPT,
        )
    )
    if found is None:
        return None
    return Replay(found.request_sha256 == digest, found.status, found.body)


def remember(token_id: int, key: str, digest: str, status: int, body: str) -> None:
    """Keep the response in the caller's transaction: it commits with the write it answers.
    Two requests with one key at once: the second's commit fails (IntegrityError), so it
    writes nothing and answers with the first's response (see replay)."""
    db.session.add(
        IdempotencyKey(
            token_id=token_id,
            key=key,
            request_sha256=digest,
            status=status,
            body=body,
            created_at=utcnow(),
        )
    )


def purge(now: datetime) -> int:
    """Delete request counts and idempotency keys too old to matter; returns how many."""
    counts = rowcount(
        db.session.execute(delete(ApiRequestCount).where(ApiRequestCount.minute < now - MINUTE * 2))
    )
    keys = rowcount(
        db.session.execute(
            delete(IdempotencyKey).where(IdempotencyKey.created_at < now - KEYS_KEPT)
        )
    )
    return counts + keys
