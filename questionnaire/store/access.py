"""The access log: who at the provider opened or downloaded which buyer's assessment.

Buyers see the events on their own assessment; admins see all of them. Events keep
the actor's name and role as they were at the time, so renaming or deleting an
account does not rewrite what a buyer was told.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import Integer, String, func, insert, literal, select
from sqlalchemy.orm import aliased

from questionnaire.store.db import db
from questionnaire.store.listing import like_pattern, start_of
from questionnaire.store.models import AccessEvent, Assessment, User, UTCDateTime, utcnow

VIEW, PDF, ANSWERS, EXPORT = "view", "pdf", "answers", "export"
LISTED, ANSWERED, LOOKED = "listed", "answered", "looked"
NEW_LINK = "new_link"  # the buyer's resume link was replaced (store.resume_links)
ACTIONS = {
    VIEW: "Viewed your answers and result",
    PDF: "Downloaded the PDF report",
    ANSWERS: "Downloaded your answers (JSON)",
    EXPORT: "Exported your contact details and result in a list (CSV)",
    LISTED: "Copied your contact details and result into their CRM",
    ANSWERED: "Answered one of your questions in writing",
    LOOKED: "Looked at your assessment",
    NEW_LINK: "A new resume link was made: the old one no longer works",
}
STAFF_ACTIONS = {
    VIEW: "Viewed the assessment",
    PDF: "Downloaded the PDF report",
    ANSWERS: "Downloaded the answers (JSON)",
    EXPORT: "Included it in a CSV export",
    LISTED: "Read it in a list or the change feed through the API",
    ANSWERED: "Answered a follow-up in writing",
    LOOKED: "Read it through the API",
    NEW_LINK: "Made a new resume link for it, from the e-mail sent to the buyer's address",
}
# A CRM re-reads what it syncs: its reads are recorded once per token and assessment in
# each of these windows, so an hourly sync does not fill the buyer's list.
API_READ_WINDOWS = {LOOKED: timedelta(hours=1), LISTED: timedelta(days=1)}
READ_ONLY_ACTOR = "Someone with your read-only link"
NEW_LINK_ACTOR = "Someone with the e-mail we sent to your address"
ROLE_NAMES = {"sales": "sales team", "admin": "administrator"}
NAMELESS = {"sales": "A member of the sales team", "admin": "An administrator"}
BUYER_LIMIT = 100  # events a page of the buyer's full list shows
RESULT_LIMIT = 10  # the result page shows the latest few, with a link to the full list
REPEAT = timedelta(minutes=10)  # one row per person and action this long (see record)


def author_name(user: User) -> str:
    """Who wrote an answer, as the buyer reads it: the name, or the role for an account
    made without one (never the e-mail address)."""
    return user.name or NAMELESS.get(user.role, "A member of the provider's team").lower()


def actor_label(user: User) -> str:
    if not user.name:
        return NAMELESS.get(user.role, user.role)
    return f"{user.name} ({ROLE_NAMES.get(user.role, user.role)})"


def record(assessment_id: int, user: User, action: str, after_save: bool = False) -> None:
    """A staff member's view or download (in the caller's transaction). The same person's
    same action within REPEAT of their last is not written again: the buyer's list tells
    who looked, not how often they reloaded. The page shown after a change they saved
    (``after_save``) is no new view once they have viewed the assessment before."""
    since = None if after_save else utcnow() - REPEAT
    if not _repeated(assessment_id, action, since, AccessEvent.user_id == user.id):
        add_event(assessment_id, user.id, actor_label(user), action)


def record_read_only(assessment_id: int, action: str) -> None:
    """A view or download through the buyer's read-only link: nobody signed in.

    Anyone holding the link can reload it without end: the same action within REPEAT of
    the last one is not written again, which bounds the rows a link can add and keeps the
    buyer's list to what tells them something."""
    if not _repeated(
        assessment_id, action, utcnow() - REPEAT, AccessEvent.actor == READ_ONLY_ACTOR
    ):
        add_event(assessment_id, None, READ_ONLY_ACTOR, action)


def _repeated(assessment_id: int, action: str, since: datetime | None, who) -> bool:
    """Whether ``who`` did ``action`` on the assessment since ``since`` (ever, for None)."""
    query = select(AccessEvent.id).where(
        AccessEvent.assessment_id == assessment_id, AccessEvent.action == action, who
    )
    if since is not None:
        query = query.where(AccessEvent.created_at >= since)
    return db.session.scalar(query.limit(1)) is not None


def add_event(assessment_id: int, user_id: int | None, actor: str, action: str) -> None:
    """An event in the current transaction: it is kept only if the change it records is."""
    db.session.add(
        AccessEvent(
            assessment_id=assessment_id,
            user_id=user_id,
            actor=actor,
            action=action,
            created_at=utcnow(),
        )
    )


def record_many(
    assessment_ids: list[int], user_id: int, actor: str, action: str, at: datetime | None = None
) -> None:
    """One event per assessment, written by one INSERT ... SELECT (exports hold thousands).

    Takes the user's id and label rather than the user, so a long export does not
    reload the account after every batch's commit.
    """
    if not assessment_ids:
        return
    columns = select(
        Assessment.id,
        literal(user_id, Integer),
        literal(actor, String),
        literal(action, String),
        literal(at or utcnow(), UTCDateTime),
    ).where(Assessment.id.in_(assessment_ids))
    db.session.execute(
        insert(AccessEvent).from_select(
            ["assessment_id", "user_id", "actor", "action", "created_at"], columns
        )
    )


def record_api_reads(
    assessment_ids: list[int], token_id: int, actor: str, action: str, now: datetime
) -> None:
    """Reads through the API: an event for each assessment this token has not read this
    way within API_READ_WINDOWS[action]. One INSERT ... SELECT, which checks and writes
    under one lock (two reads at the very same moment on PostgreSQL may both write one).
    The caller commits, and decides what a failure means (for a read: nothing)."""
    if not assessment_ids:
        return
    earlier = aliased(AccessEvent)
    recent = (
        select(earlier.id)
        .where(
            earlier.assessment_id == Assessment.id,
            earlier.api_token_id == token_id,
            earlier.action == action,
            earlier.created_at >= now - API_READ_WINDOWS[action],
        )
        .exists()
    )
    columns = select(
        Assessment.id,
        literal(token_id, Integer),
        literal(actor, String),
        literal(action, String),
        literal(now, UTCDateTime),
    ).where(Assessment.id.in_(assessment_ids), ~recent)
    db.session.execute(
        insert(AccessEvent).from_select(
            ["assessment_id", "api_token_id", "actor", "action", "created_at"], columns
        )
    )


def event_view(event: AccessEvent) -> dict:
    return {
        "actor": event.actor,
        "action": event.action,
        "action_text": ACTIONS.get(event.action, event.action),
        "at": event.created_at,
    }


def events_for_buyer(assessment_id: int, limit: int = BUYER_LIMIT, page: int = 1) -> dict:
    """Events on one assessment, newest first, ``limit`` a page, as plain data for the
    buyer; ``total`` counts them all."""
    events = db.session.scalars(
        select(AccessEvent)
        .where(AccessEvent.assessment_id == assessment_id)
        .order_by(AccessEvent.created_at.desc(), AccessEvent.id.desc())
        .offset((page - 1) * limit)
        .limit(limit)
    ).all()
    total = (page - 1) * limit + len(events)
    if len(events) == limit or page > 1:
        total = db.session.execute(
            select(func.count(AccessEvent.id)).where(AccessEvent.assessment_id == assessment_id)
        ).scalar_one()
    return {
        "events": [event_view(e) for e in events],
        "total": total,
        "page": page,
        "pages": max(1, -(-total // limit)),
    }


@dataclass(frozen=True)
class LogFilters:
    """The access log's filters: who (part of the name), what, when, which assessment."""

    who: str = ""
    action: str = ""
    date_from: date | None = None
    date_to: date | None = None
    assessment_id: int | None = None

    def args(self) -> dict[str, str]:
        out = {"who": self.who, "action": self.action}
        out |= {
            k: getattr(self, k).isoformat() for k in ("date_from", "date_to") if getattr(self, k)
        }
        if self.assessment_id:
            out["assessment"] = str(self.assessment_id)
        return {k: v for k, v in out.items() if v}


def log_page(page: int, per_page: int, filters: LogFilters = LogFilters()) -> dict:
    """One page of the full log, newest first, for admins.

    The page's ids are picked from the events alone, then joined: joining first would
    look up an assessment for every event skipped by the OFFSET.
    """
    ids = select(AccessEvent.id)
    if filters.assessment_id is not None:
        ids = ids.where(AccessEvent.assessment_id == filters.assessment_id)
    if filters.who:
        ids = ids.where(func.lower(AccessEvent.actor).like(like_pattern(filters.who), escape="\\"))
    if filters.action:
        ids = ids.where(AccessEvent.action == filters.action)
    if filters.date_from:
        ids = ids.where(AccessEvent.created_at >= start_of(filters.date_from))
    if filters.date_to and filters.date_to < date.max:
        ids = ids.where(AccessEvent.created_at < start_of(filters.date_to + timedelta(days=1)))
    total = db.session.execute(select(func.count()).select_from(ids.subquery())).scalar_one()
    page = min(page, max(1, -(-total // per_page)))
    chosen = ids.order_by(AccessEvent.id.desc()).limit(per_page).offset((page - 1) * per_page)
    rows = db.session.execute(
        select(AccessEvent, Assessment.company)
        .join(Assessment, Assessment.id == AccessEvent.assessment_id)
        .where(AccessEvent.id.in_(chosen.scalar_subquery()))
        .order_by(AccessEvent.id.desc())
    ).all()
    return {
        "total": total,
        "page": page,
        "events": [
            {
                **event_view(event),
                "assessment_id": event.assessment_id,
                "company": company,
                "user_id": event.user_id,
            }
            for event, company in rows
        ],
    }
