"""Staff accounts: passwords and small verbs shared by the admin pages and ``flask users``."""

from __future__ import annotations

import re
import secrets

from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash
from zxcvbn import zxcvbn

from questionnaire.core.text import one_line
from questionnaire.store import throttle
from questionnaire.store.db import db
from questionnaire.store.models import ROLES, User
from questionnaire.store.unit_of_work import UnitOfWork

ROLE_LABELS = {"sales": "Sales", "admin": "Admin"}
MIN_PASSWORD_LENGTH = 12
MIN_SCORE = 3  # zxcvbn's "safely unguessable: moderate protection from an offline attack"
MAX_PASSWORD_LENGTH = 200  # scrypt hashes any length; the bound keeps a request cheap

# Compared against when the account does not exist, so a wrong email costs the same
# time as a wrong password and the response time does not tell which accounts exist.
_DUMMY_HASH = generate_password_hash(secrets.token_urlsafe(16))


class WeakPassword(ValueError):
    """A password too short, too long or too easy to guess to accept."""


# --- passwords -------------------------------------------------------------------------


def hash_password(password: str, email: str, name: str = "", method: str = "scrypt") -> str:
    check_password_strength(password, email, name)
    # scrypt (Werkzeug's default, salted). Tests may name a cheaper method (PASSWORD_HASH):
    # each hash records its method, so checking works whatever made it.
    return generate_password_hash(password, method)


def check_password_strength(password: str, email: str, name: str = "") -> None:
    """Long enough, and not easy to guess: zxcvbn (Dropbox's estimator, with its lists of
    common passwords, words and names) must rate it 3 of 4 or better, and it must not be
    made from the person's own name or email address."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise WeakPassword(f"Use at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise WeakPassword(f"Use at most {MAX_PASSWORD_LENGTH} characters")
    personal = personal_words(email, name)
    squeezed = "".join(re.findall(r"[a-z0-9]+", password.lower()))
    if any(len(word) >= 4 and word in squeezed for word in personal):
        raise WeakPassword("Do not use your name or email address in your password")
    verdict = zxcvbn(password, user_inputs=personal, max_length=MAX_PASSWORD_LENGTH)
    if verdict["score"] < MIN_SCORE:
        why = verdict["feedback"]["warning"] or "It would be easy to guess."
        raise WeakPassword(f"Choose a password that is harder to guess. {why}".strip())


def personal_words(email: str, name: str) -> list[str]:
    """The parts of someone's email address and name a guesser would try first."""
    address = normalise_email(email)
    local = address.partition("@")[0]
    words = {address, local, *re.findall(r"[a-z0-9]+", local)}
    words.update(re.findall(r"[a-z0-9]+", name.lower()))
    return sorted(word for word in words if len(word) >= 3)


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


class UserError(ValueError):
    """A change to an account that cannot be made; the message says why."""


# The README's and `users check`'s stand-ins for a name: buyers would read them in their
# access log as the person who opened their answers.
PLACEHOLDER_NAMES = {"your name", "your own name"}


def check_name(name: str) -> None:
    """UserError for a stand-in such as "Your Name"."""
    if " ".join(name.split()).lower() in PLACEHOLDER_NAMES:
        raise UserError(
            f"“{name.strip()}” stands for the person's own name, which buyers see in their "
            "access log: give the real one"
        )


def create_user(
    uow: UnitOfWork,
    email: str,
    role: str,
    password: str,
    name: str,
    must_change_password: bool = False,
) -> User:
    """A new account. ``must_change_password``: the password was made by an admin, who has
    seen it, so the person must choose their own at their first sign-in."""
    email = normalise_email(email)
    name = one_line(name or "")[:200]
    if "@" not in email or len(email) < 3:
        raise UserError("Enter an email address, like name@example.com")
    if not name:
        # Buyers see it: in their access log and on written answers, never the address.
        raise UserError("Enter the person's name: buyers see it when they read who did what")
    check_name(name)
    if role not in ROLES:
        raise UserError(f"Role must be one of: {', '.join(ROLES)}")
    if find_user(email) is not None:
        raise UserError(f"There is already an account for {email}")
    try:
        password_hash = hash_password(password, email, name, uow.settings.password_hash)
    except WeakPassword as exc:
        raise UserError(str(exc)) from None
    user = User(
        email=email,
        name=name,
        role=role,
        password_hash=password_hash,
        must_change_password=must_change_password,
    )
    db.session.add(user)
    db.session.flush()
    return user


def set_active(user: User, active: bool) -> None:
    if not active and user.is_admin and user.active and active_admins() <= 1:
        raise UserError("This is the only active admin; enable another admin first")
    if user.active != active:
        user.active = active
        user.session_version += 1  # a disabled account's open sessions end now
        db.session.flush()


def reset_password(
    uow: UnitOfWork, user: User, password: str | None = None, must_change_password: bool = False
) -> str:
    """Set a new password (generated unless given) and end the user's sessions.
    ``must_change_password``: made by an admin, to be replaced at the next sign-in."""
    password = password or generate_password()
    try:
        user.password_hash = hash_password(
            password, user.email, user.name, uow.settings.password_hash
        )
    except WeakPassword as exc:
        raise UserError(str(exc)) from None
    user.must_change_password = must_change_password
    user.session_version += 1
    throttle.clear_failures(user.email)  # a sign-in pause ends with the new password
    db.session.flush()
    return password


def active_admins() -> int:
    return db.session.execute(
        select(func.count(User.id)).where(User.role == "admin", User.active.is_(True))
    ).scalar_one()


def user_count() -> int:
    return db.session.execute(select(func.count(User.id))).scalar_one()


def all_users() -> list[dict]:
    return [
        {
            "id": u.id,
            "email": u.email,
            "name": u.name,
            "role": u.role,
            "role_label": ROLE_LABELS.get(u.role, u.role),
            "active": u.active,
            "created_at": u.created_at,
            "last_login_at": u.last_login_at,
        }
        for u in db.session.scalars(select(User).order_by(User.active.desc(), User.email))
    ]
