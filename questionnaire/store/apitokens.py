"""Bearer tokens of the CRM API: made with ``flask api-tokens create``, shown once, kept
only as a hash, revoked by name."""

from __future__ import annotations

import re
import secrets
from datetime import timedelta

from sqlalchemy import select

from questionnaire.store.db import db
from questionnaire.store.models import ApiToken, hash_token, utcnow

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ._-]{0,63}$")
MAX_TOKEN = 128
TOUCH_EVERY = timedelta(minutes=1)  # last_used_at is a hint: not a write per request


class TokenError(ValueError):
    """A token name that cannot be used; the message says why."""


def actor_of(name: str) -> str:
    """How the buyer's access list names reads made with this token."""
    return f"CRM integration {name}"


def create(name: str) -> str:
    """A new token for ``name``; returns the token itself (256 random bits), shown once."""
    name = name.strip()
    if not NAME.match(name):
        raise TokenError(
            "A token name is 1 to 64 letters, digits, spaces, dots, dashes or underscores"
        )
    if db.session.scalar(select(ApiToken).where(ApiToken.name == name)) is not None:
        raise TokenError(f"There is already a token named {name!r}; revoke it or pick another")
    token = secrets.token_urlsafe(32)
    db.session.add(ApiToken(name=name, token_hash=hash_token(token), created_at=utcnow()))
    db.session.commit()
    return token


def find(token: str) -> ApiToken | None:
    """The live token this is, else None (unknown, revoked, or not a token at all)."""
    if not token or len(token) > MAX_TOKEN:
        return None
    found = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(token)))
    if found is None or found.revoked_at is not None:
        return None
    now = utcnow()
    if found.last_used_at is None or now - found.last_used_at > TOUCH_EVERY:
        found.last_used_at = now
        db.session.commit()
    return found


def revoke(name: str) -> None:
    found = db.session.scalar(select(ApiToken).where(ApiToken.name == name.strip()))
    if found is None:
        raise TokenError(f"No token named {name.strip()!r}")
    if found.revoked_at is None:
        found.revoked_at = utcnow()
        db.session.commit()


def all_tokens() -> list[dict]:
    return [
        {
            "name": t.name,
            "created_at": t.created_at,
            "last_used_at": t.last_used_at,
            "revoked_at": t.revoked_at,
        }
        for t in db.session.scalars(select(ApiToken).order_by(ApiToken.name))
    ]
