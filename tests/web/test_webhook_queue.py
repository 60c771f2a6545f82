"""Webhooks with REPORT_QUEUE_URL: a submission's outbox row becomes a job on the webhooks
queue, `flask reports worker` delivers it (signed, as the thread does), a refused delivery
is retried on the outbox's schedule, Redis down loses nothing; without a queue the web
process's own thread delivers. Against a real redis-server (tests/live.py)."""

from __future__ import annotations

import logging
import signal
from datetime import timedelta

import pytest
from rq import Queue
from sqlalchemy import select

from questionnaire import services
from questionnaire.notify import webhook_queue, webhooks
from questionnaire.notify.webhook_queue import QUEUE_NAME, QueueCourier, job_id
from questionnaire.reports import queue as report_queue
from questionnaire.store.db import db
from questionnaire.store.models import OutboxMessage, utcnow
from tests.conftest import Buyer
from tests.live import RedisServer
from tests.support import FAST, wait_until
from tests.web.test_webhooks import SECRET, Receiver, submit, verified


@pytest.fixture
def receiver():
    made = Receiver(fail=0)
    yield made
    made.close()


@pytest.fixture
def queued(make_app, queue_url, receiver):
    """Apps as in production with a queue: webhooks on, delivered in the background."""

    def make(**overrides):
        settings = {
            "REPORT_QUEUE_URL": queue_url(),
            "WEBHOOK_URL": receiver.url,
            "WEBHOOK_SECRET": SECRET,
            "WEBHOOK_BACKGROUND": True,
            **FAST,
        }
        return make_app(**{**settings, **overrides})

    return make


def jobs(app) -> Queue:
    return Queue(QUEUE_NAME, connection=services.reports(app).queue.connection())


def work(app, monkeypatch) -> None:
    """`flask reports worker --burst` itself: what is queued, then it returns. (At this
    process's own priority, and RQ's signal handlers put back afterwards.)"""
    monkeypatch.setattr(report_queue, "lower_priority", lambda: None)
    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        result = app.test_cli_runner().invoke(args=["reports", "worker", "--burst"])
    finally:
        for sig, handler in handlers.items():
            signal.signal(sig, handler)
    assert result.exit_code == 0, result.output


def messages(app) -> list[OutboxMessage]:
    with app.app_context():
        found = list(db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
        db.session.expunge_all()
        return found


def test_a_submission_becomes_one_job_and_the_worker_delivers_it_signed(
    queued, bank, example, receiver, monkeypatch
):
    app = queued()
    assert isinstance(services.webhooks(app), QueueCourier)
    number = submit(app, Buyer(app.test_client()), bank, example)
    (message,) = messages(app)
    assert message.state == "pending" and receiver.bodies == []  # the web process only asks
    assert jobs(app).job_ids == [job_id(message.id)]
    webhooks.kick(app)  # asked again (another commit, another process): still one job
    assert jobs(app).job_ids == [job_id(message.id)]

    work(app, monkeypatch)
    ((body, headers),) = receiver.bodies
    payload = verified(body, headers)
    assert payload["type"] == "assessment.submitted" and payload["data"]["id"] == number
    assert headers["webhook-id"] == f"msg_{message.id}"
    (message,) = messages(app)
    assert message.state == "delivered" and message.attempts == 1
    assert jobs(app).count == 0


def test_a_refused_delivery_is_retried_on_the_outboxs_schedule_not_by_rq(
    queued, bank, example, receiver, monkeypatch
):
    receiver.fail = 1
    app = queued()
    submit(app, Buyer(app.test_client()), bank, example)
    work(app, monkeypatch)
    (message,) = messages(app)
    assert len(receiver.bodies) == 1 and message.state == "pending" and message.attempts == 1
    assert "HTTP 500" in message.last_error
    assert message.next_attempt_at - utcnow() > timedelta(seconds=20)  # backed off
    assert jobs(app).count == 0 and jobs(app).failed_job_registry.count == 0

    work(app, monkeypatch)  # the worker's housekeeping finds nothing due yet
    assert len(receiver.bodies) == 1

    with app.app_context():
        db.session.get(OutboxMessage, message.id).next_attempt_at = utcnow()
        db.session.commit()
    work(app, monkeypatch)  # now due: housekeeping queues it, and it goes
    (first, first_headers), (again, headers) = receiver.bodies
    assert again == first and headers["webhook-id"] == first_headers["webhook-id"]
    (message,) = messages(app)
    assert message.state == "delivered" and message.attempts == 2


def test_a_retry_due_while_its_last_try_is_still_kept_in_redis_goes_at_once(
    queued, bank, example, receiver, monkeypatch
):
    # The ended job is kept a while (RESULT_SECONDS); here surely longer than the test.
    monkeypatch.setattr(webhook_queue, "RESULT_SECONDS", 600)
    receiver.fail = 1
    app = queued()
    submit(app, Buyer(app.test_client()), bank, example)
    work(app, monkeypatch)
    (message,) = messages(app)
    assert message.state == "pending" and jobs(app).fetch_job(job_id(message.id)).is_finished
    with app.app_context():
        db.session.get(OutboxMessage, message.id).next_attempt_at = utcnow()
        db.session.commit()
    assert services.webhooks(app).enqueue_due() == 1  # the kept job gives way
    assert services.webhooks(app).enqueue_due() == 0  # one waiting is enough
    work(app, monkeypatch)
    (message,) = messages(app)
    assert len(receiver.bodies) == 2 and message.state == "delivered"


def test_a_job_whose_message_was_dropped_sends_nothing(
    queued, bank, example, receiver, monkeypatch
):
    app = queued()
    buyer = Buyer(app.test_client())
    submit(app, buyer, bank, example)
    assert buyer.client.post(buyer.url("/delete")).status_code == 302
    submitted, deleted = messages(app)
    assert (submitted.state, deleted.state) == ("dropped", "pending")
    assert sorted(jobs(app).job_ids) == sorted([job_id(submitted.id), job_id(deleted.id)])
    work(app, monkeypatch)
    ((body, headers),) = receiver.bodies  # the submission's job found nothing to send
    assert verified(body, headers)["type"] == "assessment.deleted"
    assert [m.state for m in messages(app)] == ["dropped", "delivered"]


def test_with_redis_down_the_message_waits_in_the_outbox_and_a_worker_sends_it_later(
    redis_installed, queued, bank, example, receiver, tmp_path, monkeypatch, caplog
):
    with RedisServer(tmp_path) as redis_server:  # its own: this test stops it
        app = queued(REPORT_QUEUE_URL=redis_server.url())
        redis_server.stop()
        with caplog.at_level(logging.ERROR, logger="questionnaire.notify.webhook_queue"):
            submit(app, Buyer(app.test_client()), bank, example)  # submitted all the same
        assert "the webhook queue is unavailable" in caplog.text
        assert [m.state for m in messages(app)] == ["pending"]

        redis_server.start()  # back, empty: no job was kept anywhere but the outbox row
        monkeypatch.setattr(services.webhooks(app), "_down_until", 0.0)
        work(app, monkeypatch)
        assert len(receiver.bodies) == 1
        assert [m.state for m in messages(app)] == ["delivered"]


def test_the_worker_goes_on_when_it_cannot_read_the_outbox(queued, monkeypatch, caplog):
    app = queued()
    courier = services.webhooks(app)

    def database_down():
        raise RuntimeError("the database is restarting")

    monkeypatch.setattr(courier, "enqueue_due", database_down)
    with caplog.at_level(logging.ERROR, logger="questionnaire.reports.queue"):
        work(app, monkeypatch)
    assert "could not queue the webhooks due" in caplog.text


def test_without_a_queue_a_thread_in_the_web_process_delivers(make_app, bank, example, receiver):
    app = make_app(WEBHOOK_URL=receiver.url, WEBHOOK_SECRET=SECRET, WEBHOOK_BACKGROUND=True, **FAST)
    assert isinstance(services.webhooks(app), webhooks.Courier)
    submit(app, Buyer(app.test_client()), bank, example)  # its view kicks the thread
    assert wait_until(lambda: len(receiver.bodies) == 1)
    assert wait_until(lambda: [m.state for m in messages(app)] == ["delivered"])
