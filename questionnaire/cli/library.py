"""``flask --app questionnaire library ...``: the sales team's answer library."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from questionnaire import services
from questionnaire.core.library import Exported, export_yaml
from questionnaire.current import the_app
from questionnaire.notify import answered
from questionnaire.store import library
from questionnaire.web import jobs

library_cli = AppGroup("library", help="The answer library of the sales workspace.")


@library_cli.command("export")
def export_command() -> None:
    """Print the library answers in use as YAML commitments for questions.yaml.

    Each is a starting point for an editor, never a commitment by itself: check that the
    statement is its source's own words and that the source is public before pasting
    (docs/questions.md, "From the answer library to the bank")."""
    bank = services.banks().current()
    banks = library.stored_banks(services.banks())
    items, left_out = [], {}
    for answer in library.all_answers():
        if library.needs_review(answer, bank):
            left_out[answer.id] = (
                f"needs review: bank {bank.version} asks '{answer.question_id}' differently"
            )
        elif not answer.reference:
            left_out[answer.id] = "no reference, so no source to name"
        else:
            items.append(
                Exported(
                    id=answer.id,
                    question_id=answer.question_id,
                    value=answer.value,
                    statement=answer.statement,
                    reference=answer.reference,
                    grade=answer.grade,
                    author=answer.author,
                    changed=answer.updated_at.date(),
                    versions=tuple(library.fits(answer, banks)),
                )
            )
    click.echo(export_yaml(bank, items, left_out), nl=False)


@library_cli.command("deliver")
def deliver_command() -> None:
    """Run the library jobs waiting and send the buyers' e-mails that are due (for cron:
    web processes do this by themselves, and this picks up after a restart)."""
    app = the_app()
    ran = 0
    while jobs.JobRunner(app).run_one():
        ran += 1
    sent = answered.deliver_due(app)
    mailer = services.mail(app)
    if mailer is not None:
        mailer.wait_until_idle(120)
    click.echo(f"Ran {ran} library job(s); handed {sent} e-mail(s) to the mail server.")
