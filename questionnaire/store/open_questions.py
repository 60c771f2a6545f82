"""The questions of each submitted assessment still open for the provider: its follow-ups
(core.written.answerable) not yet answered in writing, each with the fingerprint of its
value space on the assessment's own bank (core.library.value_space). The sales list reads
"has an open question the library answers" from these rows, and "Apply to every open
assessment that asks this" finds its assessments here. Written in the same transaction as
the change that opens or answers a question."""

from __future__ import annotations

from collections.abc import Iterable
from typing import cast

from sqlalchemy import delete, func, select

from questionnaire.core.bank import Bank
from questionnaire.core.library import value_space
from questionnaire.store.db import db
from questionnaire.store.models import LibraryAnswer, OpenQuestion


def opened(assessment_id: int, bank: Bank, question_ids: Iterable[str]) -> None:
    """The assessment's open questions, at submission (in the caller's transaction)."""
    db.session.add_all(
        OpenQuestion(
            assessment_id=assessment_id,
            question_id=qid,
            value_space=value_space(bank.question(qid)),
        )
        for qid in dict.fromkeys(question_ids)
        if qid in bank.by_id
    )


def answered(assessment_id: int, question_id: str) -> None:
    """One of them answered in writing (in the caller's transaction)."""
    db.session.execute(
        delete(OpenQuestion)
        .where(OpenQuestion.assessment_id == assessment_id, OpenQuestion.question_id == question_id)
        # These rows are never loaded as objects: nothing in the session to keep in step.
        .execution_options(synchronize_session=False)
    )


def answered_in(question_id: str, assessment_ids: list[int]) -> None:
    """The question answered in writing in each of these (in the caller's transaction)."""
    db.session.execute(
        delete(OpenQuestion)
        .where(
            OpenQuestion.question_id == question_id,
            OpenQuestion.assessment_id.in_(assessment_ids),
        )
        .execution_options(synchronize_session=False)
    )


def answerable_by_library():
    """The ids of assessments with an open question that a library answer in use fits (a
    subquery for the sales list's filter)."""
    return (
        select(OpenQuestion.assessment_id)
        .join(
            LibraryAnswer,
            (LibraryAnswer.question_id == OpenQuestion.question_id)
            & (LibraryAnswer.value_space == OpenQuestion.value_space)
            & LibraryAnswer.retired_at.is_(None),
        )
        .distinct()
    )


def library_counts(assessment_ids: list[int]) -> dict[int, int]:
    """For a page of the list: how many of each one's open questions a library answer in use
    fits (one grouped query)."""
    if not assessment_ids:
        return {}
    fitting = (
        select(OpenQuestion.assessment_id, OpenQuestion.question_id)
        .join(
            LibraryAnswer,
            (LibraryAnswer.question_id == OpenQuestion.question_id)
            & (LibraryAnswer.value_space == OpenQuestion.value_space)
            & LibraryAnswer.retired_at.is_(None),
        )
        .where(OpenQuestion.assessment_id.in_(assessment_ids))
        .distinct()
        .subquery()
    )
    rows = db.session.execute(
        select(fitting.c.assessment_id, func.count()).group_by(fitting.c.assessment_id)
    )
    # A subquery's columns are untyped to mypy: each row is (assessment id, count).
    return dict(cast(list[tuple[int, int]], rows.all()))


def of(assessment_id: int) -> list[str]:
    return list(
        db.session.scalars(
            select(OpenQuestion.question_id).where(OpenQuestion.assessment_id == assessment_id)
        )
    )
