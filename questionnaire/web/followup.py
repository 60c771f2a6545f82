"""Follow-up in the sales workspace: written answers to a buyer's open questions, and the
owner, stage and internal notes of an assessment (never shown to the buyer).

Registered inside the sales blueprint, so its guard (sign-in) covers every view here.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from questionnaire.core import dates
from questionnaire.core.dates import day_text
from questionnaire.core.written import (
    MAX_REFERENCE,
    MAX_STATEMENT,
    WrittenAnswerError,
    answerable,
    make_answer,
)
from questionnaire.notify import webhooks
from questionnaire.store import access, followup, listing
from questionnaire.store import operations as ops
from questionnaire.store.db import db
from questionnaire.store.models import Assessment, utcnow
from questionnaire.web.security import public_url

bp = Blueprint("followup", __name__)


def list_args() -> dict[str, Any]:
    """The sales list's filters carried in this page's query string: only the list's own
    parameters, cleaned as the list cleans them, so links back rebuild the same list."""
    return listing.parse_filters(request.args).args()


def back_to(assessment_id: int):
    return redirect(url_for("sales.assessment", assessment_id=assessment_id, **list_args()))


def sales_url(assessment_id: int) -> str:
    """The assessment's page in the workspace, for webhooks and the sales team's e-mail."""
    return public_url("sales.assessment", assessment_id=assessment_id)


def panel(assessment: Assessment, bank) -> dict:
    """What the assessment page shows of the follow-up (the sales team's eyes only)."""
    now = followup.current(assessment) if assessment.submitted else None
    asked = []
    if now is not None:
        for qid in answerable(assessment.submitted_result):
            question = bank.question(qid)
            written = now.written.get(qid)
            asked.append({"id": qid, "prompt": question.prompt, "written": written})
    return {
        "owner_id": assessment.owner_id,
        "stage": assessment.stage,
        "stages": followup.STAGE_LABELS,
        "owners": followup.owner_choices(),
        "notes": followup.notes_of(assessment.id),
        "note_limit": followup.MAX_NOTE,
        "asked": asked,
        "revision": now.revision if now else 0,
        "seen": now.seen if now else True,
        "revisions": followup.revisions_of(assessment) if now else [],
        "original": {k: (assessment.result or {}).get(k) for k in ("score", "rating")},
        "list_args": list_args(),
    }


@bp.post("/assessments/<id:assessment_id>/follow-up")
def owner_and_stage(assessment_id: int):
    found = db.get_or_404(Assessment, assessment_id)
    owner = request.form.get("owner", "")
    try:
        owner_id = int(owner) if owner else None
        followup.set_owner_and_stage(found, owner_id, request.form.get("stage", ""))
    except (ValueError, OverflowError) as exc:
        message = str(exc) if isinstance(exc, followup.FollowUpError) else "Choose an owner"
        abort(400, message)
    flash("Owner and stage saved.", "success")
    return back_to(found.id)


@bp.post("/assessments/<id:assessment_id>/notes")
def add_note(assessment_id: int):
    found = db.get_or_404(Assessment, assessment_id)
    try:
        followup.add_note(
            found.id, current_user._get_current_object(), request.form.get("note", "")
        )
    except followup.FollowUpError as exc:
        abort(400, str(exc))
    flash("Note added. Only your team can see it.", "success")
    return back_to(found.id)


@bp.route("/assessments/<id:assessment_id>/provider-answers/<question_id>", methods=["GET", "POST"])
def written_answer(assessment_id: int, question_id: str):
    found = db.get_or_404(Assessment, assessment_id)
    if not found.submitted:
        abort(409, "The buyer has not submitted this assessment yet.")
    bank = ops.bank_of(found)
    if question_id not in answerable(found.submitted_result):
        abort(404)
    question = bank.question(question_id)
    now = followup.current(found)
    given = now.written.get(question_id)
    error, status = None, 200
    values = form_values(question, given)
    if request.method == "POST":
        values = {
            "value": request.form.getlist("value"),
            "statement": request.form.get("statement", ""),
            "reference": request.form.get("reference", ""),
        }
        try:
            save_written(found, bank, question_id, values)
        except WrittenAnswerError as exc:
            error, status = str(exc), 400
        else:
            flash("Written answer saved: the buyer's result now counts it.", "success")
            return back_to(found.id)
    return render_template(
        "sales/written_answer.html",
        assessment={"id": found.id, "company": found.company},
        question=question,
        choices=question.kind.choices(question) if question.type != "yesno" else [],
        values=values,
        given=given,
        editing=given is not None and not now.seen,
        error=error,
        limits={"statement": MAX_STATEMENT, "reference": MAX_REFERENCE},
        list_args=list_args(),
    ), status


def form_values(question, given) -> dict:
    if given is None:
        return {"value": [], "statement": "", "reference": ""}
    value = given.value
    if question.type == "yesno":
        shown = ["yes" if value else "no"]
    elif question.type == "number":
        shown = [str(value)]
    else:
        shown = list(value)
    return {"value": shown, "statement": given.statement, "reference": given.reference}


def save_written(found: Assessment, bank, question_id: str, values: dict) -> int:
    """Check and count one written answer by the signed-in person; WrittenAnswerError."""
    user = current_user._get_current_object()
    raw = values["value"]
    question = bank.question(question_id)
    if question.type != "multi" and question.type != "choice":
        raw = raw[0] if raw else ""
    given = {"raw": raw, "statement": values["statement"], "reference": values["reference"]}
    return give(found, bank, question_id, given, user.name or user.email, user)


def give(
    found: Assessment, bank, question_id: str, given: dict, author: str, user=None, also=None
) -> int:
    """A written answer (``given``: raw value, statement, reference) checked, counted in a
    new result revision and announced by webhook: the form's way and the API's.
    ``user``: the staff member, or None for the API (whose name is the author); ``also``:
    see followup.give_written_answer."""
    answer = make_answer(
        bank,
        answerable(found.submitted_result),
        question_id,
        given["raw"],
        given["statement"],
        given["reference"],
        author,
        utcnow(),
    )
    actor = access.actor_label(user) if user is not None else author
    user_id = user.id if user is not None else None
    number = followup.give_written_answer(
        found, bank, answer, user_id, actor, sales_url(found.id), also
    )
    webhooks.kick(current_app._get_current_object())  # type: ignore[attr-defined]  # a LocalProxy, typed as the app
    return number


def list_context() -> dict:
    """What the sales list adds for follow-up: owner and stage filters and columns."""
    return {
        "owners": followup.owner_choices(),
        "owner_names": followup.owner_names(),
        "stages": followup.STAGE_LABELS,
    }


def init_app(app) -> None:
    app.add_template_filter(day_text, "day")
    app.add_template_global(dates.EXAMPLE, "day_example")
