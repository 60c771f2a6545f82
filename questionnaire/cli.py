"""``flask --app questionnaire ...`` commands for editors and operators."""

from __future__ import annotations

import json
from datetime import UTC, datetime
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
@click.option(
    "--pdf", "pdf_path", type=click.Path(dir_okay=False), help="Also write the PDF report here."
)
@click.option("--company", help="The buyer's company, for the PDF report's cover.")
def assess_command(
    answers_file: str, bank_path: str | None, pdf_path: str | None, company: str | None
) -> None:
    """Score an answers file with method fit/1 and print the result as JSON."""
    if company is not None and pdf_path is None:
        raise click.UsageError("--company is printed on the PDF report: give --pdf too.")
    bank = _load_or_exit(_bank_path(bank_path))
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
    result = score(bank, answers.values, answers.must_have)
    click.echo(json.dumps(result.to_dict(), indent=2, ensure_ascii=False))
    if pdf_path:
        write_answers_report(bank, answers, result.to_dict(), company or "", Path(pdf_path))


def write_answers_report(bank: Bank, answers, result: dict, company: str, out: Path) -> None:
    """The PDF report of an answers file; its report id is taken from the answers' hash."""
    from questionnaire import report

    context = report.report_context(
        bank,
        answers.values,
        answers.must_have,
        result,
        company=company,
        contact="",
        submitted_at=datetime.now(UTC),
        report_id="TC-FILE-" + report.answers_sha256(answers.values, answers.must_have)[:8].upper(),
    )
    try:
        pdf = current_app.extensions["reports"].render_bytes(context)
    except report.ReportError as exc:
        raise click.ClickException(f"the PDF report was not written: {exc}") from None
    _write_file(out, pdf)
    click.echo(f"Wrote the PDF report to {out}", err=True)  # stdout stays pure JSON


def _write_file(out: Path, data: bytes) -> None:
    try:
        out.write_bytes(data)
    except OSError as exc:
        raise click.ClickException(f"{out}: cannot write: {exc.strerror}") from None


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
    from questionnaire import report
    from questionnaire.extensions import db
    from questionnaire.models import Assessment

    assessment = db.session.get(Assessment, assessment_id)
    if assessment is None:
        raise click.ClickException(f"there is no assessment {assessment_id}")
    if not assessment.submitted:
        raise click.ClickException(
            f"assessment {assessment_id} is a draft; only submitted assessments have a report"
        )
    try:
        path = current_app.extensions["reports"].pdf_path(assessment)
    except report.ReportError as exc:
        raise click.ClickException(f"the PDF report was not written: {exc}") from None
    _write_file(Path(output), path.read_bytes())
    click.echo(f"Wrote the report of assessment {assessment_id} to {output}")


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
    # Their PDF reports go too: a deleted buyer's answers must not stay on disk.
    reports = current_app.extensions["reports"].prune()
    if reports:
        click.echo(f"Deleted {reports} PDF report(s) of assessments that no longer exist.")


def init_app(app: Flask) -> None:
    app.cli.add_command(questions_cli)
    app.cli.add_command(assess_command)
    app.cli.add_command(report_command)
    app.cli.add_command(purge_command)
