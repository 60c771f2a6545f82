"""Database models. Views hand templates plain data, never these objects."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

from flask_login import UserMixin
from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from questionnaire.store.db import Model

DRAFT, SUBMITTED = "draft", "submitted"
ROLES = ("sales", "admin")
# Row ids are INTEGER columns: PostgreSQL's end at 2**31 - 1, and an id past that in a URL
# is no row (rather than an overflow error from the database driver).
MAX_ROW_ID = 2**31 - 1
# An id is never given twice: a link exported to a CRM (/sales/assessments/<id>) must not
# open another company after a deletion, and a row gone means deleted (reports check it).
# PostgreSQL's sequences never go back; SQLite needs AUTOINCREMENT for that.
NEVER_REUSED = {"sqlite_autoincrement": True}


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
                raise ValueError("naive datetime; use questionnaire.store.models.utcnow()")
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value

    def process_result_value(self, value, dialect):
        return value.replace(tzinfo=UTC) if value is not None else None


def hash_token(token: str) -> str:
    # The token carries >= 128 random bits, so a fast hash is enough to make a stolen
    # database useless for opening assessments; no salt or slow KDF is needed.
    return hashlib.sha256(token.encode()).hexdigest()


class BankSnapshot(Model):
    """The exact questions.yaml an assessment started on, stored once per content hash."""

    __tablename__ = "bank_snapshots"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    version: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# Sales list filters: in every list index, so a filtered count never reads the table.
LISTED = ("search_text", "rating", "deal_breakers", "bank_version", "owner_id", "stage")
STAGES = ("new", "in_discussion", "answered", "won", "lost")


class Assessment(Model):
    __tablename__ = "assessments"
    # The sales list filters and sorts on these columns only, so each index answers a
    # page, a count or a search without reading the large rows it passes over; the id
    # after the sort key is the tie-breaker, so OFFSET pages need no sorting. Single-column
    # indexes on the filter columns would tempt SQLite into slow plans, so there are none.
    __table_args__ = (
        Index("ix_assessments_status_submitted", "status", "submitted_at", "id", *LISTED, "score"),
        Index("ix_assessments_status_score", "status", "score", "id", *LISTED, "submitted_at"),
        Index("ix_assessments_status_updated", "status", "updated_at", "id", *LISTED),
        Index("ix_assessments_version", "version"),  # the change feed reads in this order
        NEVER_REUSED,
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
    result: Mapped[dict | None] = mapped_column(JSON)  # set at submission: submitted_result
    score: Mapped[float | None] = mapped_column(Float)
    rating: Mapped[str | None] = mapped_column(String(100))
    deal_breakers: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Follow-up by the sales team (never shown to the buyer); the current result revision
    # (0: the submitted result) and its CRM figures (see store.results.apply_result).
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    stage: Mapped[str] = mapped_column(String(16), default="new", server_default="new")
    result_revision: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    open_follow_ups: Mapped[int | None] = mapped_column(Integer)
    summary: Mapped[dict | None] = mapped_column(JSON)
    # The result's state and score range (core.verdict_state), copied like the figures
    # above: "rated" | "provisional" | "not_rated", None for a draft; the list filters
    # on it.
    state: Mapped[str | None] = mapped_column(String(16), index=True)
    score_low: Mapped[float | None] = mapped_column(Float)
    score_high: Mapped[float | None] = mapped_column(Float)
    # Rises with every change, staff changes included (store.changes); the change feed
    # orders by it and the API sends it as the ETag. Not the draft's age: see updated_at.
    version: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    # Optimistic locking: two tabs saving at once cannot silently overwrite each other.
    row_version: Mapped[int] = mapped_column(Integer, default=1)
    # A revision is a new assessment started from a submitted one, which never changes.
    revision_of_id: Mapped[int | None] = mapped_column(
        ForeignKey("assessments.id", ondelete="SET NULL"), index=True
    )

    access_events: Mapped[list[AccessEvent]] = relationship(
        back_populates="assessment", cascade="all, delete-orphan", passive_deletes=True
    )

    __mapper_args__ = {"version_id_col": row_version}

    @property
    def submitted(self) -> bool:
        return self.status == SUBMITTED

    @property
    def submitted_result(self) -> dict[str, Any]:
        """The result stored at submission; ValueError for a draft, which has none."""
        if self.result is None:
            raise ValueError(f"assessment {self.id} is not submitted: it has no result")
        return self.result

    @property
    def submitted_time(self) -> datetime:
        """When it was submitted; ValueError for a draft."""
        if self.submitted_at is None:
            raise ValueError(f"assessment {self.id} is not submitted")
        return self.submitted_at


class User(UserMixin, Model):
    __tablename__ = "users"
    __table_args__ = NEVER_REUSED

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[str] = mapped_column(String(16), default="sales")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Bumped on password reset or disable: sessions carrying an older value end.
    session_version: Mapped[int] = mapped_column(Integer, default=1)
    # A password an admin made (and saw) must be replaced at the next sign-in.
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
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


class AccessEvent(Model):
    """Someone at the provider looked at or downloaded a buyer's assessment."""

    __tablename__ = "access_events"
    __table_args__ = (
        Index("ix_access_events_assessment_at", "assessment_id", "created_at"),
        NEVER_REUSED,  # the access log lists events by id, newest first
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessments.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # Reads through the CRM API: one event per token, assessment and hour or day.
    api_token_id: Mapped[int | None] = mapped_column(
        ForeignKey("api_tokens.id", ondelete="SET NULL")
    )
    actor: Mapped[str] = mapped_column(String(300))  # name and role at the time
    action: Mapped[str] = mapped_column(String(32))  # view | pdf | answers | export | ...
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    assessment: Mapped[Assessment] = relationship(back_populates="access_events")


class LoginAttempt(Model):
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


class ReadOnlyLink(Model):
    """The buyer's read-only link to their result: at most one per assessment.

    The link's token is worked out from the buyer's own token and ``nonce`` (see
    store.read_only), so the buyer's page can show it again; only its hash is stored.
    """

    __tablename__ = "read_only_links"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    assessment_id: Mapped[int] = mapped_column(
        ForeignKey("assessments.id", ondelete="CASCADE"), unique=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    nonce: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SentMail(Model):
    """An e-mail about an assessment and whether it went: never its text, which may hold
    the buyer's secret link. Also what limits how often a buyer may e-mail their link."""

    __tablename__ = "sent_mails"
    __table_args__ = (
        Index("ix_sent_mails_assessment_kind_at", "assessment_id", "kind", "created_at"),
        Index("ix_sent_mails_kind_at", "kind", "created_at"),  # mails to one address an hour
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessments.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(
        String(32)
    )  # resume_link | confirmation | sales_notice | answered | new_link
    status: Mapped[str] = mapped_column(String(16))  # queued | sent | failed
    error: Mapped[str | None] = mapped_column(String(300))  # for operators; never shown
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class MailRecipient(Model):
    """An e-mail sent to one address, for the hourly limits per address: only a keyed hash
    of the address (store.mails.recipient_key) and the time. It does not name an
    assessment, so deleting assessments does not reset the count, and nothing personal
    outlives the deletion. Kept a day (``flask purge``)."""

    __tablename__ = "mail_recipients"
    __table_args__ = (Index("ix_mail_recipients_key_purpose_at", "key", "purpose", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(64))  # hex HMAC-SHA256 of the normalised address
    purpose: Mapped[str] = mapped_column(String(16))  # buyer | sales | new_link
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ResultRevision(Model):
    """A result re-scored with the provider's written answers; the submitted result stays
    in ``assessments.result`` (revision 0). ``written`` holds every written answer in force
    (see core.written.WrittenAnswer.to_dict). Edited in place until the buyer has seen it
    (``seen_at``), then only superseded by a new revision."""

    __tablename__ = "result_revisions"
    __table_args__ = (UniqueConstraint("assessment_id", "number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessments.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    result: Mapped[dict] = mapped_column(JSON)
    written: Mapped[list] = mapped_column(JSON)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    author: Mapped[str] = mapped_column(String(300))
    # What made it: "written_answer" (the only maker so far; see store.results.REVISED_BY).
    cause: Mapped[str] = mapped_column(
        String(32), default="written_answer", server_default="written_answer"
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class InternalNote(Model):
    """A sales team's note on an assessment: never shown to the buyer."""

    __tablename__ = "internal_notes"
    __table_args__ = (Index("ix_internal_notes_assessment_at", "assessment_id", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessments.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    author: Mapped[str] = mapped_column(String(300))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ApiToken(Model):
    """A bearer token of the CRM API; only its hash is stored (see hash_token)."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scopes: Mapped[str] = mapped_column(
        String(32), default="read write", server_default="read write"
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ApiRequestCount(Model):
    """Requests made with one token in one minute: the per-token rate limit, counted in the
    database so every web process shares it."""

    __tablename__ = "api_request_counts"

    token_id: Mapped[int] = mapped_column(
        ForeignKey("api_tokens.id", ondelete="CASCADE"), primary_key=True
    )
    minute: Mapped[datetime] = mapped_column(UTCDateTime, primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)


class IdempotencyKey(Model):
    """The first response to a write sent with an ``Idempotency-Key``: a retry with the same
    key and request gets it again and changes nothing."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("token_id", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_id: Mapped[int] = mapped_column(ForeignKey("api_tokens.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(255))
    request_sha256: Mapped[str] = mapped_column(String(64))  # method, path and body
    status: Mapped[int] = mapped_column(Integer)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class ChangeClock(Model):
    """One row: the last version given to a change (store.changes). Taking the next one locks
    the row until commit, so versions become visible in the order they were given."""

    __tablename__ = "change_clock"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger, default=0)
    # Deletion records older than this have been purged: a feed cursor from before it
    # may have missed a deletion, and is answered 410.
    purged_before: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Tombstone(Model):
    """A deleted assessment as the change feed tells of it: its id, when, and nothing
    personal. Kept for store.changes.TOMBSTONE_DAYS."""

    __tablename__ = "tombstones"
    __table_args__ = (Index("ix_tombstones_version", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    version: Mapped[int] = mapped_column(BigInteger)
    deleted_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class OutboxMessage(Model):
    """A message to send once its change is committed (written in the same transaction):
    delivered in the background, retried with back-off until it succeeds or expires."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_state_due", "state", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))  # "webhook"
    event: Mapped[str] = mapped_column(String(64))
    assessment_id: Mapped[int | None] = mapped_column(Integer)  # kept after a deletion
    body: Mapped[str] = mapped_column(Text)  # sent byte for byte as signed
    state: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(String(300))


class StartAttempt(Model):
    """An assessment started from an address, kept briefly, to limit starts per address."""

    __tablename__ = "start_attempts"
    __table_args__ = (Index("ix_start_attempts_address_at", "address", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    address: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# --- the answer library (store.library) -------------------------------------------------


class LibraryAnswer(Model):
    """A written answer the sales team keeps for reuse: one question, a value in its own
    terms (``value_space`` fingerprints them, core.library), a statement, a reference and
    a grade. Never deleted: retired, so the changes and what was applied stay readable."""

    __tablename__ = "library_answers"
    __table_args__ = (
        Index("ix_library_answers_question", "question_id", "value_space"),
        NEVER_REUSED,
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    question_id: Mapped[str] = mapped_column(String(64))
    value: Mapped[object] = mapped_column(JSON)
    statement: Mapped[str] = mapped_column(Text)
    reference: Mapped[str] = mapped_column(String(500), default="")
    grade: Mapped[str] = mapped_column(String(16))  # "written" | "contract"
    value_space: Mapped[str] = mapped_column(String(16))
    bank_version: Mapped[str] = mapped_column(String(64))  # written (or reviewed) on
    number: Mapped[int] = mapped_column(Integer, default=1)  # bumped by every change
    author: Mapped[str] = mapped_column(String(300))  # who changed it last, as they were named
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class LibraryChange(Model):
    """Every change to a library answer, with who and when: the fields as they became, or
    (``applied``) the job that wrote it to the buyers' results."""

    __tablename__ = "library_changes"
    __table_args__ = (Index("ix_library_changes_answer", "answer_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    answer_id: Mapped[int] = mapped_column(ForeignKey("library_answers.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)  # the answer's number after the change
    action: Mapped[str] = mapped_column(String(16))  # created|edited|retired|restored|applied
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    actor: Mapped[str] = mapped_column(String(300))
    data: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class LibraryJob(Model):
    """ "Apply to every open assessment that asks this": a preview of what each result would
    become, then (confirmed) the writing of the answer to each, run in the background in
    batches; ``done`` of ``total`` is its progress, ``heartbeat_at`` shows it is alive."""

    __tablename__ = "library_jobs"
    __table_args__ = (Index("ix_library_jobs_state_heartbeat", "state", "heartbeat_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    answer_id: Mapped[int] = mapped_column(ForeignKey("library_answers.id", ondelete="CASCADE"))
    answer_number: Mapped[int] = mapped_column(Integer)  # the answer as previewed
    # previewing | previewed | applying | applied | failed | cancelled
    state: Mapped[str] = mapped_column(String(16))
    include_short: Mapped[bool] = mapped_column(Boolean, default=False)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    actor: Mapped[str] = mapped_column(String(300))
    author: Mapped[str] = mapped_column(String(200))  # the name written answers carry
    total: Mapped[int] = mapped_column(Integer, default=0)
    done: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    heartbeat_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class LibraryJobItem(Model):
    """One assessment in a job's preview: what its result would become, and what happened."""

    __tablename__ = "library_job_items"

    job_id: Mapped[int] = mapped_column(
        ForeignKey("library_jobs.id", ondelete="CASCADE"), primary_key=True
    )
    assessment_id: Mapped[int] = mapped_column(
        ForeignKey("assessments.id", ondelete="CASCADE"), primary_key=True
    )
    revision: Mapped[int] = mapped_column(Integer)  # the result revision previewed on
    kind: Mapped[str] = mapped_column(String(12))  # fits | short | review
    before: Mapped[dict] = mapped_column(JSON)
    after: Mapped[dict | None] = mapped_column(JSON)
    outcome: Mapped[str | None] = mapped_column(String(16))  # applied | skipped


class OpenQuestion(Model):
    """A question of a submitted assessment still open for the provider (a follow-up not yet
    answered in writing), with the fingerprint of its value space on that assessment's bank:
    what "has an open question the library answers" is read from."""

    __tablename__ = "open_questions"
    __table_args__ = (Index("ix_open_questions_question", "question_id", "value_space"),)

    assessment_id: Mapped[int] = mapped_column(
        ForeignKey("assessments.id", ondelete="CASCADE"), primary_key=True
    )
    question_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    value_space: Mapped[str] = mapped_column(String(16))


class AnswerNotice(Model):
    """The buyer's e-mail that the provider answered: the questions answered since the last
    one (``pending``) and when the next may go (store.notices)."""

    __tablename__ = "answer_notices"
    __table_args__ = (Index("ix_answer_notices_due", "due_at"),)

    assessment_id: Mapped[int] = mapped_column(
        ForeignKey("assessments.id", ondelete="CASCADE"), primary_key=True
    )
    pending: Mapped[list] = mapped_column(JSON, default=list)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
