"""`make bench`'s waits: how long a page takes when what it depends on is slow or gone.
The tests check that these pages do not wait (tests/web/test_emails.py,
tests/faults/test_report_waits.py, tests/reports/test_queue.py) without a clock, so a
loaded machine cannot fail them; here the seconds are measured, in-process (Flask's test
client) on SQLite with the shipped bank answered in full.

    .venv/bin/python bench/waits.py

  email_link_silent_smtp_s    "Email me this link" with a mail server that accepts the
                              connection and never answers (MAIL_TIMEOUT 10 s)
  pdf_wait_held_s             a download while its report is being drawn and takes longer
                              than REPORT_WAIT_SECONDS (1 s here): "being prepared" after 1 s
  pdf_behind_others_s         a download of a report with two renders ahead of it
                              (REPORT_WAIT_SECONDS 20 s): "being prepared" at once
  queue_down_submit_s         submit and download with REPORT_QUEUE_URL unreachable
"""

from __future__ import annotations

import json
import socket
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from questionnaire import services  # noqa: E402
from questionnaire.app import create_app  # noqa: E402
from questionnaire.reports.service import ReportService  # noqa: E402
from questionnaire.store.db import db  # noqa: E402
from tests.conftest import Buyer  # noqa: E402
from tests.live import free_port  # noqa: E402

EXAMPLE = json.loads((ROOT / "examples" / "answers.json").read_text())


def make_app(tmp: Path, name: str, **config):
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "bench",
            "WTF_CSRF_ENABLED": False,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp / f'{name}.db'}",
            "REPORTS_DIR": str(tmp / f"{name}-reports"),
            "SERVER_NAME": "localhost",
            **config,
        }
    )
    with app.app_context():
        db.create_all()
    return app


def submitted(app, company: str) -> Buyer:
    buyer = Buyer(app.test_client())
    buyer.start(company=company)
    buyer.answer_all(services.banks(app).current(), EXAMPLE["answers"], EXAMPLE["must_have"])
    assert buyer.submit().status_code == 302
    return buyer


def timed(fn) -> tuple[object, float]:
    started = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - started


@contextmanager
def renders_held():
    """Every render waits until the block ends: a report that takes as long as we like.
    (The bench reaches into the service here, as the tests do, to hold a render.)"""
    release = threading.Event()
    draw = ReportService._draw

    def held(service, context):
        release.wait(120)
        return draw(service, context)

    ReportService._draw = held
    try:
        yield
    finally:
        release.set()
        ReportService._draw = draw


def bench_email_link(tmp: Path) -> float:
    with socket.create_server(("127.0.0.1", 0)) as silent:  # accepts, never says a word
        app = make_app(
            tmp,
            "mail",
            MAIL_SERVER="127.0.0.1",
            MAIL_PORT=silent.getsockname()[1],
            MAIL_TIMEOUT=10.0,
            MAIL_DEFAULT_SENDER="bench@provider.example",
            PUBLIC_URL="https://trustcheck.example",
        )
        services.mail(app).retry_delays = ()
        buyer = Buyer(app.test_client())
        buyer.start()
        response, seconds = timed(lambda: buyer.client.post(buyer.url("/email-link")))
        assert response.status_code == 302, response.status_code
    services.mail(app).wait_until_idle(30)
    return seconds


def bench_held_download(tmp: Path) -> float:
    app = make_app(tmp, "held", REPORT_WAIT_SECONDS=1, REPORT_PRERENDER=True)
    with renders_held():
        buyer = submitted(app, "Held Ltd")
        response, seconds = timed(lambda: buyer.client.get(buyer.url("/report.pdf")))
        assert response.status_code == 202, response.status_code
    return seconds


def bench_behind_others(tmp: Path) -> float:
    app = make_app(tmp, "behind", REPORT_WAIT_SECONDS=20, REPORT_PRERENDER=True)
    with renders_held():
        buyers = [submitted(app, f"Queue {n} Ltd") for n in range(3)]
        last = buyers[-1]
        response, seconds = timed(lambda: last.client.get(last.url("/report.pdf")))
        assert response.status_code == 202, response.status_code
    return seconds


def bench_queue_down(tmp: Path) -> float:
    nobody = free_port()  # nothing listens there: Redis is down
    app = make_app(
        tmp, "queue-down", REPORT_QUEUE_URL=f"redis://127.0.0.1:{nobody}/0", REPORT_PRERENDER=True
    )
    buyer = Buyer(app.test_client())
    buyer.start()
    buyer.answer_all(services.banks(app).current(), EXAMPLE["answers"], EXAMPLE["must_have"])

    def submit_and_download():
        assert buyer.submit().status_code == 302
        return buyer.client.get(buyer.url("/report.pdf"))

    response, seconds = timed(submit_and_download)
    assert response.status_code == 202, response.status_code
    return seconds


def bench_waits(tmp: Path) -> dict:
    return {
        "email_link_silent_smtp_s": bench_email_link(tmp),
        "pdf_wait_held_s": bench_held_download(tmp),
        "pdf_behind_others_s": bench_behind_others(tmp),
        "queue_down_submit_s": bench_queue_down(tmp),
    }


if __name__ == "__main__":
    with tempfile.TemporaryDirectory(prefix="trustcheck-waits-") as folder:
        print(json.dumps({k: round(v, 4) for k, v in bench_waits(Path(folder)).items()}))
