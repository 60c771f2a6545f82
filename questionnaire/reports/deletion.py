"""Deleting assessments with every copy of their PDF report: the one place that does it,
for the buyer's delete button and for ``flask purge``.

The row goes first, then the files. A render finishing meanwhile, in any process, looks
for the row after saving its PDF and removes the PDF if the row is gone (ids are never
reused, so a row gone means deleted); a PDF saved before that look is found here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from questionnaire import services
from questionnaire.store import operations as ops
from questionnaire.store.models import Assessment


def delete_assessment(assessment: Assessment, revisions: Sequence[Assessment] = ()) -> None:
    """The buyer's own deletion: their answers, result, access log and PDFs, and those of
    the ``revisions`` made from it that they chose to delete with it. The rows go in a unit
    of work of its own (call it with none open), committed before the files are removed."""
    doomed = [assessment, *revisions]
    numbers = [a.id for a in doomed]
    with services.unit_of_work() as uow:
        ops.delete_assessments(uow, doomed)
        uow.commit()
    for number in numbers:
        services.reports().discard(number)


@dataclass(frozen=True)
class Purged:
    drafts: int
    submitted: int
    reports: int  # PDF files of assessments that no longer exist


def purge(now: datetime | None = None) -> Purged:
    """Delete assessments past their retention, and any PDF whose assessment is gone
    (bulk deletes remove rows without asking for their files one by one)."""
    with services.unit_of_work() as uow:
        drafts, submitted = ops.purge_expired(uow, now)
        uow.commit()
    return Purged(drafts, submitted, services.reports().prune())
