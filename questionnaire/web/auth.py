"""Staff sign-in for the sales workspace: the sign-in and password pages (the ``auth``
blueprint, inside the sales one: /sales/login, /sales/logout, /sales/account/password),
sessions, throttling and roles.

Sessions are Flask's signed cookie. A session names the user as ``id:session_version``
(``User.get_id``), so bumping the version (password reset, disable, sign-out) makes
every copy of an older cookie worthless: a signed cookie cannot be revoked any other way.
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import TypedDict
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Flask,
    abort,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.sessions import SecureCookieSessionInterface
from flask_login import current_user, login_user, logout_user
from itsdangerous import URLSafeTimedSerializer
from werkzeug.middleware.proxy_fix import ProxyFix
from wtforms import Field

from questionnaire import services
from questionnaire.store import accounts, throttle
from questionnaire.store.db import db
from questionnaire.store.models import User, utcnow
from questionnaire.store.unit_of_work import UnitOfWork
from questionnaire.web.extensions import login_manager
from questionnaire.web.forms import LoginForm, PasswordForm, error_rows

bp = Blueprint("auth", __name__)
LOGIN = "sales.auth.login"  # its endpoint: the one page of the workspace open to anyone
OWN_PASSWORD = ("sales.auth.change_password", "sales.auth.logout")  # open while one is owed

SEEN_KEY = "sales_seen"  # epoch seconds of the last sales request, for idle expiry
STARTED_KEY = "sales_started"  # epoch seconds of sign-in, for the absolute lifetime

# Sign-in throttling is counted in the database: questionnaire.store.throttle.


def client_address() -> str:
    return (request.remote_addr or "unknown")[:64]


# --- sessions --------------------------------------------------------------------------


def start_session(uow: UnitOfWork, user: User, now: datetime) -> None:
    """Sign in on a fresh session: nothing from before sign-in survives (session fixation).
    Commits ``uow``, with what the caller changed."""
    session.clear()
    g.pop("csrf_token", None)  # Flask-WTF caches the token per request; make it issue a new one
    login_user(user)
    session[SEEN_KEY] = session[STARTED_KEY] = int(time.time())
    user.last_login_at = now
    uow.commit()


def end_session(user: User | None = None) -> None:
    """Sign out. Retiring the session version also voids copies of the cookie."""
    if user is not None and user.is_authenticated:
        with services.unit_of_work() as uow:
            user.session_version += 1
            uow.commit()
    logout_user()
    session.clear()
    g.pop("csrf_token", None)


def idle_expired(max_idle_minutes: int, now_seconds: float | None = None) -> bool:
    seen = session.get(SEEN_KEY)
    now_seconds = time.time() if now_seconds is None else now_seconds
    return not isinstance(seen, int) or now_seconds - seen > max_idle_minutes * 60


def too_old(max_hours: float, now_seconds: float | None = None) -> bool:
    """Signed in longer ago than ``max_hours``, however active since (SALES_SESSION_HOURS):
    a stolen cookie, or a machine left signed in, does not stay useful for ever."""
    started = session.get(STARTED_KEY)
    now_seconds = time.time() if now_seconds is None else now_seconds
    return not isinstance(started, int) or now_seconds - started > max_hours * 3600


def mark_seen() -> None:
    session[SEEN_KEY] = int(time.time())


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    """``id:session_version``; an older version, or a disabled account, is no session."""
    id_text, _, version_text = (user_id or "").partition(":")
    if not (id_text.isdigit() and version_text.isdigit()):
        return None
    user = db.session.get(User, int(id_text))
    if user is None or not user.active or user.session_version != int(version_text):
        return None
    return user


# --- the pages -------------------------------------------------------------------------


def safe_next(target: str | None) -> str | None:
    """A page of this workspace to return to after sign-in, never another site."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or "\\" in target or not parts.path.startswith("/sales/"):
        return None
    if parts.path in (url_for(LOGIN), url_for("sales.auth.logout")):
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


def signed_in_user() -> User:
    return current_user._get_current_object()


class LoginData(TypedDict):
    """templates/sales/login.html's data."""

    form: LoginForm
    message: str | None  # why signing in was refused, above the form
    errors: list[tuple[str, str, str]]  # the error summary's rows


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
    data: LoginData = {
        "form": form,
        "message": message,
        "errors": error_rows(form, ("email", "password")),
    }
    return render_template("sales/login.html", **data), status, headers


def sign_in(email: str, password: str) -> tuple[str | None, int, dict[str, str]]:
    """Check the attempt and start a session; returns (message for the form, HTTP status,
    headers)."""
    email, address, now = accounts.normalise_email(email), client_address(), utcnow()
    with services.unit_of_work() as uow:
        throttle.purge_attempts(now)
        try:
            attempt = throttle.claim_sign_in(uow, email, address, now)
        except throttle.SignInPaused as paused:
            # The same words whether or not the account exists, and the password is not
            # checked.
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
        start_session(uow, user, now)
    return None, 200, {}


@bp.post("/logout")
def logout():
    end_session(signed_in_user())
    flash("You have signed out.", "success")
    return redirect(url_for(LOGIN))


class ChangePasswordData(TypedDict):
    """templates/sales/change_password.html's data."""

    form: PasswordForm
    errors: list[tuple[str, str, str]]  # the error summary's rows


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
    data: ChangePasswordData = {
        "form": form,
        "errors": error_rows(form, ("current", "new", "confirm")),
    }
    return render_template("sales/change_password.html", **data), status


def add_error(field: Field, message: str) -> None:
    """A message under a field the form has validated."""
    field.errors = [*field.errors, message]


def set_own_password(form: PasswordForm) -> int:
    """Check the current password and set the new one; the HTTP status, errors on the form.

    Wrong current passwords count towards the sign-in throttle: a session left open must
    not become a way to guess the password faster than the sign-in page allows."""
    user, address, now = signed_in_user(), client_address(), utcnow()
    with services.unit_of_work() as uow:
        try:
            attempt = throttle.claim_sign_in(uow, user.email, address, now)
        except throttle.SignInPaused as paused:
            add_error(
                form.current, f"Too many wrong passwords. Try again in {paused.minutes} minutes."
            )
            return 429
        if not accounts.password_matches(user, form.current.data or ""):
            add_error(form.current, "Your current password is not right")
            return 400
        throttle.succeeded(attempt)
        uow.commit()  # the right password counts as such, whatever becomes of the new one
        if form.new.data == form.current.data:
            add_error(form.new, "Choose a password different from your current one")
            return 400
        try:
            accounts.reset_password(uow, user, form.new.data)  # ends the user's other sessions
        except accounts.UserError as exc:
            add_error(form.new, str(exc))
            return 400
        start_session(uow, user, now)  # this one goes on, on a fresh session
    return 302


# --- roles -----------------------------------------------------------------------------


def require_admin() -> None:
    if not current_user.is_authenticated:
        abort(login_manager.unauthorized())
    if not current_user.is_admin:
        abort(403, "This page is for administrators.")


# --- wiring ----------------------------------------------------------------------------


class SessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie session, marked Secure whenever the request came over HTTPS
    as well as when SESSION_COOKIE_SECURE forces it (plain-HTTP development keeps working),
    and with its serializer built once per set of keys rather than on every request.

    Every cookie is verified on every request: remembering verified cookies saved 0.05 ms
    a request, not worth a cache of what any visitor can make the site issue
    (docs/performance.md).
    """

    def __init__(self) -> None:
        self._keys: tuple | None = None
        self._serializer: URLSafeTimedSerializer | None = None

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"] or request.is_secure)

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        keys = (app.secret_key, *(app.config["SECRET_KEY_FALLBACKS"] or ()))
        if keys != self._keys:
            self._serializer = super().get_signing_serializer(app)
            self._keys = keys
        return self._serializer


def init_app(app: Flask) -> None:
    # current_user reaches templates through sales.sales_context only: the buyer's pages
    # never need it, and looking the user up on each of them was measurable.
    login_manager.init_app(app, add_context_processor=False)
    login_manager.login_view = LOGIN
    login_manager.login_message = "Sign in to use the sales workspace."
    login_manager.login_message_category = "info"
    app.session_interface = SessionInterface()
    hops = int(app.config.get("TRUSTED_PROXY_HOPS") or 0)
    if hops > 0:
        # Only behind a proxy we run: then X-Forwarded-For/-Proto give the client's
        # address (for throttling) and scheme (for the Secure cookie). Without this,
        # anyone could forge those headers, so it is off unless configured. The host is
        # the Host header, which docs/deploy.md's nginx passes on as the browser sent it;
        # it sets no X-Forwarded-Host, so one arriving here came from the client.
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]  # Flask's documented way to wrap it
            app.wsgi_app, x_for=hops, x_proto=hops, x_host=0
        )
