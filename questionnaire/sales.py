"""The sales workspace under /sales: sign in, find assessments, open one, download, export.

Every endpoint of this blueprint (and of the admin one inside it) passes ``guard``
first, so a view added later is behind sign-in without anyone remembering a decorator.
"""

from __future__ import annotations

import json
import logging
import re
from datetime import date
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
    send_file,
    stream_with_context,
    url_for,
)
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField
from wtforms.validators import EqualTo, InputRequired, Length

from questionnaire import access, admin, auth, listing, users
from questionnaire import operations as ops
from questionnaire.extensions import db, login_manager
from questionnaire.forms import ConfirmForm
from questionnaire.models import Assessment, utcnow
from questionnaire.presenter import result_view, score_text

log = logging.getLogger(__name__)
bp = Blueprint("sales", __name__, url_prefix="/sales")
bp.register_blueprint(admin.bp, url_prefix="/admin")  # inside sales: behind its guard too


class LoginForm(FlaskForm):
    email = EmailField(
        "Email address",
        validators=[InputRequired("Enter your email address"), Length(max=254)],
    )
    password = PasswordField(
        "Password",
        validators=[
            InputRequired("Enter your password"),
            Length(max=auth.MAX_PASSWORD_LENGTH, message="Enter your password"),
        ],
    )


class PasswordForm(FlaskForm):
    current = PasswordField(
        "Current password",
        validators=[
            InputRequired("Enter your current password"),
            Length(max=auth.MAX_PASSWORD_LENGTH, message="Enter your current password"),
        ],
    )
    new = PasswordField(
        "New password",
        description=f"At least {auth.MIN_PASSWORD_LENGTH} characters. A few unrelated words "
        "make a password that is long and easy to remember.",
        validators=[
            InputRequired("Enter a new password"),
            Length(
                min=auth.MIN_PASSWORD_LENGTH,
                max=auth.MAX_PASSWORD_LENGTH,
                message=f"Use {auth.MIN_PASSWORD_LENGTH} to {auth.MAX_PASSWORD_LENGTH} "
                "characters for your new password",
            ),
        ],
    )
    confirm = PasswordField(
        "New password again",
        validators=[
            InputRequired("Enter your new password again"),
            EqualTo("new", "The two new passwords are not the same"),
        ],
    )


# --- guard -----------------------------------------------------------------------------


@bp.before_request
def guard():
    if request.endpoint == "sales.login":
        return None
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    minutes = current_app.config["SALES_IDLE_MINUTES"]
    if auth.idle_expired(minutes):
        # Only this browser's session ends: other devices of the same person carry on.
        auth.end_session()
        flash(f"You were signed out after {minutes} minutes without activity.", "info")
        back = safe_next(request.full_path) if request.method == "GET" else None
        return redirect(url_for("sales.login", next=back))
    auth.mark_seen()
    return None


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
    message, status = None, 200
    if form.validate_on_submit():
        message, status = sign_in(form.email.data, form.password.data)
        if message is None:
            return redirect(safe_next(request.args.get("next")) or url_for("sales.assessments"))
    elif request.method == "POST":
        status = 400
    html = render_template(
        "sales/login.html",
        form=form,
        message=message,
        errors=[(form[n].id, "", m) for n in ("email", "password") for m in form[n].errors],
    )
    if status == 429:
        return html, status, {"Retry-After": str(int(auth.THROTTLE_WINDOW.total_seconds()))}
    return html, status


def sign_in(email: str, password: str) -> tuple[str | None, int]:
    """Check the attempt and start a session; returns (message for the form, HTTP status)."""
    email, address, now = auth.normalise_email(email), auth.client_address(), utcnow()
    auth.purge_attempts(now)
    minutes = int(auth.THROTTLE_WINDOW.total_seconds() // 60)
    if auth.is_throttled(email, address, now):
        # The same words whether or not the account exists, and the password is not checked.
        return (
            f"Too many failed sign-in attempts. Signing in is paused for up to {minutes} "
            "minutes; try again later, or ask an administrator to reset your password.",
            429,
        )
    user = auth.check_credentials(email, password)
    if user is None or not user.active:
        auth.record_attempt(email, address, False, now)
        if user is not None:
            return "This account has been disabled. Ask an administrator to enable it.", 403
        return (
            "The email address or password is not right. After "
            f"{auth.MAX_FAILURES} failed attempts, signing in is paused for {minutes} minutes.",
            400,
        )
    auth.record_attempt(email, address, True, now)
    auth.start_session(user, now)
    return None, 200


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
        user, address, now = signed_in_user(), auth.client_address(), utcnow()
        # Wrong current passwords count towards the sign-in throttle: a session left open
        # must not become a way to guess the password faster than the sign-in page allows.
        if auth.is_throttled(user.email, address, now):
            status = 429
            form.current.errors.append(
                "Too many wrong passwords. Try again in "
                f"{int(auth.THROTTLE_WINDOW.total_seconds() // 60)} minutes."
            )
        elif not auth.password_matches(user, form.current.data):
            auth.record_attempt(user.email, address, False, now)
            status = 400
            form.current.errors.append("Your current password is not right")
        elif form.new.data == form.current.data:
            status = 400
            form.new.errors.append("Choose a password different from your current one")
        else:
            users.reset_password(user, form.new.data)  # also ends the user's other sessions
            auth.start_session(user, now)  # this one goes on, on a fresh session
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
        errors=[(form[n].id, "", m) for n in fields for m in form[n].errors],
    )
    return html, status


# --- the list and the export -----------------------------------------------------------


@bp.get("/")
def assessments():
    filters = listing.parse_filters(request.args)
    page = listing.page_of(filters)
    ranks = rating_ranks()
    return render_template(
        "sales/list.html",
        filters=filters,
        page=page,
        rows=[decorate(row) for row in page.rows],
        page_links=listing.page_numbers(page.number, page.pages),
        choices=listing.choices(list(ranks), filters.rating),
        statuses=listing.STATUS_LABELS,
        sorts=listing.SORTS,
        deal_breaker_choices=listing.DEAL_BREAKER_CHOICES,
        rating_rank=ranks,
        errors=[(name, "", message) for name, message in filters.errors],
    )


def rating_ranks() -> dict[str, str]:
    """Tag colour per rating label of the current bank: best green, worst red."""
    try:
        ratings = [r.label for r in ops.registry().current().ratings]
    except Exception:  # noqa: BLE001 - a broken bank must not break the list
        return {}
    last = len(ratings) - 1
    return {
        label: "met" if i == 0 else ("not_met" if i == last else "partly_met")
        for i, label in enumerate(ratings)
    }


def decorate(row: dict) -> dict:
    return {**row, "score_text": score_text(row["score"]) if row["status"] == "submitted" else ""}


@bp.get("/export.csv")
def export():
    filters = listing.parse_filters(request.args)
    user = signed_in_user()
    user_id, actor = user.id, access.actor_label(user)
    # url_for per row costs more than the rest of a row; build the links from one.
    link_base = url_for("sales.assessment", assessment_id=0, _external=True).removesuffix("0")

    def generate():
        yield listing.csv_text([], header=True)
        for batch in listing.batches(filters):
            # Recorded before the rows leave: a buyer may be told of an export that
            # failed part-way, never left unaware of one that reached the CRM.
            access.record_many([row["id"] for row in batch], user_id, actor, access.EXPORT)
            yield listing.csv_text([listing.csv_cells(r, f"{link_base}{r['id']}") for r in batch])

    filename = f"trustcheck-{filters.status}-{date.today().isoformat()}.csv"
    return Response(
        stream_with_context(generate()),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


# --- one assessment --------------------------------------------------------------------


def assessment_or_404(assessment_id: int) -> Assessment:
    assessment = db.session.get(Assessment, assessment_id)
    if assessment is None:
        abort(404)
    return assessment


@bp.get("/assessments/<id:assessment_id>")
def assessment(assessment_id: int):
    found = assessment_or_404(assessment_id)
    bank = ops.bank_of(found)
    details = contact_details(found)
    view = None
    sections = []
    if found.submitted:
        view = result_view(bank, found.answers, found.must_have, found.result)
    else:
        states = ops.section_states(bank, found)
        sections = [
            {
                "title": s.title,
                "state": states[s.id],
                "label": ops.SECTION_STATE_LABELS[states[s.id]],
            }
            for s in bank.sections
        ]
    access.record(found.id, signed_in_user(), access.VIEW)
    return render_template(
        "sales/assessment.html",
        assessment=details,
        view=view,
        sections=sections,
        pdf_ready="reports" in current_app.extensions,
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
    found = assessment_or_404(assessment_id)
    if not found.submitted:
        abort(409, "There is no report yet: the buyer has not submitted this assessment.")
    reports = current_app.extensions.get("reports")
    if reports is None:
        abort(503, "PDF reports are not available yet. Please try again later.")
    from questionnaire.report import ReportError, report_filename

    try:
        path = reports.pdf_path(found)
    except ReportError:
        log.exception("PDF report for assessment %s failed", found.id)
        abort(503, "The PDF report could not be made just now. Please try again in a minute.")
    filename = report_filename(found)
    access.record(found.id, signed_in_user(), access.PDF)
    response = send_file(
        path, mimetype="application/pdf", as_attachment=True, download_name=filename
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/assessments/<id:assessment_id>/answers.json")
def answers_json(assessment_id: int):
    found = assessment_or_404(assessment_id)
    body = json.dumps(ops.export_answers(found), indent=2, ensure_ascii=False)
    filename = f"trustcheck-{slug(found.company)}-{found.id}.json"
    access.record(found.id, signed_in_user(), access.ANSWERS)
    return Response(
        body,
        mimetype="application/json",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:40] or "assessment"


# --- wiring ----------------------------------------------------------------------------


def sales_context() -> dict:
    """Sales pages show who is signed in, and their sign-out button needs a CSRF token."""
    if has_request_context() and request.blueprint and request.blueprint.startswith("sales"):
        # Not bound to the request: it only renders a token, and reading the body here
        # would fail again inside the error page for a body that was too large (413).
        return {"button_form": ConfirmForm(formdata=None), "current_user": current_user}
    return {}


def mailto(email: str) -> str:
    """A mailto: link to exactly this address: "?", "&" and the like are percent-encoded,
    so an address the validator let through cannot add a cc or a body."""
    return "mailto:" + quote(email, safe="@")


def init_app(app: Flask) -> None:
    app.add_template_filter(mailto, "mailto")
    auth.init_app(app)
    app.register_blueprint(bp)
    app.context_processor(sales_context)
    users.init_app(app)
