"""Plain data for the result page and the PDF (core/presenter.py): each question with the
buyer's answer, the provider's commitment and the outcome in words, each section, the lists."""

from __future__ import annotations

from datetime import date

import pytest

from questionnaire.core.bank import parse_bank
from questionnaire.core.presenter import (
    answer_text,
    footing_view,
    gap_text,
    missing_labels,
    outcome_view,
    points_text,
    question_view,
    result_view,
    score_text,
)
from questionnaire.core.qtypes import downtime_minutes, downtime_text
from questionnaire.core.scoring import score
from tests.core.test_result import EVERY_KIND, EVERY_KIND_MUST
from tests.support import SMALL_BANK

TODAY = date(2026, 1, 15)
# The small bank with its uptime question an availability: reports show the downtime.
AVAILABILITY_BANK = SMALL_BANK.replace(
    '        unit: "%"\n        min: 90',
    '        unit: "%"\n        availability: true\n        min: 90',
)

PAGE = {
    "title": "Small bank",
    "provider": "Example Cloud",
    "score": 45.833333333333336,
    "score_text": "45.8",
    "rating": "Not yet rated",
    "capped": False,
    "method": "fit/3",
    "bank_version": "1.0",
    "counts": [
        {"status": "met", "label": "Met", "count": 1},
        {"status": "partly_met", "label": "Partly met", "count": 2},
        {"status": "not_met", "label": "Not met", "count": 0},
        {"status": "not_required", "label": "Not required", "count": 2},
        {"status": "ask_provider", "label": "Ask the provider", "count": 2},
        {"status": "not_sure", "label": "Not sure", "count": 1},
    ],
}
SECTIONS = [
    {
        "id": "sec",
        "title": "Security",
        "intro": "",
        "score": 100.0,
        "score_text": "100.0",
        "points_text": "3 of 3",
        "attention": 2,
        "footing_text": "1 of 3 compared",
        "enough": False,
    },
    {
        "id": "ops",
        "title": "Operations",
        "intro": "",
        "score": 27.77777777777778,
        "score_text": "27.8",
        "points_text": "2.5 of 9",
        "attention": 3,
        "footing_text": "2 of 3 compared",
        "enough": True,
    },
]
QUESTIONS = [
    {
        "id": "personal",
        "prompt": "Will you keep personal data in the service?",
        "type": "yesno",
        "answer": "Yes",
        "is_text": False,
        "scored": False,
        "context": True,
        "commitment": None,
        "follow_up": "Will you keep personal data in the service?",
        "feel": [],
        "written": None,
        "status": "not_required",
        "status_label": "Not required",
        "points": 0.0,
        "max": 0.0,
        "points_text": "",
        "must_have": False,
        "deal_breaker": False,
        "missing": [],
        "unknown": [],
        "short": [],
        "evidence_grade": None,
        "evidence_label": "",
        "unconfirmed": False,
        "near_miss": False,
        "gap_text": "",
        "plan_note": "",
        "attention": False,
        "section_title": "Security",
        "not_found": "Not found in Trust page, captured 1 September 2025",
    },
    {
        "id": "encrypt",
        "prompt": "Must data be encrypted at rest?",
        "type": "yesno",
        "answer": "Yes",
        "is_text": False,
        "scored": True,
        "context": False,
        "commitment": {
            "text": "Yes",
            "statement": "Encryption at rest",
            "source": "Trust page",
            "url": "https://trust.example.com/",
            "captured": "1 September 2025",
            "as_of": "2025-09-01",
            "stale": False,
        },
        "follow_up": "How are keys managed?",
        "feel": [],
        "written": None,
        "status": "met",
        "status_label": "Met",
        "points": 3.0,
        "max": 3.0,
        "points_text": "3 of 3",
        "must_have": True,
        "deal_breaker": False,
        "missing": [],
        "unknown": [],
        "short": [],
        "evidence_grade": "contract",
        "evidence_label": "Contract",
        "unconfirmed": False,
        "near_miss": False,
        "gap_text": "",
        "plan_note": "",
        "attention": False,
        "section_title": "Security",
        "not_found": "Not found in Trust page, captured 1 September 2025",
    },
    {
        "id": "smime",
        "prompt": "Do you need S/MIME?",
        "type": "yesno",
        "answer": "Not sure",
        "is_text": False,
        "scored": True,
        "context": False,
        "commitment": {
            "text": "No",
            "statement": "No S/MIME",
            "source": "Trust page",
            "url": "https://trust.example.com/",
            "captured": "1 September 2025",
            "as_of": "2025-09-01",
            "stale": False,
        },
        "follow_up": "Do you need S/MIME?",
        "feel": [],
        "written": None,
        "status": "not_sure",
        "status_label": "Not sure",
        "points": 0.0,
        "max": 0.0,
        "points_text": "",
        "must_have": False,
        "deal_breaker": False,
        "missing": [],
        "unknown": [],
        "short": [],
        "evidence_grade": None,
        "evidence_label": "",
        "unconfirmed": False,
        "near_miss": False,
        "gap_text": "",
        "plan_note": "",
        "attention": True,
        "section_title": "Security",
        "not_found": "Not found in Trust page, captured 1 September 2025",
    },
    {
        "id": "region",
        "prompt": "Where must data live?",
        "type": "choice",
        "answer": "In Switzerland",
        "is_text": False,
        "scored": True,
        "context": False,
        "commitment": {
            "text": "In the EU; In the US",
            "statement": "EU and US regions",
            "source": "Trust page",
            "url": "https://trust.example.com/",
            "captured": "1 September 2025",
            "as_of": "2025-09-01",
            "stale": False,
        },
        "follow_up": "Where must data live?",
        "feel": [],
        "written": None,
        "status": "ask_provider",
        "status_label": "Ask the provider",
        "points": 0.0,
        "max": 0.0,
        "points_text": "",
        "must_have": True,
        "deal_breaker": False,
        "missing": ["In Switzerland"],
        "unknown": ["In Switzerland"],
        "short": [],
        "evidence_grade": None,
        "evidence_label": "",
        "unconfirmed": False,
        "near_miss": False,
        "gap_text": "",
        "plan_note": "",
        "attention": True,
        "section_title": "Security",
        "not_found": "Not found in Trust page, captured 1 September 2025",
    },
    {
        "id": "certs",
        "prompt": "Which certifications must the provider hold?",
        "type": "multi",
        "answer": "ISO 27001; FedRAMP",
        "is_text": False,
        "scored": True,
        "context": False,
        "commitment": {
            "text": "ISO 27001; SOC 2",
            "statement": "ISO and SOC, not FedRAMP",
            "source": "Trust page",
            "url": "https://trust.example.com/",
            "captured": "1 September 2025",
            "as_of": "2025-09-01",
            "stale": False,
        },
        "follow_up": "Which certifications must the provider hold?",
        "feel": [],
        "written": None,
        "status": "partly_met",
        "status_label": "Partly met",
        "points": 0.0,
        "max": 4.0,
        "points_text": "0 of 4",
        "must_have": False,
        "deal_breaker": False,
        "missing": ["FedRAMP"],
        "unknown": [],
        "short": ["FedRAMP"],
        "evidence_grade": "independent",
        "evidence_label": "",
        "unconfirmed": False,
        "near_miss": False,
        "gap_text": "",
        "plan_note": "",
        "attention": True,
        "section_title": "Operations",
        "not_found": "Not found in Trust page, captured 1 September 2025",
    },
    {
        "id": "uptime",
        "prompt": "What monthly uptime must be financially backed?",
        "type": "number",
        "answer": "99.95%",
        "is_text": False,
        "scored": True,
        "context": False,
        "commitment": {
            "text": "99.9%",
            "statement": "99.9% uptime",
            "source": "Trust page",
            "url": "https://trust.example.com/",
            "captured": "1 September 2025",
            "as_of": "2025-09-01",
            "stale": False,
        },
        "follow_up": "What monthly uptime must be financially backed?",
        "feel": [
            "Asked for 99.95%: up to 21.6 minutes of downtime a month",
            "The provider commits to 99.9%: up to 43.2 minutes of downtime a month",
        ],
        "written": None,
        "status": "partly_met",
        "status_label": "Near miss",
        "points": 2.5,
        "max": 5.0,
        "points_text": "2.5 of 5",
        "must_have": True,
        "deal_breaker": False,
        "missing": [],
        "unknown": [],
        "short": [],
        "evidence_grade": "contract",
        "evidence_label": "Contract",
        "unconfirmed": False,
        "near_miss": True,
        "gap_text": "0.05 percentage points short: about 21.6 more minutes of downtime allowed in a "
        "30-day month",
        "plan_note": "",
        "attention": True,
        "section_title": "Operations",
        "not_found": "Not found in Trust page, captured 1 September 2025",
    },
    {
        "id": "breach_hours",
        "prompt": "Within how many hours must a breach be reported to you?",
        "type": "number",
        "answer": "24 hours",
        "is_text": False,
        "scored": True,
        "context": False,
        "commitment": None,
        "follow_up": "Within how many hours must a breach be reported to you?",
        "feel": [],
        "written": None,
        "status": "ask_provider",
        "status_label": "Ask the provider",
        "points": 0.0,
        "max": 0.0,
        "points_text": "",
        "must_have": False,
        "deal_breaker": False,
        "missing": [],
        "unknown": [],
        "short": [],
        "evidence_grade": None,
        "evidence_label": "",
        "unconfirmed": False,
        "near_miss": False,
        "gap_text": "",
        "plan_note": "",
        "attention": True,
        "section_title": "Operations",
        "not_found": "Not found in Trust page, captured 1 September 2025",
    },
    {
        "id": "notes",
        "prompt": "Anything else?",
        "type": "text",
        "answer": "hi",
        "is_text": True,
        "scored": False,
        "context": False,
        "commitment": None,
        "follow_up": "Anything else?",
        "feel": [],
        "written": None,
        "status": "not_required",
        "status_label": "Not required",
        "points": 0.0,
        "max": 0.0,
        "points_text": "",
        "must_have": False,
        "deal_breaker": False,
        "missing": [],
        "unknown": [],
        "short": [],
        "evidence_grade": None,
        "evidence_label": "",
        "unconfirmed": False,
        "near_miss": False,
        "gap_text": "",
        "plan_note": "",
        "attention": False,
        "section_title": "Operations",
        "not_found": "Not found in Trust page, captured 1 September 2025",
    },
]
FOLLOW_UPS = [
    (
        "region",
        "Do you offer this: In Switzerland? Where must data live?",
        "ask_provider",
        "Ask the provider",
    ),
    ("certs", "Which certifications must the provider hold?", "partly_met", "Partly met"),
    ("uptime", "What monthly uptime must be financially backed?", "partly_met", "Near miss"),
    (
        "breach_hours",
        "Within how many hours must a breach be reported to you?",
        "ask_provider",
        "Ask the provider",
    ),
]
LISTS = {"deal_breakers": [], "must_have": ["encrypt", "uptime", "region"], "notes": ["notes"]}


@pytest.fixture
def bank():
    return parse_bank(AVAILABILITY_BANK, "b.yaml")


@pytest.fixture
def page(bank):
    result = score(bank, EVERY_KIND, EVERY_KIND_MUST).to_dict()
    return result_view(bank, EVERY_KIND, EVERY_KIND_MUST, result, TODAY)


def test_the_page_carries_the_score_the_rating_and_the_counts(page):
    assert {key: page[key] for key in PAGE} == PAGE


def test_each_section_carries_its_score_points_footing_and_attention(page):
    assert [{k: s[k] for k in s if k != "questions"} for s in page["sections"]] == SECTIONS


def test_each_question_carries_the_answer_the_commitment_and_the_outcome_in_words(page):
    assert [q for s in page["sections"] for q in s["questions"]] == QUESTIONS


def test_the_follow_ups_and_the_lists_name_their_questions(page):
    found = [(f["id"], f["text"], f["reason"], f["reason_label"]) for f in page["follow_ups"]]
    assert found == FOLLOW_UPS
    assert {key: [q["id"] for q in page[key]] for key in LISTS} == LISTS


def test_scores_and_points_in_words():
    assert score_text(None) == "Not scored"
    assert score_text(45.83333) == "45.8" and score_text(100.0) == "100.0"
    assert points_text(2.5, 5.0) == "2.5 of 5"
    assert points_text(1 / 3, 1.0) == "0.33 of 1"
    assert points_text(1500.0, 2000.0) == "1,500 of 2,000"


@pytest.mark.parametrize(
    ("percent", "minutes", "words"),
    [
        (99.9, 43.2, "43.2 minutes of downtime a month"),
        (99.0, 432.0, "7.2 hours of downtime a month"),
        (99.7, 129.6, "2.2 hours of downtime a month"),
        (99.725, 118.8, "118.8 minutes of downtime a month"),
        (100.0, 0.0, "0.0 minutes of downtime a month"),
    ],
)
def test_an_uptime_is_put_as_the_downtime_it_allows_in_a_30_day_month(percent, minutes, words):
    assert downtime_minutes(percent) == pytest.approx(minutes)
    assert downtime_text(percent) == words


def test_an_answer_in_words(bank):
    q = bank.question
    assert answer_text(q("encrypt"), None) == "Not answered"  # required
    assert answer_text(q("certs"), None) == "No requirement"
    assert answer_text(q("certs"), []) == "No requirement"
    assert answer_text(q("notes"), "") == "No requirement"
    assert answer_text(q("encrypt"), "not_sure") == "Not sure"
    assert answer_text(q("notes"), "not_sure") == "not_sure"  # text, never scored
    assert answer_text(q("certs"), ["soc2"]) == "SOC 2"


def test_missing_options_are_named_by_their_labels(bank):
    certs = bank.question("certs")
    assert missing_labels(certs, ["pci", "soc2"]) == ["PCI DSS", "SOC 2"]
    assert missing_labels(certs, ["gone"]) == ["gone"]  # an option since removed
    assert missing_labels(certs, None) == [] and missing_labels(certs, ()) == []


def test_a_shortfall_is_put_in_the_readers_terms(bank):
    small = parse_bank(SMALL_BANK, "b.yaml")
    assert gap_text(bank.question("uptime"), 0.5) == (
        "0.5 percentage points short: about 216.0 more minutes of downtime allowed in a 30-day month"
    )
    assert gap_text(small.question("uptime"), 0.5) == "0.5% short"
    assert gap_text(small.question("breach_hours"), 48) == "48 hours short"
    assert gap_text(small.question("breach_hours"), 0) == ""
    assert gap_text(small.question("breach_hours"), None) == ""


def test_a_unitless_shortfall_has_no_unit(bank):
    from dataclasses import replace

    question = bank.question("breach_hours")
    plain = replace(question, settings=replace(question.settings, unit=""))
    assert gap_text(plain, 3) == "3 short"


def outcome(**fields) -> dict:
    base = {
        "status": "met",
        "points": 2.0,
        "max": 2.0,
        "must_have": False,
        "deal_breaker": False,
        "evidence": "policy",
    }
    return {**base, **fields}


def test_an_outcome_in_words(bank):
    region = bank.question("region")
    met = outcome_view(region, outcome())
    assert (met["status_label"], met["points_text"], met["evidence_label"], met["attention"]) == (
        "Met",
        "2 of 2",
        "Published policy",
        False,
    )
    unconfirmed = outcome_view(region, outcome(unconfirmed=True))
    assert unconfirmed["unconfirmed"] is True and unconfirmed["attention"] is True
    planned = outcome_view(region, outcome(plan_dependent=True))
    assert planned["plan_note"] == (
        "Holds only for some of the provider's plans: check that yours includes it."
    )
    not_met = outcome_view(region, outcome(status="not_met", points=0.0, short=["ch"]))
    assert (not_met["status_label"], not_met["evidence_label"], not_met["short"]) == (
        "Not met",
        "",
        ["In Switzerland"],
    )
    assert not_met["attention"] is True
    asked = outcome_view(region, outcome(status="ask_provider", points=0.0, max=0.0, evidence=None))
    assert (asked["points_text"], asked["evidence_grade"], asked["evidence_label"]) == (
        "",
        None,
        "",
    )
    unknown_grade = outcome_view(region, outcome(evidence="hearsay"))
    assert unknown_grade["evidence_label"] == ""


def test_a_stored_outcome_of_an_earlier_method_reads_without_fit3_parts(bank):
    old = {"status": "met", "points": 3.0, "max": 3.0, "must_have": True, "deal_breaker": False}
    view = outcome_view(bank.question("encrypt"), old)
    assert (view["status_label"], view["evidence_grade"], view["near_miss"], view["gap_text"]) == (
        "Met",
        None,
        False,
        "",
    )
    assert view["missing"] == [] and view["plan_note"] == ""


def test_an_uptime_answered_not_sure_shows_only_the_commitments_downtime(bank):
    view = question_view(bank.question("uptime"), "not_sure", None, TODAY)
    assert view["feel"] == ["The provider commits to 99.9%: up to 43.2 minutes of downtime a month"]
    assert "status" not in view  # no outcome given


def test_a_question_that_opens_others_is_context_not_a_requirement(bank):
    view = question_view(bank.question("personal"), "yes", None, TODAY)
    assert (view["context"], view["scored"], view["is_text"]) == (True, False, False)
    notes = question_view(bank.question("notes"), "hi", None, TODAY)
    assert (notes["context"], notes["is_text"]) == (False, True)


def test_an_old_source_is_flagged_on_the_day_it_is_shown(bank):
    view = question_view(bank.question("encrypt"), "yes", None, date(2028, 9, 2))
    assert view["commitment"]["stale"] is True
    assert (
        question_view(bank.question("encrypt"), "yes", None, date(2028, 9, 1))["commitment"][
            "stale"
        ]
        is False
    )


def test_a_section_footing_in_words():
    assert footing_view({"coverage": {"stated": 5, "compared": 3}, "enough": True}) == {
        "footing_text": "3 of 5 compared",
        "enough": True,
    }
    assert footing_view({"coverage": {"stated": 0, "compared": 0}}) == {
        "footing_text": "nothing stated",
        "enough": False,
    }
    assert footing_view({"score": 50.0}) == {"footing_text": "", "enough": True}  # fit/1, fit/2


def test_a_must_have_met_on_weak_evidence_is_a_follow_up_to_confirm(bank):
    answers = {"personal": "yes", "region": "eu", "certs": ["iso27001"]}
    result = score(bank, answers, ["region"]).to_dict()
    page = result_view(bank, answers, ["region"], result, TODAY)
    assert [(f["id"], f["reason"], f["reason_label"], f["text"]) for f in page["follow_ups"]] == [
        ("region", "confirm", "Confirm in the contract", "Where must data live?")
    ]


def test_follow_ups_of_an_earlier_method_keep_their_status_as_reason(bank):
    answers = {"breach_hours": 4, "encrypt": "yes", "notes": ""}
    result = score(bank, answers).to_dict()
    for follow_up in result["follow_ups"]:
        del follow_up["reason"]
    result["follow_ups"].append({"id": "encrypt", "question": "x", "status": "met"})  # not asked
    page = result_view(bank, answers, ["encrypt", "ghost"], result, TODAY)
    assert [(f["id"], f["reason"], f["reason_label"]) for f in page["follow_ups"]] == [
        ("breach_hours", "ask_provider", "Ask the provider")
    ]
    assert [q["id"] for q in page["must_have"]] == ["encrypt"]
    assert page["notes"] == []  # an empty note is no note


def test_counts_list_only_the_statuses_the_results_method_has(bank):
    result = score(bank, {"encrypt": "yes"}).to_dict()
    del result["counts"]["not_sure"]  # fit/1 had no "Not sure", nor a footing
    del result["coverage"]
    result["method"] = "fit/1"
    page = result_view(bank, {"encrypt": "yes"}, [], result, TODAY)
    assert [c["status"] for c in page["counts"]] == [
        "met",
        "partly_met",
        "not_met",
        "not_required",
        "ask_provider",
    ]
    assert page["rating"] == "Strong fit" and page["capped"] is False


@pytest.mark.parametrize(
    ("percent", "words"),
    [(99.7211, "2.0 hours of downtime a month"), (99.7224, "119.9 minutes of downtime a month")],
)
def test_downtime_is_told_in_hours_from_two_hours_on(percent, words):
    assert downtime_text(percent) == words


def test_an_availability_question_without_a_commitment_shows_only_the_asked_for_downtime(bank):
    from dataclasses import replace

    silent = replace(bank.question("uptime"), commitment=None)
    view = question_view(silent, 99.9, None, TODAY)
    assert view["feel"] == ["Asked for 99.9%: up to 43.2 minutes of downtime a month"]
    assert view["commitment"] is None


def test_the_page_names_the_bank_its_result_was_scored_against(bank, page):
    result = score(bank, EVERY_KIND, EVERY_KIND_MUST).to_dict()
    assert page["bank_sha256"] == result["bank_sha256"] and len(page["bank_sha256"]) == 64


def test_a_result_is_never_shown_against_a_bank_of_other_sections(bank):
    from dataclasses import replace

    result = score(bank, EVERY_KIND, EVERY_KIND_MUST).to_dict()
    fewer = replace(bank, sections=bank.sections[:1])
    with pytest.raises(ValueError, match="zip"):
        result_view(fewer, EVERY_KIND, EVERY_KIND_MUST, result, TODAY)


def test_a_hidden_question_is_left_out_and_those_after_it_are_shown():
    assert SMALL_BANK.count("        type: multi\n") == 1
    text = SMALL_BANK.replace(
        "        type: multi\n",
        '        type: multi\n        show_if: {question: personal, equals: "yes"}\n',
    )
    bank = parse_bank(text, "b.yaml")
    answers = {"personal": "no", "encrypt": "yes", "uptime": 99.9}
    result = score(bank, answers, []).to_dict()
    page = result_view(bank, answers, [], result, TODAY)
    ops = next(s for s in page["sections"] if s["id"] == "ops")
    assert [q["id"] for q in ops["questions"]] == ["uptime", "breach_hours", "notes"]


def test_a_page_lists_no_written_answers_until_they_are_marked(page):
    assert page["written_answers"] == []  # core.written.mark_written fills the list
