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

from flask import current_app

from questionnaire.reports.service import ReportService
from questionnaire.store import operations as ops
from questionnaire.store.models import Assessment


def service() -> ReportService:
    return current_app.extensions["reports"]


def delete_assessment(assessment: Assessment, revisions: Sequence[Assessment] = ()) -> None:
    """The buyer's own deletion: their answers, result, access log and PDFs, and those of
    the ``revisions`` made from it that they chose to delete with it."""
    doomed = [assessment, *revisions]
    numbers = [a.id for a in doomed]
    ops.delete_assessments(doomed)
    for number in numbers:
        service().discard(number)


@dataclass(frozen=True)
class Purged:
    drafts: int
    submitted: int
    reports: int  # PDF files of assessments that no longer exist


def purge(now: datetime | None = None) -> Purged:
    """Delete assessments past their retention, and any PDF whose assessment is gone
    (bulk deletes remove rows without asking for their files one by one)."""
    drafts, submitted = ops.purge_expired(now)
    return Purged(drafts, submitted, service().prune())
