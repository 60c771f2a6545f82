"""The answer library at /sales/library: written answers the sales team keeps for reuse,
their changes, and "Apply to every open assessment that asks this" (a preview first, then
the writing, both run in the background: web.jobs).

Registered inside the sales blueprint, so its guard (sign-in) covers every view here; admins
and sales alike may create, edit, retire and apply answers.
"""

from __future__ import annotations

from typing import Any, TypedDict

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, select

from questionnaire import services
from questionnaire.core.bank import Question
from questionnaire.core.evidence import CONTRACT, GRADE_LABELS, WRITTEN
from questionnaire.core.library import answerable_by_library, value_text
from questionnaire.core.report_context import report_id_of
from questionnaire.core.summary import headline_words
from questionnaire.core.written import MAX_REFERENCE, MAX_STATEMENT, WrittenAnswerError
from questionnaire.store import access, library
from questionnaire.store.db import db
from questionnaire.store.models import (
    Assessment,
    LibraryAnswer,
    LibraryJob,
    OpenQuestion,
    row_id,  # the answer's change number: a positive integer as bounded as an id
)
from questionnaire.web import followup, jobs

bp = Blueprint("library", __name__, url_prefix="/library")
LISTED_ITEMS = 300  # rows of each list a job's page shows (the counts are always whole)
REFRESH_SECONDS = 2
GRADES = {WRITTEN: GRADE_LABELS[WRITTEN], CONTRACT: GRADE_LABELS[CONTRACT]}
ACTIONS = {
    library.CREATED: "Created",
    library.EDITED: "Changed",
    library.RETIRED: "Retired",
    library.RESTORED: "Brought back",
    library.APPLIED_ACTION: "Applied to open assessments",
}


def staff() -> library.Staff:
    user = current_user._get_current_object()
    return library.Staff(user.id, access.actor_label(user), user.name or user.email)


def current_bank():
    return services.banks().current()


def found_or_404(answer_id: int) -> LibraryAnswer:
    answer = library.get(answer_id)
    if answer is None:
        abort(404)
    return answer


def open_counts() -> dict[int, int]:
    """Per answer in use: the submitted assessments with its question open on a bank it fits."""
    rows = db.session.execute(
        select(LibraryAnswer.id, func.count(OpenQuestion.assessment_id))
        .join(
            OpenQuestion,
            (OpenQuestion.question_id == LibraryAnswer.question_id)
            & (OpenQuestion.value_space == LibraryAnswer.value_space),
        )
        .join(Assessment, Assessment.id == OpenQuestion.assessment_id)
        .where(LibraryAnswer.retired_at.is_(None), Assessment.status == "submitted")
        .group_by(LibraryAnswer.id)
    )
    return dict(rows.all())


def answer_view(answer: LibraryAnswer, bank, banks=None) -> dict:
    """A library answer in words, read against the bank in use."""
    question = bank.by_id.get(answer.question_id)
    review = library.needs_review(answer, bank)
    if question is not None and not review:
        prompt, value = question.prompt, value_text(question, answer.value)
    else:
        prompt = question.prompt if question is not None else answer.question_id
        value = (
            ", ".join(map(str, answer.value))
            if isinstance(answer.value, list)
            else str(answer.value)
        )
    if answer.retired_at is not None:
        status, label = "retired", "Retired"
    elif review:
        status, label = "review", "Needs review"
    else:
        status, label = "in_use", "In use"
    return {
        "id": answer.id,
        "number": answer.number,
        "question_id": answer.question_id,
        "prompt": prompt,
        "value": value,
        "statement": answer.statement,
        "reference": answer.reference,
        "grade": GRADE_LABELS.get(answer.grade, answer.grade),
        "author": answer.author,
        "bank_version": answer.bank_version,
        "created_at": answer.created_at,
        "updated_at": answer.updated_at,
        "status": status,
        "status_label": label,
        "fits": library.fits(answer, banks) if banks is not None else None,
        "question_gone": question is None or not answerable_by_library(question),
    }


class IndexData(TypedDict):
    """templates/sales/library/index.html's data."""

    answers: list[dict[str, Any]]  # answer_view, with how many open assessments it fits
    show_all: bool  # retired answers listed too
    listed: int  # the most answers listed
    bank_version: str  # the bank in use


@bp.get("/")
def index():
    bank = current_bank()
    retired = request.args.get("show") == "all"
    counts = open_counts()
    answers = [
        {**answer_view(a, bank), "open": counts.get(a.id, 0)}
        for a in library.all_answers(include_retired=retired)
    ]
    data: IndexData = {
        "answers": answers,
        "show_all": retired,
        "listed": library.LISTED,
        "bank_version": bank.version,
    }
    return render_template("sales/library/index.html", **data)


class FormData(TypedDict):
    """templates/sales/library/form.html's data: a new answer's form, or a change's."""

    question: Question
    values: dict[str, Any]  # the form's value, statement, reference and grade
    grades: dict[str, str]  # the evidence grades a written answer may have, in words
    error: str | None
    limits: dict[str, int]  # the longest statement and reference
    answer: dict[str, Any] | None  # the answer being changed (answer_view); None: a new one
    bank_version: str  # the bank in use
    review: bool  # the answer was written for other options or another range


def value_form(
    question: Question,
    values: dict,
    error: str | None,
    status: int,
    answer: dict[str, Any] | None,
    bank_version: str,
    review: bool,
):
    data: FormData = {
        "question": question,
        "values": values,
        "grades": GRADES,
        "error": error,
        "limits": {"statement": MAX_STATEMENT, "reference": MAX_REFERENCE},
        "answer": answer,
        "bank_version": bank_version,
        "review": review,
    }
    return render_template("sales/library/form.html", **data), status


def posted() -> dict:
    return {
        "value": request.form.getlist("value"),
        "statement": request.form.get("statement", ""),
        "reference": request.form.get("reference", ""),
        "grade": request.form.get("grade", WRITTEN),
    }


def raw_value(question, values: dict):
    """The posted value as the question's type reads a written value."""
    return question.kind.written_from_form(question, values["value"])


class ChooseData(TypedDict):
    """templates/sales/library/choose.html's data."""

    sections: list[dict[str, Any]]  # title, and the section's scored questions
    error: str | None


@bp.route("/new", methods=["GET", "POST"])
def new():
    bank = current_bank()
    question_id = request.values.get("question", "")
    question = bank.by_id.get(question_id)
    if not answerable_by_library(question):
        if question_id and request.method == "POST":
            abort(400, "Choose one of the bank's scored questions.")
        sections = [
            {"title": s.title, "questions": [q for q in s.questions if q.scored]}
            for s in bank.sections
        ]
        data: ChooseData = {
            "sections": [s for s in sections if s["questions"]],
            "error": "Choose one of the questions" if question_id else None,
        }
        return render_template("sales/library/choose.html", **data), (400 if question_id else 200)
    assert question is not None  # noqa: S101  checked above; narrows the type for mypy
    values = {"value": [], "statement": "", "reference": "", "grade": WRITTEN}
    error, status = None, 200
    if request.method == "POST":
        values = posted()
        try:
            with services.unit_of_work() as uow:
                answer = library.create(
                    bank,
                    staff(),
                    question.id,
                    raw_value(question, values),
                    values["statement"],
                    values["reference"],
                    values["grade"],
                )
                uow.commit()
        except (WrittenAnswerError, library.LibraryError) as exc:
            error, status = str(exc), 400
        else:
            flash(
                "Library answer saved. Staff are offered it wherever a buyer asks this.", "success"
            )
            return redirect(url_for("sales.library.answer", answer_id=answer.id))
    return value_form(
        question, values, error, status, answer=None, bank_version=bank.version, review=False
    )


class AnswerData(TypedDict):
    """templates/sales/library/answer.html's data."""

    answer: dict[str, Any]  # answer_view, with the bank versions it fits
    open: int  # open assessments it fits, if in use
    bank_version: str  # the bank in use
    changes: list[dict[str, Any]]  # every change, newest first, in words
    jobs: list[dict[str, Any]]  # the latest times it was applied (job_summary)


@bp.get("/<id:answer_id>")
def answer(answer_id: int):
    found = found_or_404(answer_id)
    bank = current_bank()
    view = answer_view(found, bank, library.stored_banks(services.banks()))
    recent = db.session.scalars(
        select(LibraryJob)
        .where(LibraryJob.answer_id == found.id)
        .order_by(LibraryJob.id.desc())
        .limit(10)
    ).all()
    changes = [
        {
            **c,
            "action_text": ACTIONS.get(c["action"], c["action"]),
            "value_text": change_value(bank, c),
        }
        for c in library.changes_of(found.id)
    ]
    data: AnswerData = {
        "answer": view,
        "open": open_counts().get(found.id, 0) if view["status"] == "in_use" else 0,
        "bank_version": bank.version,
        "changes": changes,
        "jobs": [job_summary(j) for j in recent],
    }
    return render_template("sales/library/answer.html", **data)


def change_value(bank, change: dict) -> str:
    question = bank.by_id.get(change.get("question", ""))
    value = change.get("value")
    if question is None or value is None:
        return ""
    try:
        return value_text(question, value)
    except (KeyError, TypeError, ValueError):  # an option gone from the bank in use
        return str(value)


@bp.route("/<id:answer_id>/edit", methods=["GET", "POST"])
def edit(answer_id: int):
    found = found_or_404(answer_id)
    bank = current_bank()
    question = bank.by_id.get(found.question_id)
    if not answerable_by_library(question):
        abort(409, "The bank in use no longer scores this question: retire the answer instead.")
    assert question is not None  # noqa: S101  checked above; narrows the type for mypy
    error, status = None, 200
    if library.needs_review(found, bank):
        values = {
            "value": [],
            "statement": found.statement,
            "reference": found.reference,
            "grade": found.grade,
        }
    else:
        values = followup.form_values(question, found)
    if request.method == "POST":
        values = posted()
        try:
            number = row_id(request.form.get("number", ""))
            with services.unit_of_work() as uow:
                library.edit(
                    found,
                    number,
                    bank,
                    staff(),
                    raw_value(question, values),
                    values["statement"],
                    values["reference"],
                    values["grade"],
                )
                uow.commit()
        except ValueError as exc:  # WrittenAnswerError and LibraryError are ValueErrors
            message = str(exc) if isinstance(exc, WrittenAnswerError | library.LibraryError) else ""
            error, status = message or "Reload the page and try again.", 400
        else:
            flash("Library answer changed.", "success")
            return redirect(url_for("sales.library.answer", answer_id=found.id))
    return value_form(
        question,
        values,
        error,
        status,
        answer=answer_view(found, bank),
        bank_version=bank.version,
        review=library.needs_review(found, bank),
    )


@bp.post("/<id:answer_id>/retire")
def retire(answer_id: int):
    found = found_or_404(answer_id)
    bring_back = request.form.get("restore") == "1"
    try:
        with services.unit_of_work() as uow:
            library.retire(found, row_id(request.form.get("number", "")), staff(), not bring_back)
            uow.commit()
    except ValueError as exc:
        abort(409, str(exc) if isinstance(exc, library.LibraryError) else "Reload and try again.")
    flash("Library answer brought back." if bring_back else "Library answer retired.", "success")
    return redirect(url_for("sales.library.answer", answer_id=found.id))


@bp.post("/<id:answer_id>/apply")
def apply(answer_id: int):
    found = found_or_404(answer_id)
    try:
        with services.unit_of_work() as uow:
            started = library.start(found, current_bank(), staff())
            uow.commit()
    except library.LibraryError as exc:
        abort(409, str(exc))
    jobs.kick()
    return redirect(url_for("sales.library.job", job_id=started.id))


def job_summary(found: LibraryJob) -> dict:
    return {
        "id": found.id,
        "state": found.state,
        "actor": found.actor,
        "created_at": found.created_at,
        "finished_at": found.finished_at,
        "total": found.total,
        "done": found.done,
    }


def item_view(item: dict) -> dict:
    before, after = item["before"], item["after"] or {}
    return {
        **item,
        "name": report_id_of(item["assessment_id"]),
        "now": words(before),
        "then": words(after) if after.get("state") else None,
        "older_method": library.older_method(before.get("method")),
        "method": before.get("method"),
        "requirement": after.get("requirement", ""),
        "version": after.get("version", item["bank_version"]),
    }


def words(brief: dict) -> dict:
    if not brief.get("method"):
        return {"headline": "", "score_line": ""}
    return headline_words(brief)


class JobData(TypedDict):
    """templates/sales/library/job.html's data."""

    job: dict[str, Any]  # job_summary, whether it includes those short of it, and its error
    answer: dict[str, Any]  # the answer applied (answer_view)
    changed: bool  # the answer changed since the preview
    counts: dict[str, int]  # the preview's assessments of each kind (fits, short, review)
    outcomes: dict[str, int]  # what writing did: applied, answered, gone
    lists: dict[str, list[dict[str, Any]]]  # a kind's first assessments (item_view)
    listed: int  # the most assessments a list shows
    seconds: int  # how soon a running job's page asks again


@bp.get("/jobs/<id:job_id>")
def job(job_id: int):
    found = library.job(job_id)
    if found is None:
        abort(404)
    answer = found_or_404(found.answer_id)
    bank = current_bank()
    running = found.state in library.RUNNING
    if running:
        jobs.kick()  # takes over a job whose runner stopped
    lists = {}
    if found.state != library.PREVIEWING:
        for kind in (library.FITS, library.SHORT, library.REVIEW):
            lists[kind] = [item_view(i) for i in library.items_of(found.id, kind, LISTED_ITEMS)]
    data: JobData = {
        "job": job_summary(found) | {"include_short": found.include_short, "error": found.error},
        "answer": answer_view(answer, bank),
        "changed": answer.number != found.answer_number,
        "counts": library.counts_of(found.id),
        "outcomes": library.outcome_counts(found.id),
        "lists": lists,
        "listed": LISTED_ITEMS,
        "seconds": REFRESH_SECONDS,
    }
    html = render_template("sales/library/job.html", **data)
    if running:
        url = url_for("sales.library.job", job_id=found.id)
        return html, 200, {"Refresh": f"{REFRESH_SECONDS}; url={url}"}
    return html


@bp.post("/jobs/<id:job_id>/confirm")
def confirm(job_id: int):
    found = library.job(job_id)
    if found is None:
        abort(404)
    try:
        with services.unit_of_work() as uow:
            library.confirm(found, request.form.get("include_short") == "1", staff())
            uow.commit()
    except library.LibraryError as exc:
        abort(409, str(exc))
    jobs.kick()
    return redirect(url_for("sales.library.job", job_id=found.id))
