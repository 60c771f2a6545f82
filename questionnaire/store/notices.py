"""The buyer's e-mail that the provider answered some of their questions.

Each written answer is noted in the same transaction as the result revision it makes
(``noted``): the first goes at once, and answers saved in the ``GATHER`` after a letter
went wait to go together in one later letter, not several. A sender takes what is due
(``due``, ``claim``), writes the letter from the result in force at that moment, and hands
it to the mail queue; ``put_back`` keeps the answers for later when the letter could not
go (the hourly limit of e-mails to one address). One row per assessment.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update

from questionnaire.store.db import db, rowcount
from questionnaire.store.models import AnswerNotice, utcnow

GATHER = timedelta(minutes=10)


def noted(assessment_id: int, question_ids: list[str], now: datetime | None = None) -> None:
    """Answers to these questions were saved (in the caller's transaction)."""
    now = now or utcnow()
    row = db.session.get(AnswerNotice, assessment_id, with_for_update=True, populate_existing=True)
    if row is None:
        db.session.add(
            AnswerNotice(assessment_id=assessment_id, pending=list(question_ids), due_at=now)
        )
        return
    row.pending = list(dict.fromkeys([*row.pending, *question_ids]))
    if row.due_at is None:
        last = row.last_sent_at
        row.due_at = now if last is None or last + GATHER <= now else last + GATHER


def next_due() -> datetime | None:
    return db.session.scalar(select(AnswerNotice.due_at).order_by(AnswerNotice.due_at).limit(1))


def due(now: datetime | None = None, limit: int = 50) -> list[int]:
    """Assessments whose letter may go now, the longest waiting first."""
    return list(
        db.session.scalars(
            select(AnswerNotice.assessment_id)
            .where(AnswerNotice.due_at <= (now or utcnow()))
            .order_by(AnswerNotice.due_at)
            .limit(limit)
        )
    )


def claim(assessment_id: int, now: datetime | None = None) -> list[str] | None:
    """Take the due letter of one assessment (None if another sender took it first): the
    questions it tells of. From now on answers wait GATHER before the next letter. The
    caller commits the claim before handing the letter on."""
    now = now or utcnow()
    row = db.session.execute(
        select(AnswerNotice.pending, AnswerNotice.due_at).where(
            AnswerNotice.assessment_id == assessment_id
        )
    ).first()
    if row is None or row.due_at is None or row.due_at > now:
        return None
    pending, due_at = list(row.pending), row.due_at
    taken = rowcount(
        db.session.execute(
            update(AnswerNotice)
            .where(AnswerNotice.assessment_id == assessment_id, AnswerNotice.due_at == due_at)
            .values(pending=[], due_at=None, last_sent_at=now)
            .execution_options(synchronize_session=False)
        )
    )
    return pending if taken == 1 else None


def put_back(assessment_id: int, question_ids: list[str], when: datetime) -> None:
    """The letter could not go: its questions wait until ``when`` (the hourly limit of
    e-mails to the address frees one), with any noted since."""
    row = db.session.get(AnswerNotice, assessment_id, with_for_update=True, populate_existing=True)
    if row is None:  # the assessment was deleted meanwhile
        return
    row.pending = list(dict.fromkeys([*question_ids, *row.pending]))
    # Nothing may go to the address before ``when``: answers noted since wait with them.
    row.due_at = when if row.due_at is None else max(row.due_at, when)
    db.session.flush()
