"""``flask --app questionnaire ...`` commands for editors and operators."""

from __future__ import annotations

from flask import Flask

from questionnaire.cli.diff import diff_command
from questionnaire.cli.integrations import tokens_cli, webhooks_cli
from questionnaire.cli.library import library_cli
from questionnaire.cli.questions import assess_command, questions_cli
from questionnaire.cli.reports import purge_command, report_command, reports_cli
from questionnaire.cli.users import users_cli


def init_app(app: Flask) -> None:
    questions_cli.add_command(diff_command)
    commands = (
        questions_cli,
        assess_command,
        report_command,
        reports_cli,
        purge_command,
        users_cli,
        tokens_cli,
        webhooks_cli,
        library_cli,
    )
    for command in commands:
        app.cli.add_command(command)
