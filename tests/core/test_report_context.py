"""The report's plain data, built without an app or a PDF."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from questionnaire.core.bank import parse_bank
from questionnaire.core.report_context import answers_sha256, gauge, report_context
from questionnaire.core.scoring import score
from tests.support import SMALL_BANK

ANSWERS = {"encrypt": "yes", "smime": "yes", "uptime": 99.5, "notes": "Keep <b>this</b>"}
SUBMITTED = datetime(2026, 11, 28, 15, 4, tzinfo=UTC)


def context_of(bank, answers=ANSWERS, must=("smime",), **overrides):
    result = score(bank, answers, must).to_dict()
    fields = {
        "company": "Acme Ltd",
        "contact": "Ann Buyer",
        "submitted_at": SUBMITTED,
        "report_id": "TC-000001",
        "today": SUBMITTED.date(),
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
    shared = {
        "source": "Trust page",
        "url": "https://trust.example.com/",
        "captured": "1 September 2025",
        "stale": False,
    }
    assert [s["source"] for s in sections] == [shared, shared]


def test_a_part_quoting_sources_of_different_dates_names_each_quotes_own(small_bank):
    text = SMALL_BANK.replace(
        'source: "Trust page", evidence: contract}\n      - id: smime',
        'source: "Trust page", evidence: contract, as_of: 2020-01-02}\n      - id: smime',
    )
    assert text != SMALL_BANK
    sections = context_of(parse_bank(text))["view"]["sections"]
    assert sections[0]["source"] is None and sections[1]["source"]["captured"] == "1 September 2025"
    quotes = {q["id"]: q["commitment"] for q in sections[0]["questions"] if q["commitment"]}
    assert quotes["encrypt"]["captured"] == "2 January 2020" and quotes["encrypt"]["stale"]
    assert not quotes["smime"]["stale"]


def test_fit3_summary_parts_are_in_the_context_and_numbered(small_bank):
    answers = {"encrypt": "not_sure", "smime": "yes", "uptime": 99.5, "breach_hours": 24}
    must = ("encrypt", "breach_hours")
    context = context_of(small_bank, answers=answers, must=must)
    view = context["view"]
    assert not view["legacy"] and view["provisional"]
    # "Not sure" is a decision pending, not a requirement: 2 of 3 requirements compared.
    assert view["coverage"]["text"] == "2 of 3 requirements compared with a documented commitment"
    assert [(q["id"], q["number"], q["ask"]) for q in view["unresolved"]] == [
        ("encrypt", "1.2", "Must data be encrypted at rest?"),
        ("breach_hours", "2.3", "Within how many hours must a breach be reported to you?"),
    ]
    assert [(q["id"], q["number"]) for q in view["decide"]] == [("encrypt", "1.2")]
    assert view["provisional_reasons"] == [
        "1 must-have is not found in the source: ask the provider.",
        "1 must-have is answered “Not sure”.",
        "Only 54.5% of the stated weight could be compared with a documented commitment; "
        "a result resting on less than 80% is not rated yet.",
    ]
    assert view["verdict"]["headline"] == "Not yet rated"
    assert context["gauge"]["open"] is not None  # the dial shows the range
    assert not view["all_must_haves_met"]
    assert [c["status"] for c in view["counts"]][-1] == "not_sure"


def test_a_fit1_result_reads_as_it_was_stored(small_bank):
    """Stored before fit/2 (tests/fixtures/fit1): its numbers as stored, none of fit/2's
    parts, and the must-have sentence only where it is true."""
    fixtures = Path(__file__).parents[1] / "fixtures" / "fit1"
    bank = parse_bank((fixtures / "bank.yaml").read_text(), snapshot=True)
    stored = json.loads((fixtures / "answers.json").read_text())
    result = json.loads((fixtures / "result.json").read_text())
    context = report_context(
        bank,
        stored["answers"],
        stored["must_have"],
        result,
        company="Acme Ltd",
        contact="",
        submitted_at=SUBMITTED,
        report_id="TC-000009",
        today=SUBMITTED.date(),
    )
    view = context["view"]
    assert (view["method"], view["legacy"], view["score"]) == ("fit/1", True, result["score"])
    assert view["coverage"] is None and view["unresolved"] == [] and view["decide"] == []
    assert view["frameworks"] == [] and not view["provisional"]
    assert [c["status"] for c in view["counts"]] == [
        "met",
        "partly_met",
        "not_met",
        "not_required",
        "ask_provider",
    ]
    # encrypt is met but breach_hours is "ask the provider": not every must-have is met.
    assert not view["all_must_haves_met"]
    assert view["evidence"]["captured"] == "capture date not recorded"


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


def test_gauge_runs_from_left_to_right_over_the_top():
    empty, half, full = gauge(0), gauge(50), gauge(100)
    assert empty["value"] is None and gauge(None)["value"] is None
    assert half["value"].endswith("110.00 17.00")  # straight up from the centre
    assert full["value"] == full["track"]
