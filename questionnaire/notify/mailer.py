"""Sending e-mail without making anyone wait: a bounded queue and one sender thread.

A page hands over a finished letter and goes on; the sender thread talks to the mail
server (Flask-Mailman over SMTP, every step bounded by MAIL_TIMEOUT), tries again after
a short pause when the server could not be reached, and records the outcome in the
database (store.mails), where the buyer's page reads it. The letter itself is kept in
memory only: it may hold the buyer's secret link, and the database keeps none.

Other code finds it as ``services.mail()`` (a ``services.Mail``, or None when MAIL_SERVER
is not set): ``send``.
"""

from __future__ import annotations

import atexit
import logging
import queue
import smtplib
import threading
import time
from dataclasses import dataclass, replace

from flask import Flask
from flask_mailman import BadHeaderError, EmailMultiAlternatives, Mail

from questionnaire import services
from questionnaire.notify.background import wait_until_done
from questionnaire.store import mails

log = logging.getLogger(__name__)

QUEUE_SIZE = 200  # letters waiting in one web process; past this a letter fails at once
EXIT_WAIT_SECONDS = 10  # on shutdown, letters still queued get this long to go
# Refusals that another try will not change: a bad address, a message the server will
# not take, a header with a line break in it.
PERMANENT = (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused, BadHeaderError, ValueError)


@dataclass(frozen=True)
class Letter:
    """An e-mail ready to go: plain text and the same in HTML."""

    to: tuple[str, ...]
    subject: str
    text: str
    html: str


class Mailer:
    def __init__(self, app: Flask):
        self.app = app
        app.config["MAIL_BACKEND"] = "smtp"  # Flask-Mailman would keep mail in memory under TESTING
        self.mail = Mail(app)
        self.retry_delays: tuple[float, ...] = (2.0, 10.0)  # pauses before the 2nd and 3rd try
        self.letters: queue.Queue[tuple[int, Letter]] = queue.Queue(maxsize=QUEUE_SIZE)
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def send(self, assessment_id: int, kind: str, letter: Letter) -> int:
        """Record the letter and queue it; returns its record's id. Never waits for the
        mail server. Every letter counts against the hourly limits per address (raises
        store.mails.TooMany past them; a notice to the sales team goes to those of its
        addresses still under theirs). The record is committed in a unit of work of its own
        (call it with none open): the sender thread finishes it from another session."""
        secret = str(self.app.secret_key)
        limit = self.app.config["SALES_NOTICES_PER_HOUR"]
        with services.unit_of_work(self.app) as uow:
            if kind == mails.SALES_NOTICE:
                mail_id, allowed = mails.record_to_sales(secret, assessment_id, letter.to, limit)
            else:
                mail_id, allowed = mails.record_to_buyer(secret, assessment_id, kind), letter.to
            uow.commit()
        if allowed != letter.to:
            log.warning(
                "sales notice %s: %d of its %d addresses have had %d notices this hour "
                "and are left out",
                mail_id,
                len(letter.to) - len(allowed),
                len(letter.to),
                limit,
            )
            letter = replace(letter, to=allowed)
        self._start()
        try:
            self.letters.put_nowait((mail_id, letter))
        except queue.Full:
            log.error(
                "e-mail %s (%s) not sent: %d letters already waiting", mail_id, kind, QUEUE_SIZE
            )
            self._finish(mail_id, "not sent: too many e-mails waiting")
        return mail_id

    def waiting(self) -> int:
        """Letters queued in this process, not yet taken by the sender thread."""
        return self.letters.qsize()

    def wait_until_idle(self, seconds: float) -> bool:
        """Whether every queued letter was dealt with within ``seconds`` (tests, shutdown)."""
        return wait_until_done(self.letters, seconds)

    # --- the sender thread -----------------------------------------------------------------

    def _start(self) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="mail-sender", daemon=True)
                self._thread.start()
                atexit.register(self.wait_until_idle, EXIT_WAIT_SECONDS)

    def _run(self) -> None:
        while True:
            mail_id, letter = self.letters.get()
            try:
                with self.app.app_context():
                    error = self._deliver(letter)
                    self._finish(mail_id, error)
                if error:
                    log.error("e-mail %s could not be sent: %s", mail_id, error)
            except Exception:  # noqa: BLE001 - the thread must live on for the next letter
                log.exception("e-mail %s: recording its outcome failed", mail_id)
            finally:
                self.letters.task_done()

    def _finish(self, mail_id: int, error: str | None) -> None:
        with services.unit_of_work(self.app) as uow:
            mails.finish(mail_id, error)
            uow.commit()

    def _deliver(self, letter: Letter) -> str | None:
        """Send one letter, trying again after a pause if the server could not be
        reached; None, or why it was not sent (for operators: the log and the record)."""
        unsendable = [a for a in letter.to if not a.rpartition("@")[0].isascii()]
        if unsendable:
            # It would need SMTPUTF8; Flask-Mailman would send a mangled To: header instead.
            # (The start page refuses such addresses; this is for any stored before.)
            return "refused: an address with letters outside ASCII before the @"
        error = None
        for pause in (0.0, *self.retry_delays):
            time.sleep(pause)
            try:
                # As a context manager the connection is closed even when sending fails
                # (Flask-Mailman's own send() leaves it open then).
                with self.mail.get_connection() as connection:
                    message = EmailMultiAlternatives(
                        subject=letter.subject,
                        body=letter.text,
                        to=list(letter.to),
                        connection=connection,
                    )
                    message.attach_alternative(letter.html, "text/html")
                    message.send()
                return None
            except PERMANENT as exc:
                return f"refused: {type(exc).__name__}: {exc}"
            except (OSError, smtplib.SMTPException) as exc:
                error = f"{type(exc).__name__}: {exc}"
        return error


def init_app(app: Flask) -> None:
    if app.config.get("MAIL_SERVER"):
        services.provide(app, services.Mail, Mailer(app))
