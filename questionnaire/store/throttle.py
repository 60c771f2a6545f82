"""Limits shared by every web process, counted in the database: failed sign-ins, and
assessments started per address.

Failed sign-ins are counted per (account, address), so wrong guesses from one network
never stop the account's owner signing in from another:
- one address may fail MAX_FAILURES times on one account in THROTTLE_WINDOW, and
  ADDRESS_FAILURES times over all accounts (guessing one password on many accounts);
- the slower account-wide back-off: once an account has failed sign-ins from
  BACKOFF_ADDRESSES other addresses within BACKOFF_WINDOW (a guesser with many
  addresses), each address may fail only once in BACKOFF_WINDOW on it. The first try from
  an address with no recent failure on the account is always checked, the owner's
  included.
A successful sign-in clears the count of its own (account, address); an administrator's
password reset clears every failure of the account.

An attempt is written (and committed, through the caller's unit of work) before it is judged, then judged by counting every
attempt in the window, its own included. However many arrive at once, no more than the
limit get through: the last one let through counts all those let through before it. One
refused is deleted again, so refusals do not make the pause longer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, delete, func, select

from questionnaire.store.db import db, rowcount
from questionnaire.store.models import LoginAttempt, StartAttempt
from questionnaire.store.unit_of_work import UnitOfWork

MAX_FAILURES = 5  # per account and address, in THROTTLE_WINDOW
ADDRESS_FAILURES = 20  # per address over every account, in THROTTLE_WINDOW
THROTTLE_WINDOW = timedelta(minutes=15)
BACKOFF_ADDRESSES = 5  # other addresses failing on one account that start its back-off
BACKOFF_WINDOW = timedelta(hours=1)
START_WINDOW = timedelta(hours=1)
ATTEMPTS_KEPT = timedelta(days=1)  # longer than any window: older attempts serve no limit


class SignInPaused(Exception):
    """Too many failed sign-ins: the password is not checked. ``minutes``: the longest
    the pause can last."""

    def __init__(self, minutes: int):
        super().__init__(f"paused for up to {minutes} minutes")
        self.minutes = minutes


@dataclass(frozen=True)
class Failures:
    pair: int  # of this account from this address, since the pair last signed in
    address: int  # from this address, on any account
    other_addresses: int  # other addresses failing on this account in BACKOFF_WINDOW
    pair_in_backoff: int  # of this account from this address in BACKOFF_WINDOW


# --- signing in ----------------------------------------------------------------------------


def recent_failures(email: str, address: str, now: datetime) -> Failures:
    """Failed attempts counted for the limits (see the module's docstring)."""
    since = now - THROTTLE_WINDOW
    failed = LoginAttempt.success.is_(False)
    pair = (LoginAttempt.email == email, LoginAttempt.address == address)
    last_success = db.session.scalar(
        select(func.max(LoginAttempt.created_at)).where(*pair, LoginAttempt.success.is_(True))
    )

    def count(*where: ColumnElement[bool]) -> int:
        return db.session.execute(
            select(func.count(LoginAttempt.id)).where(failed, *where)
        ).scalar_one()

    def pair_since(start: datetime) -> int:
        return count(*pair, LoginAttempt.created_at >= max(start, last_success or start))

    others = db.session.execute(
        select(func.count(func.distinct(LoginAttempt.address))).where(
            failed,
            LoginAttempt.email == email,
            LoginAttempt.address != address,
            LoginAttempt.created_at >= now - BACKOFF_WINDOW,
        )
    ).scalar_one()
    return Failures(
        pair=pair_since(since),
        address=count(LoginAttempt.address == address, LoginAttempt.created_at >= since),
        other_addresses=others,
        pair_in_backoff=pair_since(now - BACKOFF_WINDOW),
    )


def claim_sign_in(uow: UnitOfWork, email: str, address: str, now: datetime) -> LoginAttempt:
    """An attempt to check a password, recorded as failed until ``succeeded``; or
    SignInPaused when the password must not be checked at all. Commits ``uow`` (twice
    when refused): see the module's docstring."""
    attempt = LoginAttempt(email=email, address=address, success=False, created_at=now)
    db.session.add(attempt)
    uow.commit()
    failures = recent_failures(email, address, now)  # this one included
    paused = None
    if failures.pair > MAX_FAILURES or failures.address > ADDRESS_FAILURES:
        paused = int(THROTTLE_WINDOW.total_seconds() // 60)
    elif failures.other_addresses >= BACKOFF_ADDRESSES and failures.pair_in_backoff > 1:
        paused = int(BACKOFF_WINDOW.total_seconds() // 60)
    if paused:
        db.session.delete(attempt)
        uow.commit()
        raise SignInPaused(paused)
    return attempt


def succeeded(attempt: LoginAttempt) -> None:
    attempt.success = True
    db.session.flush()


def clear_failures(email: str) -> None:
    """An administrator has set a new password: whatever paused the account is over."""
    db.session.execute(
        delete(LoginAttempt).where(LoginAttempt.email == email, LoginAttempt.success.is_(False))
    )


# --- starting assessments --------------------------------------------------------------------


def claim_start(uow: UnitOfWork, address: str, now: datetime, per_hour: int) -> bool:
    """Whether this address may start another assessment (``per_hour`` 0: no limit).
    Commits ``uow``, as claim_sign_in does."""
    if per_hour <= 0:
        return True
    attempt = StartAttempt(address=address, created_at=now)
    db.session.add(attempt)
    uow.commit()
    started = db.session.execute(
        select(func.count(StartAttempt.id)).where(
            StartAttempt.address == address, StartAttempt.created_at >= now - START_WINDOW
        )
    ).scalar_one()
    if started > per_hour:
        db.session.delete(attempt)
        uow.commit()
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
    return rowcount(removed) + rowcount(removed_starts)
