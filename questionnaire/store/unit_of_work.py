"""The unit of work: the one place a transaction is committed.

A view, a command or a background job opens one around the changes that belong
together, and commits them at once::

    with unit_of_work() as uow:          # questionnaire.services.unit_of_work
        ops.save_section(uow, assessment, bank, ...)
        access.add_event(...)
        uow.commit()

Store functions only flush: whatever they wrote is kept when the caller commits, and
leaving the ``with`` block rolls back anything not committed (an exception, a refusal
raised half-way, a path that forgot to commit), so nothing is ever half-saved.

A few store verbs are transactions by nature and take the unit of work to commit
through it: ``operations.with_retry`` (rolls back and applies its change again when
another request saved the row first), ``followup.mark_seen``, the throttles' write-then-
count claims, and a library job's step. They are given the unit of work, never open one.

It also carries the store's settings (``StoreSettings``): the store reads no app
configuration, it is told. Units of work do not nest: a second one opened inside the
first would commit or roll back the first one's changes, so it is refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import TracebackType

from questionnaire.store.db import db

OPEN = "trustcheck.unit_of_work"  # the session's info key while a unit of work is open


@dataclass(frozen=True)
class StoreSettings:
    """What the store is told of the app's settings (config.py parses them)."""

    lock_timeout: float  # DATABASE_LOCK_TIMEOUT: how long a save keeps trying
    webhooks: bool  # WEBHOOK_URL is set: changes queue their webhook
    answer_notices: bool  # MAIL_SERVER is set: written answers note the buyer's e-mail
    password_hash: str  # PASSWORD_HASH: Werkzeug's method (tests name a cheap one)
    draft_days: int  # DRAFT_RETENTION_DAYS
    submitted_days: int  # SUBMITTED_RETENTION_DAYS


class NestedUnitOfWork(RuntimeError):
    """A unit of work was opened while another was open on the same session."""


class UnitOfWork:
    """One transaction on the session, committed only by ``commit``."""

    def __init__(self, settings: StoreSettings):
        self.settings = settings
        self.session = db.session

    def __enter__(self) -> UnitOfWork:
        if self.session.info.get(OPEN):
            raise NestedUnitOfWork("a unit of work is open already: commit through that one")
        self.session.info[OPEN] = True
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        try:
            self.rollback()  # nothing, after a commit: no transaction is left open
        finally:
            self.session.info.pop(OPEN, None)

    def commit(self) -> None:
        self.session.commit()

    def rollback(self) -> None:
        self.session.rollback()
