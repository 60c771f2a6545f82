"""State changes to assessments, each a small verb. Views call these; these call the core."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import bindparam, delete, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm.exc import StaleDataError

from questionnaire import answers as answers_mod
from questionnaire.bank import Bank
from questionnaire.banks import BankRegistry
from questionnaire.drafts import Draft, DraftStore
from questionnaire.extensions import db
from questionnaire.models import (
    DRAFT,
    SUBMITTED,
    Assessment,
    BankSnapshot,
    hash_token,
    utcnow,
)
from questionnaire.scoring import Result, score, visible_answers, visible_questions

VISITED, COMPLETE = "visited", "complete"
NOT_STARTED, IN_PROGRESS, NOT_NEEDED = "not_started", "in_progress", "not_needed"
SECTION_STATE_LABELS = {
    NOT_STARTED: "Not started",
    IN_PROGRESS: "In progress",
    COMPLETE: "Complete",
    NOT_NEEDED: "Not needed",
}
SAVE_ATTEMPTS = 5


class AlreadySubmitted(Exception):
    """A submitted assessment never changes."""


class DatabaseBusy(Exception):
    """Another transaction held a lock for longer than DATABASE_LOCK_TIMEOUT; nothing was saved."""


def is_lock_timeout(error: OperationalError) -> bool:
    """SQLite's "database is locked" after its busy timeout, or PostgreSQL giving up on a
    lock (lock_timeout, SQLSTATE 55P03) or breaking a deadlock (40P01)."""
    if getattr(error.orig, "sqlstate", None) in ("55P03", "40P01"):
        return True
    return "database is locked" in str(error.orig)


class NotReady(Exception):
    """Some sections still need answers before submitting."""

    def __init__(self, sections: list[str]):
        super().__init__(", ".join(sections))
        self.sections = sections


def registry() -> BankRegistry:
    return current_app.extensions["banks"]


def new_token() -> str:
    return secrets.token_urlsafe(24)  # 192 random bits


# Built once: every buyer request starts with this lookup.
_BY_TOKEN_HASH = select(Assessment).where(Assessment.token_hash == bindparam("token_hash"))


def find_by_token(token: str) -> Assessment | None:
    if not token or len(token) > 64:
        return None
    return db.session.scalar(_BY_TOKEN_HASH, {"token_hash": hash_token(token)})


def bank_of(assessment: Assessment | Draft) -> Bank:
    """The exact bank the assessment started on."""

    def stored_source() -> str:
        return db.session.get(BankSnapshot, assessment.bank_sha256).source

    return registry().by_sha(assessment.bank_sha256, stored_source)


def ensure_snapshot(bank: Bank) -> None:
    if db.session.get(BankSnapshot, bank.sha256) is None:
        db.session.add(BankSnapshot(sha256=bank.sha256, version=bank.version, source=bank.source))
        db.session.flush()


def search_text(*parts: str) -> str:
    return " ".join(p.strip().lower() for p in parts if p)


def start_assessment(bank: Bank, company: str, name: str, email: str) -> tuple[Assessment, str]:
    """A new draft on the current bank; returns it with its secret token (shown once)."""
    ensure_snapshot(bank)
    token = new_token()
    now = utcnow()
    assessment = Assessment(
        token_hash=hash_token(token),
        status=DRAFT,
        company=company.strip(),
        contact_name=name.strip(),
        email=email.strip(),
        search_text=search_text(company, name, email),
        consent=True,
        consent_at=now,
        answers={},
        must_have=[],
        progress={},
        bank_sha256=bank.sha256,
        bank_version=bank.version,
        created_at=now,
        updated_at=now,
    )
    db.session.add(assessment)
    db.session.commit()
    return assessment, token


def _with_retry(assessment: Assessment, change: Callable[[Assessment], None]) -> None:
    """Apply ``change`` and commit; if another request saved the row meanwhile, reload and
    apply it again on top, so neither save is lost.

    A lock held elsewhere is waited for (by the database) up to DATABASE_LOCK_TIMEOUT; an
    attempt that fails sooner (a deadlock) is tried again within that time. Past it, the
    transaction is rolled back whole and DatabaseBusy raised: nothing is half-saved.
    """
    deadline = time.monotonic() + current_app.config["DATABASE_LOCK_TIMEOUT"]
    for attempt in range(SAVE_ATTEMPTS):
        change(assessment)
        try:
            db.session.commit()
            return
        except StaleDataError:
            db.session.rollback()
            if attempt == SAVE_ATTEMPTS - 1:
                raise
        except OperationalError as error:
            db.session.rollback()
            if not is_lock_timeout(error):
                raise
            if attempt == SAVE_ATTEMPTS - 1 or time.monotonic() >= deadline:
                raise DatabaseBusy(str(error.orig)) from error
        db.session.refresh(assessment)


def tidy_answers(bank: Bank, answers: Mapping[str, Any], must_have: list[str]) -> tuple[dict, list]:
    """Drop answers whose question is now hidden, and must-haves on nothing answered."""
    kept = visible_answers(bank, answers)
    must = [qid for qid in must_have if qid in kept and bank.question(qid).scored]
    return kept, must


def draft_store() -> DraftStore:
    return current_app.extensions["drafts"]


def find_draft(token: str) -> Draft | None:
    if not token or len(token) > 64:
        return None
    return draft_store().find(hash_token(token))


def save_section(
    draft: Draft,
    bank: Bank,
    section_id: str,
    values: Mapping[str, Any],
    must_have: set[str],
    complete: bool,
) -> None:
    """Store one section's answers (None = cleared) and its progress.

    The UPDATE only applies to the row as it was read (same row_version, still a draft);
    if another request saved in between, the row is read again and this section applied
    on top of it, so neither save is lost. Lock waits are handled as in ``_with_retry``.
    """
    section_ids = {q.id for q in bank.section(section_id).questions}
    deadline = time.monotonic() + current_app.config["DATABASE_LOCK_TIMEOUT"]
    for attempt in range(SAVE_ATTEMPTS):
        if draft.status != DRAFT:
            raise AlreadySubmitted
        answers = {k: v for k, v in draft.answers.items() if k not in section_ids}
        answers.update({k: v for k, v in values.items() if v is not None and k in section_ids})
        must = [m for m in draft.must_have if m not in section_ids] + sorted(
            must_have & section_ids
        )
        answers, must = tidy_answers(bank, answers, must)
        progress = dict(draft.progress)
        if complete:
            progress[section_id] = COMPLETE
        else:
            progress.setdefault(section_id, VISITED)
        changes = {
            "answers": answers,
            "must_have": must,
            "progress": progress,
            "updated_at": utcnow(),
            "row_version": draft.row_version + 1,
        }
        try:
            saved = draft_store().save(draft, changes)
        except OperationalError as error:
            if not is_lock_timeout(error):
                raise
            if attempt == SAVE_ATTEMPTS - 1 or time.monotonic() >= deadline:
                raise DatabaseBusy(str(error.orig)) from error
            saved = False
        if saved:
            for name, value in changes.items():
                setattr(draft, name, value)
            return
        current = draft_store().get(draft.id)
        if current is None:
            raise AlreadySubmitted  # deleted meanwhile: nothing to save into
        vars(draft).update(vars(current))  # the caller goes on from the row as saved
    raise DatabaseBusy("the assessment kept changing while it was being saved")


def section_questions(bank: Bank, answers: Mapping[str, Any], section_id: str) -> list:
    """The questions of a section that are visible given the saved answers."""
    shown = visible_questions(bank, answers)
    return [q for q in shown if q.section_id == section_id]


def missing_required(questions, answers: Mapping[str, Any]) -> list:
    return [q for q in questions if q.kind.required and answers.get(q.id) is None]


def section_states(bank: Bank, assessment: Assessment) -> dict[str, str]:
    shown = visible_questions(bank, assessment.answers)
    states = {}
    for section in bank.sections:
        questions = [q for q in shown if q.section_id == section.id]
        marked = assessment.progress.get(section.id)
        if not questions:
            states[section.id] = NOT_NEEDED
        elif marked == COMPLETE and not missing_required(questions, assessment.answers):
            states[section.id] = COMPLETE
        elif marked or any(q.id in assessment.answers for q in questions):
            states[section.id] = IN_PROGRESS
        else:
            states[section.id] = NOT_STARTED
    return states


def first_unfinished(bank: Bank, assessment: Assessment) -> str | None:
    for section_id, state in section_states(bank, assessment).items():
        if state in (NOT_STARTED, IN_PROGRESS):
            return section_id
    return None


def submit(assessment: Assessment, bank: Bank) -> Result:
    """Score and freeze the assessment. Raises NotReady or AlreadySubmitted."""
    if assessment.status != DRAFT:
        raise AlreadySubmitted
    states = section_states(bank, assessment)
    unfinished = [sid for sid, state in states.items() if state in (NOT_STARTED, IN_PROGRESS)]
    if unfinished:
        raise NotReady(unfinished)
    checked = answers_mod.check(bank, assessment.answers, list(assessment.must_have))
    result = score(bank, checked.values, checked.must_have)

    def change(a: Assessment) -> None:
        if a.status != DRAFT:
            raise AlreadySubmitted
        now = utcnow()
        a.status = SUBMITTED
        a.answers = checked.values
        a.must_have = list(checked.must_have)
        a.result = result.to_dict()
        a.score = result.score
        a.rating = result.rating
        a.deal_breakers = len(result.deal_breakers)
        a.submitted_at = now
        a.updated_at = now

    _with_retry(assessment, change)
    return result


def delete_assessment(assessment: Assessment) -> None:
    db.session.delete(assessment)
    db.session.commit()


def expiry(assessment: Assessment) -> datetime:
    """When the assessment will be deleted unless the buyer comes back."""
    config = current_app.config
    if assessment.status == SUBMITTED:
        return assessment.submitted_at + timedelta(days=config["SUBMITTED_RETENTION_DAYS"])
    return assessment.updated_at + timedelta(days=config["DRAFT_RETENTION_DAYS"])


def purge_expired(now: datetime | None = None) -> tuple[int, int]:
    """Delete drafts untouched past their retention and submitted ones past theirs."""
    now = now or utcnow()
    config = current_app.config
    draft_cutoff = now - timedelta(days=config["DRAFT_RETENTION_DAYS"])
    submitted_cutoff = now - timedelta(days=config["SUBMITTED_RETENTION_DAYS"])
    drafts = db.session.execute(
        delete(Assessment).where(Assessment.status == DRAFT, Assessment.updated_at < draft_cutoff)
    ).rowcount
    submitted = db.session.execute(
        delete(Assessment).where(
            Assessment.status == SUBMITTED, Assessment.submitted_at < submitted_cutoff
        )
    ).rowcount
    db.session.commit()
    return drafts, submitted


def export_answers(assessment: Assessment) -> dict:
    """The buyer's data as JSON; its answers/must_have part is a valid answers file."""
    return {
        "answers": assessment.answers,
        "must_have": assessment.must_have,
        "bank_version": assessment.bank_version,
        "bank_sha256": assessment.bank_sha256,
        "status": assessment.status,
        "buyer": {
            "company": assessment.company,
            "name": assessment.contact_name,
            "email": assessment.email,
            "consent_to_share_with_sales": assessment.consent,
        },
        "created_at": assessment.created_at.isoformat(),
        "submitted_at": assessment.submitted_at.isoformat() if assessment.submitted_at else None,
        "result": assessment.result,
    }
