"""Report waits must not tie up web workers (issue 14, item 6): a download, a buyer's or
staff's, waits at most REPORT_WAIT_SECONDS, and only for a render in progress or next in
line; renders waiting in a web process are bounded; renders run at a lower CPU priority
than pages. Renders are held back on purpose here by a drawing step that waits for the
test (``held``), with or without the queue (TRUSTCHECK_TEST_QUEUE).
"""

from __future__ import annotations

import os
import threading

import pytest

from questionnaire import services
from questionnaire.reports.queue import ReportQueue
from questionnaire.reports.service import ReportService
from questionnaire.reports.workers import RENDER_NICENESS
from questionnaire.store import access
from questionnaire.store.db import db
from questionnaire.store.models import AccessEvent
from tests.conftest import Buyer
from tests.live import QUEUE_MODE
from tests.support import FAST, add_user, assessment_id, fetch, page, sign_in, wait_until


@pytest.fixture
def held(monkeypatch):
    """Every render waits for ``held.set()`` (at most 60 s) before it is drawn."""
    release = threading.Event()
    draw = ReportService._draw

    def waits_for_the_test(service, context):
        release.wait(60)
        return draw(service, context)

    monkeypatch.setattr(ReportService, "_draw", waits_for_the_test)
    yield release
    release.set()  # nothing stays blocked after the test


def submitted(app, bank, example, company: str) -> tuple[Buyer, str]:
    buyer = Buyer(app.test_client())
    token = buyer.start(company=company)
    buyer.answer_all(bank, example["answers"], example["must_have"])
    assert buyer.submit().status_code == 302
    return buyer, token


@pytest.fixture
def waits(monkeypatch):
    """What each download's wait did: the ``seconds`` it allowed itself, and whether it
    ``blocked`` for a render (in a web process: on the render's future; with a queue:
    polling for the file). How long those take is measured by `make bench`
    (bench/waits.py): a clock here would fail on a loaded machine."""
    record: list[dict] = []
    inside = threading.local()
    wait, result, request = ReportService.wait, ReportService._result, ReportQueue.request

    def recorded(service, assessment, seconds):
        record.append({"seconds": seconds, "blocked": False})
        inside.yes = True
        try:
            return wait(service, assessment, seconds)
        finally:
            inside.yes = False

    def on_the_future(future, seconds):
        if future is not None and getattr(inside, "yes", False):
            record[-1]["blocked"] = True
        return result(future, seconds)

    def asked(queue, *args):
        answer = request(queue, *args)
        if answer.soon and getattr(inside, "yes", False):
            record[-1]["blocked"] = True  # the loop polls for the file while it is soon
        return answer

    monkeypatch.setattr(ReportService, "wait", recorded)
    monkeypatch.setattr(ReportService, "_result", staticmethod(on_the_future))
    monkeypatch.setattr(ReportQueue, "request", asked)
    return record


def test_staff_and_buyers_wait_no_longer_than_report_wait_seconds_and_see_being_prepared(
    make_app, bank, example, held, waits
):
    app = make_app(REPORT_WAIT_SECONDS=1, **FAST)
    buyer, token = submitted(app, bank, example, "Waiting Ltd")
    number = assessment_id(app, token)
    add_user(app, "sam@provider.example")
    staff = app.test_client()
    assert sign_in(staff, "sam@provider.example").status_code == 302
    url = f"/sales/assessments/{number}/report.pdf"

    # Before: up to 3 x 20 + 60 s, past gunicorn's 60. Now each waits for the render in
    # progress for REPORT_WAIT_SECONDS, and gives up while it is still being drawn.
    response = fetch(staff, url)
    assert response.status_code == 202
    html = page(response)
    assert "The report is being prepared" in html and "<script>" not in html
    assert response.headers["Refresh"] == f"5; url={url}"
    assert f'href="/sales/assessments/{number}">Back to the assessment</a>' in html
    assert "Sign out" in html  # the staff layout, not the buyer's
    response = fetch(buyer.client, f"/a/{token}/report.pdf")
    assert response.status_code == 202
    assert "Your report is being prepared" in page(response)
    assert waits == [{"seconds": 1, "blocked": True}] * 2 and not held.is_set()
    with app.app_context():
        assert db.session.query(AccessEvent).filter_by(action=access.PDF).count() == 0

    held.set()
    assert wait_until(lambda: fetch(staff, url).status_code == 200)
    with app.app_context():  # recorded once it was actually downloaded
        assert db.session.query(AccessEvent).filter_by(action=access.PDF).count() == 1


def test_a_download_behind_other_renders_does_not_wait_at_all(make_app, bank, example, held, waits):
    app = make_app(REPORT_WAIT_SECONDS=20)
    services.reports(app).prerender = True
    tokens = [submitted(app, bank, example, f"Queue {n} Ltd")[1] for n in range(3)]
    # The first is being drawn (held), the second is next; the third has both ahead of it.
    response = fetch(app.test_client(), f"/a/{tokens[2]}/report.pdf")
    assert response.status_code == 202
    assert waits == [{"seconds": 20, "blocked": False}]
    held.set()
    for token in tokens:
        assert wait_until(
            lambda t=token: fetch(app.test_client(), f"/a/{t}/report.pdf").status_code == 200
        )


@pytest.mark.skipif(
    QUEUE_MODE,
    reason="renders waiting in a web process (tests/reports/test_queue.py has the queue's bound)",
)
def test_renders_waiting_in_a_web_process_are_bounded(make_app, bank, example, held):
    app = make_app(REPORT_QUEUE_LIMIT=2, REPORT_WAIT_SECONDS=0)
    service = services.reports(app)
    service.prerender = True
    tokens = [submitted(app, bank, example, f"Bound {n} Ltd")[1] for n in range(3)]
    assert len(service._inflight) == 2  # the third submit found no room
    assert fetch(app.test_client(), f"/a/{tokens[2]}/report.pdf").status_code == 202
    assert len(service._inflight) == 2
    held.set()
    assert wait_until(lambda: not service._inflight)
    assert len(list(service.directory.glob("*.pdf"))) == 2
    # Room again: the download asks for it now.
    assert wait_until(
        lambda: fetch(app.test_client(), f"/a/{tokens[2]}/report.pdf").status_code == 200
    )


def test_renders_run_at_a_lower_cpu_priority_than_pages(app):
    pool = services.reports(app).pool
    pool.ready()
    ours = os.getpriority(os.PRIO_PROCESS, 0)
    for process in pool.processes:
        theirs = os.getpriority(os.PRIO_PROCESS, process.proc.pid)
        assert theirs >= RENDER_NICENESS and (theirs > ours or ours == 19)
