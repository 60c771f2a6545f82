"""The buyer's wizard: start, one section a page, check answers, submit, result.

A buyer is known only by the secret token in their resume link; every page
under ``/a/<token>/`` looks the assessment up by the token's hash, and an
unknown token is a 404 like any other missing page.
"""

from __future__ import annotations

import json
import math
import re
from functools import lru_cache
from typing import Any, NamedTuple

from flask import (
    Blueprint,
    Flask,
    Response,
    abort,
    current_app,
    flash,
    g,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_wtf.csrf import CSRFError
from markupsafe import Markup

from questionnaire import access as access_log
from questionnaire import operations as ops
from questionnaire.bank import Bank, Question, Section
from questionnaire.banks import BankUnavailable
from questionnaire.conditions import Compare, Group, visible
from questionnaire.forms import ConfirmForm, StartForm
from questionnaire.models import Assessment
from questionnaire.presenter import answer_text, result_view
from questionnaire.qtypes import AnswerError, format_number
from questionnaire.scoring import visible_answers, visible_questions

bp = Blueprint("wizard", __name__)

SECONDS_PER_QUESTION = 30  # measured guess for reading, thinking and answering one question
NEXT, BACK, SAVE = "next", "back", "save"


# --- lookups ---------------------------------------------------------------------------


def load(token: str) -> tuple[Assessment, Bank]:
    assessment = ops.find_by_token(token)
    if assessment is None:
        abort(404)
    return assessment, ops.bank_of(assessment)


def load_draft(token: str) -> tuple[ops.Draft, Bank]:
    """The lighter lookup for step pages, the wizard's most frequent requests."""
    draft = ops.find_draft(token)
    if draft is None:
        abort(404)
    return draft, ops.bank_of(draft)


def section_or_404(bank: Bank, section_id: str) -> Section:
    try:
        return bank.section(section_id)
    except KeyError:
        abort(404)


def resume_url(token: str) -> str:
    return url_for("wizard.resume", token=token, _external=True)


def condition_data(condition) -> dict:
    """show_if as JSON for the page's script (the server decides anyway)."""
    if isinstance(condition, Group):
        return {"mode": condition.mode, "items": [condition_data(c) for c in condition.items]}
    assert isinstance(condition, Compare)
    operand = list(condition.operand) if isinstance(condition.operand, tuple) else condition.operand
    return {"q": condition.question.id, "op": condition.op, "v": operand}


def condition_text(condition) -> str:
    """show_if in words, for people without the script (and for screen readers)."""
    if isinstance(condition, Group):
        joiner = " and " if condition.mode == "all" else " or "
        return joiner.join(condition_text(c) for c in condition.items)
    q = condition.question
    if condition.op == "at_least":
        what = "options" if q.type == "multi" else ""
        return f"“{q.prompt}” is at least {condition.operand} {what}".strip()
    values = condition.operand if condition.op == "in" else (condition.operand,)
    if q.type == "multi":  # "equals k" on a multi reads "k is among the chosen"
        values = [[v] for v in values]
    words = " or ".join(f"“{answer_text(q, v)}”" for v in values)
    negation = "did not answer" if condition.op == "not" else "answered"
    return f"you {negation} {words} to “{q.prompt}”"


def step_questions(bank: Bank, answers: dict, section: Section) -> list[Question]:
    """What a step page shows: questions visible now, plus those whose condition looks at
    another question on the same page (the page's script shows or hides those as you go)."""
    ids = {q.id for q in section.questions}
    kept = visible_answers(bank, answers)
    return [
        q
        for q in section.questions
        if visible(q, kept) or (q.show_if is not None and q.show_if.references() & ids)
    ]


def read_step(bank: Bank, section: Section, formdata, saved: dict) -> tuple[dict, dict, set]:
    """Parse a posted step in bank order: (values, errors, must-haves).

    Conditions only look back, so walking the bank once decides every question's
    visibility with the values just posted for earlier questions on this page.
    """
    section_ids = {q.id for q in section.questions}
    kept: dict[str, Any] = {}
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for q in bank.questions:
        if q.id not in section_ids:
            if q.id in saved and visible(q, kept):
                kept[q.id] = saved[q.id]
            continue
        if not visible(q, kept):
            values[q.id] = None  # hidden: its answer is dropped
            continue
        try:
            value = q.kind.from_form(q, q.kind.form_data(q, formdata))
        except AnswerError as exc:
            errors[q.id] = str(exc)[:1].upper() + str(exc)[1:]
            continue
        values[q.id] = value
        if value is not None:
            kept[q.id] = value
    chosen = set(formdata.getlist("must_have"))
    scored = {q.id for q in section.questions if q.scored}
    for qid in sorted(chosen - scored):
        errors.setdefault(
            qid if qid in section_ids else "must_have", f"{qid!r} cannot be a must-have"
        )
    return values, errors, chosen & scored


def required_errors(bank: Bank, section: Section, values: dict, saved: dict) -> dict[str, str]:
    merged = {**{k: v for k, v in saved.items()}, **values}
    merged = {k: v for k, v in merged.items() if v is not None}
    shown = ops.section_questions(bank, merged, section.id)
    return {q.id: q.kind.missing for q in ops.missing_required(shown, merged)}


def next_section(bank: Bank, assessment: Assessment, after: str, step: int) -> str | None:
    """The next (step=1) or previous (step=-1) section that has questions to show."""
    ids = [s.id for s in bank.sections]
    needed = {q.section_id for q in visible_questions(bank, assessment.answers)}
    index = ids.index(after) + step
    while 0 <= index < len(ids):
        if ids[index] in needed:
            return ids[index]
        index += step
    return None


class QuestionItem(NamedTuple):
    """What templates/_questions.html needs to draw one question."""

    q: Question
    value: Any  # the field's data: a string, a tuple of keys (multi) or None
    error: str | None
    must_have: bool
    choices: tuple[tuple[str, str], ...]
    condition: dict | None
    condition_text: str


def hashable(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


@lru_cache(maxsize=8192)
def question_html(env, q: Question, value: Any, error: str | None, must_have: bool) -> Markup:
    """One question's HTML. Cached: a step page draws a dozen questions whose blocks
    repeat across buyers (same question, same answer), and drawing them dominated the
    page's cost. The key holds everything the block shows."""
    item = QuestionItem(
        q=q,
        value=value,
        error=error,
        must_have=must_have,
        choices=tuple(q.kind.choices(q)),
        condition=condition_data(q.show_if) if q.show_if else None,
        condition_text=condition_text(q.show_if) if q.show_if else "",
    )
    macro = env.get_template("_questions.html").module.question
    return Markup(macro(item))


def field_anchor(q: Question) -> str:
    """The id of the input an error links to: the first radio or checkbox of a group."""
    return f"{q.id}-0" if q.kind.widget in ("radios", "checkboxes") else q.id


def estimated_minutes(count: int) -> int:
    return max(5, math.ceil(count * SECONDS_PER_QUESTION / 60 / 5) * 5)


def current_bank_or_503() -> Bank:
    try:
        return current_app.extensions["banks"].current()
    except BankUnavailable:
        abort(503, "The question bank could not be loaded. Please try again later.")


# --- pages -----------------------------------------------------------------------------


@bp.route("/", methods=["GET", "POST"])
def start():
    bank = current_bank_or_503()
    form = StartForm()
    if form.validate_on_submit():
        assessment, token = ops.start_assessment(
            bank, form.company.data, form.name.data, form.email.data
        )
        first = ops.first_unfinished(bank, assessment) or bank.sections[0].id
        return redirect(url_for("wizard.step", token=token, section_id=first, new=1))
    return render_template(
        "start.html",
        bank=bank,
        form=form,
        errors=[
            (form[name].id, "", message)
            for name in ("company", "name", "email", "consent")
            for message in form[name].errors
        ],
        question_count=len(bank.questions),
        minutes=estimated_minutes(len(bank.questions)),
        draft_days=current_app.config["DRAFT_RETENTION_DAYS"],
        submitted_days=current_app.config["SUBMITTED_RETENTION_DAYS"],
    ), (400 if request.method == "POST" else 200)


@bp.get("/a/<token>")
def resume(token: str):
    assessment, bank = load(token)
    if assessment.submitted:
        return redirect(url_for("wizard.result", token=token))
    section_id = ops.first_unfinished(bank, assessment)
    if section_id is None:
        return redirect(url_for("wizard.check", token=token))
    return redirect(url_for("wizard.step", token=token, section_id=section_id))


@bp.get("/a/<token>/overview")
def overview(token: str):
    assessment, bank = load(token)
    if assessment.submitted:
        return redirect(url_for("wizard.result", token=token))
    states = ops.section_states(bank, assessment)
    return render_template(
        "overview.html",
        bank=bank,
        token=token,
        sections=[
            {
                "id": s.id,
                "title": s.title,
                "state": states[s.id],
                "label": ops.SECTION_STATE_LABELS[states[s.id]],
            }
            for s in bank.sections
        ],
        all_done=ops.first_unfinished(bank, assessment) is None,
        resume_link=resume_url(token),
        expires=ops.expiry(assessment),
    )


@bp.route("/a/<token>/step/<section_id>", methods=["GET", "POST"])
def step(token: str, section_id: str):
    assessment, bank = load_draft(token)
    section = section_or_404(bank, section_id)
    if assessment.submitted:
        if request.method == "POST":
            abort(
                400, "This assessment has been submitted, so its answers can no longer be changed."
            )
        return redirect(url_for("wizard.result", token=token))
    returning = request.args.get("return") == "check"
    questions = step_questions(bank, assessment.answers, section)
    errors: dict[str, str] = {}
    notice = None
    busy = False

    if request.method == "POST" and g.get("csrf_expired"):
        notice = "This page had expired, so nothing was saved yet. Your answers are still here: press the button again to save them."
    elif request.method == "POST":
        action = request.form.get("action", NEXT)
        values, errors, must = read_step(bank, section, request.form, assessment.answers)
        if action == NEXT and not errors:
            errors = required_errors(bank, section, values, assessment.answers)
        if not errors:
            try:
                ops.save_section(
                    assessment, bank, section.id, values, must, complete=action == NEXT
                )
            except ops.AlreadySubmitted:
                abort(
                    400,
                    "This assessment has been submitted, so its answers can no longer be changed.",
                )
            except ops.DatabaseBusy:  # rolled back whole: show the page again as typed
                busy = True
                notice = "The database was busy, so this page was not saved yet. Your answers are still here: press the button again in a moment."
            else:
                return redirect(after_save(bank, assessment, token, section, action, returning))
    if request.method == "POST":  # show what was posted, as it was typed
        shown = {q.id: hashable(q.kind.form_data(q, request.form)) for q in questions}
        must_haves = set(request.form.getlist("must_have"))
    else:
        shown = {q.id: q.kind.to_form(q, assessment.answers.get(q.id)) for q in questions}
        must_haves = set(assessment.must_have)

    index = [s.id for s in bank.sections].index(section.id)
    earlier = {
        ref: assessment.answers.get(ref)
        for q in questions
        if q.show_if is not None
        for ref in q.show_if.references()
    }
    return render_template(
        "step.html",
        bank=bank,
        token=token,
        section=section,
        questions=[
            question_html(
                current_app.jinja_env, q, shown[q.id], errors.get(q.id), q.id in must_haves
            )
            for q in questions
        ],
        errors=[(field_anchor(q), q.prompt, errors[q.id]) for q in questions if q.id in errors]
        + [(k, "Must-have", v) for k, v in errors.items() if k == "must_have"],
        notice=notice,
        position=index + 1,
        total=len(bank.sections),
        earlier_answers=earlier,
        returning=returning,
        resume_link=resume_url(token),
        show_resume_banner=request.args.get("new") == "1",
        expires=ops.expiry(assessment),
    ), (503 if busy else 400 if errors or notice else 200)


def after_save(
    bank: Bank, assessment: Assessment, token: str, section: Section, action: str, returning: bool
) -> str:
    if action == SAVE:
        flash("Your answers have been saved. Use your resume link to come back.", "success")
        return url_for("wizard.overview", token=token)
    if action == BACK:
        previous = next_section(bank, assessment, section.id, -1)
        if previous is None:
            return url_for("wizard.overview", token=token)
        return url_for("wizard.step", token=token, section_id=previous)
    following = None if returning else next_section(bank, assessment, section.id, 1)
    if following is None:
        return url_for("wizard.check", token=token)
    return url_for("wizard.step", token=token, section_id=following)


@bp.get("/a/<token>/check")
def check(token: str):
    assessment, bank = load(token)
    if assessment.submitted:
        return redirect(url_for("wizard.result", token=token))
    states = ops.section_states(bank, assessment)
    shown = ops.visible_questions(bank, assessment.answers)
    sections = []
    for section in bank.sections:
        rows = [
            {
                "id": q.id,
                "prompt": q.prompt,
                "answer": answer_text(q, assessment.answers.get(q.id)),
                "must_have": q.id in assessment.must_have,
                "missing": q.kind.required and assessment.answers.get(q.id) is None,
            }
            for q in shown
            if q.section_id == section.id
        ]
        if rows:
            sections.append(
                {
                    "id": section.id,
                    "title": section.title,
                    "rows": rows,
                    "state": states[section.id],
                    "label": ops.SECTION_STATE_LABELS[states[section.id]],
                }
            )
    unfinished = [s for s in sections if s["state"] in (ops.NOT_STARTED, ops.IN_PROGRESS)]
    return render_template(
        "check.html",
        bank=bank,
        token=token,
        sections=sections,
        unfinished=unfinished,
        form=ConfirmForm(),
    )


@bp.post("/a/<token>/submit")
def submit(token: str):
    assessment, bank = load(token)
    if g.get("csrf_expired"):
        flash(
            "The page had expired, so nothing was submitted yet. Please check your answers "
            "and submit again.",
            "error",
        )
        response = make_response(check(token))
        if response.status_code == 200:
            response.status_code = 400  # the check page again, for a refused form
        return response
    try:
        ops.submit(assessment, bank)
    except ops.AlreadySubmitted:
        abort(400, "This assessment has already been submitted.")
    except ops.NotReady:
        flash("Some sections still need answers before you can submit.", "error")
        return redirect(url_for("wizard.check", token=token))
    # Draw the PDF now, off the request path, so the buyer's first download is a file read.
    current_app.extensions["reports"].schedule(assessment)
    return redirect(url_for("wizard.result", token=token))


@bp.get("/a/<token>/result")
def result(token: str):
    assessment, bank = load(token)
    if not assessment.submitted:
        return redirect(url_for("wizard.check", token=token))
    view = result_view(bank, assessment.answers, assessment.must_have, assessment.result)
    return render_template(
        "result.html",
        bank=bank,
        token=token,
        view=view,
        assessment={
            "company": assessment.company,
            "submitted_at": assessment.submitted_at,
            "expires": ops.expiry(assessment),
        },
        access=access_log.events_for_buyer(assessment.id),
    )


@bp.get("/a/<token>/answers.json")
def answers_json(token: str):
    assessment, _ = load(token)
    body = json.dumps(ops.export_answers(assessment), indent=2, ensure_ascii=False)
    slug = re.sub(r"[^a-z0-9]+", "-", assessment.company.lower()).strip("-")[:40] or "assessment"
    return Response(
        body,
        mimetype="application/json",
        headers={"Content-Disposition": f'attachment; filename="trustcheck-{slug}.json"'},
    )


@bp.route("/a/<token>/delete", methods=["GET", "POST"])
def delete(token: str):
    assessment, bank = load(token)
    form = ConfirmForm()
    if request.method == "POST" and form.validate_on_submit():
        current_app.extensions["reports"].discard(assessment)  # no copy left on disk
        ops.delete_assessment(assessment)
        flash("Your assessment and all its answers have been deleted.", "success")
        return redirect(url_for("wizard.start"))
    if request.method == "POST":  # only the CSRF token can make this form invalid
        flash("This page had expired, so nothing was deleted. Press the button again.", "error")
    return render_template(
        "delete.html",
        bank=bank,
        token=token,
        form=form,
        submitted=assessment.submitted,
        company=assessment.company,
    ), (400 if request.method == "POST" else 200)


# --- wiring ----------------------------------------------------------------------------


def on_csrf_error(error: CSRFError):
    """An expired or missing CSRF token: show the same page again, keeping what was typed."""
    view = current_app.view_functions.get(request.endpoint or "")
    if request.blueprint == "wizard" and view is not None and request.method == "POST":
        g.csrf_expired = True
        return view(**(request.view_args or {}))
    return render_template(
        "error.html",
        title="This form had expired",
        message="Nothing was changed. Go back, reload the page and try again.",
        code=400,
    ), 400


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    app.register_error_handler(CSRFError, on_csrf_error)
    app.add_template_filter(format_number, "number")
