"""Follow-up in the sales workspace: written answers to a buyer's open questions, and the
owner, stage and internal notes of an assessment (never shown to the buyer).

Registered inside the sales blueprint, so its guard (sign-in) covers every view here.
"""

from __future__ import annotations

from typing import Any, TypedDict

from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user

from questionnaire import services
from questionnaire.core import dates
from questionnaire.core.bank import Question
from questionnaire.core.dates import day_text
from questionnaire.core.evidence import CONTRACT, GRADE_LABELS, WRITTEN
from questionnaire.core.library import (
    GROUPS,
    judge,
    lift_plan,
    rank_open,
    requirement_text,
    value_space,
    value_text,
)
from questionnaire.core.scoring import METHOD, score
from questionnaire.core.written import (
    MAX_REFERENCE,
    MAX_STATEMENT,
    WrittenAnswer,
    WrittenAnswerError,
    answerable,
    make_answer,
    written_commitments,
)
from questionnaire.notify import answered, webhooks
from questionnaire.store import access, followup, library
from questionnaire.store import operations as ops
from questionnaire.store.db import db
from questionnaire.store.models import Assessment, LibraryAnswer, utcnow
from questionnaire.web import queries
from questionnaire.web.security import public_url

bp = Blueprint("followup", __name__)


def list_args() -> dict[str, Any]:
    """The sales list's filters carried in this page's query string: only the list's own
    parameters, cleaned as the list cleans them, so links back rebuild the same list."""
    return queries.list_filters(request.args).args()


AFTER_SAVE = "after_save"  # the session remembers which assessment a save returns to


def back_to(assessment_id: int):
    """Back to the assessment after a save: that page is no new view (access.record)."""
    session[AFTER_SAVE] = assessment_id
    return redirect(url_for("sales.assessment", assessment_id=assessment_id, **list_args()))


def after_save(assessment_id: int) -> bool:
    """Whether this page is the one shown after a save on this assessment (asked once)."""
    return session.pop(AFTER_SAVE, None) == assessment_id


def sales_url(assessment_id: int) -> str:
    """The assessment's page in the workspace, for webhooks and the sales team's e-mail."""
    return public_url("sales.assessment", assessment_id=assessment_id)


def panel(assessment: Assessment, bank) -> dict:
    """What the assessment page shows of the follow-up (the sales team's eyes only): the
    buyer's open questions in the order that unblocks the deal, then those answered."""
    now = followup.current(assessment) if assessment.submitted else None
    groups: list[dict] = []
    answered_items: list[dict] = []
    lift = None
    if now is not None:
        asked = answerable(assessment.submitted_result)
        open_ids = [qid for qid in asked if qid not in now.written]
        baseline = now.result
        if baseline.get("method") != METHOD:
            # The next revision is scored by fit/3 on this bank: rank by what it would be.
            commitments = written_commitments(now.written, bank)
            baseline = score(bank, assessment.answers, assessment.must_have, commitments).to_dict()
        order = {q.id: n for n, q in enumerate(bank.questions)}
        lift = lift_plan(baseline, open_ids, order)
        in_library = library.questions_with_answers(
            {qid: value_space(bank.question(qid)) for qid in open_ids}
        )
        items = rank_open(bank, assessment.answers, baseline, open_ids, lift)
        for key, title in GROUPS.items():
            found = [{**vars(i), "library": i.id in in_library} for i in items if i.group == key]
            if found:
                groups.append({"key": key, "title": title, "entries": found})
        for qid in asked:
            written = now.written.get(qid)
            if written is not None:
                question = bank.question(qid)
                answered_items.append(
                    {
                        "id": qid,
                        "prompt": question.prompt,
                        "requirement": requirement_text(question, assessment.answers.get(qid)),
                        "written": written,
                        "value": value_text(question, written.value),
                    }
                )
    return {
        "owner_id": assessment.owner_id,
        "stage": assessment.stage,
        "stages": followup.STAGE_LABELS,
        "owners": followup.owner_choices(),
        "notes": followup.notes_of(assessment.id),
        "note_limit": followup.MAX_NOTE,
        "groups": groups,
        "answered": answered_items,
        "open": sum(len(g["entries"]) for g in groups),
        "lift": None
        if lift is None
        else {"count": len(lift.needed), "possible": lift.possible, "blocked": len(lift.blocked)},
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
        with services.unit_of_work() as uow:
            followup.set_owner_and_stage(uow, found, owner_id, request.form.get("stage", ""))
    except (ValueError, OverflowError) as exc:
        message = str(exc) if isinstance(exc, followup.FollowUpError) else "Choose an owner"
        abort(400, message)
    flash("Owner and stage saved.", "success")
    return back_to(found.id)


@bp.post("/assessments/<id:assessment_id>/notes")
def add_note(assessment_id: int):
    found = db.get_or_404(Assessment, assessment_id)
    try:
        with services.unit_of_work() as uow:
            followup.add_note(
                found.id, current_user._get_current_object(), request.form.get("note", "")
            )
            uow.commit()
    except followup.FollowUpError as exc:
        abort(400, str(exc))
    flash("Note added. Only your team can see it.", "success")
    return back_to(found.id)


class WrittenAnswerData(TypedDict):
    """templates/sales/written_answer.html's data."""

    assessment: dict[str, Any]  # id and company
    question: Question
    requirement: str  # what the buyer asked for, in words
    must_have: bool
    values: dict[str, Any]  # the form's value, statement, reference, grade and library_id
    given: WrittenAnswer | None  # the written answer in force, if any
    editing: bool  # that answer is changed in place: the buyer has not seen it
    offered: list[dict[str, Any]]  # the library's answers to it (offer_view)
    used: int | None  # the library answer filling the form, if one was chosen
    grades: dict[str, str]  # the evidence grades a written answer may have, in words
    error: str | None
    limits: dict[str, int]  # the longest statement and reference
    list_args: dict[str, Any]  # the sales list's filters, for the links back


@bp.route("/assessments/<id:assessment_id>/provider-answers/<question_id>", methods=["GET", "POST"])
def written_answer(assessment_id: int, question_id: str):
    found = db.get_or_404(Assessment, assessment_id)
    if not found.submitted:
        abort(409, "The buyer has not submitted this assessment yet.")
    bank = ops.bank_of(services.banks(), found)
    if question_id not in answerable(found.submitted_result):
        abort(404)
    question = bank.question(question_id)
    now = followup.current(found)
    given = now.written.get(question_id)
    offered = library.offered_for(question_id, value_space(question))
    error, status = None, 200
    used = chosen(offered, request.args.get("use", ""))
    values = form_values(question, used or given)
    if request.method == "POST":
        values = {
            "value": request.form.getlist("value"),
            "statement": request.form.get("statement", ""),
            "reference": request.form.get("reference", ""),
            "grade": request.form.get("grade", WRITTEN),
            "library_id": request.form.get("library_id", ""),
        }
        try:
            save_written(found, bank, question_id, values, offered)
        except WrittenAnswerError as exc:
            error, status = str(exc), 400
        else:
            flash("Written answer saved: the buyer's result now counts it.", "success")
            return back_to(found.id)
    answer = found.answers.get(question_id)
    must = question_id in found.must_have
    data: WrittenAnswerData = {
        "assessment": {"id": found.id, "company": found.company},
        "question": question,
        "requirement": requirement_text(question, answer),
        "must_have": must,
        "values": values,
        "given": given,
        "editing": given is not None and not now.seen,
        "offered": [offer_view(bank, question, a, answer, must) for a in offered],
        "used": used.id if used else None,
        "grades": {WRITTEN: GRADE_LABELS[WRITTEN], CONTRACT: GRADE_LABELS[CONTRACT]},
        "error": error,
        "limits": {"statement": MAX_STATEMENT, "reference": MAX_REFERENCE},
        "list_args": list_args(),
    }
    return render_template("sales/written_answer.html", **data), status


def chosen(offered: list[LibraryAnswer], text: str) -> LibraryAnswer | None:
    """The library answer a form names (by id), if it is one of those offered."""
    return next((a for a in offered if str(a.id) == text), None)


def offer_view(bank, question, offered: LibraryAnswer, answer, must_have: bool) -> dict:
    """A library answer as the written-answer page offers it: in the buyer's terms."""
    judged = judge(bank, question.id, answer, must_have, offered.value, offered.grade)
    return {
        "id": offered.id,
        "value": value_text(question, offered.value),
        "statement": offered.statement,
        "reference": offered.reference,
        "grade": GRADE_LABELS.get(offered.grade, offered.grade),
        "author": offered.author,
        "updated_at": offered.updated_at,
        "meets": judged.meets,
        "judged": judged.text,
    }


def form_values(question, given) -> dict:
    """The form filled from a written answer or a library answer (either has value,
    statement, reference and grade), or empty."""
    if given is None:
        return {
            "value": [],
            "statement": "",
            "reference": "",
            "grade": WRITTEN,
            "library_id": "",
        }
    return {
        "value": question.kind.written_form_value(question, given.value),
        "statement": given.statement,
        "reference": given.reference,
        "grade": given.grade,
        "library_id": str(given.id) if isinstance(given, LibraryAnswer) else "",
    }


def save_written(
    found: Assessment, bank, question_id: str, values: dict, offered: list[LibraryAnswer]
) -> int:
    """Check and count one written answer by the signed-in person; WrittenAnswerError."""
    user = current_user._get_current_object()
    question = bank.question(question_id)
    given = {
        "raw": question.kind.written_from_form(question, values["value"]),
        "statement": values["statement"],
        "reference": values["reference"],
        "grade": values["grade"],
        "library": chosen(offered, values.get("library_id", "")),
    }
    return give(found, bank, question_id, given, access.author_name(user), user)


def give(
    found: Assessment, bank, question_id: str, given: dict, author: str, user=None, also=None
) -> int:
    """A written answer (``given``: raw value, statement, reference, grade, and the library
    answer it was taken from, if any) checked, counted in a new result revision and
    announced by webhook: the form's way and the API's. ``user``: the staff member, or
    None for the API (whose name is the author); ``also``: see
    followup.give_written_answer. The answer is marked as the library's only if it says
    exactly what the library answer says: an edited one is the writer's."""
    answer = make_answer(
        bank,
        answerable(found.submitted_result),
        question_id,
        given["raw"],
        given["statement"],
        given["reference"],
        author,
        utcnow(),
        given.get("grade", WRITTEN),
    )
    source: LibraryAnswer | None = given.get("library")
    if source is not None and same_words(answer, library.as_written(source, author, answer.at)):
        answer = library.as_written(source, author, answer.at)
    actor = access.actor_label(user) if user is not None else author
    user_id = user.id if user is not None else None
    with services.unit_of_work() as uow:
        number = followup.give_written_answer(
            uow, found, bank, answer, user_id, actor, sales_url(found.id), also
        )
    webhooks.kick()
    answered.kick()
    return number


def same_words(answer, other) -> bool:
    fields = ("question_id", "value", "statement", "reference", "grade")
    return all(getattr(answer, f) == getattr(other, f) for f in fields)


def init_app(app) -> None:
    app.add_template_filter(day_text, "day")
    app.add_template_filter(dates.machine_time, "machine_time")
    app.add_template_global(dates.EXAMPLE, "day_example")
