"""The answer library: written answers the sales team keeps for reuse, every change kept
with who and when, and "Apply to every open assessment that asks this".

A library answer is for one question of the bank, with a value in that question's own
terms; it fits every bank whose question has the same value space (core.library), and
needs review where the current bank's question differs. Applying it is a job in two
steps, each run in batches by ``run_step`` (a background thread of the web process, see
web.jobs), so no web request waits for a thousand results:

1. the preview: each submitted assessment with the question open, and what its result
   would become (state, range, rating), sorted into those the answer meets, those it
   falls short of (never written unless the person confirming says so) and those on a
   bank the answer does not fit (never written);
2. once confirmed, the writing: the answer counted in each as a written answer, a new
   result revision, in batches of one transaction each (store.followup.count_answer;
   the job runner's unit of work commits each batch), audited in the access log of each
   buyer and in the answer's changes.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, func, insert, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import defer
from sqlalchemy.orm.exc import StaleDataError

from questionnaire.core.bank import Bank
from questionnaire.core.library import answerable_by_library, requirement_text, value_space
from questionnaire.core.scoring import METHOD, score
from questionnaire.core.written import (
    WrittenAnswer,
    checked_words,
    latest,
    parse_value,
    written_commitments,
)
from questionnaire.store import followup, open_questions
from questionnaire.store import operations as ops
from questionnaire.store.banks import BanksBySha
from questionnaire.store.db import db, rowcount
from questionnaire.store.models import (
    SUBMITTED,
    Assessment,
    BankSnapshot,
    LibraryAnswer,
    LibraryChange,
    LibraryJob,
    LibraryJobItem,
    OpenQuestion,
    ResultRevision,
    utcnow,
)
from questionnaire.store.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)

CREATED, EDITED, RETIRED, RESTORED, APPLIED_ACTION = (
    "created",
    "edited",
    "retired",
    "restored",
    "applied",
)
PREVIEWING, PREVIEWED, APPLYING, APPLIED, FAILED = (
    "previewing",
    "previewed",
    "applying",
    "applied",
    "failed",
)
RUNNING = (PREVIEWING, APPLYING)
FITS, SHORT, REVIEW = "fits", "short", "review"  # the preview's three lists
DONE, ANSWERED_MEANWHILE, GONE = "applied", "answered", "gone"  # what became of an item
BATCH = 100  # assessments per step: one transaction, and the progress shown
STALE = timedelta(seconds=60)  # a running job not heard of for this long is taken over
PREVIEW_LIFETIME = timedelta(hours=24)  # an older preview must be made again
LISTED = 500  # the library page lists at most this many answers
CHANGES_SHOWN = 200
NEVER = datetime(2000, 1, 1, tzinfo=UTC)  # a job's heartbeat before anyone runs it


class LibraryError(ValueError):
    """A change to the library that cannot be made; the message says why."""


@dataclass(frozen=True)
class Staff:
    """Who is acting: their id, how access events and changes name them, and the name a
    written answer carries."""

    user_id: int | None
    actor: str
    author: str


# --- the answers ----------------------------------------------------------------------------


def checked(bank: Bank, question_id: str, raw: Any, statement: Any, reference: Any, grade: Any):
    """The fields of a library answer, read in the current bank's terms; LibraryError (or
    WrittenAnswerError for the value and words) says what is wrong."""
    question = bank.by_id.get(question_id)
    if not answerable_by_library(question):
        raise LibraryError("Choose one of the bank's scored questions")
    assert question is not None  # noqa: S101  checked above; narrows the type for mypy
    value = parse_value(question, raw)
    statement, reference = checked_words(statement, reference, grade)
    return {
        "question_id": question_id,
        "value": list(value) if isinstance(value, tuple) else value,
        "statement": statement,
        "reference": reference,
        "grade": grade,
        "value_space": value_space(question),
        "bank_version": bank.version,
    }


def fields_of(answer: LibraryAnswer) -> dict:
    """The answer as a change records it."""
    return {
        "question": answer.question_id,
        "value": answer.value,
        "statement": answer.statement,
        "reference": answer.reference,
        "grade": answer.grade,
        "bank_version": answer.bank_version,
    }


def _record(answer: LibraryAnswer, action: str, staff: Staff, data: dict | None = None) -> None:
    db.session.add(
        LibraryChange(
            answer_id=answer.id,
            number=answer.number,
            action=action,
            user_id=staff.user_id,
            actor=staff.actor,
            data=data if data is not None else fields_of(answer),
            created_at=utcnow(),
        )
    )


def create(bank: Bank, staff: Staff, question_id: str, raw, statement, reference, grade):
    fields = checked(bank, question_id, raw, statement, reference, grade)
    now = utcnow()
    answer = LibraryAnswer(**fields, number=1, author=staff.author, created_at=now, updated_at=now)
    db.session.add(answer)
    db.session.flush()
    _record(answer, CREATED, staff)
    db.session.flush()
    return answer


def _change(answer_id: int, number: int, values: dict) -> LibraryAnswer:
    """Write ``values`` to the answer as it was when the person read it (``number``);
    LibraryError if it changed since (the caller's unit of work rolls back)."""
    changed = rowcount(
        db.session.execute(
            update(LibraryAnswer)
            .where(LibraryAnswer.id == answer_id, LibraryAnswer.number == number)
            .values(**values, number=number + 1, updated_at=utcnow())
        )
    )
    if changed != 1:
        raise LibraryError(
            "Someone changed this answer while you were looking at it: see it as it is now."
        )
    found = db.session.get(LibraryAnswer, answer_id, populate_existing=True)
    assert found is not None  # noqa: S101  narrows the type for mypy
    return found


def edit(
    answer: LibraryAnswer, number: int, bank: Bank, staff: Staff, raw, statement, reference, grade
) -> LibraryAnswer:
    """Change the answer; its value is read in the current bank's terms, so saving it is
    also its review against that bank."""
    if applying(answer.id):
        raise LibraryError("This answer is being applied to buyers' results: wait until it ends.")
    fields = checked(bank, answer.question_id, raw, statement, reference, grade)
    del fields["question_id"]  # an answer stays with its question
    changed = _change(answer.id, number, {**fields, "author": staff.author})
    _record(changed, EDITED, staff)
    db.session.flush()
    return changed


def retire(answer: LibraryAnswer, number: int, staff: Staff, retired: bool = True):
    """Retire the answer (it is no longer offered or applied), or bring it back."""
    if retired and applying(answer.id):
        raise LibraryError("This answer is being applied to buyers' results: wait until it ends.")
    changed = _change(
        answer.id, number, {"retired_at": utcnow() if retired else None, "author": staff.author}
    )
    _record(changed, RETIRED if retired else RESTORED, staff)
    db.session.flush()
    return changed


def get(answer_id: int) -> LibraryAnswer | None:
    return db.session.get(LibraryAnswer, answer_id)


def all_answers(include_retired: bool = False) -> list[LibraryAnswer]:
    query = select(LibraryAnswer).order_by(LibraryAnswer.question_id, LibraryAnswer.id)
    if not include_retired:
        query = query.where(LibraryAnswer.retired_at.is_(None))
    return list(db.session.scalars(query.limit(LISTED)))


def offered_for(question_id: str, space: str) -> list[LibraryAnswer]:
    """The answers in use that fit this question as a bank asks it."""
    return list(
        db.session.scalars(
            select(LibraryAnswer)
            .where(
                LibraryAnswer.question_id == question_id,
                LibraryAnswer.value_space == space,
                LibraryAnswer.retired_at.is_(None),
            )
            .order_by(LibraryAnswer.updated_at.desc(), LibraryAnswer.id.desc())
        )
    )


def questions_with_answers(spaces: dict[str, str]) -> set[str]:
    """Of ``spaces`` (question id -> value space), the questions a library answer in use fits."""
    if not spaces:
        return set()
    rows = db.session.execute(
        select(LibraryAnswer.question_id, LibraryAnswer.value_space).where(
            LibraryAnswer.question_id.in_(list(spaces)), LibraryAnswer.retired_at.is_(None)
        )
    )
    return {qid for qid, space in rows if spaces.get(qid) == space}


def changes_of(answer_id: int) -> list[dict]:
    rows = db.session.scalars(
        select(LibraryChange)
        .where(LibraryChange.answer_id == answer_id)
        .order_by(LibraryChange.id.desc())
        .limit(CHANGES_SHOWN)
    )
    return [
        {"number": c.number, "action": c.action, "actor": c.actor, "at": c.created_at, **c.data}
        for c in rows
    ]


def stored_banks(banks: BanksBySha) -> list[Bank]:
    """Every bank an assessment was started on (the registry caches them), oldest first."""
    rows = db.session.execute(
        select(BankSnapshot.sha256).order_by(BankSnapshot.created_at, BankSnapshot.sha256)
    ).all()
    found = []
    for (sha256,) in rows:
        try:
            found.append(ops.bank_by_sha(banks, sha256))
        except Exception:  # noqa: BLE001 - a snapshot that no longer reads fits nothing
            log.exception("bank snapshot %s cannot be read", sha256[:12])
    return found


def fits(answer: LibraryAnswer, banks: list[Bank]) -> list[str]:
    """The versions of ``banks`` whose question the answer fits."""
    found = [
        b.version
        for b in banks
        if answer.question_id in b.by_id
        and value_space(b.question(answer.question_id)) == answer.value_space
    ]
    return list(dict.fromkeys(found))


def needs_review(answer: LibraryAnswer, bank: Bank) -> bool:
    """The current bank asks the question with other options or another range (or no
    longer asks it): the value may not mean what it meant."""
    question = bank.by_id.get(answer.question_id)
    return (
        question is None
        or not answerable_by_library(question)
        or value_space(question) != answer.value_space
    )


def as_written(answer: LibraryAnswer, author: str, at: datetime) -> WrittenAnswer:
    value = answer.value
    return WrittenAnswer(
        question_id=answer.question_id,
        value=tuple(value) if isinstance(value, list) else value,
        statement=answer.statement,
        reference=answer.reference,
        author=author,
        at=at,
        grade=answer.grade,
        library_id=answer.id,
    )


# --- apply to every open assessment: the job ------------------------------------------------


def applying(answer_id: int) -> bool:
    return (
        db.session.scalar(
            select(LibraryJob.id)
            .where(LibraryJob.answer_id == answer_id, LibraryJob.state == APPLYING)
            .limit(1)
        )
        is not None
    )


def candidates(question_id: str):
    """Submitted assessments with the question open."""
    return (
        select(OpenQuestion.assessment_id)
        .join(Assessment, Assessment.id == OpenQuestion.assessment_id)
        .where(OpenQuestion.question_id == question_id, Assessment.status == SUBMITTED)
    )


def start(answer: LibraryAnswer, bank: Bank, staff: Staff) -> LibraryJob:
    """Begin the preview of applying ``answer`` (run by ``run_step``)."""
    if answer.retired_at is not None:
        raise LibraryError("This answer is retired: bring it back before applying it.")
    if needs_review(answer, bank):
        raise LibraryError(
            "The current bank asks this question differently: review the answer before applying it."
        )
    total = db.session.scalar(
        select(func.count()).select_from(candidates(answer.question_id).subquery())
    )
    job = LibraryJob(
        answer_id=answer.id,
        answer_number=answer.number,
        state=PREVIEWING,
        include_short=False,
        user_id=staff.user_id,
        actor=staff.actor,
        author=staff.author,
        total=total,
        done=0,
        created_at=utcnow(),
        heartbeat_at=NEVER,
    )
    db.session.add(job)
    db.session.flush()
    return job


def job(job_id: int) -> LibraryJob | None:
    return db.session.get(LibraryJob, job_id, populate_existing=True)


def confirm(found: LibraryJob, include_short: bool, staff: Staff) -> None:
    """Write the previewed answer to each assessment the preview lists as met (and, if
    asked, to those it falls short of): run by ``run_step`` once committed."""
    answer = get(found.answer_id)
    if found.state != PREVIEWED:
        raise LibraryError("This preview has been confirmed already, or is not ready yet.")
    if utcnow() - found.created_at > PREVIEW_LIFETIME:
        raise LibraryError("This preview is more than a day old: make a new one.")
    if answer is None or answer.retired_at is not None or answer.number != found.answer_number:
        raise LibraryError("The answer has changed since this preview: make a new one.")
    kinds = (FITS, SHORT) if include_short else (FITS,)
    chosen = db.session.scalar(
        select(func.count())
        .select_from(LibraryJobItem)
        .where(LibraryJobItem.job_id == found.id, LibraryJobItem.kind.in_(kinds))
    )
    moved = rowcount(
        db.session.execute(
            update(LibraryJob)
            .where(LibraryJob.id == found.id, LibraryJob.state == PREVIEWED)
            .values(
                state=APPLYING,
                include_short=include_short,
                total=chosen,
                done=0,
                confirmed_at=utcnow(),
                heartbeat_at=NEVER,
                user_id=staff.user_id,
                actor=staff.actor,
                author=staff.author,
            )
        )
    )
    if moved != 1:
        raise LibraryError("This preview has been confirmed already.")


def claim(now: datetime | None = None) -> int | None:
    """A job to run now: one waiting, or one whose runner has not been heard of for STALE
    (a web process that stopped). None when there is none, or another runner took it.
    The caller commits the claim before running the job."""
    now = now or utcnow()
    found = db.session.execute(
        select(LibraryJob.id, LibraryJob.heartbeat_at)
        .where(LibraryJob.state.in_(RUNNING), LibraryJob.heartbeat_at < now - STALE)
        .order_by(LibraryJob.id)
        .limit(1)
    ).first()
    if found is None:
        return None
    taken = rowcount(
        db.session.execute(
            update(LibraryJob)
            .where(LibraryJob.id == found.id, LibraryJob.heartbeat_at == found.heartbeat_at)
            .values(heartbeat_at=now)
        )
    )
    return found.id if taken == 1 else None


def run_step(
    uow: UnitOfWork, banks: BanksBySha, job_id: int, sales_url: Callable[[int], str | None]
) -> bool:
    """One batch of a claimed job, committed through ``uow`` (a failed one is rolled back
    and the job marked failed); whether there is more to do."""
    found = job(job_id)
    if found is None or found.state not in RUNNING:
        return False
    try:
        if found.state == PREVIEWING:
            more = _preview_batch(found, banks)
        else:
            more = _apply_batch(uow, found, banks, sales_url)
        uow.commit()
        return more
    except Exception as exc:
        uow.rollback()
        log.exception("library job %s failed", job_id)
        db.session.execute(
            update(LibraryJob)
            .where(LibraryJob.id == job_id)
            .values(state=FAILED, error=f"{type(exc).__name__}: {exc}"[:300], finished_at=utcnow())
        )
        uow.commit()
        return False


def run(
    uow: UnitOfWork,
    banks: BanksBySha,
    job_id: int,
    sales_url: Callable[[int], str | None] = lambda _id: None,
) -> None:
    """Run a claimed job to its end in this thread (commands, tests and the benchmark)."""
    while run_step(uow, banks, job_id, sales_url):
        pass


def _bank_loader(banks: BanksBySha) -> Callable[[str], Bank]:
    cache: dict[str, Bank] = {}

    def bank(sha256: str) -> Bank:
        if sha256 not in cache:
            cache[sha256] = ops.bank_by_sha(banks, sha256)
        return cache[sha256]

    return bank


def brief(result: Any) -> dict:
    """What the preview shows of a result: enough for core.summary.headline_words."""
    if isinstance(result, dict):
        return {
            k: result.get(k)
            for k in ("method", "state", "rating", "score", "score_range", "open_points")
        }
    low, high = result.score_range or (None, None)
    return {
        "method": result.method,
        "state": result.state,
        "rating": result.rating,
        "score": result.score,
        "score_range": None if result.score_range is None else {"low": low, "high": high},
        "open_points": result.open_points,
    }


def _preview_batch(found: LibraryJob, banks: BanksBySha) -> bool:
    answer = get(found.answer_id)
    if answer is None:
        raise LibraryError("the answer was deleted")
    last = db.session.scalar(
        select(func.max(LibraryJobItem.assessment_id)).where(LibraryJobItem.job_id == found.id)
    )
    ids = candidates(answer.question_id)
    if last is not None:
        ids = ids.where(OpenQuestion.assessment_id > last)
    rows = db.session.execute(
        select(
            Assessment.id,
            Assessment.answers,
            Assessment.must_have,
            Assessment.bank_sha256,
            Assessment.result_revision,
            Assessment.summary,
            Assessment.score,
            Assessment.rating,
            ResultRevision.written,
        )
        .outerjoin(
            ResultRevision,
            (ResultRevision.assessment_id == Assessment.id)
            & (ResultRevision.number == Assessment.result_revision),
        )
        .where(
            Assessment.id.in_(
                ids.order_by(OpenQuestion.assessment_id).limit(BATCH).scalar_subquery()
            )
        )
        .order_by(Assessment.id)
    ).all()
    bank_of = _bank_loader(banks)
    now = utcnow()
    items = []
    for row in rows:
        bank = bank_of(row.bank_sha256)
        summary = row.summary or {}
        if summary.get("method"):  # the list columns hold it (store.results.summary_of)
            before = {
                **{k: summary.get(k) for k in ("method", "state", "score_range", "open_points")},
                "rating": row.rating,
                "score": row.score,
            }
        else:  # a row whose list columns predate them: read its result in force
            stored = db.session.get_one(Assessment, row.id)
            before = brief(followup.current(stored).result)
        question = bank.by_id.get(answer.question_id)
        if question is None or value_space(question) != answer.value_space:
            asked = row.answers.get(answer.question_id)
            words = requirement_text(question, asked) if question is not None else ""
            items.append(
                _item(found, row, REVIEW, before, {"version": bank.version, "requirement": words})
            )
            continue
        written = latest(map(WrittenAnswer.from_dict, row.written or []))
        written[answer.question_id] = as_written(answer, found.author, now)
        revised = score(bank, row.answers, row.must_have, written_commitments(written, bank))
        outcome = next(q for q in revised.questions if q.id == answer.question_id)
        kind = FITS if outcome.status == "met" else SHORT
        after = {
            **brief(revised),
            "status": outcome.status,
            "near_miss": outcome.near_miss,
            "requirement": requirement_text(question, row.answers.get(answer.question_id)),
        }
        items.append(_item(found, row, kind, before, after))
    if items:
        db.session.execute(insert(cast(Table, LibraryJobItem.__table__)), items)
    more = len(rows) == BATCH
    values: dict = {"done": found.done + len(rows), "heartbeat_at": utcnow()}
    if not more:
        values |= {"state": PREVIEWED, "total": found.done + len(rows)}
    db.session.execute(update(LibraryJob).where(LibraryJob.id == found.id).values(**values))
    return more


def _item(found: LibraryJob, row, kind: str, before: dict, after: dict) -> dict:
    return {
        "job_id": found.id,
        "assessment_id": row.id,
        "revision": row.result_revision,
        "kind": kind,
        "before": before,
        "after": after,
        "outcome": None,
    }


def _apply_batch(
    uow: UnitOfWork,
    found: LibraryJob,
    banks: BanksBySha,
    sales_url: Callable[[int], str | None],
) -> bool:
    answer = get(found.answer_id)
    if answer is None or answer.number != found.answer_number or answer.retired_at is not None:
        raise LibraryError("the answer was changed or retired while it was being applied")
    kinds = (FITS, SHORT) if found.include_short else (FITS,)
    items = list(
        db.session.scalars(
            select(LibraryJobItem)
            .where(
                LibraryJobItem.job_id == found.id,
                LibraryJobItem.kind.in_(kinds),
                LibraryJobItem.outcome.is_(None),
            )
            .order_by(LibraryJobItem.assessment_id)
            .limit(BATCH)
        )
    )
    ids = [i.assessment_id for i in items]
    open_now: dict[int, list[str]] = {}
    for assessment_id, question_id in db.session.execute(
        select(OpenQuestion.assessment_id, OpenQuestion.question_id).where(
            OpenQuestion.assessment_id.in_(ids)
        )
    ):
        open_now.setdefault(assessment_id, []).append(question_id)
    still_open = {i for i, asked in open_now.items() if answer.question_id in asked}
    # The submitted results are not needed (open_now stands in for them): 30 kB each unread.
    rows = {
        a.id: a
        for a in db.session.scalars(
            select(Assessment).where(Assessment.id.in_(ids)).options(defer(Assessment.result))
        )
    }
    bank_of = _bank_loader(banks)
    staff = Staff(found.user_id, found.actor, found.author)
    outcomes: dict[int, tuple[str, dict | None]] = {}

    def write(a: Assessment, open_list: list[str]) -> tuple[str, dict | None]:
        """Count the answer in ``a`` (the caller closes the open question)."""
        if a.status != SUBMITTED:
            return GONE, None
        bank = bank_of(a.bank_sha256)
        written = as_written(answer, staff.author, utcnow())
        revised = followup.count_answer(
            uow, a, bank, written, staff.user_id, staff.actor, sales_url(a.id), open_list
        )
        status = next(q["status"] for q in revised["questions"] if q["id"] == answer.question_id)
        return DONE, {**brief(revised), "status": status}

    try:
        # One flush for the batch: its inserts go as one statement per table.
        with db.session.no_autoflush:
            for item in items:
                a = rows.get(item.assessment_id)
                if a is None:
                    outcomes[item.assessment_id] = (GONE, None)
                elif item.assessment_id not in still_open:
                    outcomes[item.assessment_id] = (ANSWERED_MEANWHILE, None)
                else:
                    outcomes[item.assessment_id] = write(a, open_now[a.id])
        written = [i for i, (outcome, _) in outcomes.items() if outcome == DONE]
        open_questions.answered_in(answer.question_id, written)
        db.session.flush()
    except (StaleDataError, OperationalError) as error:
        # Someone changed one of them meanwhile: each is written on its own, re-read.
        if isinstance(error, OperationalError) and not ops.is_lock_timeout(error):
            raise
        uow.rollback()
        outcomes = _one_by_one(uow, items, answer.question_id, write)
    for item in items:
        outcome, after = outcomes[item.assessment_id]
        item.outcome = outcome
        if after is not None:  # what it became (the preview's words of the buyer kept)
            item.after = {**(item.after or {}), **after}
    more = len(items) == BATCH
    values: dict = {"done": found.done + len(items), "heartbeat_at": utcnow()}
    if not more:
        values |= {"state": APPLIED, "finished_at": utcnow()}
    db.session.execute(update(LibraryJob).where(LibraryJob.id == found.id).values(**values))
    if not more:
        _record_applied(found, answer, staff)
    return more


def _one_by_one(
    uow: UnitOfWork, items, question_id: str, write
) -> dict[int, tuple[str, dict | None]]:
    """Each item in its own transaction (with_retry re-reads a row that changed)."""
    outcomes: dict[int, tuple[str, dict | None]] = {}
    for item in items:
        a = db.session.get(Assessment, item.assessment_id, populate_existing=True)
        if a is None:
            outcomes[item.assessment_id] = (GONE, None)
            continue

        def change(a: Assessment) -> tuple[str, dict | None]:
            open_list = open_questions.of(a.id)  # as it is now, another answer may have come
            if question_id not in open_list:
                return ANSWERED_MEANWHILE, None
            outcome = write(a, open_list)
            if outcome[0] == DONE:
                open_questions.answered(a.id, question_id)
            return outcome

        try:
            outcomes[item.assessment_id] = ops.with_retry(uow, a, change)
        except ops.Deleted:
            outcomes[item.assessment_id] = (GONE, None)
    return outcomes


def _record_applied(found: LibraryJob, answer: LibraryAnswer, staff: Staff) -> None:
    counts = dict(
        db.session.execute(
            select(LibraryJobItem.outcome, func.count())
            .where(LibraryJobItem.job_id == found.id, LibraryJobItem.outcome.is_not(None))
            .group_by(LibraryJobItem.outcome)
        ).all()
    )
    _record(
        answer,
        APPLIED_ACTION,
        staff,
        {
            **fields_of(answer),
            "job": found.id,
            "applied": counts.get(DONE, 0),
            "answered_meanwhile": counts.get(ANSWERED_MEANWHILE, 0),
            "gone": counts.get(GONE, 0),
            "include_short": found.include_short,
        },
    )


def items_of(job_id: int, kind: str, limit: int) -> list[dict]:
    """The preview's (or the outcome's) rows of one kind, with the company, by assessment."""
    rows = db.session.execute(
        select(LibraryJobItem, Assessment.company, Assessment.bank_version)
        .join(Assessment, Assessment.id == LibraryJobItem.assessment_id)
        .where(LibraryJobItem.job_id == job_id, LibraryJobItem.kind == kind)
        .order_by(LibraryJobItem.assessment_id)
        .limit(limit)
    ).all()
    return [
        {
            "assessment_id": item.assessment_id,
            "company": company,
            "bank_version": version,
            "revision": item.revision,
            "before": item.before,
            "after": item.after,
            "outcome": item.outcome,
        }
        for item, company, version in rows
    ]


def counts_of(job_id: int) -> dict[str, int]:
    rows = db.session.execute(
        select(LibraryJobItem.kind, func.count())
        .where(LibraryJobItem.job_id == job_id)
        .group_by(LibraryJobItem.kind)
    ).all()
    return {FITS: 0, SHORT: 0, REVIEW: 0} | {kind: n for kind, n in rows}


def outcome_counts(job_id: int) -> dict[str, int]:
    rows = db.session.execute(
        select(LibraryJobItem.outcome, func.count())
        .where(LibraryJobItem.job_id == job_id, LibraryJobItem.outcome.is_not(None))
        .group_by(LibraryJobItem.outcome)
    ).all()
    return {DONE: 0, ANSWERED_MEANWHILE: 0, GONE: 0} | {
        outcome: n for outcome, n in rows if outcome
    }


def older_method(method: str | None) -> bool:
    """A result of an earlier method: its revision is scored by fit/3 on its own bank."""
    return method is not None and method != METHOD
