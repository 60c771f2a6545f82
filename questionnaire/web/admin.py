"""Admin pages inside the sales workspace (/sales/admin): accounts, the bank in use, the
full access log. The sales blueprint's guard has already checked sign-in; ``admins_only``
adds the role check for every endpoint here."""

from __future__ import annotations

from datetime import UTC, datetime, time
from typing import Any, TypedDict

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import (  # type: ignore[attr-defined]  # types-WTForms 3.2 lacks SelectChoice
    DateField,
    EmailField,
    RadioField,
    SelectChoice,
    StringField,
)
from wtforms.validators import DataRequired, Email, InputRequired, Length, Optional

from questionnaire import services
from questionnaire.core.text import one_line
from questionnaire.store import access, accounts, apitokens, outbox
from questionnaire.store.banks import BankUnavailable
from questionnaire.store.db import db
from questionnaire.store.models import ApiToken, User, row_id, utcnow
from questionnaire.web import auth, queries
from questionnaire.web.forms import error_rows, tidy

bp = Blueprint("admin", __name__)
LOG_PAGE_SIZE = 50


class NewUserForm(FlaskForm):
    email = EmailField(
        "Email address",
        validators=[
            InputRequired("Enter the person's email address"),
            Length(max=254),
            Email("Enter an email address in the correct format, like name@example.com"),
        ],
    )
    name = StringField(
        "Full name",
        description="Buyers see this name in the list of who has opened their answers.",
        filters=[tidy],
        validators=[DataRequired("Enter the person's name"), Length(max=200)],
    )
    role = RadioField(
        "Role",
        choices=[
            SelectChoice("sales", "Sales: find, open, download and export assessments"),
            SelectChoice(
                "admin", "Admin: all of that, and manage accounts and see the full access log"
            ),
        ],
        default="sales",
        validators=[InputRequired("Choose a role")],
    )


class NewTokenForm(FlaskForm):
    name = StringField(
        "Name",
        description="Buyers see reads made with it as \u201cCRM integration NAME\u201d: use the "
        "CRM's name, like Salesforce.",
        filters=[tidy],
        validators=[DataRequired("Enter a name for the token"), Length(max=64)],
    )
    scope = RadioField(
        "What it may do",
        choices=[
            SelectChoice(
                "read write",
                "Read and write: read assessments, answer follow-ups, set owner and stage",
            ),
            SelectChoice("read", "Read only: the list, an assessment and the change feed"),
        ],
        default="read write",
        validators=[InputRequired("Choose what the token may do")],
    )
    expires = DateField(
        "Stops working on (optional)",
        description="A day in UTC, like 2027-06-30. Leave empty for a token that does not expire.",
        validators=[Optional()],
    )


@bp.before_request
def admins_only():
    auth.require_admin()


def not_yourself(user: User, what: str) -> None:
    if user.id == current_user.id:
        abort(400, f"You cannot {what} your own account here; ask another admin.")


@bp.get("/")
def index():
    return render_admin(NewUserForm())


class AdminData(TypedDict):
    """templates/sales/admin.html's data."""

    form: NewUserForm  # "Add an account", as typed
    users: list[dict[str, Any]]  # every account (store.accounts.all_users)
    bank: dict[str, Any]  # the bank in use and the file's problems (bank_status)
    errors: list[tuple[str, str, str]]  # the error summary's rows
    me: int  # the signed-in admin's user id: no buttons on their own row
    webhooks: dict[str, Any] | None  # counts and failures (store.outbox.problems); None: off


def render_admin(form: NewUserForm, status: int = 200):
    data: AdminData = {
        "form": form,
        "users": accounts.all_users(),
        "bank": bank_status(),
        "errors": error_rows(form, ("email", "name", "role")),
        "me": current_user.id,
        "webhooks": outbox.problems(outbox.WEBHOOK) if current_app.config["WEBHOOK_URL"] else None,
    }
    return render_template("sales/admin.html", **data), status


def bank_status() -> dict:
    """The bank new assessments start on, and why the file on disk is not it, if broken."""
    registry = services.banks()
    try:
        bank = registry.current()  # also re-reads the file if it changed
    except BankUnavailable:
        bank = None
    error = registry.last_error
    return {
        "path": registry.path,
        "version": bank.version if bank else None,
        "sha256": bank.sha256 if bank else None,
        "title": bank.title if bank else None,
        "questions": len(bank.questions) if bank else 0,
        "sections": len(bank.sections) if bank else 0,
        "loaded_at": registry.loaded_at,
        "error_at": error.at if error else None,
        "problems": [str(p) for p in error.problems] if error else [],
    }


@bp.post("/users")
def create_user():
    form = NewUserForm()
    if not form.validate_on_submit():
        return render_admin(form, 400)
    password = accounts.generate_password()
    try:
        with services.unit_of_work() as uow:
            user = accounts.create_user(
                uow,
                form.email.data or "",
                form.role.data,
                password,
                form.name.data or "",
                must_change_password=True,
            )
            uow.commit()
    except accounts.UserError as exc:
        form.email.errors = [*form.email.errors, str(exc)]
        return render_admin(form, 400)
    # Shown in this response only: never redirected through the (readable) session cookie.
    return password_page(user, password, new=True)


@bp.post("/users/<id:user_id>/disable")
def disable_user(user_id: int):
    return change_active(user_id, False)


@bp.post("/users/<id:user_id>/enable")
def enable_user(user_id: int):
    return change_active(user_id, True)


def change_active(user_id: int, active: bool):
    user = db.get_or_404(User, user_id)
    not_yourself(user, "disable" if not active else "enable")
    try:
        with services.unit_of_work() as uow:
            accounts.set_active(user, active)
            uow.commit()
    except accounts.UserError as exc:
        abort(400, str(exc))
    verb = "enabled: they can sign in again" if active else "disabled: their sessions have ended"
    flash(f"{user.email} is {verb}.", "success")
    return redirect(url_for("sales.admin.index"))


@bp.post("/users/<id:user_id>/reset-password")
def reset_password(user_id: int):
    user = db.get_or_404(User, user_id)
    not_yourself(user, "reset the password of")
    with services.unit_of_work() as uow:
        password = accounts.reset_password(uow, user, must_change_password=True)
        uow.commit()
    return password_page(user, password, new=False)


class PasswordData(TypedDict):
    """templates/sales/password.html's data."""

    user: dict[str, Any]  # email, name and role in words (user_view)
    password: str  # shown this once
    new: bool  # a new account's password; else a reset one's


def password_page(user: User, password: str, new: bool) -> str:
    data: PasswordData = {"user": user_view(user), "password": password, "new": new}
    return render_template("sales/password.html", **data)


@bp.get("/tokens")
def tokens():
    return render_tokens(NewTokenForm())


class TokensData(TypedDict):
    """templates/sales/tokens.html's data."""

    form: NewTokenForm  # "Make a token", as typed
    tokens: list[dict[str, Any]]  # every token (store.apitokens.all_tokens)
    now: datetime  # to tell the expired ones
    errors: list[tuple[str, str, str]]  # the error summary's rows


def render_tokens(form: NewTokenForm, status: int = 200):
    data: TokensData = {
        "form": form,
        "tokens": apitokens.all_tokens(),
        "now": utcnow(),
        "errors": error_rows(form, ("name", "scope", "expires")),
    }
    return render_template("sales/tokens.html", **data), status


class TokenCreatedData(TypedDict):
    """templates/sales/token_created.html's data."""

    name: str
    actor: str  # how buyers see its reads named
    token: str  # shown this once


@bp.post("/tokens")
def create_token():
    form = NewTokenForm()
    if not form.validate_on_submit():
        return render_tokens(form, 400)
    expires = None
    if form.expires.data is not None:
        expires = datetime.combine(form.expires.data, time.min, tzinfo=UTC)
    try:
        with services.unit_of_work() as uow:
            token = apitokens.create(form.name.data or "", tuple(form.scope.data.split()), expires)
            uow.commit()
    except apitokens.TokenError as exc:
        field = form.expires if "expiry" in str(exc) else form.name
        field.errors = [*field.errors, str(exc)]
        return render_tokens(form, 400)
    # Shown in this response only, like a new password.
    data: TokenCreatedData = {
        "name": form.data["name"],
        "actor": apitokens.actor_of(form.data["name"]),
        "token": token,
    }
    return render_template("sales/token_created.html", **data)


@bp.post("/tokens/<id:token_id>/revoke")
def revoke_token(token_id: int):
    found = db.get_or_404(ApiToken, token_id)
    with services.unit_of_work() as uow:
        apitokens.revoke(found.name)
        uow.commit()
    flash(f"The API token {found.name!r} is revoked: it stopped working at once.", "success")
    return redirect(url_for("sales.admin.tokens"))


def user_view(user: User) -> dict:
    return {"email": user.email, "name": user.name, "role": accounts.ROLE_LABELS[user.role]}


class AccessLogData(TypedDict):
    """templates/sales/access_log.html's data."""

    events: list[dict[str, Any]]  # one page of the log, newest first (store.access.log_page)
    total: int
    page: int
    pages: int
    filters: access.LogFilters
    assessment_id: int | None  # the one assessment shown, if filtered to one
    page_links: list[int | None]  # see queries.page_numbers
    actions: dict[str, str]  # the staff actions, in words
    errors: list[tuple[str, str, str]]  # the error summary's rows (bad dates)


@bp.get("/access-log")
def access_log():
    page = queries.page_number(request.args)
    errors: list = []
    filters = access.LogFilters(
        who=one_line(request.args.get("who") or "")[:100],
        action=action if (action := request.args.get("action", "")) in access.STAFF_ACTIONS else "",
        date_from=queries.day(request.args, "date_from", "From date", errors),
        date_to=queries.day(request.args, "date_to", "To date", errors),
        assessment_id=request.args.get("assessment", type=row_id),
    )
    found = access.log_page(page, LOG_PAGE_SIZE, filters)
    pages = max(1, -(-found["total"] // LOG_PAGE_SIZE))
    data: AccessLogData = {
        "events": found["events"],
        "total": found["total"],
        "page": found["page"],
        "pages": pages,
        "filters": filters,
        "assessment_id": filters.assessment_id,
        "page_links": queries.page_numbers(found["page"], pages),
        "actions": access.STAFF_ACTIONS,
        "errors": [(name, "", message) for name, message in errors],
    }
    return render_template("sales/access_log.html", **data)
