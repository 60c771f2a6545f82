"""Reports on the RQ queue (REPORT_QUEUE_URL), against a real redis-server: web requests only
enqueue, the worker draws, a duplicate draws once, failures are retried then reported, a
deleted assessment leaves no file, and pages keep serving when Redis is down.

The worker here is the production one (``make_worker``) run in this thread until the
queue is empty (``drain``), or on a thread beside the test client (``ThreadWorker``).
Whole processes, killed mid-render, are in tests/faults/test_queue.py.
"""

from __future__ import annotations

import os
import signal

import pytest
from rq import Queue
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus
from sqlalchemy import delete

from questionnaire import services
from questionnaire.config import ConfigError, from_environment
from questionnaire.reports import queue as queue_mod
from questionnaire.reports.queue import job_id, make_worker, render_report
from questionnaire.store.db import db
from questionnaire.store.models import Assessment
from tests.conftest import Buyer, stored_assessment
from tests.live import QUEUE_MODE, RedisServer
from tests.reports.test_report import ANSWERS, MUST_HAVE, REPORT_BANK, submit
from tests.support import RenderSpy, ThreadWorker, fetch, page, wait_until

# Each test makes its own queue, so the queue run of .ci/run would only repeat them.
pytestmark = pytest.mark.skipif(QUEUE_MODE, reason="bring their own queue: ran without one")


@pytest.fixture
def bank_path(tmp_path):
    path = tmp_path / "questions.yaml"
    path.write_text(REPORT_BANK)  # the small bank: quick renders
    return path


@pytest.fixture
def queued(make_app, queue_url):
    """An app that renders through its own queue; nothing works on it unless a test says."""

    def make(**overrides):
        app = make_app(**{"REPORT_QUEUE_URL": queue_url(), **overrides})
        services.reports(app).prerender = True  # as in production: enqueue at submit
        return app

    return make


def drain(app) -> None:
    """`flask reports worker --burst`, in this thread: every job now queued, then return."""
    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        with app.app_context():
            make_worker(app).work(burst=True, logging_level="WARNING", with_scheduler=False)
    finally:
        for sig, handler in handlers.items():  # RQ installs its own for a warm shutdown
            signal.signal(sig, handler)


def report_key(app, token: str) -> str:
    with app.app_context():
        return services.reports(app).job(db.session.merge(stored_assessment(app, token))).key


def jobs(app) -> Queue:
    return services.reports(app).queue.queue()


def pdfs(app) -> list[str]:
    directory = services.reports(app).directory
    return sorted(p.name for p in directory.glob("*.pdf")) if directory.is_dir() else []


def test_web_requests_only_enqueue_and_the_worker_draws(queued):
    app = queued()
    service, renders = services.reports(app), RenderSpy(app)
    buyer = Buyer(app.test_client())
    token = submit(buyer, services.banks(app).current())
    assert jobs(app).count == 1 and renders.count == 0 and pdfs(app) == []
    service.wait_seconds = 0.3
    response = fetch(buyer.client, f"/a/{token}/report.pdf")
    assert response.status_code == 202 and "Your report is being prepared" in page(response)
    assert jobs(app).count == 1 and renders.count == 0  # asked again: still one job

    drain(app)
    assert renders.count == 1 and len(pdfs(app)) == 1

    def gone() -> bool:  # a finished job is kept a second at most: the file is the result
        try:
            Job.fetch(job_id(report_key(app, token)), connection=service.queue.connection())
        except NoSuchJobError:
            return True
        return False

    assert wait_until(gone, 5)
    response = fetch(buyer.client, f"/a/{token}/report.pdf")
    assert response.status_code == 200 and response.get_data().startswith(b"%PDF-")
    assert renders.count == 1


def test_two_web_processes_asking_for_one_report_make_one_job_and_one_render(queued, queue_url):
    url = queue_url()
    first = queued(REPORT_QUEUE_URL=url)
    second = queued(REPORT_QUEUE_URL=url, create_tables=False)  # same database, same queue
    services.reports(first).wait_seconds = services.reports(second).wait_seconds = 0
    renders = RenderSpy(first)
    token = submit(Buyer(first.test_client()), services.banks(first).current())
    assert fetch(second.test_client(), f"/a/{token}/report.pdf").status_code == 202
    assert jobs(first).count == 1
    drain(first)
    assert renders.count == 1 and len(pdfs(first)) == 1


def test_a_duplicate_job_draws_once(queued):
    app = queued()
    renders = RenderSpy(app)
    token = submit(Buyer(app.test_client()), services.banks(app).current())
    number, key = stored_assessment(app, token).id, report_key(app, token)
    # A second job for the same report under another id (say, left over from an older
    # release): RQ cannot tell, the worker must.
    jobs(app).enqueue(render_report, number, key, job_id="an-older-duplicate", result_ttl=0)
    assert jobs(app).count == 2
    drain(app)
    assert renders.count == 1 and len(pdfs(app)) == 1 and jobs(app).count == 0


def test_a_job_for_a_deleted_assessment_draws_nothing(queued):
    app = queued()
    renders = RenderSpy(app)
    buyer = Buyer(app.test_client())
    token = submit(buyer, services.banks(app).current())
    assert jobs(app).count == 1
    assert buyer.client.post(f"/a/{token}/delete").status_code == 302
    drain(app)
    assert renders.tried == 0 and pdfs(app) == [] and jobs(app).count == 0


def test_an_assessment_deleted_while_its_report_is_drawn_leaves_no_file(queued, monkeypatch):
    app = queued()
    service, renders = services.reports(app), RenderSpy(app)
    token = submit(Buyer(app.test_client()), services.banks(app).current())
    number = stored_assessment(app, token).id
    save = type(service)._save

    def deleted_meanwhile(self, job, pdf):
        # The buyer's delete, in a web process, while the worker draws: the row goes and
        # the files are removed, before this worker writes its file.
        with db.engine.begin() as connection:
            connection.execute(delete(Assessment).where(Assessment.id == number))
        self.discard(number)
        save(self, job, pdf)

    monkeypatch.setattr(type(service), "_save", deleted_meanwhile)
    drain(app)
    assert renders.count == 1 and pdfs(app) == []


def test_a_failing_render_is_retried_then_reported_then_asked_for_afresh(queued, tmp_path):
    """REPORT_RETRY_SECONDS is long here, and its end is brought forward by hand: with 4 s,
    a loaded machine took longer than that between the last failure and the download that
    should still see it, which then asked afresh instead."""
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    app = queued(REPORTS_DIR=str(blocker / "reports"), REPORT_RETRY_SECONDS=600)
    buyer = Buyer(app.test_client())
    token = submit(buyer, services.banks(app).current())
    drain(app)  # the first try and RETRIES more, one after the other
    connection = jobs(app).connection
    job = Job.fetch(job_id(report_key(app, token)), connection=connection)
    assert job.get_status() == JobStatus.FAILED and job.retries_left == 0
    assert 0 < connection.ttl(job.key) <= 600  # kept failed for REPORT_RETRY_SECONDS
    response = fetch(buyer.client, f"/a/{token}/report.pdf")
    assert response.status_code == 503 and "could not be prepared" in page(response)

    blocker.unlink()  # repaired; and REPORT_RETRY_SECONDS are over: the failed job expires
    connection.delete(job.key)
    worker = ThreadWorker(app)
    try:
        assert wait_until(lambda: fetch(buyer.client, f"/a/{token}/report.pdf").status_code == 200)
    finally:
        worker.stop()


def test_a_render_process_killed_mid_job_fails_the_job_and_the_retry_draws_it(queued, monkeypatch):
    app = queued()
    pool = services.reports(app).pool
    renders = RenderSpy(app)
    token = submit(Buyer(app.test_client()), services.banks(app).current())
    render, calls = pool.render, []

    def killed_the_first_time(html, timeout):
        calls.append(1)
        if len(calls) == 1:
            process = pool.processes[0]
            process.ensure_ready()
            os.kill(process.proc.pid, signal.SIGKILL)  # dies as the job sends it the report
        return render(html, timeout)

    monkeypatch.setattr(pool, "render", killed_the_first_time)
    drain(app)
    assert len(calls) == 2 and renders.count == 1 and len(pdfs(app)) == 1
    assert fetch(app.test_client(), f"/a/{token}/report.pdf").status_code == 200


def test_the_queue_is_bounded_and_a_report_left_out_is_asked_for_at_download(queued):
    app = queued(REPORT_QUEUE_LIMIT=2)
    services.reports(app).wait_seconds = 0
    bank = services.banks(app).current()
    tokens = [submit(Buyer(app.test_client()), bank, company=f"Co {i}") for i in range(3)]
    assert jobs(app).count == 2  # the third submit found the queue full
    assert fetch(app.test_client(), f"/a/{tokens[2]}/report.pdf").status_code == 202
    assert jobs(app).count == 2
    drain(app)
    assert len(pdfs(app)) == 2
    assert fetch(app.test_client(), f"/a/{tokens[2]}/report.pdf").status_code == 202  # asks now
    drain(app)
    assert len(pdfs(app)) == 3


def test_with_redis_down_downloads_say_being_prepared_and_pages_keep_serving(
    redis_installed, make_app, tmp_path, monkeypatch, caplog
):
    monkeypatch.setattr(queue_mod, "BACKOFF_SECONDS", 0.5)
    with RedisServer(tmp_path) as redis_server:  # its own: this test stops it
        app = make_app(REPORT_QUEUE_URL=redis_server.url())
        service = services.reports(app)
        service.prerender = True
        buyer = Buyer(app.test_client())
        token = buyer.start()
        buyer.answer_all(services.banks(app).current(), ANSWERS, MUST_HAVE)

        redis_server.stop()
        assert buyer.submit().status_code == 302  # submitted all the same
        asked = []
        request = queue_mod.ReportQueue.request
        monkeypatch.setattr(
            queue_mod.ReportQueue,
            "request",
            lambda q, *a: asked.append(request(q, *a)) or asked[-1],
        )
        response = fetch(buyer.client, f"/a/{token}/report.pdf")
        assert response.status_code == 202 and "being prepared" in page(response)
        # Never "soon": the download did not wait for a file that no worker can draw (how
        # long submit and download take is bench/waits.py's queue_down_submit_s).
        assert asked and not any(answer.soon for answer in asked)
        assert "the report queue at redis://127.0.0.1" in caplog.text
        for url in ("/", f"/a/{token}/result", f"/a/{token}/answers.json", "/healthz"):
            assert fetch(buyer.client, url).status_code == 200, url

        redis_server.start()  # back (empty): the next download asks again, the worker draws
        worker = ThreadWorker(app)
        try:
            assert wait_until(
                lambda: fetch(buyer.client, f"/a/{token}/report.pdf").status_code == 200
            )
        finally:
            worker.stop()


def test_the_worker_command_without_a_queue_says_what_to_set(runner):
    result = runner.invoke(args=["reports", "worker", "--burst"])
    assert result.exit_code == 1
    assert "REPORT_QUEUE_URL is not set" in result.output and "redis://" in result.output


def test_report_settings_are_checked_at_start_and_a_bad_url_is_not_echoed(monkeypatch, tmp_path):
    monkeypatch.setenv("REPORT_WAIT_SECONDS", "90")
    with pytest.raises(ConfigError, match="REPORT_WAIT_SECONDS must be between 0 and 30"):
        from_environment(str(tmp_path))
    monkeypatch.setenv("REPORT_WAIT_SECONDS", "8")
    monkeypatch.setenv("REPORT_QUEUE_URL", "http://admin:s3cret@queue.internal:6379/0")
    with pytest.raises(ConfigError, match="REPORT_QUEUE_URL must start with redis://") as error:
        from_environment(str(tmp_path))
    assert "s3cret" not in str(error.value)
    monkeypatch.setenv("REPORT_QUEUE_URL", "redis://:s3cret@127.0.0.1:6379/3")
    assert from_environment(str(tmp_path))["REPORT_QUEUE_URL"].endswith("/3")
    assert queue_mod.describe("redis://:s3cret@127.0.0.1:6379/3") == "redis://127.0.0.1:6379"
