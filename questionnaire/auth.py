"""Staff sign-in for the sales workspace: passwords, sessions, throttling and roles.

Sessions are Flask's signed cookie. A session names the user as ``id:session_version``
(``User.get_id``), so bumping the version (password reset, disable, sign-out) makes
every copy of an older cookie worthless: a signed cookie cannot be revoked any other way.
"""

from __future__ import annotations

import copy
import secrets
import time
from collections import OrderedDict
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import wraps

from flask import Flask, abort, current_app, g, request, session
from flask.sessions import SecureCookieSessionInterface
from flask_login import current_user, login_user, logout_user
from itsdangerous import BadSignature
from sqlalchemy import delete, func, select
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.security import check_password_hash, generate_password_hash

from questionnaire.extensions import db, login_manager
from questionnaire.models import LoginAttempt, User
from questionnaire.text import one_line

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 200  # scrypt hashes any length; the bound keeps a request cheap
MAX_FAILURES = 5
THROTTLE_WINDOW = timedelta(minutes=15)
ATTEMPTS_KEPT = timedelta(days=1)
SEEN_KEY = "sales_seen"  # epoch seconds of the last sales request, for idle expiry

# Compared against when the account does not exist, so a wrong email costs the same
# time as a wrong password and the response time does not tell which accounts exist.
_DUMMY_HASH = generate_password_hash(secrets.token_urlsafe(16))


class WeakPassword(ValueError):
    """A password that is too short or too long to accept."""


# --- passwords -------------------------------------------------------------------------


def hash_password(password: str) -> str:
    check_password_strength(password)
    # scrypt (Werkzeug's default, salted). Tests may name a cheaper method: each hash
    # records its method, so checking works whatever made it.
    return generate_password_hash(password, current_app.config.get("PASSWORD_HASH", "scrypt"))


def check_password_strength(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise WeakPassword(f"Use at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise WeakPassword(f"Use at most {MAX_PASSWORD_LENGTH} characters")


def generate_password() -> str:
    return secrets.token_urlsafe(15)  # 20 characters, 120 random bits


def normalise_email(email: str) -> str:
    return one_line(email or "").lower()[:254]


def find_user(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == normalise_email(email)))


def check_credentials(email: str, password: str) -> User | None:
    """The user whose password this is (active or not), else None; same cost either way."""
    user = find_user(email)
    if user is None or len(password) > MAX_PASSWORD_LENGTH:
        check_password_hash(_DUMMY_HASH, password[:MAX_PASSWORD_LENGTH])
        return None
    return user if password_matches(user, password) else None


def password_matches(user: User, password: str) -> bool:
    return len(password) <= MAX_PASSWORD_LENGTH and check_password_hash(
        user.password_hash, password
    )


# --- throttling ------------------------------------------------------------------------


def recent_failures(email: str, address: str, now: datetime) -> tuple[int, int]:
    """Failed attempts in the window: (for this account, from this address).

    A successful sign-in clears the account's count but not the address's: one good
    password must not let an address go on guessing other accounts' passwords.
    """
    since = now - THROTTLE_WINDOW
    last_success = db.session.scalar(
        select(func.max(LoginAttempt.created_at)).where(
            LoginAttempt.email == email, LoginAttempt.success.is_(True)
        )
    )
    account_since = max(since, last_success) if last_success else since
    failed = LoginAttempt.success.is_(False)
    by_account = db.session.scalar(
        select(func.count(LoginAttempt.id)).where(
            LoginAttempt.email == email, failed, LoginAttempt.created_at >= account_since
        )
    )
    by_address = db.session.scalar(
        select(func.count(LoginAttempt.id)).where(
            LoginAttempt.address == address, failed, LoginAttempt.created_at >= since
        )
    )
    return by_account, by_address


def is_throttled(email: str, address: str, now: datetime) -> bool:
    by_account, by_address = recent_failures(email, address, now)
    return by_account >= MAX_FAILURES or by_address >= MAX_FAILURES


def record_attempt(email: str, address: str, success: bool, now: datetime) -> None:
    db.session.add(LoginAttempt(email=email, address=address, success=success, created_at=now))
    db.session.commit()


def purge_attempts(now: datetime) -> None:
    """Old attempts serve no throttle; dropping them on each sign-in keeps the table small."""
    db.session.execute(delete(LoginAttempt).where(LoginAttempt.created_at < now - ATTEMPTS_KEPT))
    db.session.commit()


def client_address() -> str:
    return (request.remote_addr or "unknown")[:64]


# --- sessions --------------------------------------------------------------------------


def start_session(user: User, now: datetime) -> None:
    """Sign in on a fresh session: nothing from before sign-in survives (session fixation)."""
    session.clear()
    g.pop("csrf_token", None)  # Flask-WTF caches the token per request; make it issue a new one
    login_user(user)
    session[SEEN_KEY] = int(time.time())
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


def admin_required(view: Callable) -> Callable:
    @wraps(view)
    def wrapped(*args, **kwargs):
        require_admin()
        return view(*args, **kwargs)

    return wrapped


def require_admin() -> None:
    if not current_user.is_authenticated:
        abort(login_manager.unauthorized())
    if not current_user.is_admin:
        abort(403, "This page is for administrators.")


# --- wiring ----------------------------------------------------------------------------


class SessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie session, with two changes.

    The cookie is marked Secure whenever the request came over HTTPS, as well as when
    SESSION_COOKIE_SECURE forces it (plain-HTTP development keeps working).

    A cookie already verified is not verified again: the same string under the same keys
    always gives the same answer, so the last few thousand are remembered with what they
    hold and when they were signed (the age limit is still checked on every request).
    Checking the signature, two HMACs and a decompression, was a tenth of a wizard step.
    """

    VERIFIED_KEPT = 4096

    def __init__(self) -> None:
        self._keys: tuple | None = None
        self._serializer = None
        self._verified: OrderedDict[str, tuple[dict, datetime]] = OrderedDict()

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"] or request.is_secure)

    def get_signing_serializer(self, app: Flask):
        keys = (app.secret_key, *(app.config["SECRET_KEY_FALLBACKS"] or ()))
        if keys != self._keys:  # built once per set of keys, not per request
            self._serializer = super().get_signing_serializer(app)
            self._keys = keys
            self._verified.clear()
        return self._serializer

    def open_session(self, app: Flask, request):
        serializer = self.get_signing_serializer(app)
        if serializer is None:
            return None
        value = request.cookies.get(self.get_cookie_name(app))
        if not value:
            return self.session_class()
        max_age = app.permanent_session_lifetime
        known = self._verified.get(value)
        if known is None:
            try:
                data, signed = serializer.loads(
                    value, max_age=int(max_age.total_seconds()), return_timestamp=True
                )
            except BadSignature:
                return self.session_class()
            known = self._verified[value] = (data, signed)
            if len(self._verified) > self.VERIFIED_KEPT:
                self._verified.popitem(last=False)
        data, signed = known
        if datetime.now(UTC) - signed > max_age:
            self._verified.pop(value, None)
            return self.session_class()
        return self.session_class(copy.deepcopy(data))  # views may change nested values


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
        # anyone could forge those headers, so it is off unless configured.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
