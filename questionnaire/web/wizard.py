"""The buyer's wizard: start, one section a page, check answers, submit, result.

A buyer is known only by the secret token in their resume link; every page
under ``/a/<token>/`` looks the assessment up by the token's hash, and an
unknown token is a 404 like any other missing page.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypedDict

from flask import (
    Blueprint,
    Flask,
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

from questionnaire import services
from questionnaire.core import progress
from questionnaire.core.bank import Bank, Section
from questionnaire.core.presenter import answer_text
from questionnaire.core.qtypes import format_number
from questionnaire.core.report_context import report_id_of
from questionnaire.core.scoring import states_no_requirement, visible_questions
from questionnaire.current import the_app
from questionnaire.notify import webhooks
from questionnaire.reports import deletion
from questionnaire.store import access as access_log
from questionnaire.store import followup, mails, revisions, throttle
from questionnaire.store import operations as ops
from questionnaire.store.banks import BankUnavailable
from questionnaire.store.models import Assessment, utcnow
from questionnaire.store.unit_of_work import UnitOfWork
from questionnaire.web import auth, downloads, emails, results, sharing, steps
from questionnaire.web import followup as followup_pages
from questionnaire.web.forms import LOST_PREFIX, ConfirmForm, LostLinkForm, StartForm, error_rows
from questionnaire.web.security import ErrorData

bp = Blueprint("wizard", __name__)

SECONDS_PER_QUESTION = 30  # measured guess for reading, thinking and answering one question


# --- lookups ---------------------------------------------------------------------------


def load(token: str) -> tuple[Assessment, Bank]:
    assessment = ops.find_by_token(token)
    if assessment is None:
        abort(404)
    return assessment, ops.bank_of(services.banks(), assessment)


def section_or_404(bank: Bank, section_id: str) -> Section:
    try:
        return bank.section(section_id)
    except KeyError:
        abort(404)


def resume_url(token: str) -> str:
    return url_for("wizard.resume", token=token, _external=True)


def estimated_minutes(count: int) -> int:
    return max(5, math.ceil(count * SECONDS_PER_QUESTION / 60 / 5) * 5)


def current_bank_or_503() -> Bank:
    try:
        return services.banks().current()
    except BankUnavailable:
        abort(503, "The question bank could not be loaded. Please try again later.")


# --- pages -----------------------------------------------------------------------------


STARTS_LIMITED = (
    "Too many assessments have been started from your network in the last hour. What you "
    "typed is still here: please try again later."
)


def may_start(uow: UnitOfWork) -> bool:
    """Whether this address may start one more assessment, a revision included
    (START_LIMIT_PER_HOUR, counted across every process). Commits ``uow``."""
    per_hour = current_app.config["START_LIMIT_PER_HOUR"]
    return throttle.claim_start(uow, auth.client_address(), utcnow(), per_hour)


@bp.route("/", methods=["GET", "POST"])
def start():
    bank = current_bank_or_503()
    form = StartForm()
    if not form.validate_on_submit():
        return start_page(bank, form, 400 if request.method == "POST" else 200)
    with services.unit_of_work() as uow:
        if not may_start(uow):
            seconds = int(throttle.START_WINDOW.total_seconds())
            return *start_page(bank, form, 429, STARTS_LIMITED), {"Retry-After": str(seconds)}
        assessment, token = ops.start_assessment(
            bank, form.company.data or "", form.name.data or "", form.email.data or ""
        )
        uow.commit()
    first = (
        progress.first_unfinished(bank, assessment.answers, assessment.progress)
        or bank.sections[0].id
    )
    return redirect(url_for("wizard.step", token=token, section_id=first, new=1))


class StartData(TypedDict):
    """templates/start.html's data."""

    bank: Bank
    form: StartForm  # as typed, with its errors
    errors: list[tuple[str, str, str]]  # the start form's error summary rows
    lost: LostLinkForm | None  # "Lost your link?": None when e-mail is off
    lost_errors: list[tuple[str, str, str]]  # that form's error summary rows
    question_count: int
    minutes: int  # about how long the questions take
    draft_days: int  # how long a draft and a submitted assessment are kept
    submitted_days: int


def start_page(
    bank: Bank,
    form: StartForm,
    status: int,
    refusal: str | None = None,
    lost: LostLinkForm | None = None,
    lost_refusal: str | None = None,
):
    """The start page, its form as typed, with its errors (or why starting was refused);
    with e-mail on, "Lost your link?" too (``lost``: that form as typed, and why it was
    refused)."""
    errors = error_rows(form, ("company", "name", "email", "consent"))
    if refusal:
        errors.append((form.company.id, "", refusal))
    if lost is None and services.lost_links() is not None:
        lost = LostLinkForm(formdata=None, prefix=LOST_PREFIX)
    lost_errors = error_rows(lost, ("email",)) if lost else []
    if lost and lost_refusal:
        lost_errors.append((lost.email.id, "", lost_refusal))
    data: StartData = {
        "bank": bank,
        "form": form,
        "errors": errors,
        "lost": lost,
        "lost_errors": lost_errors,
        "question_count": len(bank.questions),
        "minutes": estimated_minutes(len(bank.questions)),
        "draft_days": current_app.config["DRAFT_RETENTION_DAYS"],
        "submitted_days": current_app.config["SUBMITTED_RETENTION_DAYS"],
    }
    return render_template("start.html", **data), status


@bp.get("/a/<token>")
def resume(token: str):
    assessment, bank = load(token)
    if assessment.submitted:
        return redirect(url_for("wizard.result", token=token))
    section_id = progress.first_unfinished(bank, assessment.answers, assessment.progress)
    if section_id is None:
        return redirect(url_for("wizard.check", token=token))
    return redirect(url_for("wizard.step", token=token, section_id=section_id))


class OverviewData(TypedDict):
    """templates/overview.html's data."""

    bank: Bank
    token: str
    sections: list[dict[str, Any]]  # each with its state in words (progress.section_rows)
    all_done: bool  # every section finished: on to the check page
    resume_link: str
    expires: datetime
    email_link: dict[str, Any] | None  # the resume-link e-mail's state; None: no e-mail
    revision: dict[str, Any] | None  # see sharing.revision_notice


@bp.get("/a/<token>/overview")
def overview(token: str):
    assessment, bank = load(token)
    if assessment.submitted:
        return redirect(url_for("wizard.result", token=token))
    states = progress.section_states(bank, assessment.answers, assessment.progress)
    data: OverviewData = {
        "bank": bank,
        "token": token,
        "sections": progress.section_rows(bank, states),
        "all_done": not any(state in progress.UNFINISHED for state in states.values()),
        "resume_link": resume_url(token),
        "expires": ops.expiry(assessment, services.store_settings()),
        "email_link": emails.status(assessment, mails.RESUME_LINK),
        "revision": sharing.revision_notice(assessment, token),
    }
    return render_template("overview.html", **data)


SUBMITTED_NOTE = "This assessment has been submitted, so its answers can no longer be changed."
EXPIRED_NOTE = (
    "This page had expired, so nothing was saved yet. Your answers are still here: press "
    "the button again to save them."
)
BUSY_NOTE = (
    "The database was busy, so this page was not saved yet. Your answers are still here: "
    "press the button again in a moment."
)
ELSEWHERE_NOTE = (
    "The answers on this page were changed in another tab or window after you opened it, "
    "so this page was not saved yet. What you typed is below: press the button again to "
    "save it over those changes, or reload the page to see them."
)
PARTLY_SAVED_NOTE = "Your other answers on this page have been saved."
SEEN = re.compile(r"[0-9a-f]{16}")


@bp.route("/a/<token>/step/<section_id>", methods=["GET", "POST"])
def step(token: str, section_id: str):
    assessment, bank = load(token)
    section = section_or_404(bank, section_id)
    if assessment.submitted:
        if request.method == "POST":
            abort(400, SUBMITTED_NOTE)
        return redirect(url_for("wizard.result", token=token))
    page = StepPage(bank, assessment, token, section)
    return post_step(page) if request.method == "POST" else page.render()


def post_step(page: StepPage):
    """Save a posted step and go on, or show it again as typed, saying why not.

    Valid answers are saved even when another on the page is not, so a mistyped number
    loses nothing else; the page then stays, showing the mistake as typed."""
    bank, assessment, section = page.bank, page.assessment, page.section
    posted_seen = request.form.get("seen", "")
    page.seen = posted_seen if SEEN.fullmatch(posted_seen) else None
    if g.get("csrf_expired"):
        return page.render(notice=EXPIRED_NOTE, status=400)
    saved = steps.fingerprint(section, assessment) if page.seen else None
    if saved is not None and page.seen != saved:
        page.seen = saved  # pressing again saves over them
        return page.render(notice=ELSEWHERE_NOTE, status=409)
    action = request.form.get("action", steps.NEXT)
    posted = steps.read_step(bank, section, request.form, assessment.answers)
    if action == steps.NEXT and not posted.errors:
        posted.errors = steps.required_errors(bank, section, posted.values, assessment.answers)
    complete = action == steps.NEXT and not posted.errors
    try:
        with services.unit_of_work() as uow:
            ops.save_section(
                uow, assessment, bank, section.id, posted.values, posted.must_have, complete
            )
    except ops.AlreadySubmitted:
        abort(400, SUBMITTED_NOTE)
    except ops.DatabaseBusy:  # rolled back whole: show the page again as typed
        return page.render(notice=BUSY_NOTE, status=503)
    if posted.errors:
        page.seen = steps.fingerprint(section, assessment)
        # Said only when the page held other answers (an unticked list is none): else
        # there was nothing to save.
        others = any(value not in (None, "", []) for value in posted.values.values())
        notice = PARTLY_SAVED_NOTE if others else None
        return page.render(errors=posted.errors, notice=notice, status=400)
    returning = request.args.get("return") == "check"
    return redirect(steps.after_save(bank, assessment, page.token, section, action, returning))


class StepData(TypedDict):
    """templates/step.html's data."""

    bank: Bank
    token: str
    section: Section
    questions: list[Markup]  # each question's HTML (steps.question_blocks)
    errors: list[tuple[str, str, str]]  # the error summary's rows
    notice: str | None  # why the page was not saved, or what of it was
    seen: str  # the fingerprint of the saved section the form carries
    position: int
    total: int
    earlier_answers: dict[str, Any]  # answers the page's conditions look back at
    returning: bool  # back to the check page after saving
    resume_link: str
    show_resume_banner: bool
    expires: datetime
    email_link: dict[str, Any] | None


@dataclass
class StepPage:
    """One step page of one assessment, drawn from what is saved (GET) or as posted."""

    bank: Bank
    assessment: Assessment
    token: str
    section: Section
    seen: str | None = None  # the fingerprint the form carries; None: the saved one

    def render(self, errors: dict | None = None, notice: str | None = None, status: int = 200):
        bank, assessment, section, token = self.bank, self.assessment, self.section, self.token
        errors = errors or {}
        banner = request.args.get("new") == "1"
        questions = steps.step_questions(bank, assessment.answers, section)
        if request.method == "POST":  # what was posted, as it was typed
            shown = {q.id: steps.hashable(q.kind.form_data(q, request.form)) for q in questions}
            must_haves = set(request.form.getlist("must_have"))
        else:
            shown = {q.id: q.kind.to_form(q, assessment.answers.get(q.id)) for q in questions}
            must_haves = set(assessment.must_have)
        earlier = {
            ref: assessment.answers.get(ref)
            for q in questions
            if q.show_if is not None
            for ref in q.show_if.references()
        }
        data: StepData = {
            "bank": bank,
            "token": token,
            "section": section,
            "questions": steps.question_blocks(
                current_app.jinja_env, questions, shown, errors, must_haves
            ),
            "errors": steps.error_list(questions, errors),
            "notice": notice,
            "seen": self.seen or steps.fingerprint(section, assessment),
            "position": [s.id for s in bank.sections].index(section.id) + 1,
            "total": len(bank.sections),
            "earlier_answers": earlier,
            "returning": request.args.get("return") == "check",
            "resume_link": resume_url(token),
            "show_resume_banner": banner,
            "expires": ops.expiry(assessment, services.store_settings()),
            # Asked only for the banner: other step pages show no e-mail button.
            "email_link": emails.status(assessment, mails.RESUME_LINK) if banner else None,
        }
        return render_template("step.html", **data), status


class CheckData(TypedDict):
    """templates/check.html's data."""

    bank: Bank
    token: str
    sections: list[dict[str, Any]]  # each with its answers in words (rows) and its state
    unfinished: list[dict[str, Any]]  # the sections still to finish
    marked_on_nothing: list[dict[str, Any]]  # must-haves whose answer states no requirement
    form: ConfirmForm
    revision: dict[str, Any] | None  # see sharing.revision_notice


@bp.get("/a/<token>/check")
def check(token: str):
    assessment, bank = load(token)
    if assessment.submitted:
        return redirect(url_for("wizard.result", token=token))
    states = progress.section_states(bank, assessment.answers, assessment.progress)
    shown = visible_questions(bank, assessment.answers)
    sections: list[dict[str, Any]] = []
    for section in bank.sections:
        rows = [
            {
                "id": q.id,
                "prompt": q.prompt,
                "answer": answer_text(q, assessment.answers.get(q.id)),
                "must_have": q.id in assessment.must_have,
                "must_have_on_nothing": q.id in assessment.must_have
                and states_no_requirement(q, assessment.answers.get(q.id)),
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
                    "label": progress.SECTION_STATE_LABELS[states[section.id]],
                }
            )
    unfinished = [s for s in sections if s["state"] in progress.UNFINISHED]
    marked_on_nothing = [
        {**row, "section_id": s["id"]}
        for s in sections
        for row in s["rows"]
        if row["must_have_on_nothing"]
    ]
    data: CheckData = {
        "bank": bank,
        "token": token,
        "sections": sections,
        "unfinished": unfinished,
        "marked_on_nothing": marked_on_nothing,
        "form": ConfirmForm(),
        "revision": sharing.revision_notice(assessment, token, with_link=True),
    }
    return render_template("check.html", **data)


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
        with services.unit_of_work() as uow:
            ops.submit(uow, assessment, bank, sales_url=followup_pages.sales_url(assessment.id))
    except ops.AlreadySubmitted:
        abort(400, "This assessment has already been submitted.")
    except ops.NotReady:
        flash("Some sections still need answers before you can submit.", "error")
        return redirect(url_for("wizard.check", token=token))
    # Draw the PDF now, off the request path, so the buyer's first download is a file read.
    services.reports().schedule(assessment)
    emails.after_submit(assessment, token)  # queued, never waited for
    webhooks.kick()
    return redirect(url_for("wizard.result", token=token))


class ResultData(TypedDict):
    """templates/result.html's data."""

    bank: Bank
    token: str
    view: dict[str, Any]  # the result in force in words (results.page_view)
    assessment: dict[str, Any]  # company, submitted_at, expires
    access: dict[str, Any]  # the latest access events (store.access.events_for_buyer)
    sharing: dict[str, Any]  # the read-only link (sharing.buyer_panel)
    revision: dict[str, Any] | None  # see sharing.revision_notice
    confirmation: dict[str, Any] | None  # the confirmation e-mail's state; None: no e-mail
    form: ConfirmForm


@bp.get("/a/<token>/result")
def result(token: str):
    assessment, bank = load(token)
    if not assessment.submitted:
        return redirect(url_for("wizard.check", token=token))
    with services.unit_of_work() as uow:
        followup.mark_seen(uow, assessment)  # before reading: what is shown is never edited after
    data: ResultData = {
        "bank": bank,
        "token": token,
        "view": results.page_view(bank, assessment),
        "assessment": {
            "company": assessment.company,
            "submitted_at": assessment.submitted_at,
            "expires": ops.expiry(assessment, services.store_settings()),
        },
        "access": access_log.events_for_buyer(assessment.id, access_log.RESULT_LIMIT),
        "sharing": sharing.buyer_panel(assessment, token),
        "revision": sharing.revision_notice(assessment, token),
        "confirmation": emails.status(assessment, mails.CONFIRMATION),
        "form": ConfirmForm(),
    }
    return render_template("result.html", **data)


class AccessData(TypedDict):
    """templates/access.html's data."""

    token: str
    company: str
    provider: str  # the provider's name
    access: dict[str, Any]  # one page of events and the counts (store.access.events_for_buyer)


@bp.get("/a/<token>/access")
def access(token: str):
    """Everyone who has looked at the buyer's answers, a page of 100 at a time."""
    assessment, bank = load(token)
    page = request.args.get("page", "1")
    number = int(page) if page.isdigit() and len(page) <= 6 else 1
    found = access_log.events_for_buyer(assessment.id, access_log.BUYER_LIMIT, number)
    if number > found["pages"]:
        abort(404)
    data: AccessData = {
        "token": token,
        "company": assessment.company,
        "provider": bank.provider.name,
        "access": found,
    }
    return render_template("access.html", **data)


@bp.get("/a/<token>/answers.json")
def answers_json(token: str):
    assessment, _ = load(token)
    return downloads.answers_download(assessment)


class DeleteData(TypedDict):
    """templates/delete.html's data."""

    bank: Bank
    token: str
    form: ConfirmForm
    submitted: bool
    company: str
    name: str  # its TC- number
    revision_of: dict[str, Any] | None  # the assessment it revises (revisions.summary)
    written: bool  # its result has the provider's written answers
    mailing: bool  # e-mail is on: the e-mails sent about it go too
    revisions: list[dict[str, Any]]  # revisions made from it, to tick (revisions.summary)


@bp.route("/a/<token>/delete", methods=["GET", "POST"])
def delete(token: str):
    """Delete the assessment, and the revisions made from it that the buyer ticks: each
    holds a copy of the answers and contact details, with a secret link of its own."""
    assessment, bank = load(token)
    form = ConfirmForm()
    later = revisions.descendants(assessment)
    if request.method == "POST" and form.validate_on_submit():
        ticked = set(request.form.getlist("revision"))
        chosen = [r for r in later if str(r.id) in ticked]
        deletion.delete_assessment(assessment, chosen)  # their PDFs too: no copy left on disk
        webhooks.kick(the_app())  # the deletion's, sent at once
        flash(
            f"Your assessment and {deleted_revisions(len(chosen))} have been deleted, with "
            "all their answers."
            if chosen
            else "Your assessment and all its answers have been deleted.",
            "success",
        )
        return redirect(url_for("wizard.start"))
    if request.method == "POST":  # only the CSRF token can make this form invalid
        flash("This page had expired, so nothing was deleted. Press the button again.", "error")
    data: DeleteData = {
        "bank": bank,
        "token": token,
        "form": form,
        "submitted": assessment.submitted,
        "company": assessment.company,
        "name": report_id_of(assessment.id),
        "revision_of": revisions.links(assessment)["revision_of"],
        "written": assessment.result_revision > 0,
        "mailing": services.mail() is not None,
        "revisions": [
            {**revisions.summary(r), "status": "submitted" if r.submitted else "draft"}
            for r in later
        ],
    }
    return render_template("delete.html", **data), (400 if request.method == "POST" else 200)


def deleted_revisions(count: int) -> str:
    return "its revision" if count == 1 else f"{count} of its revisions"


# --- wiring ----------------------------------------------------------------------------


def on_csrf_error(error: CSRFError):
    """An expired or missing CSRF token: show the same page again, keeping what was typed."""
    view = current_app.view_functions.get(request.endpoint or "")
    if request.blueprint == "wizard" and view is not None and request.method == "POST":
        g.csrf_expired = True
        return view(**(request.view_args or {}))
    data: ErrorData = {
        "title": "This form had expired",
        "message": "Nothing was changed. Go back, reload the page and try again.",
        "code": 400,
    }
    return render_template("error.html", **data), 400


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    app.register_error_handler(CSRFError, on_csrf_error)
    app.add_template_filter(format_number, "number")
