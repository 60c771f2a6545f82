"""The app's services, found by type: what each offers (a ``typing.Protocol``), and one
typed accessor per service, for every layer above the store.

The factory makes each service and registers it under its protocol (``provide``); code
that needs one asks for it by type (``reports()``, ``banks()``...), never by a string key
into ``app.extensions``. A registered object is checked against its protocol at start-up,
so a missing method fails ``create_app``, not the first request that needs it.

Also here: the store's settings read from the app's configuration, and the unit of work
built with them (store.unit_of_work), for views, commands and background jobs.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol, cast, runtime_checkable

from flask import Flask, current_app

from questionnaire.core.bank import Bank
from questionnaire.store.banks import BanksBySha, LoadError
from questionnaire.store.models import Assessment
from questionnaire.store.unit_of_work import StoreSettings, UnitOfWork

KEY = "trustcheck.services"  # app.extensions[KEY]: {protocol: service}


# --- what each service offers -------------------------------------------------------------


@runtime_checkable
class Banks(BanksBySha, Protocol):
    """The question banks (store.banks.BankRegistry): the one new assessments start on, and
    any assessment's own bank by its hash."""

    path: str
    last_error: LoadError | None
    loaded_at: datetime | None

    def current(self) -> Bank: ...


@runtime_checkable
class ReportQueueHandle(Protocol):
    """The Redis queue reports are drawn from (reports.queue.ReportQueue)."""

    url: str

    def connection(self) -> Any: ...


@runtime_checkable
class Reports(Protocol):
    """The PDF reports (reports.service.ReportService)."""

    wait_seconds: float
    queue: ReportQueueHandle | None

    def wait(self, assessment: Assessment, seconds: float) -> Path | None: ...
    def pdf_path(self, assessment: Assessment, timeout: float | None = None) -> Path: ...
    def schedule(self, assessment: Assessment) -> None: ...
    def discard(self, assessment_id: int) -> None: ...
    def prune(self) -> int: ...
    def render_bytes(self, context: dict) -> bytes: ...
    def render_queued(self, assessment_id: int, key: str) -> str: ...
    def warm(self) -> None: ...
    def ready(self) -> None: ...


class Letter(Protocol):
    """An e-mail ready to go (notify.mailer.Letter)."""

    @property
    def to(self) -> tuple[str, ...]: ...
    @property
    def subject(self) -> str: ...
    @property
    def text(self) -> str: ...
    @property
    def html(self) -> str: ...


@runtime_checkable
class Mail(Protocol):
    """The e-mail sender (notify.mailer.Mailer); there is none when MAIL_SERVER is unset."""

    def send(self, assessment_id: int, kind: str, letter: Letter) -> int: ...
    def waiting(self) -> int: ...
    def wait_until_idle(self, seconds: float) -> bool: ...


@runtime_checkable
class Courier(Protocol):
    """Background work woken after a commit: webhook delivery (notify.webhooks)."""

    def kick(self) -> None: ...


@runtime_checkable
class Runner(Courier, Protocol):
    """A background thread that is also started on its own, to find work a stopped process
    left: the answer library's jobs (web.jobs) and the buyers' answered e-mails
    (notify.answered)."""

    def start(self) -> None: ...


@runtime_checkable
class Webhooks(Courier, Protocol):
    """Delivers the outbox's webhooks (notify.webhooks.Courier)."""


@runtime_checkable
class AnswerNotices(Runner, Protocol):
    """Sends the buyers' "the provider answered" e-mails (notify.answered.Notifier)."""


@runtime_checkable
class LibraryJobs(Runner, Protocol):
    """Runs "apply to every open assessment" (web.jobs.JobRunner)."""


@runtime_checkable
class LostLinks(Protocol):
    """Looks up the addresses asked about on the start page and e-mails each its
    assessments, off the request path (web.lost_link.Requests); there is none without
    e-mail."""

    def ask(self, address: str) -> None: ...
    def wait_until_idle(self, seconds: float) -> bool: ...


# --- registering and finding --------------------------------------------------------------


def _registry(app: Flask) -> dict[type, object]:
    return app.extensions.setdefault(KEY, {})


def provide(app: Flask, kind: type, service: object) -> None:
    """Register ``service`` as the app's ``kind``; TypeError if it does not offer what
    ``kind`` says (every method and attribute the protocol names)."""
    if not isinstance(service, kind):
        raise TypeError(f"{type(service).__name__} is not a {kind.__name__}")
    _registry(app)[kind] = service


def _find(kind: type, app: Flask | None) -> Any:
    """The app's ``kind`` (checked by ``provide``), or None when the app runs without it."""
    return _registry(app or current_app).get(kind)


def _need(kind: type, app: Flask | None) -> Any:
    found = _find(kind, app)
    if found is None:
        raise LookupError(f"the app has no {kind.__name__}")
    return found


def banks(app: Flask | None = None) -> Banks:
    return cast(Banks, _need(Banks, app))


def reports(app: Flask | None = None) -> Reports:
    return cast(Reports, _need(Reports, app))


def mail(app: Flask | None = None) -> Mail | None:
    """The e-mail sender, or None when e-mail is off."""
    return cast("Mail | None", _find(Mail, app))


def webhooks(app: Flask | None = None) -> Webhooks | None:
    """The webhook courier, or None (no WEBHOOK_URL, or delivered by hand: tests, cron)."""
    return cast("Webhooks | None", _find(Webhooks, app))


def answer_notices(app: Flask | None = None) -> AnswerNotices | None:
    return cast("AnswerNotices | None", _find(AnswerNotices, app))


def library_jobs(app: Flask | None = None) -> LibraryJobs | None:
    return cast("LibraryJobs | None", _find(LibraryJobs, app))


def lost_links(app: Flask | None = None) -> LostLinks | None:
    """The lost-link e-mails, or None when e-mail is off."""
    return cast("LostLinks | None", _find(LostLinks, app))


# --- the store's settings and the unit of work ----------------------------------------------


def store_settings(app: Flask | None = None) -> StoreSettings:
    """The settings the store is told (it reads no configuration itself)."""
    config: Mapping[str, Any] = (app or current_app).config
    return StoreSettings(
        lock_timeout=float(config["DATABASE_LOCK_TIMEOUT"]),
        webhooks=bool(config.get("WEBHOOK_URL")),
        answer_notices=bool(config.get("MAIL_SERVER")),
        password_hash=config.get("PASSWORD_HASH") or "scrypt",
        draft_days=int(config["DRAFT_RETENTION_DAYS"]),
        submitted_days=int(config["SUBMITTED_RETENTION_DAYS"]),
    )


def unit_of_work(app: Flask | None = None) -> UnitOfWork:
    """A unit of work on the current app context's session, with the app's settings."""
    return UnitOfWork(store_settings(app))
