"""Background work of the answer library: one daemon thread per web process runs the
"apply to every open assessment" jobs (store.library) batch by batch, so no page waits for
them. A job is claimed in the database, so two processes never run the same one; a job
whose process stopped is taken over by the next runner woken (a page showing its
progress wakes one). Kicked when a job starts or is confirmed."""

from __future__ import annotations

from flask import Flask

from questionnaire import services
from questionnaire.notify import answered, letters, webhooks
from questionnaire.notify.background import Loop
from questionnaire.store import library


def sales_urls(app: Flask):
    """The assessment's sales page for webhooks, as web.followup.sales_url gives it in a
    request (PUBLIC_URL, then the path), built without one."""

    def sales_url(assessment_id: int) -> str:
        return letters.public_address(app, "sales.assessment", assessment_id=assessment_id)

    return sales_url


class JobRunner(Loop):
    name = "library-jobs"
    idle_seconds = 30.0  # between looks for a job whose runner stopped

    def work(self) -> None:
        while self.run_one():
            pass

    def run_one(self) -> bool:
        """Claim a job and run it to its end; whether there was one."""
        with self.app.app_context(), services.unit_of_work(self.app) as uow:
            job_id = library.claim()
            uow.commit()  # claimed: no other runner takes it
            if job_id is None:
                return False
            more, sales_url = True, sales_urls(self.app)
            banks = services.banks(self.app)
            while more:
                more = library.run_step(uow, banks, job_id, sales_url)
                # Each batch is committed: its buyers' letters and webhooks may go now.
                answered.kick(self.app)
                webhooks.kick(self.app)
            return True


def kick(app: Flask | None = None) -> None:
    runner = services.library_jobs(app)
    if runner is not None:
        runner.kick()


def keep_running(app: Flask) -> None:
    """Start this process's library and e-mail threads if they are not running yet, so the
    work a stopped process left (a job, a letter due later) is found without a kick. Not
    under TESTING: tests run the work themselves."""
    if app.testing:
        return
    for loop in (services.library_jobs(app), services.answer_notices(app)):
        if loop is not None:
            loop.start()


def init_app(app: Flask) -> None:
    background = app.config.get("LIBRARY_BACKGROUND")
    if background is None:
        background = not app.testing  # tests run jobs with store.library.run
    if background:
        services.provide(app, services.LibraryJobs, JobRunner(app))
