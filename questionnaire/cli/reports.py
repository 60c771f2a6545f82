"""``flask --app questionnaire report``, ``reports worker`` and ``purge``: for operators."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from questionnaire import services
from questionnaire.cli.questions import write_file
from questionnaire.current import the_app
from questionnaire.reports import deletion
from questionnaire.reports.service import ReportError
from questionnaire.store import apitokens, changes, mails, outbox, throttle
from questionnaire.store.db import db
from questionnaire.store.models import Assessment, utcnow


@click.command("report")
@with_appcontext
@click.argument("assessment_id", type=int)
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False),
    help="Where to write the PDF.",
)
def report_command(assessment_id: int, output: str) -> None:
    """Write the PDF report of a submitted assessment (drawn and cached if needed)."""
    assessment = db.session.get(Assessment, assessment_id)
    if assessment is None:
        raise click.ClickException(f"there is no assessment {assessment_id}")
    if not assessment.submitted:
        raise click.ClickException(
            f"assessment {assessment_id} is a draft; only submitted assessments have a report"
        )
    try:
        path = services.reports().pdf_path(assessment)
    except ReportError as exc:
        raise click.ClickException(f"the PDF report was not written: {exc}") from None
    write_file(Path(output), path.read_bytes())
    click.echo(f"Wrote the report of assessment {assessment_id} to {output}")


@click.group("reports")
def reports_cli() -> None:
    """Report rendering for operators."""


@reports_cli.command("worker")
@with_appcontext
@click.option("--burst", is_flag=True, help="Stop when the queue is empty.")
def worker_command(burst: bool) -> None:
    """Draw the PDF reports that web processes put on the REPORT_QUEUE_URL queue, and
    deliver the webhooks they queue there (before renders)."""
    from questionnaire.notify.webhook_queue import worker_work  # (see ReportService)
    from questionnaire.reports.queue import NoQueue, run_worker

    app = the_app()
    try:
        run_worker(app, burst=burst, other_work=worker_work(app))
    except NoQueue as exc:
        raise click.ClickException(str(exc)) from None


@click.command("purge")
@with_appcontext
def purge_command() -> None:
    """Delete assessments past their retention period with their PDF reports, any PDF whose
    assessment is gone, sign-in attempts, starts and e-mails too old to count, the change
    feed's deletion records after 31 days, delivered webhooks after 30, and API bookkeeping."""
    purged = deletion.purge()
    config = current_app.config
    click.echo(
        f"Deleted {purged.drafts} draft(s) untouched for {config['DRAFT_RETENTION_DAYS']} days "
        f"and {purged.submitted} submitted assessment(s) older than "
        f"{config['SUBMITTED_RETENTION_DAYS']} days."
    )
    click.echo(f"Deleted {purged.reports} PDF report(s) of assessments that no longer exist.")
    now = utcnow()
    with services.unit_of_work() as uow:
        attempts = throttle.purge_attempts(now) + mails.purge_recipients(now)
        stones = changes.purge_tombstones(now)
        sent = outbox.purge_delivered(now)
        kept = apitokens.purge(now)
        uow.commit()
    click.echo(f"Deleted {attempts} sign-in, start and e-mail count(s) older than a day.")
    click.echo(
        f"Deleted {stones} deletion record(s) of the change feed older than "
        f"{changes.TOMBSTONE_KEPT.days} days."
    )
    click.echo(f"Deleted {sent} delivered webhook(s) older than {outbox.DELIVERED_KEPT.days} days.")
    click.echo(f"Deleted {kept} API request count(s) and idempotency key(s) no longer needed.")
