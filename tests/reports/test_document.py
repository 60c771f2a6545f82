"""The report as a document: its cache key covers what is printed, its HTML is compacted
without changing text, its file name is safe. No app, no PDF."""

from __future__ import annotations

from datetime import UTC, date, datetime
from types import SimpleNamespace

import pytest

from questionnaire.reports.document import cache_key, compact, report_filename
from tests.core.test_report_context import ANSWERS, context_of


def test_the_out_of_date_flag_is_judged_on_the_day_and_changes_the_cache_key(small_bank):
    """The source is dated 1 September 2025: flagged from 2 September 2028 on. The day is
    not in the context, only the flag, so the cached PDF changes only when the flag does."""
    before = context_of(small_bank, today=date(2028, 9, 1))
    same = context_of(small_bank, today=date(2026, 1, 1))
    after = context_of(small_bank, today=date(2028, 9, 2))
    assert not before["view"]["evidence"]["stale"] and after["view"]["evidence"]["stale"]
    assert cache_key(before, "1") == cache_key(same, "1")
    assert cache_key(before, "1") != cache_key(after, "1")
    flagged = [q for s in after["view"]["sections"] for q in s["questions"] if q["commitment"]]
    assert flagged and all(q["commitment"]["stale"] for q in flagged)


@pytest.mark.parametrize(
    "change",
    [
        {"company": "Other Ltd"},
        {"contact": "Bob"},
        {"report_id": "TC-000002"},
        {"submitted_at": datetime(2026, 11, 29, tzinfo=UTC)},
    ],
)
def test_cache_key_covers_what_is_printed(small_bank, change):
    assert cache_key(context_of(small_bank), "1") != cache_key(
        context_of(small_bank, **change), "1"
    )


def test_cache_key_covers_answers_must_haves_and_template_version(small_bank):
    base = cache_key(context_of(small_bank), "1")
    assert base == cache_key(context_of(small_bank), "1")
    assert base != cache_key(context_of(small_bank), "2")
    assert base != cache_key(context_of(small_bank, must=()), "1")
    assert base != cache_key(context_of(small_bank, answers={**ANSWERS, "notes": "x"}), "1")


def test_compact_drops_indentation_between_tags_only():
    html = "<tr>\n  <td>a b</td>\n  <td>1 &lt;x&gt;\n  y</td>\n</tr>"
    assert compact(html) == "<tr><td>a b</td><td>1 &lt;x&gt;\n  y</td></tr>"


@pytest.mark.parametrize(
    ("company", "name"),
    [
        ("Acme Ltd", "trustcheck-report-acme-ltd-2026-11-30.pdf"),
        ('Ærø "Cloud" / Ops', "trustcheck-report-r-cloud-ops-2026-11-30.pdf"),
        ("***", "trustcheck-report-assessment-2026-11-30.pdf"),
    ],
)
def test_report_filename_is_a_safe_ascii_slug_with_the_submission_date(company, name):
    submitted = datetime(2026, 11, 30, 23, 59, tzinfo=UTC)
    assert report_filename(SimpleNamespace(company=company, submitted_at=submitted)) == name
