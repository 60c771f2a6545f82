"""``flask --app questionnaire questions ...`` and ``assess``: for editors of the bank."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.exc import SQLAlchemyError

from questionnaire import services
from questionnaire.core.answers import AnswersInvalid, check_file, retired_answers
from questionnaire.core.bank import Bank, BankInvalid, load_bank, reuses_version, version_clash
from questionnaire.core.report_context import answers_sha256, report_context
from questionnaire.core.scoring import score
from questionnaire.reports.service import ReportError
from questionnaire.store import snapshots
from questionnaire.store.db import db
from questionnaire.store.models import BankSnapshot

questions_cli = AppGroup("questions", help="Work with the question bank (questions.yaml).")


def bank_file(path: str | None) -> Path:
    if path:
        return Path(path)
    return Path(current_app.config["QUESTIONS_PATH"])


def load_or_exit(path: Path, older: bool = False) -> Bank:
    """The bank at ``path``, or every problem printed and exit 1. ``older``: an earlier
    version of the bank, which may be of an older schema (to compare with)."""
    try:
        bank = load_bank(path, snapshot=older)
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
@click.option(
    "--previous",
    type=click.Path(dir_okay=False),
    help="The bank's previous file: if the content changed, so must the version.",
)
def validate_command(path: str | None, previous: str | None) -> None:
    """Check a bank file; print every problem as PATH:LINE: message.

    A bank whose content differs from the previous file's (--previous) or from a bank
    stored in the database under the same version is refused: bump its version.
    """
    path_used = bank_file(path)
    bank = load_or_exit(path_used)
    clashes = []
    if previous:
        old = load_or_exit(Path(previous), older=True)
        if reuses_version(bank, old):
            clashes.append(version_clash(bank, str(path_used), previous))
    stored = _stored_clash(bank)
    if stored is not None:
        clashes.append(version_clash(bank, str(path_used), f"the bank stored as {stored[:12]}"))
    for problem in clashes:
        click.echo(str(problem), err=True)
    if clashes:
        raise SystemExit(1)
    click.echo(
        f"OK: {len(bank.sections)} sections, {len(bank.questions)} questions, version {bank.version}"
    )


def has_table(name: str) -> bool:
    """Whether the app's database exists and has this table. Looks without creating
    anything: an editor's command never makes an empty SQLite file."""
    uri = str(current_app.config["SQLALCHEMY_DATABASE_URI"])
    if uri.startswith("sqlite:///") and not Path(uri.removeprefix("sqlite:///")).is_file():
        return False
    try:
        return sa_inspect(db.engine).has_table(name)
    except SQLAlchemyError:
        return False


def _stored_clash(bank: Bank) -> str | None:
    """A bank stored in the database with this version but other content (see snapshots)."""
    if not has_table(BankSnapshot.__tablename__):
        return None
    return snapshots.clash(db.engine, bank)


@click.command("assess")
@with_appcontext
@click.argument("answers_file", type=click.Path(dir_okay=False))
@click.option(
    "--bank", "bank_path", type=click.Path(dir_okay=False), help="Bank file to score against."
)
@click.option(
    "--pdf", "pdf_path", type=click.Path(dir_okay=False), help="Also write the PDF report here."
)
@click.option("--company", help="The buyer's company, for the PDF report's cover.")
def assess_command(
    answers_file: str, bank_path: str | None, pdf_path: str | None, company: str | None
) -> None:
    """Score an answers file with method fit/2 and print the result as JSON."""
    if company is not None and pdf_path is None:
        raise click.UsageError("--company is printed on the PDF report: give --pdf too.")
    bank = load_or_exit(bank_file(bank_path))
    try:
        data = json.loads(Path(answers_file).read_text(encoding="utf-8"))
    except OSError as exc:
        raise click.ClickException(f"{answers_file}: cannot read: {exc.strerror}") from None
    except ValueError as exc:  # not UTF-8, not JSON, or a number with over 4,300 digits
        reason = str(exc).split(";")[0]  # not Python's advice on raising the digit limit
        raise click.ClickException(f"{answers_file}: not valid JSON: {reason}") from None
    except RecursionError:
        raise click.ClickException(f"{answers_file}: not valid JSON: nested too deeply") from None
    try:
        answers = check_file(bank, data)
    except AnswersInvalid as exc:
        for problem in exc.problems:
            click.echo(f"{answers_file}: {problem}", err=True)
        raise SystemExit(1) from None
    for warning in retired_answers(bank, answers.values):
        click.echo(f"{answers_file}: warning: {warning}", err=True)
    result = score(bank, answers.values, answers.must_have)
    click.echo(json.dumps(result.to_dict(), indent=2, ensure_ascii=False))
    if pdf_path:
        write_answers_report(bank, answers, result.to_dict(), company or "", Path(pdf_path))


def write_answers_report(bank: Bank, answers, result: dict, company: str, out: Path) -> None:
    """The PDF report of an answers file; its report id is taken from the answers' hash."""
    now = datetime.now(UTC)
    context = report_context(
        bank,
        answers.values,
        answers.must_have,
        result,
        company=company,
        contact="",
        submitted_at=now,
        report_id="TC-FILE-" + answers_sha256(answers.values, answers.must_have)[:8].upper(),
        today=now.date(),
    )
    try:
        pdf = services.reports().render_bytes(context)
    except ReportError as exc:
        raise click.ClickException(f"the PDF report was not written: {exc}") from None
    write_file(out, pdf)
    click.echo(f"Wrote the PDF report to {out}", err=True)  # stdout stays pure JSON


def write_file(out: Path, data: bytes) -> None:
    try:
        out.write_bytes(data)
    except OSError as exc:
        raise click.ClickException(f"{out}: cannot write: {exc.strerror}") from None
