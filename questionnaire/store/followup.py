"""The sales team's follow-up on a submitted assessment: written answers that make result
revisions, and the owner, stage and internal notes that the buyer never sees.

The submitted result stays in ``assessments.result`` (revision 0); each revision is a row
of ``result_revisions`` holding its result and every written answer in force. The
assessment's list columns (score, rating, deal-breakers, summary, open follow-ups)
always describe the current revision.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import defer

from questionnaire.core.bank import Bank
from questionnaire.core.scoring import score
from questionnaire.core.text import clean_text
from questionnaire.core.written import (
    WrittenAnswer,
    answerable,
    latest,
    written_commitments,
)
from questionnaire.store import access, notices, open_questions
from questionnaire.store.db import db, rowcount
from questionnaire.store.models import (
    STAGES,
    Assessment,
    InternalNote,
    ResultRevision,
    User,
    utcnow,
)
from questionnaire.store.operations import AlreadySubmitted, export_answers, with_retry
from questionnaire.store.results import REVISED_BY, apply_result, webhook
from questionnaire.store.unit_of_work import UnitOfWork

STAGE_LABELS = dict(zip(STAGES, ("New", "In discussion", "Answered", "Won", "Lost"), strict=True))
MAX_NOTE = 2000
NOTES_SHOWN = 200
WRITTEN_ANSWER = "written_answer"  # what made a result revision (ResultRevision.cause)


class FollowUpError(ValueError):
    """A change the sales team asked for that cannot be made; the message says why."""


# --- revisions ---------------------------------------------------------------------------


def current_revision(assessment: Assessment, result: bool = True) -> ResultRevision | None:
    """The revision in force; ``result=False`` leaves its (large) result unread."""
    if not assessment.result_revision:
        return None
    query = select(ResultRevision).where(
        ResultRevision.assessment_id == assessment.id,
        ResultRevision.number == assessment.result_revision,
    )
    if not result:
        query = query.options(defer(ResultRevision.result))
    return db.session.scalar(query)


@dataclass(frozen=True)
class Current:
    """The result in force and the written answers it counts."""

    result: dict
    written: dict[str, WrittenAnswer]
    revision: int
    seen: bool


def current(assessment: Assessment) -> Current:
    revision = current_revision(assessment)
    if revision is None:
        return Current(assessment.submitted_result, {}, 0, True)
    written = latest(map(WrittenAnswer.from_dict, revision.written))
    return Current(revision.result, written, revision.number, revision.seen_at is not None)


def export(assessment: Assessment) -> dict:
    """The answers download (see operations.export_answers) with the result in force, the
    written answers it counts, and the submitted result beside it once revised."""
    data = export_answers(assessment)
    if not assessment.submitted:  # a draft: no result, so nothing revised or written
        return {**data, "result_revision": 0, "written_answers": []}
    now = current(assessment)
    if now.revision:
        data["original_result"] = data["result"]
        data["result"] = now.result
    data["result_revision"] = now.revision
    data["written_answers"] = [w.to_dict() for w in now.written.values()]
    return data


def revisions_of(assessment: Assessment) -> list[dict]:
    """Every revision, newest first, for the sales page (the original is revision 0)."""
    rows = db.session.scalars(
        select(ResultRevision)
        .where(ResultRevision.assessment_id == assessment.id)
        .order_by(ResultRevision.number.desc())
    )
    return [
        {
            "number": r.number,
            "score": r.result["score"],
            "rating": r.result["rating"],
            "author": r.author,
            "created_at": r.created_at,
            "updated_at": r.updated_at,
            "seen_at": r.seen_at,
            "answers": len(r.written),
        }
        for r in rows
    ]


def give_written_answer(
    uow: UnitOfWork,
    assessment: Assessment,
    bank: Bank,
    answer: WrittenAnswer,
    user_id: int | None,
    actor: str,
    sales_url: str | None,
    also: Callable[[Assessment], None] | None = None,
) -> int:
    """Count a written answer and re-score, and commit: the current revision is edited if
    the buyer has not seen it yet, else a new one supersedes it. Returns the revision number.

    The revision, the list columns, the buyer's access event, the open questions, the
    buyer's e-mail, the webhook and ``also`` (called last with the changed assessment: the
    API stores its idempotent response) are one transaction; a concurrent change (another
    answer, the buyer viewing) is re-read and this answer applied on top of it.
    """
    if not assessment.submitted:
        raise AlreadySubmitted  # nothing to revise before submission

    def change(a: Assessment) -> None:
        count_answer(uow, a, bank, answer, user_id, actor, sales_url)
        if also is not None:
            also(a)

    with_retry(uow, assessment, change)
    return assessment.result_revision


def count_answer(
    uow: UnitOfWork,
    a: Assessment,
    bank: Bank,
    answer: WrittenAnswer,
    user_id: int | None,
    actor: str,
    sales_url: str | None,
    open_now: Collection[str] | None = None,
) -> dict:
    """What give_written_answer changes, on the row it is given, in ``uow`` (the answer
    library applies many at once): returns the revised result. ``open_now``,
    the assessment's open questions (store.open_questions), spares reading its result; the
    caller then closes the answered one (``open_questions.answered_in``), with others'."""
    now = utcnow()
    revision = current_revision(a, result=False)
    written = {} if revision is None else latest(map(WrittenAnswer.from_dict, revision.written))
    written[answer.question_id] = answer
    replaced = written_commitments(written, bank)
    revised = score(bank, a.answers, a.must_have, commitments=replaced).to_dict()
    stored = [w.to_dict() for w in written.values()]
    edited = False
    if revision is not None and revision.seen_at is None:
        # Only while unseen: the buyer's first view sets seen_at, and from then on
        # this revision is what they were shown.
        edited = (
            rowcount(
                db.session.execute(
                    update(ResultRevision)
                    .where(ResultRevision.id == revision.id, ResultRevision.seen_at.is_(None))
                    .values(
                        result=revised,
                        written=stored,
                        user_id=user_id,
                        author=actor,
                        updated_at=now,
                    )
                )
            )
            == 1
        )
    if not edited:
        a.result_revision += 1
        db.session.add(
            ResultRevision(
                assessment_id=a.id,
                number=a.result_revision,
                result=revised,
                written=stored,
                user_id=user_id,
                author=actor,
                cause=WRITTEN_ANSWER,
                created_at=now,
                updated_at=now,
            )
        )
    if open_now is None:
        still_open = sum(1 for qid in answerable(a.submitted_result) if qid not in written)
    else:  # the follow-ups are the open ones and those answered before
        still_open = len(set(open_now) - {answer.question_id})
    apply_result(a, revised, still_open)
    a.updated_at = now
    access.add_event(a.id, user_id, actor, access.ANSWERED)
    if open_now is None:  # else the caller closes the open questions of many at once
        open_questions.answered(a.id, answer.question_id)
    if uow.settings.answer_notices:
        notices.noted(a.id, [answer.question_id], now)
    webhook(uow, a, REVISED_BY[WRITTEN_ANSWER], sales_url)
    return revised


MARK_SEEN_TRIES = 5


def mark_seen(uow: UnitOfWork, assessment: Assessment) -> None:
    """The buyer is about to be shown the current revision: from now on it is only ever
    superseded. Call before reading what to show (see give_written_answer); commits ``uow``
    on every path, which ends the read too, so nothing read so far is expired by the
    rollback at the end of the caller's block.

    A revision made between marking and reading (staff answering at that moment) is the one
    shown, so it is marked in turn, until what is read is what was marked."""
    for _ in range(MARK_SEEN_TRIES):
        number = assessment.result_revision
        if not number:
            break
        db.session.execute(
            update(ResultRevision)
            .where(
                ResultRevision.assessment_id == assessment.id,
                ResultRevision.number == number,
                ResultRevision.seen_at.is_(None),
            )
            .values(seen_at=utcnow())
        )
        uow.commit()
        db.session.refresh(assessment)
        if assessment.result_revision == number:
            break
    uow.commit()


# --- owner, stage, notes -----------------------------------------------------------------


def set_owner_and_stage(
    uow: UnitOfWork, assessment: Assessment, owner_id: int | None, stage: str
) -> None:
    """Commits ``uow`` (see operations.with_retry)."""
    if stage not in STAGES:
        raise FollowUpError("Choose a stage from the list")
    if owner_id is not None and owner_id != assessment.owner_id:  # a disabled owner may stay
        owner = db.session.get(User, owner_id)
        if owner is None or not owner.active:
            raise FollowUpError("Choose an owner from the list")

    def change(a: Assessment) -> None:
        a.owner_id, a.stage = owner_id, stage

    with_retry(uow, assessment, change)


def owner_choices() -> list[dict]:
    """Active staff, by name: who can own an assessment."""
    users = db.session.scalars(select(User).where(User.active.is_(True)).order_by(User.name))
    return [{"id": u.id, "label": u.name or u.email} for u in users]


def add_note(assessment_id: int, user: User, text: str) -> None:
    text = clean_text(text or "")
    if not text:
        raise FollowUpError("Write the note")
    if len(text) > MAX_NOTE:
        raise FollowUpError(f"A note can be at most {MAX_NOTE:,} characters")
    db.session.add(
        InternalNote(
            assessment_id=assessment_id,
            user_id=user.id,
            author=access.actor_label(user),
            text=text,
            created_at=utcnow(),
        )
    )
    db.session.flush()


def notes_of(assessment_id: int) -> list[dict]:
    notes = db.session.scalars(
        select(InternalNote)
        .where(InternalNote.assessment_id == assessment_id)
        .order_by(InternalNote.created_at.desc(), InternalNote.id.desc())
        .limit(NOTES_SHOWN)
    )
    return [{"author": n.author, "text": n.text, "at": n.created_at} for n in notes]
