"""Staff sign-in for the sales workspace: passwords, sessions, throttling and roles.

Sessions are Flask's signed cookie. A session names the user as ``id:session_version``
(``User.get_id``), so bumping the version (password reset, disable, sign-out) makes
every copy of an older cookie worthless: a signed cookie cannot be revoked any other way.
"""

from __future__ import annotations

import time
from datetime import datetime

from flask import Flask, abort, g, request, session
from flask.sessions import SecureCookieSessionInterface
from flask_login import current_user, login_user, logout_user
from itsdangerous import URLSafeTimedSerializer
from werkzeug.middleware.proxy_fix import ProxyFix

from questionnaire.store.db import db
from questionnaire.store.models import User
from questionnaire.web.extensions import login_manager

SEEN_KEY = "sales_seen"  # epoch seconds of the last sales request, for idle expiry
STARTED_KEY = "sales_started"  # epoch seconds of sign-in, for the absolute lifetime

# Sign-in throttling is counted in the database: questionnaire.store.throttle.


def client_address() -> str:
    return (request.remote_addr or "unknown")[:64]


# --- sessions --------------------------------------------------------------------------


def start_session(user: User, now: datetime) -> None:
    """Sign in on a fresh session: nothing from before sign-in survives (session fixation)."""
    session.clear()
    g.pop("csrf_token", None)  # Flask-WTF caches the token per request; make it issue a new one
    login_user(user)
    session[SEEN_KEY] = session[STARTED_KEY] = int(time.time())
    user.last_login_at = now
    db.session.commit()


def end_session(user: User | None = None) -> None:
    """Sign out. Retiring the session version also voids copies of the cookie."""
    if user is not None and user.is_authenticated:
        user.session_version += 1
        db.session.commit()
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
    login_manager.login_view = "sales.login"
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
