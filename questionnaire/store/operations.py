"""State changes to assessments, each a small verb. Views call these; these call the core."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import bindparam, delete, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm.exc import ObjectDeletedError, StaleDataError

from questionnaire.core import answers as answers_mod
from questionnaire.core import progress
from questionnaire.core.bank import Bank
from questionnaire.core.report_context import report_id_of
from questionnaire.core.scoring import Result, score
from questionnaire.core.text import slug
from questionnaire.core.written import answerable
from questionnaire.store import changes, open_questions, results
from questionnaire.store.banks import BanksBySha
from questionnaire.store.db import db
from questionnaire.store.models import (
    DRAFT,
    SUBMITTED,
    Assessment,
    BankSnapshot,
    hash_token,
    utcnow,
)
from questionnaire.store.unit_of_work import StoreSettings, UnitOfWork

# Saves of one draft that keep colliding are tried again until DATABASE_LOCK_TIMEOUT, at
# most this often (four connections saving one draft at once lost five in a row now and then).
SAVE_ATTEMPTS = 50
T = TypeVar("T")


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


class Deleted(Exception):
    """The assessment was deleted while it was being changed."""


class NotReady(Exception):
    """Some sections still need answers before submitting."""

    def __init__(self, sections: list[str]):
        super().__init__(", ".join(sections))
        self.sections = sections


def new_token() -> str:
    return secrets.token_urlsafe(24)  # 192 random bits


# Built once: every buyer request starts with this lookup.
_BY_TOKEN_HASH = select(Assessment).where(Assessment.token_hash == bindparam("token_hash"))


def find_by_token(token: str) -> Assessment | None:
    if not token or len(token) > 64:
        return None
    return db.session.scalar(_BY_TOKEN_HASH, {"token_hash": hash_token(token)})


def bank_of(banks: BanksBySha, assessment: Assessment) -> Bank:
    """The exact bank the assessment started on (``banks``: the app's bank registry)."""
    return bank_by_sha(banks, assessment.bank_sha256)


def bank_by_sha(banks: BanksBySha, sha256: str) -> Bank:
    """The stored bank with this hash, parsed once by the registry."""

    def stored_source() -> str:
        return db.session.get_one(BankSnapshot, sha256).source

    return banks.by_sha(sha256, stored_source)


def ensure_snapshot(bank: Bank) -> None:
    """Store the bank if it is not stored yet (usually the registry has: snapshots.keep).
    Asks for the hash only: the stored text is the size of the whole bank."""
    stored = select(BankSnapshot.sha256).where(BankSnapshot.sha256 == bank.sha256)
    if db.session.scalar(stored) is None:
        db.session.add(BankSnapshot(sha256=bank.sha256, version=bank.version, source=bank.source))
        db.session.flush()


def search_text(*parts: str) -> str:
    return " ".join(p.strip().lower() for p in parts if p)


def start_assessment(bank: Bank, company: str, name: str, email: str) -> tuple[Assessment, str]:
    """A new draft on the current bank; returns it with its secret token (shown once)."""
    now = utcnow()
    return new_draft(
        bank,
        company=company.strip(),
        contact_name=name.strip(),
        email=email.strip(),
        search_text=search_text(company, name, email),
        consent=True,
        consent_at=now,
        answers={},
        must_have=[],
        progress={},
    )


def new_draft(bank: Bank, **columns: Any) -> tuple[Assessment, str]:
    """A draft on ``bank`` with these columns, flushed; returns it and its secret token."""
    ensure_snapshot(bank)
    token = new_token()
    now = utcnow()
    assessment = Assessment(
        token_hash=hash_token(token),
        status=DRAFT,
        bank_sha256=bank.sha256,
        bank_version=bank.version,
        created_at=now,
        updated_at=now,
        **columns,
    )
    db.session.add(assessment)
    db.session.flush()
    return assessment, token


def with_retry(uow: UnitOfWork, assessment: Assessment, change: Callable[[Assessment], T]) -> T:
    """Apply ``change`` to the row and commit ``uow``; returns what ``change`` returned.

    The retry owns the transaction: a collision rolls it back whole and applies ``change``
    again, so whatever must be saved with the change is done inside ``change`` (open
    ``uow`` with nothing else in it yet).

    The UPDATE only lands on the row as it was read (the ORM checks its row_version). If
    another request saved it in between, the row is read again and ``change`` applied to
    it as stored now: ``change`` must decide everything from the row it is given, so
    nothing decided on a stale read is saved and neither save is lost.

    The row is read again FOR UPDATE, so on PostgreSQL the next attempt cannot collide
    (SQLite has no row locks: there it is simply tried again). A lock held elsewhere is
    waited for (by the database) up to DATABASE_LOCK_TIMEOUT; an attempt that fails sooner
    (a deadlock) is tried again within that time. Past it, the transaction is rolled back
    whole and DatabaseBusy raised: nothing is half-saved. A row deleted meanwhile raises
    Deleted.
    """
    deadline = time.monotonic() + uow.settings.lock_timeout
    for _ in range(SAVE_ATTEMPTS):
        try:
            outcome = change(assessment)
            uow.commit()
            return outcome
        except (StaleDataError, OperationalError) as error:
            _rolled_back(uow, error)
        if time.monotonic() >= deadline:
            break
        try:
            db.session.refresh(assessment, with_for_update=True)
        except ObjectDeletedError:
            raise Deleted from None
        except OperationalError as error:
            _rolled_back(uow, error)
            break
    raise DatabaseBusy("the assessment stayed locked or kept changing while it was saved")


def _rolled_back(uow: UnitOfWork, error: Exception) -> None:
    """Roll back after a collision (another save won) or a lock wait that gave up; any
    other database error is not ours to retry."""
    uow.rollback()
    if isinstance(error, OperationalError) and not is_lock_timeout(error):
        raise error


def save_section(
    uow: UnitOfWork,
    assessment: Assessment,
    bank: Bank,
    section_id: str,
    values: Mapping[str, Any],
    must_have: set[str],
    complete: bool,
) -> None:
    """Store answers of one section (None = cleared) and its progress mark.

    Only the questions in ``values`` change: a question left out (its posted value was
    refused) keeps what was saved before, so one mistyped answer loses no other.
    """
    section_ids = {q.id for q in bank.section(section_id).questions}
    given = section_ids & set(values)

    def change(a: Assessment) -> None:
        if a.status != DRAFT:
            raise AlreadySubmitted
        answers = {k: v for k, v in a.answers.items() if k not in given}
        answers.update({k: v for k, v in values.items() if v is not None and k in given})
        must = [m for m in a.must_have if m not in section_ids] + sorted(must_have & section_ids)
        a.answers, a.must_have = progress.tidy_answers(bank, answers, must)
        marks = dict(a.progress)
        if complete:
            marks[section_id] = progress.COMPLETE
        else:
            marks.setdefault(section_id, progress.VISITED)
        a.progress = marks
        a.updated_at = utcnow()

    with_retry(uow, assessment, change)


def submit(
    uow: UnitOfWork, assessment: Assessment, bank: Bank, sales_url: str | None = None
) -> Result:
    """Score and freeze the assessment, and commit. Raises NotReady or AlreadySubmitted.

    Decided inside the retry, from the row as stored: a section saved by another tab
    while this submit was on its way is part of what is scored and frozen. The webhook
    announcing it (linking to ``sales_url``) is queued in the same transaction."""

    def change(a: Assessment) -> Result:
        if a.status != DRAFT:
            raise AlreadySubmitted
        unfinished = progress.unfinished_sections(bank, a.answers, a.progress)
        if unfinished:
            raise NotReady(unfinished)
        checked = answers_mod.check(bank, a.answers, list(a.must_have))
        result = score(bank, checked.values, checked.must_have)
        now = utcnow()
        a.status = SUBMITTED
        a.answers = checked.values
        a.must_have = list(checked.must_have)
        a.result = result.to_dict()
        asked = answerable(a.result)
        results.apply_result(a, a.result, len(asked))
        open_questions.opened(a.id, bank, asked)
        a.submitted_at = now
        a.updated_at = now
        results.webhook(uow, a, results.SUBMITTED_EVENT, sales_url)
        return result

    return with_retry(uow, assessment, change)


def delete_assessments(uow: UnitOfWork, assessments: list[Assessment]) -> None:
    """Delete the rows, in one transaction (newest first: a revision before the assessment
    it was made from), leaving a tombstone of each for the change feed and a deletion
    webhook in place of any still pending. Rows only: reports.deletion also deletes their
    report files."""
    ids = [a.id for a in assessments]
    linked = changes.linked_to(ids)
    for assessment in sorted(assessments, key=lambda a: a.id, reverse=True):
        db.session.delete(assessment)
        db.session.flush()
    now = utcnow()
    results.deletion_webhooks(uow, changes.record_deletions(ids, linked, now), now)


def exists(assessment_id: int) -> bool:
    """Whether the assessment is still stored. Ids are never given twice, so a row gone
    means the assessment was deleted."""
    found = db.session.scalar(select(Assessment.id).where(Assessment.id == assessment_id))
    return found is not None


def expiry(assessment: Assessment, settings: StoreSettings) -> datetime:
    """When the assessment will be deleted unless the buyer comes back."""
    if assessment.status == SUBMITTED and assessment.submitted_at is not None:
        return assessment.submitted_at + timedelta(days=settings.submitted_days)
    return assessment.updated_at + timedelta(days=settings.draft_days)


def purge_expired(uow: UnitOfWork, now: datetime | None = None) -> tuple[int, int]:
    """Delete drafts untouched past their retention and submitted ones past theirs (rows
    only: reports.deletion.purge also deletes their report files)."""
    now = now or utcnow()
    draft_cutoff = now - timedelta(days=uow.settings.draft_days)
    submitted_cutoff = now - timedelta(days=uow.settings.submitted_days)
    expired = (
        (Assessment.status == DRAFT) & (Assessment.updated_at < draft_cutoff),
        (Assessment.status == SUBMITTED) & (Assessment.submitted_at < submitted_cutoff),
    )
    counts = []
    for condition in expired:
        linked = changes.linked_to(db.session.scalars(select(Assessment.id).where(condition)))
        # RETURNING names exactly the rows deleted: a draft saved meanwhile is not among them.
        gone = db.session.scalars(
            delete(Assessment)
            .where(condition)
            .returning(Assessment.id)
            .execution_options(synchronize_session=False)
        ).all()
        results.deletion_webhooks(uow, changes.record_deletions(gone, linked, now), now)
        counts.append(len(gone))
    return counts[0], counts[1]


def file_stem(assessment: Assessment) -> str:
    """What a downloaded file of this assessment is called after "trustcheck-": the company
    and the day it was submitted (drafts: "draft" and the day of the last change), so a
    buyer's downloads sort by date, e.g. ``acme-ltd-2026-11-30``."""
    if assessment.submitted_at is not None:
        return f"{slug(assessment.company)}-{assessment.submitted_at.date().isoformat()}"
    return f"{slug(assessment.company)}-draft-{assessment.updated_at.date().isoformat()}"


def answers_filename(assessment: Assessment, numbered: bool = False) -> str:
    """``trustcheck-acme-ltd-2026-11-30.json``; ``numbered`` adds the report id, for the
    sales team, who download many companies' files."""
    number = f"-{report_id_of(assessment.id).lower()}" if numbered else ""
    return f"trustcheck-{file_stem(assessment)}{number}.json"


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
