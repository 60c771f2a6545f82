"""Helpers shared by the test packages: reading responses, signing staff in, reading PDFs.

Fixtures live in the conftest files; these are plain functions and classes.
"""

from __future__ import annotations

import asyncio
import hashlib
import http.server
import json
import os
import re
import secrets
import textwrap
import threading
import time
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage
from io import BytesIO
from pathlib import Path

from pypdf import PdfReader
from rq.timeouts import TimerDeathPenalty
from sqlalchemy import select

from questionnaire import services
from questionnaire.reports.queue import ReportWorker, make_worker
from questionnaire.store.accounts import create_user
from questionnaire.store.db import db
from questionnaire.store.models import SUBMITTED, Assessment, BankSnapshot, hash_token, utcnow

PASSWORD = "correct-horse-battery"
# A cheap hash keeps the suite quick; production hashes with scrypt (see accounts.hash_password).
FAST = {"PASSWORD_HASH": "pbkdf2:sha256:1000"}
LOGIN = "/sales/login"
CSRF_FIELD = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')

# A small bank with every question type, written as YAML text (tests/core/conftest.py
# makes it a fixture).
SMALL_BANK = textwrap.dedent(
    """\
    schema: 3
    version: "1.0"
    title: Small bank
    provider: {name: Example Cloud, source: Trust page, url: "https://trust.example.com/", as_of: 2025-09-01}
    ratings:
      - {min: 85, label: Strong fit}
      - {min: 60, label: Fit with gaps}
      - {min: 0, label: Significant gaps}
    sections:
      - id: sec
        title: Security
        questions:
          - id: personal
            prompt: Will you keep personal data in the service?
            type: yesno
            weight: 0
          - id: encrypt
            prompt: Must data be encrypted at rest?
            type: yesno
            weight: 3
            follow_up: How are keys managed?
            commitment: {value: true, statement: "Encryption at rest", source: "Trust page", evidence: contract}
          - id: smime
            prompt: Do you need S/MIME?
            type: yesno
            weight: 1
            commitment: {value: false, statement: "No S/MIME", source: "Trust page", evidence: assertion}
          - id: region
            prompt: Where must data live?
            type: choice
            weight: 2
            show_if: {question: personal, equals: "yes"}
            options:
              - {key: none, label: No requirement, requires: null}
              - {key: eu, label: In the EU}
              - {key: us, label: In the US}
              - {key: eu_any, label: Anywhere in Europe, requires: eu}
              - {key: ch, label: In Switzerland}
            commitment: {value: [eu, us], statement: "EU and US regions", source: "Trust page", evidence: assertion}
      - id: ops
        title: Operations
        questions:
          - id: certs
            prompt: Which certifications must the provider hold?
            type: multi
            weight: 4
            options:
              - {key: iso27001, label: ISO 27001}
              - {key: soc2, label: SOC 2}
              - {key: fedramp, label: FedRAMP}
              - {key: pci, label: PCI DSS}
            commitment:
              value: [iso27001, soc2]
              not_offered: [fedramp]
              statement: "ISO and SOC, not FedRAMP"
              source: "Trust page"
              evidence: independent
          - id: uptime
            prompt: What monthly uptime must be financially backed?
            type: number
            unit: "%"
            min: 90
            max: 100
            better: higher
            weight: 5
            near: 0.05
            commitment: {value: 99.9, statement: "99.9% uptime", source: "Trust page", evidence: contract}
          - id: breach_hours
            prompt: Within how many hours must a breach be reported to you?
            type: number
            unit: hours
            min: 1
            max: 720
            better: lower
            weight: 2
          - id: notes
            prompt: Anything else?
            type: text
            max_length: 200
    """
)


def line_of(text: str, snippet: str, occurrence: int = 1) -> int:
    """1-based line of the n-th line containing ``snippet``."""
    hits = [n for n, line in enumerate(text.splitlines(), 1) if snippet in line]
    return hits[occurrence - 1]


# --- responses ---------------------------------------------------------------------------


def page(response) -> str:
    return response.get_data(as_text=True)


def fetch(client, url, method="GET", **kwargs):
    """A response read to the end and closed (a file response left open warns)."""
    response = client.open(url, method=method, **kwargs)
    response.get_data()
    response.close()
    return response


def redirects_to_sign_in(response) -> bool:
    return response.status_code == 302 and response.location.split("?")[0].endswith(LOGIN)


def wait_until(condition, seconds: float = 120.0) -> bool:
    """Poll ``condition`` until it holds (True) or ``seconds`` pass (False). The default is
    generous: most waits here are for a PDF, drawn at niceness 10, which beside CPU-bound
    processes at niceness 0 gets a twentieth of a core (a 20 s wait failed at load 3)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


# --- staff and assessments ------------------------------------------------------------------


def add_user(app, email, role="sales", name=None, password=PASSWORD) -> int:
    """A staff account; named after its address unless a name is given."""
    with app.app_context(), services.unit_of_work() as uow:
        user = create_user(uow, email, role, password, name or email.split("@")[0].title())
        uow.commit()
        return user.id


def in_transaction(app, change):
    """``change(uow)`` in a unit of work of its own, committed; what it returned. (A store
    verb that commits by itself, as ``operations.submit`` does, commits it anyway.)"""
    with app.app_context(), services.unit_of_work() as uow:
        outcome = change(uow)
        uow.commit()
        return outcome


def sign_in(client, email, password=PASSWORD, address="127.0.0.1"):
    """Post the sign-in form (with its CSRF token when the app asks for one)."""
    data = {"email": email, "password": password}
    form = CSRF_FIELD.search(page(client.get(LOGIN)))
    if form:
        data["csrf_token"] = form.group(1)
    return client.post(LOGIN, data=data, environ_base={"REMOTE_ADDR": address})


def assessment_id(app, token: str) -> int:
    with app.app_context():
        return db.session.scalar(
            select(Assessment.id).where(Assessment.token_hash == hash_token(token))
        )


FIXTURES = Path(__file__).with_name("fixtures")


def store_fit1_assessment(app, company: str = "Oldco Ltd") -> str:
    """A submitted assessment exactly as fit/1 stored it (tests/fixtures/fit1: its schema 1
    bank as the snapshot, its answers and its result); returns the buyer's token."""
    return store_old_assessment(app, FIXTURES / "fit1", company)


def store_fit2_assessment(app, company: str = "Oldco Ltd") -> str:
    """The same for a provisional result stored under fit/2 (tests/fixtures/fit2)."""
    return store_old_assessment(app, FIXTURES / "fit2", company)


def store_old_assessment(app, fixture: Path, company: str) -> str:
    source = (fixture / "bank.yaml").read_text(encoding="utf-8")
    stored = json.loads((fixture / "answers.json").read_text(encoding="utf-8"))
    result = json.loads((fixture / "result.json").read_text(encoding="utf-8"))
    sha256 = hashlib.sha256(source.encode()).hexdigest()
    assert sha256 == result["bank_sha256"] and result["method"] == fixture.name.replace(
        "fit", "fit/"
    )
    token = secrets.token_urlsafe(24)
    now = utcnow()
    with app.app_context():
        if db.session.get(BankSnapshot, sha256) is None:
            db.session.add(
                BankSnapshot(sha256=sha256, version=result["bank_version"], source=source)
            )
            db.session.flush()  # before the assessment that refers to it
        db.session.add(
            Assessment(
                token_hash=hash_token(token),
                status=SUBMITTED,
                company=company,
                contact_name="Old Buyer",
                email="old@example.com",
                search_text=f"{company.lower()} old buyer old@example.com",
                consent=True,
                consent_at=now,
                answers=stored["answers"],
                must_have=stored["must_have"],
                progress={},
                bank_sha256=sha256,
                bank_version=result["bank_version"],
                result=result,
                score=result["score"],
                rating=result["rating"],
                deal_breakers=len(result["deal_breakers"]),
                created_at=now,
                updated_at=now,
                submitted_at=now,
            )
        )
        db.session.commit()
    return token


# --- PDFs ------------------------------------------------------------------------------------


def text_of(pdf: bytes) -> str:
    """The PDF's text with every run of whitespace made one space (lines wrap anywhere)."""
    reader = PdfReader(BytesIO(pdf))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def squash(text: str) -> str:
    return "".join(text.split())


def embedded_files(pdf: bytes) -> list:
    reader = PdfReader(BytesIO(pdf))
    names = reader.trailer["/Root"].get("/Names", {})
    found = list(names.get("/EmbeddedFiles", {}).get("/Names", []))
    for pdf_page in reader.pages:
        for annotation in pdf_page.get("/Annots", []) or []:
            if annotation.get_object().get("/Subtype") == "/FileAttachment":
                found.append(annotation)
    return found


class Listener:
    """An HTTP server on loopback that counts every request it gets."""

    def __init__(self):
        self.requests: list[str] = []
        listener = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                listener.requests.append(self.path)
                self.send_response(200)
                self.send_header("Content-Type", "text/css")
                self.end_headers()
                self.wfile.write(b"body { color: red }")

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()


@dataclass(frozen=True)
class Received:
    sender: str
    recipients: list[str]
    message: EmailMessage

    def part(self, subtype: str) -> str:
        """The text of the message's text/plain or text/html part."""
        return self.message.get_body(preferencelist=(subtype,)).get_content()


class MailCatcher:
    """A real SMTP server on loopback (aiosmtpd) that keeps every message it is sent.

    ``refuse = True`` makes it answer every message with a temporary failure.
    """

    def __init__(self):
        from aiosmtpd.controller import Controller

        from tests.live import free_port

        class KeepingController(Controller):
            """Keeps each connection's SMTP session, to close what is still open at stop."""

            def factory(self):
                session = super().factory()
                sessions.append(session)
                return session

        sessions: list = []
        self.sessions = sessions
        self.received: list[Received] = []
        self.refuse = False
        self.port = free_port()
        self.controller = KeepingController(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server, session, envelope):
        if self.refuse:
            return "451 Try again later"
        message = message_from_bytes(envelope.content, policy=policy.default)
        self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"

    def config(self, **extra) -> dict:
        """App settings that send mail here."""
        return {
            "MAIL_SERVER": "127.0.0.1",
            "MAIL_PORT": self.port,
            "MAIL_DEFAULT_SENDER": "Trustcheck <trustcheck@provider.example>",
            "PUBLIC_URL": "https://trustcheck.example",
            **extra,
        }

    def wait_for(self, count: int, seconds: float = 60.0) -> list[Received]:
        assert wait_until(lambda: len(self.received) >= count, seconds), (
            f"expected {count} message(s), got {len(self.received)}"
        )
        return self.received

    def __enter__(self) -> MailCatcher:
        self.controller.start()
        return self

    def __exit__(self, *exc) -> None:
        # A connection still open (an app's sender mid-letter as its test ends) is closed in
        # the server's own loop first: stopping the loop would abandon its socket, and the
        # ResourceWarning of its collection would fail whichever test runs then.
        async def close_open() -> None:
            for session in self.sessions:
                if session.transport is not None:
                    session.transport.close()
            await asyncio.sleep(0.1)  # the transports' connection_lost calls run

        asyncio.run_coroutine_threadsafe(close_open(), self.controller.loop).result(10)
        self.controller.stop()


# --- the report queue ------------------------------------------------------------------------


class _ThreadedReportWorker(ReportWorker):
    """The app's report worker, but on a thread: signals belong to the main thread."""

    death_penalty_class = TimerDeathPenalty  # instead of SIGALRM

    def _install_signal_handlers(self):
        pass  # ThreadWorker.stop() ends the loop instead of SIGTERM


class ThreadWorker:
    """A `flask reports worker` for an app under test, on a thread of the test process, so
    downloads and submits through the test client are rendered through the queue (and the
    service's render count includes what it draws)."""

    def __init__(self, app):
        self.app = app
        self.worker = make_worker(app, _ThreadedReportWorker)
        self.thread = threading.Thread(target=self._run, name="report-queue-worker", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        with self.app.app_context():
            self.worker.work(logging_level="WARNING", with_scheduler=False)

    def stop(self) -> None:
        self.worker._stop_requested = True  # what a warm shutdown (SIGTERM) sets
        queue = services.reports(self.app).queue.queue()
        queue.enqueue(os.getpid, result_ttl=0)  # wakes it from waiting for a job, to see it
        self.thread.join(timeout=60)
        assert not self.thread.is_alive(), "the report worker thread did not stop"


# --- counting renders ------------------------------------------------------------------------


class RenderSpy:
    """Counts the PDFs an app's report service draws (``count``) and tries to draw
    (``tried``: failures too), by standing in for its render pool (``service.pool``), which
    it passes every call on to. ``last``: the last render drawn (workers.Rendered: its
    timings and memory)."""

    def __init__(self, app):
        self.service = services.reports(app)
        self.pool = self.service.pool
        self.count = self.tried = 0
        self.last = None
        self._lock = threading.Lock()
        self.service.pool = self

    def render(self, html, timeout):
        with self._lock:
            self.tried += 1
        rendered = self.pool.render(html, timeout)
        with self._lock:
            self.count += 1
            self.last = rendered
        return rendered

    def __getattr__(self, name):
        return getattr(self.pool, name)


def stand_in(monkeypatch, app, kind, fake) -> None:
    """Put ``fake`` in place of the app's ``kind`` of service for one test. A stand-in
    need offer only what the test uses, so it skips services.provide's check."""
    monkeypatch.setitem(app.extensions[services.KEY], kind, fake)
