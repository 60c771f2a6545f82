"""``flask --app questionnaire questions diff OLD.yaml [NEW.yaml]``: what an edit changes.

Lists the changes between two bank files, then re-scores every submitted assessment in
the database under the new bank, in memory only, so an editor sees what a new weight or
commitment does to real results before shipping it. Nothing is written.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click
from flask.cli import with_appcontext
from sqlalchemy import Row, select

from questionnaire.cli.questions import bank_file, has_table, load_or_exit
from questionnaire.core.bank import Bank
from questionnaire.core.bankdiff import Move, biggest_moves, diff_banks, rescore
from questionnaire.core.presenter import score_text
from questionnaire.core.report_context import report_id_of
from questionnaire.store.db import db
from questionnaire.store.models import SUBMITTED, Assessment

BATCH = 500  # rows read at a time: a large database is streamed, never held whole


@click.command("diff")
@with_appcontext
@click.argument("old", type=click.Path(dir_okay=False))
@click.argument("new", required=False, type=click.Path(dir_okay=False))
@click.option("--top", default=10, show_default=True, type=click.IntRange(0, 1000),
              help="How many of the biggest moves to list.")  # fmt: skip
def diff_command(old: str, new: str | None, top: int) -> None:
    """Changes from OLD to NEW (default: the bank in use), and their effect on stored results."""
    before = load_or_exit(Path(old), older=True)
    new_path = bank_file(new)
    after = load_or_exit(new_path)
    changes = diff_banks(before, after)
    click.echo(
        f"From {old} (version {before.version}, {len(before.questions)} questions) "
        f"to {new_path} (version {after.version}, {len(after.questions)} questions):"
    )
    for change in changes:
        click.echo(f"  {change}")
    kinds = Counter(change.kind for change in changes)
    summary = ", ".join(f"{count} {kind}" for kind, count in kinds.items())
    click.echo(f"{len(changes)} change(s){': ' + summary if summary else ''}.")
    if changes and before.version == after.version:
        click.echo(f"warning: both files say version {after.version!r}: bump it.", err=True)
    click.echo("")
    _effect_on_assessments(after, top)


def _submitted() -> Iterator[Row[Any]]:
    query = (
        select(Assessment.id, Assessment.company, Assessment.answers, Assessment.must_have,
               Assessment.score, Assessment.rating)
        .where(Assessment.status == SUBMITTED)
        .order_by(Assessment.id)
        .execution_options(yield_per=BATCH)
    )  # fmt: skip
    yield from db.session.execute(query)


def _effect_on_assessments(bank: Bank, top: int) -> None:
    if not has_table(Assessment.__tablename__):
        click.echo("No database with assessments here, so no results were re-scored.")
        return
    moves: list[Move] = []
    bands: Counter[tuple[str | None, str | None]] = Counter()
    dropped: Counter[str] = Counter()
    up = down = 0
    for row in _submitted():
        rescored = rescore(bank, row.answers or {}, row.must_have or [])
        move = Move(row.id, row.company, row.score, row.rating,
                    rescored.result.score, rescored.result.rating)  # fmt: skip
        moves.append(move)
        if move.band_changed:
            bands[(move.rating_before, move.rating_after)] += 1
        up += move.change > 0
        down += move.change < 0
        dropped.update(rescored.dropped)
    total = len(moves)
    click.echo(
        f"Effect on the {total} submitted assessment(s) in the database "
        "(re-scored in memory under the new bank; nothing was written):"
    )
    if not total:
        return
    changed = sum(bands.values())
    click.echo(f"  {changed} of {total} change rating band.")
    for (was, now), count in bands.most_common():
        click.echo(f"    {was or 'Not rated'} -> {now or 'Not rated'}: {count}")
    click.echo(f"  Score up for {up}, down for {down}, unchanged for {total - up - down}.")
    if dropped:
        lost = ", ".join(f"{qid} ({count})" for qid, count in dropped.most_common(5))
        click.echo(f"  Answers the new bank no longer takes (dropped when re-scoring): {lost}.")
    listed = [m for m in biggest_moves(moves, top) if m.change or m.band_changed]
    if listed:
        click.echo("  Biggest moves:")
    for move in listed:
        click.echo(
            f"    {report_id_of(move.assessment_id)} {move.company[:30]:<30} "
            f"{score_text(move.score_before):>10} {move.rating_before or 'Not rated':<18} -> "
            f"{score_text(move.score_after):>10} {move.rating_after or 'Not rated'}"
        )
