"""Database models. Views hand templates plain data, never these objects."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

from flask_login import UserMixin
from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from questionnaire.extensions import db

DRAFT, SUBMITTED = "draft", "submitted"
ROLES = ("sales", "admin")
# Row ids are INTEGER columns: PostgreSQL's end at 2**31 - 1, and an id past that in a URL
# is no row (rather than an overflow error from the database driver).
MAX_ROW_ID = 2**31 - 1


def row_id(text: str) -> int:
    """An id typed into a URL; ValueError if it cannot name a row."""
    value = int(text)
    if not 1 <= value <= MAX_ROW_ID:
        raise ValueError(f"{text!r} is not a row id")
    return value


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """Aware UTC datetimes in, aware UTC datetimes out, on SQLite and PostgreSQL alike."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None:
            if value.tzinfo is None:
                raise ValueError("naive datetime; use questionnaire.models.utcnow()")
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value

    def process_result_value(self, value, dialect):
        return value.replace(tzinfo=UTC) if value is not None else None


def hash_token(token: str) -> str:
    # The token carries >= 128 random bits, so a fast hash is enough to make a stolen
    # database useless for opening assessments; no salt or slow KDF is needed.
    return hashlib.sha256(token.encode()).hexdigest()


class BankSnapshot(db.Model):
    """The exact questions.yaml an assessment started on, stored once per content hash."""

    __tablename__ = "bank_snapshots"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    version: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


LISTED = ("search_text", "rating", "deal_breakers", "bank_version")  # sales list filters


class Assessment(db.Model):
    __tablename__ = "assessments"
    # The sales list filters and sorts on these columns only, so each index answers a
    # page, a count or a search without reading the large rows it passes over; the id
    # after the sort key is the tie-breaker, so OFFSET pages need no sorting. Single-column
    # indexes on the filter columns would tempt SQLite into slow plans, so there are none.
    __table_args__ = (
        Index("ix_assessments_status_submitted", "status", "submitted_at", "id", *LISTED, "score"),
        Index("ix_assessments_status_score", "status", "score", "id", *LISTED, "submitted_at"),
        Index("ix_assessments_status_updated", "status", "updated_at", "id", *LISTED),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    status: Mapped[str] = mapped_column(String(16), default=DRAFT)
    company: Mapped[str] = mapped_column(String(200))
    contact_name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(254))
    search_text: Mapped[str] = mapped_column(String(700), default="")  # lower-cased, for sales
    consent: Mapped[bool] = mapped_column(Boolean, default=False)
    consent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answers: Mapped[dict] = mapped_column(JSON, default=dict)
    must_have: Mapped[list] = mapped_column(JSON, default=list)
    progress: Mapped[dict] = mapped_column(JSON, default=dict)  # section id -> "visited"|"complete"
    bank_sha256: Mapped[str] = mapped_column(ForeignKey("bank_snapshots.sha256"))
    bank_version: Mapped[str] = mapped_column(String(64))
    result: Mapped[dict | None] = mapped_column(JSON)
    score: Mapped[float | None] = mapped_column(Float)
    rating: Mapped[str | None] = mapped_column(String(100))
    deal_breakers: Mapped[int] = mapped_column(Integer, default=0)
    report_key: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Optimistic locking: two tabs saving at once cannot silently overwrite each other.
    row_version: Mapped[int] = mapped_column(Integer, default=1)

    snapshot: Mapped[BankSnapshot] = relationship(lazy="raise")
    access_events: Mapped[list[AccessEvent]] = relationship(
        back_populates="assessment", cascade="all, delete-orphan", passive_deletes=True
    )

    __mapper_args__ = {"version_id_col": row_version}

    @property
    def submitted(self) -> bool:
        return self.status == SUBMITTED


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[str] = mapped_column(String(16), default="sales")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Bumped on password reset or disable: sessions carrying an older value end.
    session_version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"


class AccessEvent(db.Model):
    """Someone at the provider looked at or downloaded a buyer's assessment."""

    __tablename__ = "access_events"
    __table_args__ = (Index("ix_access_events_assessment_at", "assessment_id", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessments.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    actor: Mapped[str] = mapped_column(String(300))  # name and role at the time
    action: Mapped[str] = mapped_column(String(32))  # view | pdf | answers | export
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    assessment: Mapped[Assessment] = relationship(back_populates="access_events")


class LoginAttempt(db.Model):
    """Sign-in attempts, kept briefly, for throttling by account and by address."""

    __tablename__ = "login_attempts"
    __table_args__ = (
        Index("ix_login_attempts_email_at", "email", "created_at"),
        Index("ix_login_attempts_address_at", "address", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(254))
    address: Mapped[str] = mapped_column(String(64))
    success: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
