"""Reports on the queue with real processes: two gunicorn app servers and a `flask reports
worker` over one database, one redis-server and one REPORTS_DIR; and a worker killed with
SIGKILL in the middle of a render.
"""

from __future__ import annotations

import json
import os
import signal
import uuid
from pathlib import Path

import pytest
from rq import Queue
from rq.job import Job, JobStatus

from questionnaire.core.bank import load_bank
from questionnaire.reports.queue import QUEUE_NAME
from questionnaire.reports.workers import RENDER_NICENESS
from tests.conftest import EXAMPLE_ANSWERS, SHIPPED_BANK
from tests.faults.conftest import Browser, section_fields, unexpected_log_errors, wait_for
from tests.live import QUEUE_MODE, LiveServer, LiveWorker, RedisServer, children
from tests.support import text_of

BANK = load_bank(SHIPPED_BANK)
EXAMPLE = json.loads(EXAMPLE_ANSWERS.read_text())


@pytest.fixture
def redis(redis_installed, tmp_path):
    with RedisServer(tmp_path) as server:
        yield server


def answer_everything(browsers: list[Browser], token: str) -> None:
    """Save every section, taking turns between the browsers (that is, the servers)."""
    for n, section in enumerate(BANK.sections):
        fields = section_fields(BANK, section.id, EXAMPLE["answers"], EXAMPLE["must_have"])
        reply = browsers[n % len(browsers)].save(token, section.id, fields)
        assert reply.status == 302, (section.id, reply.status, reply.text[:300])


def exited(pid: int) -> bool:
    """Gone, or a zombie nobody has reaped yet."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except FileNotFoundError:
        return True


def download(browser: Browser, token: str) -> bytes:
    """The PDF, once the "being prepared" page has given way to it (the server waits
    REPORT_WAIT_SECONDS a request; the page's Refresh asks again, as this does)."""
    url = f"{browser.base}/a/{token}/report.pdf"

    def ready() -> bytes | None:
        with browser.opener.open(url, timeout=30) as response:
            body = response.read()
            return body if response.status == 200 else None

    return wait_for(ready, 120, f"the PDF at {url}")


@pytest.mark.skipif(QUEUE_MODE, reason="brings its own queue: ran in the runs without one")
def test_two_app_servers_and_one_worker_serve_a_journey_with_the_pdf_drawn_by_the_worker(
    redis, tmp_path
):
    shared = {
        "REPORT_QUEUE_URL": redis.url(),
        "REPORTS_DIR": str(tmp_path / "shared-reports"),  # shared storage, as across machines
        "SECRET_KEY": f"shared-{uuid.uuid4().hex}",  # one session cookie for both
    }
    with (
        LiveServer(tmp_path, "one", workers=1, **shared) as one,
        LiveServer(tmp_path, "two", workers=1, database_url=one.database_url, **shared) as two,
    ):
        worker = LiveWorker(one.env, tmp_path / "worker.log").start()
        try:
            at_one = Browser(one.url)
            at_two = Browser(two.url, jar=at_one.jar)  # one browser, the load balancer alternating
            token = at_one.start(company="Two Servers Ltd")
            answer_everything([at_two, at_one], token)
            assert at_two.submit(token).status == 302
            assert at_one.get(f"/a/{token}/result").status == 200

            pdf = download(at_one, token)
            assert pdf.startswith(b"%PDF-") and "Two Servers Ltd" in text_of(pdf)
            assert download(at_two, token) == pdf  # the same file, read by the other server
            assert [p.suffix for p in (tmp_path / "shared-reports").iterdir()] == [".pdf"]
            # Drawn by the worker, at a lower priority than pages; the app servers have no
            # WeasyPrint process at all.
            assert "report of assessment" in worker.log.read_text()
            assert worker.render_pids(), "the worker has no render process"
            for pid in [worker.process.pid, *worker.render_pids()]:
                assert os.getpriority(os.PRIO_PROCESS, pid) >= RENDER_NICENESS
            for server in (one, two):
                assert all(children(pid) == [] for pid in server.worker_pids())
        finally:
            worker.stop()
        assert unexpected_log_errors(one) == [] and unexpected_log_errors(two) == []


@pytest.mark.slow
@pytest.mark.skipif(
    not QUEUE_MODE,
    reason="waits out RQ's abandoned-job grace (~100 s): run with TRUSTCHECK_TEST_QUEUE=1, "
    "as the queue run of .ci/run does",
)
def test_a_worker_killed_mid_render_loses_no_report(redis, tmp_path):
    """RQ's abandoned-job handling: the job of a worker that died stays "started" until its
    heartbeat runs out (its time limit, here 15 + 15 s, plus RQ's 60 s); then a live worker
    puts it back on the queue (``Retry``) and draws it. About 100 s.

    The render time limit (15 s) must outlast the moments between the job starting and the
    worker being killed, or the hung render times out first and the job is retried by the
    worker itself (with 5 s, a loaded CI machine saw exactly that)."""
    with LiveServer(
        tmp_path, "killed", workers=1, REPORT_QUEUE_URL=redis.url(), REPORT_TIMEOUT_SECONDS="15"
    ) as server:
        first = LiveWorker(server.env, tmp_path / "first-worker.log").start()
        warm = Browser(server.url)
        token = warm.start(company="Warm Up Ltd")
        answer_everything([warm], token)
        assert warm.submit(token).status == 302
        download(warm, token)  # the first worker has drawn one: its render process is warm
        (render_pid,) = first.render_pids()
        os.kill(render_pid, signal.SIGSTOP)  # the next render hangs in there...
        try:
            buyer = Browser(server.url)
            victim = buyer.start(company="Killed Midway Ltd")
            answer_everything([buyer], victim)
            assert buyer.submit(victim).status == 302
            with redis.client() as client:
                started = Queue(QUEUE_NAME, connection=client).started_job_registry
                (jid,) = wait_for(lambda: started.get_job_ids(cleanup=False), 30, "the job")
            first.kill()  # ...and its worker dies there, with the job in hand
        finally:
            os.kill(render_pid, signal.SIGCONT)  # the orphan finishes, finds nobody, exits
            first.stop()
        wait_for(lambda: exited(render_pid), 30, "the orphaned render process to exit")
        with redis.client() as client:
            assert Job.fetch(jid, connection=client).get_status() == JobStatus.STARTED

        second = LiveWorker(server.env, tmp_path / "second-worker.log").start()
        try:
            pdf = download(buyer, victim)
        finally:
            second.stop()
        assert "Killed Midway Ltd" in text_of(pdf)
        log = second.log.read_text()  # the second worker ran the first one's job, cleanly
        assert f"Job OK ({jid})" in log and "exception raised" not in log, log[-3000:]
