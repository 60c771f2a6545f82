"""Report renders on an RQ queue in Redis, when REPORT_QUEUE_URL is set.

Web processes only ask (``ReportQueue.request``): a job names the assessment and the
report's content key, and its id is made from that key, so asking again while it waits
or runs adds nothing (``unique=True``: RQ checks and saves in one Lua script). `flask
--app questionnaire reports worker` runs ``run_worker``: one job at a time, each drawn
by the app's own ReportService (``render_queued``), so the same WeasyPrint process, URL
fetcher, time limit and memory cap apply as in a web process. The PDF lands in
REPORTS_DIR, where downloads look for it; across machines that is shared storage.

What happens when things go wrong (tests/reports/test_queue.py, tests/faults/test_queue.py):
- a job that raises is put back on the queue at once, up to RETRIES times (``Retry``);
- a worker killed mid-render leaves its job "started". RQ gives a job ``timeout + 60`` s
  without a heartbeat (a ``SimpleWorker`` sends none while it renders), then any worker's
  maintenance, every MAINTENANCE_SECONDS, hands it to ``Retry`` the same way;
- a failed job stays visible for REPORT_RETRY_SECONDS (at least 1 s; downloads say the
  report failed), then the next request asks afresh; a finished one for RESULT_SECONDS,
  the file being the result;
- Redis unreachable: requests give up within CONNECT_SECONDS, say so, and leave Redis
  alone for BACKOFF_SECONDS, so pages that submit keep their speed.
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import urlsplit

from flask import Flask
from redis import Redis
from redis.exceptions import RedisError
from rq import Queue, Retry, SimpleWorker, Worker
from rq.exceptions import DuplicateJobError, NoSuchJobError
from rq.job import Job, JobStatus

from questionnaire import services
from questionnaire.current import the_app
from questionnaire.reports.workers import lower_priority

log = logging.getLogger(__name__)

QUEUE_NAME = "reports"
RETRIES = 2
MAINTENANCE_SECONDS = 10  # how often a worker looks for abandoned jobs (RQ's default: 600)
CONNECT_SECONDS = 1.0
SOCKET_SECONDS = 2.0
BACKOFF_SECONDS = 5.0
JOB_MARGIN_SECONDS = 15  # a job's limit: the render's own, plus this for the rest of the job
# Not 0: RQ 3.0 then deletes the job, and deleting one that an abandoned run has touched
# fails for a minute ("Execution ... not found in Redis"); expiring it does not.
RESULT_SECONDS = 1
PUBSUB_POLL_SECONDS = 1  # how long stopping a worker may wait for its command listener


class NoQueue(RuntimeError):
    """REPORT_QUEUE_URL is not set."""


@dataclass(frozen=True)
class Asked:
    """What became of a request: is the report ``soon`` there (being drawn, or next for a
    worker: worth a download waiting for), or has it failed?"""

    soon: bool
    failure: str = ""  # the job failed (its last error), within REPORT_RETRY_SECONDS


LATER = Asked(soon=False)  # queued behind others, the queue full, or Redis unreachable


def render_report(assessment_id: int, key: str) -> str:
    """The job a worker runs (named by its import path in Redis)."""
    app = the_app()
    with app.app_context():  # a fresh database session for every job
        return services.reports(app).render_queued(assessment_id, key)


def job_id(key: str) -> str:
    return f"report-{key}"


def describe(url: str) -> str:
    """The queue's address for logs, without any password in it."""
    parts = urlsplit(url)
    where = f"{parts.hostname}:{parts.port or 6379}" if parts.hostname else parts.path
    return f"{parts.scheme}://{where}"


class ReportQueue:
    """The web side: asks for renders, bounded, and never waits long on Redis."""

    def __init__(self, url: str, limit: int, render_seconds: float, failure_seconds: float):
        self.url = url
        self.limit = limit
        self.job_timeout = int(render_seconds) + JOB_MARGIN_SECONDS
        self.failure_ttl = max(1, math.ceil(failure_seconds))  # 0 would delete it unseen
        self._redis: Redis | None = None
        self._pid = 0
        self._down_until = 0.0
        self._lock = threading.Lock()

    def connection(self) -> Redis:
        """One client per process: its connections must not be shared across gunicorn's fork."""
        with self._lock:
            if self._redis is None or self._pid != os.getpid():
                self._redis = Redis.from_url(
                    self.url,
                    socket_connect_timeout=CONNECT_SECONDS,
                    socket_timeout=SOCKET_SECONDS,
                )
                self._pid = os.getpid()
            return self._redis

    def queue(self) -> Queue:
        return Queue(QUEUE_NAME, connection=self.connection())

    def request(self, assessment_id: int, key: str) -> Asked:
        """Make sure a render of this report is queued or running. Never raises."""
        if time.monotonic() < self._down_until:
            return LATER
        try:
            return self._request(assessment_id, key)
        except RedisError as exc:
            self._down_until = time.monotonic() + BACKOFF_SECONDS
            log.error(
                "the report queue at %s is unavailable (%s): downloads say 'being prepared' "
                "and the queue is not asked again for %g s",
                describe(self.url),
                exc,
                BACKOFF_SECONDS,
            )
            return LATER

    def _request(self, assessment_id: int, key: str) -> Asked:
        queue = self.queue()
        try:
            job = Job.fetch(job_id(key), connection=queue.connection)
        except NoSuchJobError:
            job = None
        if job is not None:
            status = job.get_status(refresh=False)
            if status == JobStatus.FAILED:
                result = job.latest_result()
                lines = (result.exc_string or "").strip().splitlines() if result else []
                return Asked(soon=False, failure=lines[-1] if lines else "the job failed")
            if status == JobStatus.QUEUED:
                position = job.get_position()  # None: a worker has taken it, not yet started
                return Asked(soon=position is None or position < self._workers(queue))
            return Asked(soon=True)  # running, or finished a moment ago
        ahead = queue.count
        if ahead >= self.limit:
            log.warning("the report queue holds %s renders already: not adding more", self.limit)
            return LATER
        with contextlib.suppress(DuplicateJobError):  # another web process asked at once
            queue.enqueue(
                render_report,
                assessment_id,
                key,
                job_id=job_id(key),
                unique=True,
                job_timeout=self.job_timeout,
                result_ttl=RESULT_SECONDS,
                failure_ttl=self.failure_ttl,
                retry=Retry(max=RETRIES),
                description=f"report of assessment {assessment_id}",
            )
        return Asked(soon=ahead < self._workers(queue))

    @staticmethod
    def _workers(queue) -> int:
        """Workers on the queue (a Redis read: only where a wait depends on it)."""
        return max(1, Worker.count(queue=queue))


class OtherWork(Protocol):
    """Jobs of another kind that report workers take before renders (webhook deliveries:
    notify.webhook_queue): their queue, and what to enqueue at each housekeeping round."""

    queue_name: str

    def enqueue_due(self) -> int: ...


class ReportWorker(SimpleWorker):
    """Runs each job in this process, not a fork per job, so the WeasyPrint process it
    talks to stays warm between jobs. Before each render job that process is made ready
    (started again if a render killed it), outside the job's time limit."""

    other_work: Sequence[OtherWork] = ()

    def execute_job(self, job, queue):
        if queue.name == QUEUE_NAME:  # other work draws nothing
            services.reports().ready()
        super().execute_job(job, queue)

    def run_maintenance_tasks(self):
        """RQ's housekeeping, then each other kind of work enqueues what has fallen due.
        A failure there (the database down) is logged, and the worker goes on."""
        super().run_maintenance_tasks()
        for work in self.other_work:
            try:
                work.enqueue_due()
            except Exception:
                log.exception(
                    "could not queue the %s due; trying again in %s s",
                    work.queue_name,
                    MAINTENANCE_SECONDS,
                )

    def subscribe(self):
        """RQ's, with its command channel polled every second instead of every minute. RQ
        3.0 listens with ``run_in_thread(sleep_time=60)``, and redis-py 8 waits for that
        thread when the worker stops: a stop (SIGTERM, a deploy) then took up to a minute,
        and a test's worker thread outlasted its 60 s join."""
        self.pubsub = self.connection.pubsub()
        self.pubsub.subscribe(**{self.pubsub_channel_name: self.handle_payload})
        self.pubsub_thread = self.pubsub.run_in_thread(  # type: ignore[assignment]  # RQ annotates it as None
            sleep_time=PUBSUB_POLL_SECONDS,
            daemon=True,
            exception_handler=self._pubsub_exception_handler,
        )


def make_worker(
    app: Flask,
    worker_class: type[ReportWorker] = ReportWorker,
    other_work: Sequence[OtherWork] = (),
) -> ReportWorker:
    reports = services.reports(app)
    if reports.queue is None:
        raise NoQueue(
            "REPORT_QUEUE_URL is not set, so web processes draw their own reports and "
            "there is no queue to work on (e.g. REPORT_QUEUE_URL=redis://127.0.0.1:6379/0)"
        )
    connection = reports.queue.connection()
    names = [work.queue_name for work in other_work] + [QUEUE_NAME]  # listened to in order
    worker = worker_class(
        [Queue(name, connection=connection) for name in names],
        connection=connection,
        maintenance_interval=MAINTENANCE_SECONDS,
        # An idle worker waits this long for a job (less 15 s), then does its maintenance:
        # without it, RQ's default (420) would leave an abandoned job for minutes.
        worker_ttl=MAINTENANCE_SECONDS + 15,
    )
    worker.other_work = tuple(other_work)
    return worker


class NoHousekeeping(logging.Filter):
    """RQ logs each maintenance round at INFO: with one every MAINTENANCE_SECONDS that would
    be most of a worker's log. The jobs' own lines stay."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "cleaning" not in str(record.msg)


def run_worker(app: Flask, burst: bool = False, other_work: Sequence[OtherWork] = ()) -> None:
    """Take render jobs (and ``other_work``'s first) until stopped (SIGTERM: after the
    current job), or until the queues are empty with ``burst``. Call inside an app context."""
    worker = make_worker(app, other_work=other_work)
    lower_priority()  # a worker on a web server leaves the CPU to pages first
    queue = services.reports(app).queue
    log.info("taking report jobs from %s", describe(queue.url if queue else ""))
    logging.getLogger("rq.worker").addFilter(NoHousekeeping())
    worker.work(burst=burst, logging_level="INFO", with_scheduler=False)
