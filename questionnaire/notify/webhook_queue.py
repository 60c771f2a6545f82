"""Webhook deliveries as RQ jobs, when REPORT_QUEUE_URL is set.

The outbox row stays the record: it is written in the same transaction as the change it
announces, and it alone says what is due, what was delivered and when to try again
(store.outbox). A job only carries a message's id: ``deliver_queued`` claims the message,
POSTs it once and records the outcome, so a refused delivery is retried on the outbox's
schedule (30 s, doubling, for 24 hours), never by RQ as well.

Web processes only enqueue (``QueueCourier.kick``, after their commit): a job per message
due, under an id made from the message's, so asking twice adds nothing. `flask reports
worker` takes these jobs before renders, and at each housekeeping round (every
reports.queue.MAINTENANCE_SECONDS) enqueues what has fallen due since: retries, and
messages a kick missed (Redis down, a process stopped between its commit and its kick).
Without a queue, a thread in each web process delivers instead (webhooks.Courier).
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable

from flask import Flask
from redis import Redis
from redis.exceptions import RedisError
from rq import Queue
from rq.exceptions import DuplicateJobError

from questionnaire import services
from questionnaire.current import the_app
from questionnaire.notify.webhooks import attempt
from questionnaire.store import outbox

log = logging.getLogger(__name__)

QUEUE_NAME = "webhooks"
BACKOFF_SECONDS = 5.0  # Redis unreachable: kicks leave it alone this long
# Kept after the job: a second is enough (the outbox row is the record; not 0, see
# reports.queue.RESULT_SECONDS). A job that raised is kept a minute, less than the
# outbox's lease (2 min), so the message is free to be queued again when it falls due.
RESULT_SECONDS = 1
FAILURE_SECONDS = 60


def job_id(message_id: int) -> str:
    return f"webhook-{message_id}"


def deliver_queued(message_id: int) -> str:
    """The job a worker runs for one outbox message (named by its import path in Redis)."""
    app = the_app()
    with app.app_context():  # a fresh database session for every job
        with services.unit_of_work() as uow:
            message = outbox.claim(message_id)
            uow.commit()  # the lease: no other process sends it meanwhile
        if message is None:
            return "nothing to send: delivered, dropped, not due, or taken by another worker"
        return "delivered" if attempt(message, app.config) else "failed: tried again when due"


class QueueCourier:
    """The web side: a job on the webhooks queue for each message due. Never raises."""

    queue_name = QUEUE_NAME

    def __init__(self, app: Flask, connection: Callable[[], Redis]):
        self.app = app
        self.connection = connection
        # connect + send + answer, each bounded by the timeout, and the rest of the job
        self.job_timeout = math.ceil(float(app.config["WEBHOOK_TIMEOUT_SECONDS"])) * 3 + 15
        self._down_until = 0.0

    def kick(self) -> None:
        """Queue what is due now, after a commit; Redis down is logged, not raised."""
        if time.monotonic() < self._down_until:
            return
        try:
            self.enqueue_due()
        except RedisError as exc:
            self._down_until = time.monotonic() + BACKOFF_SECONDS
            log.error(
                "the webhook queue is unavailable (%s): messages wait in the outbox until a "
                "worker finds them, and the queue is not asked again for %g s",
                exc,
                BACKOFF_SECONDS,
            )

    def enqueue_due(self) -> int:
        """A job for each message due now that has none yet; how many were added."""
        with self.app.app_context():
            due = outbox.due(outbox.WEBHOOK)
        if not due:
            return 0
        queue = Queue(QUEUE_NAME, connection=self.connection())
        return sum(self._enqueue(queue, message_id) for message_id in due)

    def _enqueue(self, queue: Queue, message_id: int) -> bool:
        """One job for a message due; False when one is waiting or running already. A job
        that has ended but is still kept (RESULT_SECONDS, FAILURE_SECONDS) is its last try:
        it gives way, so a retry that falls due meanwhile is not put off to the next round
        (the outbox's claim keeps a message from being sent twice)."""
        for _ in range(2):
            try:
                queue.enqueue(
                    deliver_queued,
                    message_id,
                    job_id=job_id(message_id),
                    unique=True,
                    job_timeout=self.job_timeout,
                    result_ttl=RESULT_SECONDS,
                    failure_ttl=FAILURE_SECONDS,
                    description=f"webhook {message_id}",
                )
                return True
            except DuplicateJobError:
                found = queue.fetch_job(job_id(message_id))
                if found is not None and not (found.is_finished or found.is_failed):
                    return False  # queued already, or being sent
                if found is not None:
                    found.delete()
        return False


def worker_work(app: Flask) -> list[QueueCourier]:
    """What a report worker of this app also takes: its webhooks, when they are queued."""
    courier = services.webhooks(app)
    return [courier] if isinstance(courier, QueueCourier) else []
