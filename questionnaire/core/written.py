"""The provider's written answers to a buyer's follow-ups, and the result revision they make.

A written answer is a commitment given to one buyer in writing: a value in the question's
own terms, the statement, an optional reference, who gave it and when, and its evidence
grade: ``written``, or ``contract`` when the reference is a clause of a contract the
buyer signs (the two rank alike: see evidence.GRADE_RANK). Scoring a
revision means scoring the buyer's answers with the commitments of the answered
questions replaced (``written_commitments``, given to ``scoring.score``), so the revision
is scored by whatever method ``score`` implements. Pure: no Flask, no database.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from questionnaire.core.bank import Bank, Commitment, Question
from questionnaire.core.dates import day_text
from questionnaire.core.evidence import CONTRACT, GRADE_LABELS, WRITTEN
from questionnaire.core.questiontype import WrittenAnswerError as WrittenAnswerError  # noqa: PLC0414  re-export (mypy no_implicit_reexport)
from questionnaire.core.scoring import FOLLOW_UP_CONFIRM, FOLLOW_UP_STATUSES
from questionnaire.core.text import clean_text, one_line

MAX_STATEMENT = 2000
MAX_REFERENCE = 500
WRITTEN_GRADES = (WRITTEN, CONTRACT)  # what a written answer may be graded


@dataclass(frozen=True, slots=True)
class WrittenAnswer:
    question_id: str
    value: Any  # the commitment's value space: bool, a number, a tuple of option keys...
    statement: str
    reference: str
    author: str  # the staff member's name as it was when they wrote it
    at: datetime
    grade: str = WRITTEN  # one of WRITTEN_GRADES
    library_id: int | None = None  # the library answer it was taken from, if any

    @property
    def evidence(self) -> str:
        return f"Written answer from {self.author}, {day_text(self.at)}"

    def to_dict(self) -> dict[str, Any]:
        value = list(self.value) if isinstance(self.value, tuple) else self.value
        found = {
            "question": self.question_id,
            "value": value,
            "statement": self.statement,
            "reference": self.reference,
            "author": self.author,
            "at": self.at.astimezone(UTC).isoformat(),
            "grade": self.grade,
        }
        if self.library_id is not None:
            found["library_answer_id"] = self.library_id
        return found

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> WrittenAnswer:
        value = data["value"]
        return cls(
            question_id=data["question"],
            value=tuple(value) if isinstance(value, list) else value,
            statement=data["statement"],
            reference=data.get("reference", ""),
            author=data["author"],
            at=datetime.fromisoformat(data["at"]),
            grade=data.get("grade", WRITTEN),  # answers stored before grades were written
            library_id=data.get("library_answer_id"),
        )


def answerable(result: Mapping[str, Any]) -> list[str]:
    """The questions of a stored result the provider may answer in writing: its follow-ups
    (ask the provider, not met, partly met, and under fit/3 a must-have met only on the
    public word, to confirm), in the result's order."""
    return [
        f["id"]
        for f in result["follow_ups"]
        if f["status"] in FOLLOW_UP_STATUSES or f.get("reason") == FOLLOW_UP_CONFIRM
    ]


def parse_value(question: Question, raw: Any) -> Any:
    """A written value as the question's commitment holds it, from a form or JSON: the
    question's type reads it (``QuestionType.parse_written``); WrittenAnswerError."""
    return question.kind.parse_written(question, raw)


def make_answer(
    bank: Bank,
    answerable_ids: Iterable[str],
    question_id: str,
    raw_value: Any,
    statement: str,
    reference: str,
    author: str,
    at: datetime,
    grade: str = WRITTEN,
    library_id: int | None = None,
) -> WrittenAnswer:
    """A checked written answer; WrittenAnswerError says what is wrong."""
    if question_id not in set(answerable_ids):
        raise WrittenAnswerError(
            "That question is not one of this buyer's open follow-ups",
            field="question",
            code="not_a_follow_up",
        )
    question = bank.question(question_id)
    value = parse_value(question, raw_value)
    statement, reference = checked_words(statement, reference, grade)
    return WrittenAnswer(
        question_id, value, statement, reference, one_line(author), at, grade, library_id
    )


def checked_words(statement: Any, reference: Any, grade: Any) -> tuple[str, str]:
    """The statement and reference of a written answer, cleaned and checked against its
    grade: a ``contract`` grade rests on the clause its reference names."""
    statement = clean_text(statement if isinstance(statement, str) else "")
    reference = one_line(reference if isinstance(reference, str) else "")
    if not statement:
        raise WrittenAnswerError(
            "Write the statement the buyer will read", field="statement", code="required"
        )
    if len(statement) > MAX_STATEMENT:
        raise WrittenAnswerError(
            f"The statement must be at most {MAX_STATEMENT:,} characters",
            field="statement",
            code="too_long",
        )
    if len(reference) > MAX_REFERENCE:
        raise WrittenAnswerError(
            f"The reference must be at most {MAX_REFERENCE:,} characters",
            field="reference",
            code="too_long",
        )
    if grade not in WRITTEN_GRADES:
        raise WrittenAnswerError(
            "Choose the evidence grade: a written answer, or a contract term",
            field="grade",
            code="invalid_grade",
        )
    if grade == CONTRACT and not reference:
        raise WrittenAnswerError(
            "A contract term needs its reference: name the contract and the clause",
            field="reference",
            code="required",
        )
    return statement, reference


def written_commitments(
    written: Mapping[str, WrittenAnswer], bank: Bank | None = None
) -> dict[str, Commitment]:
    """The written answers as commitments, by question id, for ``scoring.score``'s
    ``commitments``: graded as given (``written`` or ``contract``), their evidence naming
    who wrote them and when (and the reference). A written answer to a choice or multi question lists what the
    provider offers this buyer, so with ``bank`` every other offering is documented as
    not offered: the provider answered the question put to it."""
    found = {}
    for qid, answer in written.items():
        not_offered: tuple[str, ...] = ()
        if bank is not None:
            question = bank.question(qid)
            not_offered = question.kind.not_offered_besides(question, answer.value)
        found[qid] = Commitment(
            value=answer.value,
            statement=answer.statement,
            source=answer.evidence + (f"; {answer.reference}" if answer.reference else ""),
            evidence=answer.grade,
            not_offered=not_offered,
        )
    return found


def latest(answers: Iterable[WrittenAnswer]) -> dict[str, WrittenAnswer]:
    """The answer in force per question: the last one given."""
    return {a.question_id: a for a in sorted(answers, key=lambda a: a.at)}


def mark_written(
    view: dict[str, Any],
    bank: Bank,
    written: Mapping[str, WrittenAnswer],
    original: Mapping[str, Any],
) -> dict[str, Any]:
    """Add the written answers to a result view (see presenter.result_view) of the current
    revision: each answered question gets ``written``, kept apart from its public
    ``commitment``; the view gets ``written_answers`` (in result order) and ``answered``
    (how many of the ``original`` result's follow-ups have a written answer)."""
    entries = []
    for section in view["sections"]:
        for item in section["questions"]:
            answer = written.get(item["id"])
            if answer is None:
                continue
            question = bank.question(item["id"])
            item["written"] = {
                "author": answer.author,
                "date": day_text(answer.at),
                "at": answer.at.astimezone(UTC).isoformat(),
                "text": question.kind.describe_commitment(question, answer.value),
                "statement": answer.statement,
                "reference": answer.reference,
                "evidence": answer.evidence,
                "grade": answer.grade,
                "grade_label": GRADE_LABELS[answer.grade],
                "not_public": f"not in {bank.provider.source or 'the provider’s public pages'}",
            }
            entries.append(
                {
                    **item["written"],
                    "id": item["id"],
                    "prompt": item["prompt"],
                    "number": item.get("number", ""),
                }
            )
    for item in view["follow_ups"]:
        item["written"] = written.get(item["id"]) is not None
    view["written_answers"] = entries
    view["answered"] = answered_count(original, written)
    return view


def answered_count(
    original: Mapping[str, Any], written: Mapping[str, WrittenAnswer]
) -> dict[str, Any]:
    """How many of the buyer's follow-ups the provider has answered in writing."""
    asked = answerable(original)
    done = sum(1 for qid in asked if qid in written)
    return {"answered": done, "asked": len(asked), "open": len(asked) - done}
