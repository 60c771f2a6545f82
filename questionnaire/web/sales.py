"""The sales workspace under /sales: sign in, find assessments, open one, download, export.

Every endpoint of this blueprint (and of the admin one inside it) passes ``guard``
first, so a view added later is behind sign-in without anyone remembering a decorator.
"""

from __future__ import annotations

import logging
from datetime import date
from typing import Any
from urllib.parse import quote, urlsplit

from flask import (
    Blueprint,
    Flask,
    Response,
    abort,
    current_app,
    flash,
    has_request_context,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_login import current_user
from wtforms import Field

from questionnaire.core import progress
from questionnaire.core.presenter import score_text
from questionnaire.core.report_context import report_id_of
from questionnaire.core.scoring import METHOD
from questionnaire.core.summary import figure, plural
from questionnaire.current import the_app
from questionnaire.reports.service import ReportError
from questionnaire.store import access, accounts, crm, listing, open_questions, revisions, throttle
from questionnaire.store import followup as followup_store
from questionnaire.store import operations as ops
from questionnaire.store.db import db
from questionnaire.store.models import Assessment, utcnow
from questionnaire.web import admin, auth, downloads, followup, jobs, library, results
from questionnaire.web.extensions import login_manager
from questionnaire.web.forms import LoginForm, PasswordForm, error_rows

log = logging.getLogger(__name__)
bp = Blueprint("sales", __name__, url_prefix="/sales")
bp.register_blueprint(admin.bp, url_prefix="/admin")  # inside sales: behind its guard too
bp.register_blueprint(followup.bp)  # written answers, owner, stage, notes: guarded too
bp.register_blueprint(library.bp)  # the answer library: guarded too


# --- guard -----------------------------------------------------------------------------


@bp.before_request
def guard():
    if request.endpoint == "sales.login":
        return None
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    minutes = current_app.config["SALES_IDLE_MINUTES"]
    hours = current_app.config["SALES_SESSION_HOURS"]
    expired = None
    if auth.idle_expired(minutes):
        expired = f"You were signed out after {minutes} minutes without activity."
    elif auth.too_old(hours):
        expired = f"You were signed out: a session lasts at most {hours:g} hours."
    if expired:
        # Only this browser's session ends: other devices of the same person carry on.
        auth.end_session()
        flash(expired, "info")
        back = safe_next(request.full_path) if request.method == "GET" else None
        return redirect(url_for("sales.login", next=back))
    auth.mark_seen()
    if current_user.must_change_password and request.endpoint not in OWN_PASSWORD:
        flash(
            "Choose a password of your own before you go on: the one you signed in with was "
            "made by an administrator, who has seen it.",
            "info",
        )
        return redirect(url_for("sales.change_password"))
    jobs.keep_running(the_app())
    return refuse_cross_site()


OWN_PASSWORD = ("sales.change_password", "sales.logout")  # open while a new one is owed


# Views that record an access event, with what the link would do, in words.
RECORDED = {
    "sales.assessment": ("an assessment", "Open the assessment"),
    "sales.pdf": ("an assessment's PDF report", "Download the PDF report"),
    "sales.answers_json": ("an assessment's answers", "Download the answers (JSON)"),
    "sales.export": ("an export of assessments", "Export the list (CSV)"),
}
# Browsers say where a request comes from; "none" is a typed address or a bookmark.
OWN_SITE = ("same-origin", "none")


def refuse_cross_site():
    """Another site's link to a view that records access (the session cookie is sent with
    it) would make a buyer see events nobody chose: such links get a page with a button
    to open it from here instead. A CRM's link to an assessment still works, one click on."""
    if request.endpoint not in RECORDED:
        return None
    origin = request.headers.get("Sec-Fetch-Site")
    if origin is None or origin in OWN_SITE:
        return None
    what, action = RECORDED[request.endpoint]
    html = render_template(
        "sales/cross_site.html", what=what, action=action, target=request.full_path.rstrip("?")
    )
    return html, 403


def safe_next(target: str | None) -> str | None:
    """A page of this workspace to return to after sign-in, never another site."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or "\\" in target or not parts.path.startswith("/sales/"):
        return None
    if parts.path in (url_for("sales.login"), url_for("sales.logout")):
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


def signed_in_user():
    return current_user._get_current_object()


# --- sign in and out -------------------------------------------------------------------


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(safe_next(request.args.get("next")) or url_for("sales.assessments"))
    form = LoginForm()
    message: str | None = None
    status = 200
    headers: dict[str, str] = {}
    if form.validate_on_submit():
        message, status, headers = sign_in(form.email.data or "", form.password.data or "")
        if message is None:
            return redirect(safe_next(request.args.get("next")) or url_for("sales.assessments"))
    elif request.method == "POST":
        status = 400
    html = render_template(
        "sales/login.html",
        form=form,
        message=message,
        errors=error_rows(form, ("email", "password")),
    )
    return html, status, headers


def sign_in(email: str, password: str) -> tuple[str | None, int, dict]:
    """Check the attempt and start a session; returns (message for the form, HTTP status,
    headers)."""
    email, address, now = accounts.normalise_email(email), auth.client_address(), utcnow()
    throttle.purge_attempts(now)
    try:
        attempt = throttle.claim_sign_in(email, address, now)
    except throttle.SignInPaused as paused:
        # The same words whether or not the account exists, and the password is not checked.
        return (
            "Too many failed sign-in attempts from your network. Signing in from here is "
            f"paused for up to {paused.minutes} minutes; try again later, or ask an "
            "administrator to reset your password, which ends the pause.",
            429,
            {"Retry-After": str(paused.minutes * 60)},
        )
    user = accounts.check_credentials(email, password)
    if user is None:
        return (
            "The email address or password is not right. After a few more failed attempts, "
            "signing in from your network is paused for a while.",
            400,
            {},
        )
    if not user.active:  # the password was right: no guess, but no session either
        return "This account has been disabled. Ask an administrator to enable it.", 403, {}
    throttle.succeeded(attempt)
    auth.start_session(user, now)
    return None, 200, {}


@bp.post("/logout")
def logout():
    auth.end_session(signed_in_user())
    flash("You have signed out.", "success")
    return redirect(url_for("sales.login"))


@bp.route("/account/password", methods=["GET", "POST"])
def change_password():
    """A person's own password: an admin-set one is known to the admin until changed."""
    form = PasswordForm()
    status = 200
    if form.validate_on_submit():
        status = set_own_password(form)
        if status == 302:
            flash(
                "Your password has been changed. Any other sessions of yours have ended.", "success"
            )
            return redirect(url_for("sales.assessments"))
    elif request.method == "POST":
        status = 400
    fields = ("current", "new", "confirm")
    html = render_template(
        "sales/change_password.html",
        form=form,
        errors=error_rows(form, fields),
    )
    return html, status


def add_error(field: Field, message: str) -> None:
    """A message under a field the form has validated."""
    field.errors = [*field.errors, message]


def set_own_password(form: PasswordForm) -> int:
    """Check the current password and set the new one; the HTTP status, errors on the form.

    Wrong current passwords count towards the sign-in throttle: a session left open must
    not become a way to guess the password faster than the sign-in page allows."""
    user, address, now = signed_in_user(), auth.client_address(), utcnow()
    try:
        attempt = throttle.claim_sign_in(user.email, address, now)
    except throttle.SignInPaused as paused:
        add_error(form.current, f"Too many wrong passwords. Try again in {paused.minutes} minutes.")
        return 429
    if not accounts.password_matches(user, form.current.data or ""):
        add_error(form.current, "Your current password is not right")
        return 400
    throttle.succeeded(attempt)
    if form.new.data == form.current.data:
        add_error(form.new, "Choose a password different from your current one")
        return 400
    try:
        accounts.reset_password(user, form.new.data)  # also ends the user's other sessions
    except accounts.UserError as exc:
        add_error(form.new, str(exc))
        return 400
    auth.start_session(user, now)  # this one goes on, on a fresh session
    return 302


# --- the list and the export -----------------------------------------------------------


@bp.get("/")
def assessments():
    filters = listing.parse_filters(request.args)
    page = listing.page_of(filters)
    ranks = rating_ranks()
    ids = [row["id"] for row in page.rows]
    revised = revisions.latest_revisions(ids)
    in_library = open_questions.library_counts(ids)
    return render_template(
        "sales/list.html",
        filters=filters,
        page=page,
        rows=[
            decorate(row, revised.get(row["id"]), in_library.get(row["id"], 0)) for row in page.rows
        ],
        page_links=listing.page_numbers(page.number, page.pages),
        choices=listing.choices(list(ranks), filters.rating),
        statuses=listing.STATUS_LABELS,
        sorts=listing.SORTS,
        deal_breaker_choices=listing.DEAL_BREAKER_CHOICES,
        state_choices=listing.STATE_CHOICES,
        library_choices=listing.LIBRARY_CHOICES,
        rating_rank=ranks,
        errors=[(name, "", message) for name, message in filters.errors],
        **followup.list_context(),
    )


TAG_OF_TONE = {"good": "met", "fair": "partly_met", "poor": "not_met"}  # the status tags' colours


def rating_ranks() -> dict[str, str]:
    """Tag colour per rating label of the current bank: best green, worst red."""
    try:
        bank = ops.registry().current()
    except Exception:  # noqa: BLE001 - a broken bank must not break the list
        return {}
    return {r.label: TAG_OF_TONE[bank.rating_tone(r.label)] for r in bank.ratings}


def decorate(row: dict, revised: dict | None = None, in_library: int = 0) -> dict:
    """A list row with its score and state in words, its links to other revisions and how
    many of its open questions a library answer fits."""
    original = row["revision_of_id"]
    submitted = row["status"] == "submitted"
    return {
        **row,
        **(state_words(row) if submitted else {"score_text": "", "state_words": None}),
        "revision_of": {"id": original, "name": report_id_of(original)} if original else None,
        "revised_by": revised,
        "in_library": in_library,
    }


STATE_LABELS = {"rated": "Rated", "provisional": "Not yet rated", "not_rated": "Not rated"}


def state_words(row: dict) -> dict:
    """A submitted row's score and state in words, from its list columns: ``score_text``
    for the Score column (a fit/3 range where the open points leave one, never a point
    the evidence cannot carry), and ``state_words`` for the Rating column (the state of a
    result that has no band, and what the range depends on)."""
    summary = row["summary"] or {}
    state = row["state"] or summary.get("state")
    found = summary.get("score_range") if summary.get("method") == METHOD else None
    open_points = summary.get("open_points") or 0
    text = score_text(row["score"])
    if found and figure(found["low"]) != figure(found["high"]):
        text = f"{figure(found['low'])} to {figure(found['high'])}"
    elif found:
        text = figure(found["low"])
    depending = f"depending on {plural(open_points, 'open point')}" if found and open_points else ""
    label = STATE_LABELS.get(state or "", "Not rated")
    return {"score_text": text, "state_words": {"state": state, "label": label, "range": depending}}


@bp.get("/export.csv")
def export():
    filters = listing.parse_filters(request.args)
    if filters.errors:  # never a wider export than asked for: show the list and its errors
        args: dict[str, Any] = request.args.to_dict()
        return redirect(url_for("sales.assessments", **args))
    user = signed_in_user()
    user_id, actor = user.id, access.actor_label(user)
    owners = followup_store.owner_names()
    # url_for per row costs more than the rest of a row; build the links from one.
    link_base = url_for("sales.assessment", assessment_id=0, _external=True).removesuffix("0")

    def generate():
        yield listing.csv_text([], header=True)
        for batch in listing.batches(filters):
            # Recorded before the rows leave: a buyer may be told of an export that
            # failed part-way, never left unaware of one that reached the CRM.
            access.record_many([row["id"] for row in batch], user_id, actor, access.EXPORT)
            links = crm.Links.of(batch)
            yield listing.csv_text(
                [listing.csv_cells(r, f"{link_base}{r['id']}", owners, links) for r in batch]
            )

    filename = f"trustcheck-{filters.status}-{date.today().isoformat()}.csv"
    return Response(
        stream_with_context(generate()),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


# --- one assessment --------------------------------------------------------------------


@bp.get("/assessments/<id:assessment_id>")
def assessment(assessment_id: int):
    found = db.get_or_404(Assessment, assessment_id)
    bank = ops.bank_of(found)
    details = contact_details(found)
    view = None
    sections = []
    if found.submitted:
        view = results.page_view(bank, found)
    else:
        states = progress.section_states(bank, found.answers, found.progress)
        sections = progress.section_rows(bank, states)
    access.record(found.id, signed_in_user(), access.VIEW, after_save=followup.after_save(found.id))
    return render_template(
        "sales/assessment.html",
        assessment=details,
        view=view,
        sections=sections,
        revision=revisions.links(found),
        follow=followup.panel(found, bank),
    )


def contact_details(assessment: Assessment) -> dict:
    return {
        "id": assessment.id,
        "company": assessment.company,
        "name": assessment.contact_name,
        "email": assessment.email,
        "status": assessment.status,
        "submitted": assessment.submitted,
        "consent_at": assessment.consent_at,
        "created_at": assessment.created_at,
        "updated_at": assessment.updated_at,
        "submitted_at": assessment.submitted_at,
        "bank_version": assessment.bank_version,
        "score": assessment.score,
        "rating": assessment.rating,
        "deal_breakers": assessment.deal_breakers,
    }


@bp.get("/assessments/<id:assessment_id>/report.pdf")
def pdf(assessment_id: int):
    found = db.get_or_404(Assessment, assessment_id)
    if not found.submitted:
        abort(409, "There is no report yet: the buyer has not submitted this assessment.")
    try:
        report = downloads.ready_pdf(found)  # waits as long as a buyer's download, no longer
    except ReportError:
        log.exception("PDF report for assessment %s failed", found.id)
        abort(503, "The PDF report could not be made just now. Please try again in a minute.")
    if report is None:
        return downloads.preparing_page(
            "The report is being prepared",
            url_for("sales.pdf", assessment_id=found.id),
            back=(url_for("sales.assessment", assessment_id=found.id), "Back to the assessment"),
            layout="sales/layout.html",
        )
    access.record(found.id, signed_in_user(), access.PDF)
    return downloads.pdf_download(report, found)


@bp.get("/assessments/<id:assessment_id>/answers.json")
def answers_json(assessment_id: int):
    found = db.get_or_404(Assessment, assessment_id)
    access.record(found.id, signed_in_user(), access.ANSWERS)
    return downloads.answers_download(found, numbered=True)


# --- wiring ----------------------------------------------------------------------------


def sales_context() -> dict:
    """Sales pages show who is signed in."""
    if has_request_context() and request.blueprint and request.blueprint.startswith("sales"):
        return {"current_user": current_user}
    return {}


def mailto(email: str) -> str:
    """A mailto: link to exactly this address: "?", "&" and the like are percent-encoded,
    so an address the validator let through cannot add a cc or a body."""
    return "mailto:" + quote(email, safe="@")


def init_app(app: Flask) -> None:
    app.add_template_filter(mailto, "mailto")
    followup.init_app(app)
    auth.init_app(app)
    app.register_blueprint(bp)
    app.context_processor(sales_context)
