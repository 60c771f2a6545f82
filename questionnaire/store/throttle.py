"""Limits shared by every web process, counted in the database: failed sign-ins per account
and per address, and assessments started per address.

An attempt is written (and committed) before it is judged, then judged by counting every
attempt in the window, its own included. However many arrive at once, no more than the
limit get through: the last one let through counts all those let through before it. One
refused is deleted again, so refusals do not make the pause longer.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, func, select

from questionnaire.store.db import db, rowcount
from questionnaire.store.models import LoginAttempt, StartAttempt

MAX_FAILURES = 5
THROTTLE_WINDOW = timedelta(minutes=15)
START_WINDOW = timedelta(hours=1)
ATTEMPTS_KEPT = timedelta(days=1)  # longer than any window: older attempts serve no limit


# --- signing in ----------------------------------------------------------------------------


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
    by_account = db.session.execute(
        select(func.count(LoginAttempt.id)).where(
            LoginAttempt.email == email, failed, LoginAttempt.created_at >= account_since
        )
    ).scalar_one()
    by_address = db.session.execute(
        select(func.count(LoginAttempt.id)).where(
            LoginAttempt.address == address, failed, LoginAttempt.created_at >= since
        )
    ).scalar_one()
    return by_account, by_address


def claim_sign_in(email: str, address: str, now: datetime) -> LoginAttempt | None:
    """An attempt to check a password, recorded as failed until ``succeeded``; or None
    when the account or the address has failed MAX_FAILURES times in the window, and the
    password must not be checked at all."""
    attempt = LoginAttempt(email=email, address=address, success=False, created_at=now)
    db.session.add(attempt)
    db.session.commit()
    by_account, by_address = recent_failures(email, address, now)  # this one included
    if by_account > MAX_FAILURES or by_address > MAX_FAILURES:
        db.session.delete(attempt)
        db.session.commit()
        return None
    return attempt


def succeeded(attempt: LoginAttempt) -> None:
    attempt.success = True
    db.session.commit()


# --- starting assessments --------------------------------------------------------------------


def claim_start(address: str, now: datetime, per_hour: int) -> bool:
    """Whether this address may start another assessment (``per_hour`` 0: no limit)."""
    if per_hour <= 0:
        return True
    attempt = StartAttempt(address=address, created_at=now)
    db.session.add(attempt)
    db.session.commit()
    started = db.session.execute(
        select(func.count(StartAttempt.id)).where(
            StartAttempt.address == address, StartAttempt.created_at >= now - START_WINDOW
        )
    ).scalar_one()
    if started > per_hour:
        db.session.delete(attempt)
        db.session.commit()
        return False
    return True


# --- housekeeping ------------------------------------------------------------------------------


def purge_attempts(now: datetime) -> int:
    """Delete attempts too old to count towards any limit; returns how many."""
    cutoff = now - ATTEMPTS_KEPT
    removed = db.session.execute(delete(LoginAttempt).where(LoginAttempt.created_at < cutoff))
    removed_starts = db.session.execute(
        delete(StartAttempt).where(StartAttempt.created_at < cutoff)
    )
    db.session.commit()
    return rowcount(removed) + rowcount(removed_starts)
