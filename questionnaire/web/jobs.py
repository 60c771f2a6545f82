"""Background work of the answer library: one daemon thread per web process runs the
"apply to every open assessment" jobs (store.library) batch by batch, so no page waits for
them. A job is claimed in the database, so two processes never run the same one; a job
whose process stopped is taken over by the next runner woken (a page showing its
progress wakes one). Kicked when a job starts or is confirmed."""

from __future__ import annotations

import logging
import threading

from flask import Flask

from questionnaire.notify import answered, webhooks
from questionnaire.store import library

log = logging.getLogger(__name__)
IDLE_WAIT = 30.0  # seconds between looks for a job whose runner stopped


def sales_urls(app: Flask):
    """The assessment's sales page for webhooks, as web.followup.sales_url gives it in a
    request (PUBLIC_URL, then the path), built without one."""
    adapter = app.url_map.bind("localhost", script_name=app.config.get("APPLICATION_ROOT", "/"))
    base = app.config.get("PUBLIC_URL", "")

    def sales_url(assessment_id: int) -> str:
        return base + adapter.build("sales.assessment", {"assessment_id": assessment_id})

    return sales_url


class JobRunner:
    def __init__(self, app: Flask):
        self.app = app
        self.wake = threading.Event()
        self.thread: threading.Thread | None = None
        self.lock = threading.Lock()

    def kick(self) -> None:
        with self.lock:
            if self.thread is None or not self.thread.is_alive():
                self.thread = threading.Thread(target=self.run, name="library-jobs", daemon=True)
                self.thread.start()
        self.wake.set()

    def run(self) -> None:
        while True:
            self.wake.wait(IDLE_WAIT)
            self.wake.clear()
            try:
                while self.run_one():
                    pass
            except Exception:  # the thread must outlive a bad moment (a database restart)
                log.exception("library jobs could not run")

    def run_one(self) -> bool:
        """Claim a job and run it to its end; whether there was one."""
        with self.app.app_context():
            job_id = library.claim()
            if job_id is None:
                return False
            more, sales_url = True, sales_urls(self.app)
            while more:
                more = library.run_step(job_id, sales_url)
                # Each batch is committed: its buyers' letters and webhooks may go now.
                answered.kick(self.app)
                webhooks.kick(self.app)
            return True


def kick(app: Flask) -> None:
    runner = app.extensions.get("library_jobs")
    if runner is not None:
        runner.kick()


def init_app(app: Flask) -> None:
    app.extensions["library_jobs"] = JobRunner(app)
