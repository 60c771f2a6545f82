"""``flask --app questionnaire ...`` commands for editors and operators."""

from __future__ import annotations

import json
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext

from questionnaire.answers import AnswersInvalid, check_file
from questionnaire.bank import Bank, BankInvalid, default_path, load_bank
from questionnaire.scoring import score

questions_cli = AppGroup("questions", help="Work with the question bank (questions.yaml).")


def _bank_path(path: str | None) -> Path:
    if path:
        return Path(path)
    return Path(current_app.config.get("QUESTIONS_PATH") or default_path())


def _load_or_exit(path: Path) -> Bank:
    try:
        bank = load_bank(path)
    except BankInvalid as exc:
        for problem in sorted([*exc.problems, *exc.warnings], key=lambda p: p.line):
            click.echo(str(problem), err=True)
        noun = "error" if len(exc.problems) == 1 else "errors"
        click.echo(f"{path}: {len(exc.problems)} {noun}; nothing was loaded.", err=True)
        raise SystemExit(1) from None
    for warning in bank.warnings:
        click.echo(str(warning), err=True)
    return bank


@questions_cli.command("validate")
@click.argument("path", required=False, type=click.Path(dir_okay=False))
def validate_command(path: str | None) -> None:
    """Check a bank file; print every problem as PATH:LINE: message."""
    bank = _load_or_exit(_bank_path(path))
    click.echo(
        f"OK: {len(bank.sections)} sections, {len(bank.questions)} questions, version {bank.version}"
    )


@click.command("assess")
@with_appcontext
@click.argument("answers_file", type=click.Path(dir_okay=False))
@click.option(
    "--bank", "bank_path", type=click.Path(dir_okay=False), help="Bank file to score against."
)
def assess_command(answers_file: str, bank_path: str | None) -> None:
    """Score an answers file with method fit/1 and print the result as JSON."""
    bank = _load_or_exit(_bank_path(bank_path))
    try:
        data = json.loads(Path(answers_file).read_text(encoding="utf-8"))
    except OSError as exc:
        raise click.ClickException(f"{answers_file}: cannot read: {exc.strerror}") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise click.ClickException(f"{answers_file}: not valid JSON: {exc}") from None
    try:
        answers = check_file(bank, data)
    except AnswersInvalid as exc:
        for problem in exc.problems:
            click.echo(f"{answers_file}: {problem}", err=True)
        raise SystemExit(1) from None
    result = score(bank, answers.values, answers.must_have)
    click.echo(json.dumps(result.to_dict(), indent=2, ensure_ascii=False))


@click.command("purge")
@with_appcontext
def purge_command() -> None:
    """Delete drafts and submitted assessments that are past their retention period."""
    from questionnaire.operations import purge_expired

    drafts, submitted = purge_expired()
    config = current_app.config
    click.echo(
        f"Deleted {drafts} draft(s) untouched for {config['DRAFT_RETENTION_DAYS']} days and "
        f"{submitted} submitted assessment(s) older than {config['SUBMITTED_RETENTION_DAYS']} days."
    )


def init_app(app: Flask) -> None:
    app.cli.add_command(questions_cli)
    app.cli.add_command(assess_command)
    app.cli.add_command(purge_command)
