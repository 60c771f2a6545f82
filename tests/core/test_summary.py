"""The verdict in words (core/summary.py): every sentence the result page, the cover and
the PDF summary print, for each kind of result, fit/3 and the methods stored before it."""

from __future__ import annotations

import copy
from dataclasses import replace
from datetime import date

import pytest

from questionnaire.core.evidence import Provider
from questionnaire.core.presenter import result_view
from questionnaire.core.scoring import score
from questionnaire.core.summary import (
    band_text,
    coverage_view,
    evidence_view,
    headline_words,
    not_found_text,
    open_must_haves,
    provisional_reasons,
    summary_view,
    verdict_view,
)
from tests.core.test_result import EVERY_KIND

TODAY = date(2026, 1, 15)

# name: (answers, must-haves, the bank's top_band_evidence)
SCENARIOS = {
    "every_kind": (EVERY_KIND, ["encrypt", "uptime", "region"], 50.0),
    "rated_range": (
        {"encrypt": "yes", "uptime": 99.9, "breach_hours": 24, "certs": ["soc2"]},
        [],
        50.0,
    ),
    "rated_exact": ({"encrypt": "yes", "uptime": 99.9}, [], 50.0),
    "deal_breaker": ({"encrypt": "yes", "uptime": 99, "smime": "yes"}, ["smime"], 50.0),
    "evidence_cap": ({"personal": "yes", "region": "eu", "encrypt": "yes"}, [], 90.0),
    "unconfirmed": ({"personal": "yes", "region": "eu", "certs": ["iso27001"]}, ["region"], 50.0),
    "nothing_stated": ({"encrypt": "no"}, [], 50.0),
}

EXPECTED = {
    "every_kind": {
        "verdict": {
            "state": "provisional",
            "method": "fit/3",
            "stored_as": False,
            "tone": "none",
            "headline": "Not yet rated",
            "range": {"low": 17.6, "high": 76.5, "low_text": "17.6", "high_text": "76.5"},
            "range_text": "between 17.6 and 76.5, depending on 4 open points",
            "bands_text": "Once settled, it would be rated between “Significant gaps” "
            "and “Fit with gaps”.",
            "compared_text": "The 3 requirements compared so far score 45.8 out of 100, "
            "resting on 70.6% of the stated weight.",
            "cap_text": "",
            "open_points": 4,
            "figure": None,
        },
        "coverage": {
            "requirements": 5,
            "pending": 1,
            "text": "3 of 5 requirements compared with a documented commitment",
            "percent_text": "70.6%",
            "percent_of": "of the stated weight",
            "left_out_text": "2 requirements are not found in the source this bank "
            "quotes: ask the provider; 1 answer is “Not sure”: a "
            "decision pending on the buyer's side.",
        },
        "reasons": [
            "1 must-have is not found in the source: ask the provider.",
            "1 must-have is a near miss: negotiate.",
            "Only 70.6% of the stated weight could be compared with a documented "
            "commitment; a result resting on less than 80% is not rated yet.",
        ],
        "headline": {
            "headline": "Not yet rated",
            "score_line": "between 17.6 and 76.5, depending on 4 open points",
            "state": "provisional",
        },
    },
    "rated_range": {
        "verdict": {
            "state": "rated",
            "method": "fit/3",
            "stored_as": False,
            "tone": "good",
            "headline": "Strong fit",
            "range": {"low": 85.7, "high": 100.0, "low_text": "85.7", "high_text": "100.0"},
            "range_text": "at least 85.7, up to 100.0, depending on 1 open point",
            "bands_text": "",
            "compared_text": "The 3 requirements compared so far score 100.0 out of "
            "100, resting on 85.7% of the stated weight.",
            "cap_text": "",
            "open_points": 1,
            "figure": "85.7",
        },
        "coverage": {
            "requirements": 4,
            "pending": 0,
            "text": "3 of 4 requirements compared with a documented commitment",
            "percent_text": "85.7%",
            "percent_of": "of the stated weight",
            "left_out_text": "1 requirement is not found in the source this bank "
            "quotes: ask the provider.",
        },
        "reasons": [],
        "headline": {
            "headline": "Strong fit",
            "score_line": "at least 85.7, up to 100.0, depending on 1 open point",
            "state": "rated",
        },
    },
    "rated_exact": {
        "verdict": {
            "state": "rated",
            "method": "fit/3",
            "stored_as": False,
            "tone": "good",
            "headline": "Strong fit",
            "range": {"low": 100.0, "high": 100.0, "low_text": "100.0", "high_text": "100.0"},
            "range_text": "100.0 out of 100, with nothing left open",
            "bands_text": "",
            "compared_text": "The 2 requirements compared so far score 100.0 out of "
            "100, resting on 100% of the stated weight.",
            "cap_text": "",
            "open_points": 0,
            "figure": "100.0",
        },
        "coverage": {
            "requirements": 2,
            "pending": 0,
            "text": "2 of 2 requirements compared with a documented commitment",
            "percent_text": "100%",
            "percent_of": "of the stated weight",
            "left_out_text": "",
        },
        "reasons": [],
        "headline": {"headline": "Strong fit", "score_line": "100.0 out of 100", "state": "rated"},
    },
    "deal_breaker": {
        "verdict": {
            "state": "rated",
            "method": "fit/3",
            "stored_as": False,
            "tone": "poor",
            "headline": "Significant gaps",
            "range": {"low": 88.9, "high": 88.9, "low_text": "88.9", "high_text": "88.9"},
            "range_text": "88.9 out of 100, with nothing left open",
            "bands_text": "",
            "compared_text": "The 3 requirements compared so far score 88.9 out of 100, "
            "resting on 100% of the stated weight.",
            "cap_text": "1 must-have falls short of what the provider documents: a "
            "deal-breaker caps the rating at “Significant gaps”.",
            "open_points": 0,
            "figure": "88.9",
        },
        "coverage": {
            "requirements": 3,
            "pending": 0,
            "text": "3 of 3 requirements compared with a documented commitment",
            "percent_text": "100%",
            "percent_of": "of the stated weight",
            "left_out_text": "",
        },
        "reasons": [],
        "headline": {
            "headline": "Significant gaps",
            "score_line": "88.9 out of 100",
            "state": "rated",
        },
    },
    "evidence_cap": {
        "verdict": {
            "state": "rated",
            "method": "fit/3",
            "stored_as": False,
            "tone": "fair",
            "headline": "Fit with gaps",
            "range": {"low": 100.0, "high": 100.0, "low_text": "100.0", "high_text": "100.0"},
            "range_text": "100.0 out of 100, with nothing left open",
            "bands_text": "",
            "compared_text": "The 2 requirements compared so far score 100.0 out of "
            "100, resting on 100% of the stated weight.",
            "cap_text": "Rated no higher than “Fit with gaps”: only 60% of the stated "
            "weight is met by contract terms, independent audits or written "
            "answers, and “Strong fit” needs 90%.",
            "open_points": 0,
            "figure": "100.0",
        },
        "coverage": {
            "requirements": 2,
            "pending": 0,
            "text": "2 of 2 requirements compared with a documented commitment",
            "percent_text": "100%",
            "percent_of": "of the stated weight",
            "left_out_text": "",
        },
        "reasons": [],
        "headline": {
            "headline": "Fit with gaps",
            "score_line": "100.0 out of 100",
            "state": "rated",
        },
    },
    "unconfirmed": {
        "verdict": {
            "state": "provisional",
            "method": "fit/3",
            "stored_as": False,
            "tone": "none",
            "headline": "Not yet rated",
            "range": {"low": 66.7, "high": 100.0, "low_text": "66.7", "high_text": "100.0"},
            "range_text": "between 66.7 and 100.0, depending on 1 open point",
            "bands_text": "Once settled, it would be rated between “Significant gaps” "
            "and “Strong fit”.",
            "compared_text": "The 2 requirements compared so far score 100.0 out of "
            "100, resting on 100% of the stated weight.",
            "cap_text": "",
            "open_points": 1,
            "figure": None,
        },
        "coverage": {
            "requirements": 2,
            "pending": 0,
            "text": "2 of 2 requirements compared with a documented commitment",
            "percent_text": "100%",
            "percent_of": "of the stated weight",
            "left_out_text": "",
        },
        "reasons": [
            "1 must-have is met only on the provider's public word: confirm it in the "
            "contract (contract evidence or stronger is needed)."
        ],
        "headline": {
            "headline": "Not yet rated",
            "score_line": "between 66.7 and 100.0, depending on 1 open point",
            "state": "provisional",
        },
    },
    "nothing_stated": {
        "verdict": {
            "state": "not_rated",
            "method": "fit/3",
            "stored_as": False,
            "tone": "none",
            "headline": "Not rated",
            "range": None,
            "range_text": "",
            "bands_text": "",
            "compared_text": "No requirement was stated, so there is nothing to rate.",
            "cap_text": "",
            "open_points": 0,
            "figure": None,
        },
        "coverage": {
            "requirements": 0,
            "pending": 0,
            "text": "no requirement stated",
            "percent_text": "",
            "percent_of": "of the stated requirements",
            "left_out_text": "",
        },
        "reasons": [],
        "headline": {
            "headline": "Not rated",
            "score_line": "nothing stated to score",
            "state": "not_rated",
        },
    },
}


def stored(small_bank, name):
    answers, must, top = SCENARIOS[name]
    bank = replace(small_bank, top_band_evidence=top)
    result = score(bank, answers, must).to_dict()
    return bank, answers, must, result


def words(small_bank, name) -> dict:
    bank, answers, must, result = stored(small_bank, name)
    unresolved = result_view(bank, answers, must, result, TODAY)["unresolved"]
    coverage = coverage_view(result)
    return {
        "verdict": verdict_view(bank, result, unresolved),
        "coverage": {key: coverage[key] for key in EXPECTED[name]["coverage"]},
        "reasons": provisional_reasons(result, unresolved),
        "headline": headline_words(result),
    }


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_each_kind_of_result_is_put_in_these_words(small_bank, name):
    assert words(small_bank, name) == EXPECTED[name]


def fit2(**fields) -> dict:
    """A result as fit/2 stored it (the parts the words read)."""
    base = {
        "method": "fit/2",
        "score": 72.5,
        "rating": "Fit with gaps",
        "capped_by_deal_breaker": False,
        "capped_by": None,
        "provisional": False,
        "deal_breakers": [],
        "open_points": 0,
    }
    return {**base, **fields}


def test_a_result_of_an_earlier_method_shows_its_stored_score_and_rating(small_bank):
    verdict = verdict_view(small_bank, fit2(), [])
    assert (verdict["stored_as"], verdict["figure"], verdict["headline"], verdict["tone"]) == (
        True,
        "72.5",
        "Fit with gaps",
        "fair",
    )
    assert verdict["cap_text"] == "" and verdict["range"] is None
    assert headline_words(fit2()) == {
        "headline": "Fit with gaps",
        "score_line": "72.5 out of 100",
        "state": "rated",
    }
    assert verdict_view(small_bank, fit2(method="fit/1"), [])["stored_as"] is True


def test_an_earlier_deal_breaker_cap_is_said_in_its_words(small_bank):
    one = fit2(rating="Significant gaps", capped_by="deal_breaker", deal_breakers=["a"])
    assert verdict_view(small_bank, one, [])["cap_text"] == (
        "Rated “Significant gaps” because 1 must-have is not fully met."
    )
    two = fit2(rating="Significant gaps", capped_by="deal_breaker", deal_breakers=["a", "b"])
    assert verdict_view(small_bank, two, [])["cap_text"] == (
        "Rated “Significant gaps” because 2 must-haves are not fully met."
    )


def test_an_earlier_provisional_cap_is_said_in_its_words(small_bank):
    capped = fit2(provisional=True, capped_by="provisional")
    assert verdict_view(small_bank, capped, [])["cap_text"] == (
        "Provisional (method fit/2): rated no higher than “Fit with gaps” until the points "
        "in the summary are settled."
    )
    assert verdict_view(small_bank, fit2(provisional=True, rating=None), [])["cap_text"] == ""
    one_band = replace(small_bank, ratings=small_bank.ratings[:1])
    assert "no higher than “Strong fit”" in verdict_view(one_band, capped, [])["cap_text"]


def test_an_earlier_result_without_a_score_says_nothing_of_one(small_bank):
    empty = fit2(score=None, rating=None)
    assert verdict_view(small_bank, empty, [])["figure"] is None
    assert headline_words(empty) == {
        "headline": "Not rated",
        "score_line": "",
        "state": "not_rated",
    }


def test_an_evidence_cap_on_a_result_not_yet_rated_says_what_the_top_band_needs(small_bank):
    bank, _, _, result = stored(small_bank, "evidence_cap")
    result = {**result, "state": "provisional"}
    assert verdict_view(bank, result, [])["cap_text"] == (
        "“Strong fit” needs 90% of the stated weight met by contract terms, independent "
        "audits or written answers; 60% is so far."
    )


def test_two_deal_breakers_fall_short(small_bank):
    answers = {"encrypt": "yes", "smime": "yes", "certs": ["fedramp"]}
    result = score(small_bank, answers, ["smime", "certs"]).to_dict()
    assert verdict_view(small_bank, result, [])["cap_text"] == (
        "2 must-haves fall short of what the provider documents: a deal-breaker caps the "
        "rating at “Significant gaps”."
    )


def test_a_range_in_one_band_is_said_as_that_band(small_bank):
    _, _, _, result = stored(small_bank, "every_kind")
    result = {**result, "rating_range": {"low": "Fit with gaps", "high": "Fit with gaps"}}
    assert verdict_view(small_bank, result, [])["bands_text"] == (
        "Once settled, it would be rated “Fit with gaps”."
    )
    result = {**result, "rating_range": {"low": None, "high": None}}
    assert verdict_view(small_bank, result, [])["bands_text"] == ""


def test_a_result_with_nothing_compared_yet_says_so(small_bank):
    result = score(small_bank, {"encrypt": "not_sure", "breach_hours": 4}).to_dict()
    verdict = verdict_view(small_bank, result, [])
    assert verdict["compared_text"] == (
        "No stated requirement could be compared with a documented commitment yet."
    )
    assert verdict["range_text"] == "between 0.0 and 100.0, depending on 2 open points"
    coverage = coverage_view(result)
    assert coverage["text"] == "0 of 1 requirement compared with a documented commitment"
    assert coverage["left_out_text"] == (
        "1 requirement is not found in the source this bank quotes: ask the provider; "
        "1 answer is “Not sure”: a decision pending on the buyer's side."
    )


def test_only_not_sure_answers_are_decisions_pending_not_requirements(small_bank):
    result = score(small_bank, {"encrypt": "not_sure", "smime": "not_sure"}).to_dict()
    coverage = coverage_view(result)
    assert coverage["text"] == "no requirement compared yet"
    assert coverage["left_out_text"] == (
        "2 answers are “Not sure”: decisions pending on the buyer's side."
    )
    assert (
        headline_words(result)["score_line"] == "between 0.0 and 100.0, depending on 2 open points"
    )


def test_coverage_of_an_earlier_result_is_a_share_of_requirements():
    result = {
        "coverage": {"stated": 4, "compared": 3, "percent": 75.0},
        "counts": {"not_sure": 0, "ask_provider": 1},
    }
    coverage = coverage_view(result)
    assert (coverage["percent_text"], coverage["percent_of"]) == (
        "75%",
        "of the stated requirements",
    )
    assert coverage_view({"counts": {}}) is None


def test_a_result_below_min_coverage_says_how_much_was_compared():
    result = {
        "state": "provisional",
        "coverage": {"stated": 4, "compared": 3, "percent": 75.0},
        "min_coverage": 80.0,
    }
    assert provisional_reasons(result, []) == [
        "Only 75% of the stated requirements could be compared with a documented commitment; "
        "a result resting on less than 80% is not rated yet."
    ]
    assert provisional_reasons({**result, "min_coverage": 75.0}, []) == []
    assert provisional_reasons({**result, "min_coverage": None}, []) == []
    assert provisional_reasons({**result, "state": "rated"}, []) == []


def test_every_kind_of_unresolved_must_have_is_a_reason_counted_in_words():
    def open_point(reason):
        return {"reason": reason}

    result = {
        "state": "provisional",
        "coverage": {"stated": 4, "compared": 4, "percent": 100.0},
        "min_coverage": 80.0,
        "assurance": {"must_have_evidence": "independent"},
    }
    unresolved = [open_point(r) for r in ("ask_provider", "ask_provider", "not_sure", "not_sure")]
    unresolved += [open_point(r) for r in ("unconfirmed", "unconfirmed", "near_miss", "near_miss")]
    assert provisional_reasons(result, unresolved) == [
        "2 must-haves are not found in the source: ask the provider.",
        "2 must-haves are answered “Not sure”.",
        "2 must-haves are met only on the provider's public word: confirm them in the contract "
        "(independent audit evidence or stronger is needed).",
        "2 must-haves are a near miss: negotiate.",
    ]
    one = [open_point(r) for r in ("not_sure", "unconfirmed")]
    assert provisional_reasons({**result, "assurance": {}}, one) == [
        "1 must-have is answered “Not sure”.",
        "1 must-have is met only on the provider's public word: confirm it in the contract.",
    ]


def test_an_unresolved_must_have_says_what_settles_it(small_bank):
    bank, answers, must, result = stored(small_bank, "every_kind")
    result = {**result, "unresolved_must_haves": ["smime", "region", "uptime"]}
    views = {q["id"]: q for q in _question_views(bank, answers, must, result)}
    found = open_must_haves(result, views)
    assert [(u["id"], u["reason"], u["reason_label"], u["ask"]) for u in found] == [
        ("smime", "not_sure", "Decide internally", "Do you need S/MIME?"),
        ("region", "ask_provider", "Ask the provider", "Where must data live?"),
        (
            "uptime",
            "near_miss",
            "Near miss: negotiate",
            "What monthly uptime must be financially backed?",
        ),
    ]
    unconfirmed = {
        **result,
        "unresolved_reasons": {"region": "unconfirmed"},
        "unresolved_must_haves": ["region"],
    }
    assert open_must_haves(unconfirmed, views)[0]["reason_label"] == (
        "Met on the provider's public word: confirm it in the contract"
    )
    assert open_must_haves({}, views) == []


def test_the_provider_is_asked_the_follow_up_and_the_buyer_the_question(small_bank):
    bank, answers, must, result = stored(small_bank, "every_kind")
    result = {**result, "unresolved_must_haves": ["smime", "region"]}
    views = {q["id"]: q for q in _question_views(bank, answers, must, result)}
    follow_ups = {"smime": "Which mail do you sign?", "region": "Which regions hold our data?"}
    views = {qid: {**view, "follow_up": follow_ups.get(qid, "")} for qid, view in views.items()}
    asks = [(u["id"], u["ask"]) for u in open_must_haves(result, views)]
    # "Not sure" is the buyer's to settle: their own question; the provider gets the follow-up.
    assert asks == [("smime", "Do you need S/MIME?"), ("region", "Which regions hold our data?")]


def _question_views(bank, answers, must, result):
    view = result_view(bank, answers, must, result, TODAY)
    return [q for section in view["sections"] for q in section["questions"]]


def test_where_a_commitment_was_documented_and_whether_it_is_old(small_bank):
    assert evidence_view("Trust page", "https://t.example/", date(2022, 1, 15), TODAY) == {
        "source": "Trust page",
        "url": "https://t.example/",
        "captured": "15 January 2022",
        "as_of": "2022-01-15",
        "stale": True,
    }
    fresh = evidence_view("Trust page", "", date(2023, 1, 15), TODAY)
    assert (fresh["stale"], fresh["captured"]) == (False, "15 January 2023")
    unknown = evidence_view("Trust page", "", None, TODAY)
    assert (unknown["as_of"], unknown["captured"], unknown["stale"]) == (
        None,
        "capture date not recorded",
        False,
    )


def test_silence_is_put_as_not_found_in_the_source_and_no_more(small_bank):
    assert not_found_text(small_bank) == "Not found in Trust page, captured 1 September 2025"
    nameless = replace(small_bank, provider=Provider(name="Example Cloud"))
    assert not_found_text(nameless) == "Not found in Example Cloud's documents quoted here"


def summary_of(small_bank, name):
    bank, answers, must, result = stored(small_bank, name)
    views = {q["id"]: q for q in _question_views(bank, answers, must, result)}
    return summary_view(bank, result, views, TODAY)


def test_the_summary_says_all_must_haves_are_met_only_when_each_is_met_and_settled(small_bank):
    summary = summary_of(small_bank, "rated_exact")
    assert summary["all_must_haves_met"] is False  # no must-have at all
    answers = {"encrypt": "yes", "uptime": 99.9}
    result = score(small_bank, answers, ["encrypt", "uptime"]).to_dict()
    views = {
        q["id"]: q for q in _question_views(small_bank, answers, ["encrypt", "uptime"], result)
    }
    assert summary_view(small_bank, result, views, TODAY)["all_must_haves_met"] is True
    summary = summary_of(small_bank, "unconfirmed")  # met, but on the public word
    assert summary["all_must_haves_met"] is False
    summary = summary_of(small_bank, "deal_breaker")
    assert summary["all_must_haves_met"] is False
    answers = {"encrypt": "yes", "smime": "no"}  # a must-have on "No"
    result = score(small_bank, answers, ["encrypt", "smime"]).to_dict()
    views = {q["id"]: q for q in _question_views(small_bank, answers, [], result)}
    summary = summary_view(small_bank, result, views, TODAY)
    assert summary["all_must_haves_met"] is False
    assert [q["id"] for q in summary["without_requirement"]] == ["smime"]


def test_the_summary_carries_the_parts_the_page_prints(small_bank):
    summary = summary_of(small_bank, "every_kind")
    assert summary["state"] == "provisional" and summary["provisional"] is True
    assert (summary["legacy"], summary["stored_method"]) == (False, False)
    assert summary["must_have_evidence_label"] == "Contract"
    assert summary["top_band_evidence"] == 50.0 and summary["min_coverage"] == 80.0
    assert [q["id"] for q in summary["decide"]] == ["smime"]
    assert [u["id"] for u in summary["unresolved"]] == ["region", "uptime"]
    assert summary["provisional_reasons"] == EXPECTED["every_kind"]["reasons"]
    assert summary["verdict"] == EXPECTED["every_kind"]["verdict"]
    assert summary["coverage"]["text"] == EXPECTED["every_kind"]["coverage"]["text"]
    assert summary["frameworks"] == [] and summary["scope"] == ""
    assert summary["evidence"]["source"] == "Trust page"
    assert summary["evidence"]["captured"] == "1 September 2025"
    assert summary["not_found"] == "Not found in Trust page, captured 1 September 2025"


def test_the_summary_of_an_earlier_result_says_which_method_made_it(small_bank):
    _, answers, must, result = stored(small_bank, "rated_exact")
    legacy = copy.deepcopy(result)
    legacy["method"] = "fit/1"
    for key in ("assurance", "frameworks", "coverage"):
        legacy.pop(key)
    views = {q["id"]: q for q in _question_views(small_bank, answers, must, result)}
    summary = summary_view(small_bank, legacy, views, TODAY)
    assert (summary["legacy"], summary["stored_method"]) == (True, True)
    assert summary["frameworks"] == [] and summary["coverage"] is None
    assert summary["must_have_evidence_label"] == "Contract"  # the bank's bar
    assert summary_view(small_bank, {**legacy, "method": "fit/2"}, views, TODAY)["legacy"] is False


def test_a_provisional_result_is_named_in_one_place_for_the_page_and_the_pdf(small_bank):
    now = summary_of(small_bank, "every_kind")  # fit/3, provisional
    assert (now["provisional_flag"], now["provisional_title"]) == (
        "(provisional)",
        "Why it is not yet rated",
    )
    _, answers, must, result = stored(small_bank, "every_kind")
    views = {q["id"]: q for q in _question_views(small_bank, answers, must, result)}
    earlier = summary_view(small_bank, {**result, "method": "fit/2"}, views, TODAY)
    assert earlier["provisional_title"] == "This result is provisional"
    assert summary_of(small_bank, "rated_exact")["provisional_flag"] == ""


def test_a_cap_names_the_second_band_of_the_bank_or_its_only_one(small_bank):
    """Capped results are rated no higher than the second band; a bank of one band has no
    second, so its cap is that band."""
    two_bands = replace(small_bank, ratings=small_bank.ratings[:2])
    one_band = replace(small_bank, ratings=small_bank.ratings[:1])
    capped = fit2(provisional=True, capped_by="provisional")
    assert "no higher than “Fit with gaps”" in verdict_view(two_bands, capped, [])["cap_text"]
    _, _, _, result = stored(small_bank, "evidence_cap")
    assert result["state"] == "rated"
    for base, ceiling in [(two_bands, "Fit with gaps"), (one_band, "Strong fit")]:
        bank = replace(base, top_band_evidence=90.0)
        cap = verdict_view(bank, result, [])["cap_text"]
        assert cap.startswith(f"Rated no higher than “{ceiling}”: only 60% "), cap


@pytest.mark.parametrize(("label", "text"), [("Strong fit", "“Strong fit”"), ("", ""), (None, "")])
def test_a_band_is_quoted_and_no_band_is_no_words(label, text):
    assert band_text(label) == text


def test_the_summary_gives_the_evidence_bars_the_result_was_scored_under(small_bank):
    """Not the bank's bars of today: a bank edited since the result was stored."""
    bank, answers, must, result = stored(small_bank, "every_kind")
    views = {q["id"]: q for q in _question_views(bank, answers, must, result)}
    edited = replace(bank, must_have_evidence="independent", top_band_evidence=90.0)
    summary = summary_view(edited, result, views, TODAY)
    assert summary["must_have_evidence_label"] == "Contract"
    assert summary["top_band_evidence"] == 50.0
    earlier = {k: v for k, v in result.items() if k != "assurance"}  # stored before fit/3
    summary = summary_view(edited, earlier, views, TODAY)
    assert summary["must_have_evidence_label"] == "Independent audit"
    assert summary["top_band_evidence"] == 90.0


def test_the_summary_carries_the_framework_tables_and_the_providers_address(small_bank):
    bank = replace(
        small_bank,
        sections=tuple(
            replace(
                section,
                questions=tuple(
                    replace(q, frameworks={"ncsc": ("2",)}) if q.id == "encrypt" else q
                    for q in section.questions
                ),
            )
            for section in small_bank.sections
        ),
    )
    answers = {"encrypt": "yes"}
    result = score(bank, answers, []).to_dict()
    views = {q["id"]: q for q in _question_views(bank, answers, [], result)}
    summary = summary_view(bank, result, views, TODAY)
    [ncsc] = summary["frameworks"]
    assert [row["ref"] for row in ncsc["rows"]] == ["2"]
    assert summary["evidence"]["url"] == "https://trust.example.com/"
    assert summary_view(bank, {**result, "frameworks": {}}, views, TODAY)["frameworks"] == []


def test_an_earlier_result_compares_nothing_in_words(small_bank):
    assert verdict_view(small_bank, fit2(), [])["compared_text"] == ""


def test_a_fit2_result_as_stored_without_open_points_has_none_open(small_bank):
    stored_then = {k: v for k, v in fit2().items() if k != "open_points"}  # fit/2 kept none
    assert verdict_view(small_bank, stored_then, [])["open_points"] == 0
