"""The stored result as the buyer's result page and the sales page show it."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import request

from questionnaire.core.bank import Bank
from questionnaire.core.presenter import result_view
from questionnaire.core.written import mark_written
from questionnaire.store import followup
from questionnaire.store.models import Assessment

SHOW_ALL = "all"  # ?show=all: every fold open (the default view folds what needs no attention)


def page_view(bank: Bank, assessment: Assessment) -> dict:
    """The result in force (the submitted one, or its latest revision with the provider's
    written answers marked apart), judged today (a source may have become old enough to
    flag), with every fold open when the page's address asks for it."""
    now = followup.current(assessment)
    view = result_view(
        bank, assessment.answers, assessment.must_have, now.result, datetime.now(UTC).date()
    )
    view["revision"] = now.revision
    mark_written(view, bank, now.written, assessment.submitted_result)
    view["show_all"] = request.args.get("show") == SHOW_ALL
    return view
