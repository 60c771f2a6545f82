"""The report's plain data and cache key, built without an app or a PDF."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest

from questionnaire.report import (
    answers_sha256,
    cache_key,
    compact,
    gauge,
    report_context,
    report_filename,
)
from questionnaire.scoring import score

ANSWERS = {"encrypt": "yes", "smime": "yes", "uptime": 99.5, "notes": "Keep <b>this</b>"}
SUBMITTED = datetime(2026, 11, 28, 15, 4, tzinfo=UTC)


def context_of(bank, answers=ANSWERS, must=("smime",), **overrides):
    result = score(bank, answers, must).to_dict()
    fields = {
        "company": "Acme Ltd",
        "contact": "Ann Buyer",
        "submitted_at": SUBMITTED,
        "report_id": "TC-000001",
    } | overrides
    return report_context(bank, answers, list(must), result, **fields)


def test_context_is_plain_json_data(small_bank):
    context = context_of(small_bank)
    assert json.loads(json.dumps(context)) == context


def test_questions_are_numbered_by_part_everywhere_they_are_listed(small_bank):
    view = context_of(small_bank)["view"]
    assert [q["number"] for q in view["sections"][0]["questions"]] == ["1.1", "1.2", "1.3"]
    assert [q["number"] for q in view["deal_breakers"]] == ["1.3"]  # smime: not offered
    assert [(f["id"], f["number"]) for f in view["follow_ups"]] == [("smime", "1.3")]


def test_a_source_shared_by_a_whole_part_is_named_once(small_bank):
    sections = context_of(small_bank)["view"]["sections"]
    assert [s["source"] for s in sections] == ["Trust page", "Trust page"]


def test_cover_date_and_totals(small_bank):
    context = context_of(small_bank)
    assert context["submitted"] == {"text": "28 November 2026", "iso": "2026-11-28"}
    # encrypt 3 of 3, smime 0 of 1, uptime 5 of 5 (99.9% offered, 99.5% asked)
    assert context["totals"] == {"points": 8.0, "max": 9.0}
    assert context["tone"] == "poor"  # capped by the smime deal-breaker


def test_a_blank_company_is_named_as_such(small_bank):
    assert context_of(small_bank, company="  ")["buyer"]["company"] == "Buyer not named"


def test_answers_hash_ignores_key_and_must_have_order():
    a = answers_sha256({"a": 1, "b": [1, 2]}, ["x", "y"])
    assert a == answers_sha256({"b": [1, 2], "a": 1}, ["y", "x"])
    assert a != answers_sha256({"a": 2, "b": [1, 2]}, ["x", "y"])
    assert len(a) == 64


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


def test_gauge_runs_from_left_to_right_over_the_top():
    empty, half, full = gauge(0), gauge(50), gauge(100)
    assert empty["value"] is None and gauge(None)["value"] is None
    assert half["value"].endswith("110.00 17.00")  # straight up from the centre
    assert full["value"] == full["track"]


def test_compact_drops_indentation_between_tags_only():
    html = "<tr>\n  <td>a b</td>\n  <td>1 &lt;x&gt;\n  y</td>\n</tr>"
    assert compact(html) == "<tr><td>a b</td><td>1 &lt;x&gt;\n  y</td></tr>"


@pytest.mark.parametrize(
    "company, name",
    [
        ("Acme Ltd", "trustcheck-report-acme-ltd.pdf"),
        ('Ærø "Cloud" / Ops', "trustcheck-report-r-cloud-ops.pdf"),
        ("***", "trustcheck-report-assessment.pdf"),
    ],
)
def test_report_filename_is_a_safe_ascii_slug(company, name):
    assert report_filename(SimpleNamespace(company=company)) == name


def test_settings_come_from_the_environment_as_the_defaults_type(monkeypatch):
    from questionnaire.config import ConfigError
    from questionnaire.report import setting

    monkeypatch.setenv("REPORT_WORKERS", "2")
    monkeypatch.setenv("REPORT_PRERENDER", "0")
    assert setting("REPORT_WORKERS", 1) == 2 and setting("REPORT_PRERENDER", True) is False
    assert setting("REPORT_WAIT_SECONDS", 8.0) == 8.0  # not set: the default
    monkeypatch.setenv("REPORT_WORKERS", "two")
    with pytest.raises(ConfigError, match="REPORT_WORKERS must be a whole number"):
        setting("REPORT_WORKERS", 1)
