"""Read-only links: a second secret link to a submitted result that can only view it.

The link's token is an HMAC of a random nonce under the buyer's own token, so:
- the buyer's result page (which has their token) can show the link again at any time;
- the database holds the nonce and the token's hash only: neither opens anything;
- the read-only token reveals nothing of the buyer's token (HMAC is one-way);
- revoking deletes the row (the link is then a 404), and a new link has a new nonce.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from sqlalchemy import delete, select

from questionnaire.store.db import db, rowcount
from questionnaire.store.models import SUBMITTED, Assessment, ReadOnlyLink, hash_token, utcnow

TOKEN_BYTES = 24  # 192 bits, as the buyer's own token


def read_only_token(buyer_token: str, nonce: str) -> str:
    digest = hmac.new(buyer_token.encode(), b"read-only:" + nonce.encode(), hashlib.sha256)
    return base64.urlsafe_b64encode(digest.digest()[:TOKEN_BYTES]).decode().rstrip("=")


def create(assessment: Assessment, buyer_token: str) -> str:
    """A new read-only link for ``assessment``, replacing any earlier one; its token."""
    nonce = secrets.token_urlsafe(16)
    token = read_only_token(buyer_token, nonce)
    db.session.execute(delete(ReadOnlyLink).where(ReadOnlyLink.assessment_id == assessment.id))
    db.session.add(
        ReadOnlyLink(
            assessment_id=assessment.id,
            token_hash=hash_token(token),
            nonce=nonce,
            created_at=utcnow(),
        )
    )
    db.session.flush()
    return token


def current(assessment: Assessment, buyer_token: str) -> dict | None:
    """The assessment's read-only link as the buyer sees it: its token and when it was made.
    The token is None for a link made under the buyer's earlier resume link (replaced
    since: store.resume_links), which still works but cannot be worked out again."""
    link = db.session.scalar(
        select(ReadOnlyLink).where(ReadOnlyLink.assessment_id == assessment.id)
    )
    if link is None:
        return None
    token: str | None = read_only_token(buyer_token, link.nonce)
    if token is None or not hmac.compare_digest(hash_token(token), link.token_hash):
        token = None  # never show a wrong link
    return {"token": token, "created_at": link.created_at}


def revoke(assessment: Assessment) -> bool:
    """Whether there was a link to revoke."""
    gone = rowcount(
        db.session.execute(delete(ReadOnlyLink).where(ReadOnlyLink.assessment_id == assessment.id))
    )
    return bool(gone)


def find(token: str) -> Assessment | None:
    """The submitted assessment a read-only token opens, or None."""
    if not token or len(token) > 64:
        return None
    return db.session.scalar(
        select(Assessment)
        .join(ReadOnlyLink, ReadOnlyLink.assessment_id == Assessment.id)
        .where(ReadOnlyLink.token_hash == hash_token(token), Assessment.status == SUBMITTED)
    )
