"""The PDF report service: result -> plain data -> HTML (Jinja, autoescaped) -> PDF.

The PDF is drawn by WeasyPrint in a warm worker process (``reports.workers``) with a
time limit, and cached in ``REPORTS_DIR`` under a hash of everything it prints, so a
second download is a file read. Rendering starts when the buyer submits, off the
request path, so the first download is usually a file read too: on a background thread
of the web process, or, with REPORT_QUEUE_URL, in a `flask reports worker` process that
takes the job from Redis (``reports.queue``).

Other code finds it as ``services.reports()`` (what it offers: ``services.Reports``):
``wait`` (web requests), ``pdf_path`` (commands), ``schedule``, ``discard`` and ``prune``;
and ``report_filename()``.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

from flask import Flask
from sqlalchemy import select

from questionnaire import services
from questionnaire.reports.document import (
    assessment_context,
    cache_key,
    render_html,
    template_version,
)
from questionnaire.reports.workers import (
    RenderError,
    RenderTimeout,
    background,
    shared_pool,
)
from questionnaire.store import operations as ops
from questionnaire.store.db import db
from questionnaire.store.models import Assessment

log = logging.getLogger(__name__)

POLL_SECONDS = 0.1  # how often a download waiting on the queue looks for the file


class ReportError(RuntimeError):
    """The report could not be produced; the message says why, in words for an operator."""


class AssessmentDeleted(ReportError):
    """The assessment was deleted: its report is not drawn, or is removed once drawn."""


@dataclass(frozen=True)
class Job:
    assessment_id: int
    key: str
    path: Path
    context: dict


class ReportService:
    """Renders, caches, finds and deletes the PDF reports of one app."""

    def __init__(self, app: Flask):
        config = app.config
        self.app = app
        self.directory = Path(config["REPORTS_DIR"])
        self.timeout = float(config["REPORT_TIMEOUT_SECONDS"])
        self.wait_seconds = float(config["REPORT_WAIT_SECONDS"])
        self.retry_seconds = float(config["REPORT_RETRY_SECONDS"])
        self.prerender = bool(config["REPORT_PRERENDER"])
        self.threads = int(config["REPORT_WORKERS"])
        self.queue_limit = int(config["REPORT_QUEUE_LIMIT"])
        self.template_version = template_version(app)
        self.queue = None
        if url := config.get("REPORT_QUEUE_URL"):
            # Imported only here: RQ and redis-py add ~0.1 s to every process's start-up.
            from questionnaire.reports.queue import ReportQueue

            self.queue = ReportQueue(url, self.queue_limit, self.timeout, self.retry_seconds)
        static = cast(str, app.static_folder)  # create_app sets it
        self.pool = shared_pool(static, self.threads, int(config["REPORT_MEMORY_MB"]))
        self._lock = threading.Lock()
        self._inflight: dict[str, tuple[int, Future]] = {}  # key -> (assessment id, render)
        self._failed: dict[str, tuple[float, str]] = {}
        self._discarded: set[int] = set()

    # --- the API other code uses ---------------------------------------------------------

    def pdf_path(self, assessment: Assessment, timeout: float | None = None) -> Path:
        """The cached PDF, drawn in this process first if needed, queue or not: for
        commands, which may wait. (Web requests call ``wait``, which is bounded.)

        Raises ReportError if drawing fails, times out, or cannot be saved.
        """
        if timeout is None:
            timeout = self.timeout * 3 + 60  # a queue of renders ahead, each bounded
        job = self.job(assessment)
        if job.path.is_file():
            return job.path
        path = self._result(self._start(job), timeout)
        if path is None:
            raise ReportError("The report is still being prepared; try again in a minute.")
        return path

    def schedule(self, assessment: Assessment) -> None:
        """Start drawing the PDF in the background if it is not cached. Never raises.

        Does nothing when REPORT_PRERENDER is off (the PDF is then drawn at the first
        download); it is off by default in tests, so suites that submit many assessments
        do not draw a PDF for each.
        """
        if not self.prerender or not assessment.submitted:
            return
        try:
            job = self.job(assessment)
            if self.queue is not None:
                self.queue.request(job.assessment_id, job.key)
            elif self._start(job) is None:
                log.warning("report of assessment %s: too many renders waiting", job.assessment_id)
        except Exception:
            log.exception("could not schedule the report of assessment %s", assessment.id)

    def discard(self, assessment_id: int) -> None:
        """Delete every cached PDF of this assessment (call after deleting its row, so a
        queue worker finishing a render now sees the row gone: see ``render_queued``).

        Files are named ``<assessment id>-<key>.pdf``, so this finds old template
        versions too; the key itself includes the report id, so no two assessments
        ever share a file. A render still running here is deleted when it finishes.
        """
        with self._lock:
            if any(owner == assessment_id for owner, _ in self._inflight.values()):
                self._discarded.add(assessment_id)
        self._unlink_files(assessment_id)

    def _unlink_files(self, assessment_id: int) -> None:
        for path in self._files_of(assessment_id):
            with contextlib.suppress(FileNotFoundError):
                path.unlink()

    def prune(self) -> int:
        """Delete the cached PDFs of assessments that no longer exist (bulk deletes such as
        ``flask purge`` remove rows without calling ``discard``). Returns how many."""
        existing = set(db.session.scalars(select(Assessment.id)))
        removed = 0
        for path in self._all_files():
            owner = path.name.lstrip(".").split("-", 1)[0]
            if owner.isdigit() and int(owner) not in existing:
                with contextlib.suppress(FileNotFoundError):
                    path.unlink()
                    removed += path.suffix == ".pdf"
        return removed

    def wait(self, assessment: Assessment, seconds: float) -> Path | None:
        """The cached PDF, or None if it is not drawn within ``seconds``, or not soon: a
        web worker waits for a render in progress or next in line, not for one behind
        others (nor one that cannot start: REPORT_QUEUE_LIMIT waiting, Redis unreachable).
        Starts the render if nobody has."""
        job = self.job(assessment)
        if job.path.is_file():
            return job.path
        if self.queue is None:
            future = self._start(job)
            return self._result(future, seconds) if self._soon(job.key) else None
        deadline = time.monotonic() + seconds
        while True:
            asked = self.queue.request(job.assessment_id, job.key)  # and is it still going?
            if asked.failure:
                raise ReportError(asked.failure)
            if not asked.soon or time.monotonic() >= deadline:
                return None
            time.sleep(min(POLL_SECONDS, max(0.0, deadline - time.monotonic())))
            if job.path.is_file():
                return job.path

    def warm(self) -> None:
        """Start the render processes of a web process, unless a queue renders instead."""
        if self.queue is None:
            self.pool.warm()

    def ready(self) -> None:
        """Make the render process ready (started again if a render killed it): a queue
        worker does this before each job, outside the job's time limit."""
        self.pool.ready()

    def render_queued(self, assessment_id: int, key: str) -> str:
        """A queue job (in a worker): draw this assessment's report unless it is gone or
        drawn already. Raises ReportError, for the queue to retry and then record."""
        assessment = db.session.get(Assessment, assessment_id)
        if assessment is None:
            return f"assessment {assessment_id} was deleted: nothing drawn"
        job = self.job(assessment)
        if job.key != key:  # e.g. web and worker on different releases during a deploy
            log.warning(
                "assessment %s: asked for report %.12s, drawing %.12s", assessment_id, key, job.key
            )
        try:
            drew = self._produce(job)
        except AssessmentDeleted as gone:  # nothing to retry
            return f"assessment {assessment_id}: {gone}"
        return f"{'drew' if drew else 'found'} {job.path.name}"

    def render_bytes(self, context: dict) -> bytes:
        """Draw a report without caching it (the CLI's ``assess --pdf``)."""
        return self._draw(context).pdf

    def job(self, assessment: Assessment) -> Job:
        if not assessment.submitted:
            raise ReportError(
                f"assessment {assessment.id} is a draft; only submitted ones have a report"
            )
        context = assessment_context(assessment, ops.bank_of(services.banks(self.app), assessment))
        key = cache_key(context, self.template_version)
        path = self.directory / f"{assessment.id}-{key}.pdf"
        return Job(assessment.id, key, path, context)

    # --- drawing and caching ---------------------------------------------------------------

    def _soon(self, key: str) -> bool:
        """Is this render in progress here, or next to start?"""
        with self._lock:
            ahead = list(self._inflight).index(key) if key in self._inflight else 0
        return ahead <= self.threads  # (renders start in the order they were asked for)

    @staticmethod
    def _result(future: Future | None, seconds: float) -> Path | None:
        if future is None:
            return None
        try:
            return future.result(timeout=seconds)
        except FutureTimeout:
            return None

    def _start(self, job: Job) -> Future | None:
        """The render of ``job`` in this process: the one already running, or a new one
        queued; None if REPORT_QUEUE_LIMIT renders are waiting already."""
        with self._lock:
            running = self._inflight.get(job.key)
            if running is not None:
                return running[1]
            if len(self._inflight) >= self.queue_limit:
                return None
            future: Future = Future()
            failed = self._failed.get(job.key)
            if failed and time.monotonic() - failed[0] < self.retry_seconds:
                future.set_exception(ReportError(failed[1]))
                return future
            self._inflight[job.key] = (job.assessment_id, future)
        background.submit(lambda: self._run(job, future), self.threads)
        return future

    def _run(self, job: Job, future: Future) -> None:
        try:
            self._produce(job)
            path = job.path
        except ReportError as exc:
            log.error("report of assessment %s failed: %s", job.assessment_id, exc)
            outcome: Path | ReportError = exc
        except Exception as exc:
            log.exception("report of assessment %s failed", job.assessment_id)
            outcome = ReportError(f"the report could not be drawn ({type(exc).__name__})")
        else:
            outcome = path
        with self._lock:
            del self._inflight[job.key]
            if job.assessment_id in self._discarded:  # deleted while it was being drawn
                with contextlib.suppress(FileNotFoundError):
                    job.path.unlink()
                outcome = ReportError("the assessment was deleted")
                if not any(owner == job.assessment_id for owner, _ in self._inflight.values()):
                    self._discarded.discard(job.assessment_id)
            if isinstance(outcome, ReportError):
                now = time.monotonic()
                self._failed = {
                    key: failure
                    for key, failure in self._failed.items()
                    if now - failure[0] < self.retry_seconds
                }
                self._failed[job.key] = (now, str(outcome))
                future.set_exception(outcome)
            else:
                self._failed.pop(job.key, None)
                future.set_result(outcome)

    def _produce(self, job: Job) -> bool:
        """The job's PDF saved at ``job.path``: whether it was drawn here (else found, drawn
        by another process while this one waited for the file's lock)."""
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            with self._file_lock(job):
                if job.path.is_file():  # another web process drew it while we waited
                    return False
                if self._deleted(job):
                    raise AssessmentDeleted("deleted: nothing drawn")
                rendered = self._draw(job.context)
                self._save(job, rendered.pdf)
                if self._deleted(job):  # meanwhile, perhaps by another process
                    job.path.unlink(missing_ok=True)
                    raise AssessmentDeleted("deleted while its report was drawn: report removed")
        except OSError as exc:
            raise ReportError(
                f"the report could not be saved in {self.directory}: {exc.strerror or exc}"
            ) from None
        self._remove_older(job)
        return True

    def _deleted(self, job: Job) -> bool:
        """Whether the assessment's row is gone. Deleting removes the row first, then the
        files (reports.deletion), and ids are never reused: so a PDF saved after this says
        False is found by that deletion, and one saved before it is removed here."""
        with self.app.app_context():
            return not ops.exists(job.assessment_id)

    def _draw(self, context: dict) -> Any:
        html = render_html(self.app, context, datetime.now(UTC).replace(microsecond=0))
        try:
            rendered = self.pool.render(html, self.timeout)
        except RenderTimeout:
            raise ReportError(
                f"the report took longer than {self.timeout:g} seconds to render and was stopped"
            ) from None
        except RenderError as exc:
            raise ReportError(f"the report could not be rendered: {exc}") from None
        for message in rendered.log:
            log.warning("report rendering: %s", message)
        if rendered.refused:
            log.warning("report rendering refused to fetch: %s", ", ".join(rendered.refused))
        return rendered

    def _save(self, job: Job, pdf: bytes) -> None:
        """Write to a temporary name and rename, so no reader ever sees half a file."""
        fd, temp = tempfile.mkstemp(
            dir=self.directory, prefix=f".{job.assessment_id}-", suffix=".tmp"
        )
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(pdf)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temp, job.path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temp)
            raise

    @contextlib.contextmanager
    def _file_lock(self, job: Job) -> Iterator[None]:
        """Across web processes, one draws a report and the others wait for its file."""
        lock_path = self.directory / f".{job.path.stem}.lock"
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            # Unlink before unlocking: a process still waiting holds the old inode and
            # finds the PDF in place; one arriving later finds the PDF before any lock.
            with contextlib.suppress(FileNotFoundError):
                lock_path.unlink()
            os.close(fd)

    def _remove_older(self, job: Job) -> None:
        """Drop this assessment's PDFs drawn with an older template: never served again."""
        for path in self._files_of(job.assessment_id):
            if path.suffix == ".pdf" and path != job.path:
                with contextlib.suppress(FileNotFoundError):
                    path.unlink()

    def _all_files(self) -> list[Path]:
        try:
            return [p for p in self.directory.iterdir() if p.is_file()]
        except OSError:
            return []

    def _files_of(self, assessment_id: int) -> list[Path]:
        try:
            return [
                *self.directory.glob(f"{assessment_id}-*.pdf"),
                *self.directory.glob(f".{assessment_id}-*"),
            ]
        except OSError:
            return []


def init_app(app: Flask) -> None:
    if app.config.get("REPORT_PRERENDER") is None:
        app.config["REPORT_PRERENDER"] = not app.testing  # tests draw on demand
    services.provide(app, services.Reports, ReportService(app))
