"""The result as stored (``Result.to_dict()``), key by key, and the parts of fit/3 that
decide a verdict at their edges: open points, footing, caps, bands, follow-ups."""

from __future__ import annotations

from dataclasses import replace

import pytest

from questionnaire.core.scoring import (
    ASK_PROVIDER,
    MET,
    NOT_MET,
    NOT_REQUIRED,
    NOT_SURE_STATUS,
    PARTLY_MET,
    Footing,
    QuestionResult,
    follow_up_text,
    footing,
    framework_counts,
    reference_order,
    score,
    states_no_requirement,
    visible_questions,
)
from tests.factories import bank_dict, commitment, load

# Every kind of outcome the small bank can give, three of them must-haves.
EVERY_KIND = {
    "personal": "yes",
    "encrypt": "yes",  # met on a contract
    "smime": "not_sure",
    "region": "ch",  # the source is silent on Switzerland: ask the provider
    "certs": ["iso27001", "fedramp"],  # FedRAMP is documented as not offered: partly met
    "uptime": 99.95,  # 99.9 committed, near: 0.05: a near miss
    "breach_hours": 24,  # no commitment: ask the provider
    "notes": "hi",
}
EVERY_KIND_MUST = ["encrypt", "uptime", "region"]


def test_the_stored_result_holds_every_figure_the_pages_read(small_bank):
    stored = score(small_bank, EVERY_KIND, EVERY_KIND_MUST).to_dict()
    assert stored == (
        {
            "method": "fit/3",
            "bank_version": "1.0",
            "bank_sha256": small_bank.sha256,
            "state": "provisional",
            "score": 45.833333333333336,
            "score_range": {"low": 17.6, "high": 76.5},
            "rating": None,
            "rating_range": {"low": "Significant gaps", "high": "Fit with gaps"},
            "capped_by_deal_breaker": False,
            "capped_by": None,
            "provisional": True,
            "open_points": 4,
            "coverage": {
                "stated": 6,
                "compared": 3,
                "percent": 50.0,
                "stated_weight": 17.0,
                "compared_weight": 12.0,
                "weighted_percent": 70.6,
            },
            "min_coverage": 80.0,
            "assurance": {
                "percent": 32.4,
                "top_band_evidence": 50.0,
                "must_have_evidence": "contract",
            },
            "unresolved_must_haves": ["region", "uptime"],
            "unresolved_reasons": {"region": "ask_provider", "uptime": "near_miss"},
            "must_haves_without_requirement": [],
            "decide_internally": ["smime"],
            "counts": {
                "met": 1,
                "partly_met": 2,
                "not_met": 0,
                "not_required": 2,
                "ask_provider": 2,
                "not_sure": 1,
            },
            "frameworks": {},
            "sections": [
                {
                    "id": "sec",
                    "title": "Security",
                    "score": 100.0,
                    "points": 3.0,
                    "max": 3.0,
                    "coverage": {
                        "stated": 3,
                        "compared": 1,
                        "percent": 33.3,
                        "stated_weight": 6.0,
                        "compared_weight": 3.0,
                        "weighted_percent": 50.0,
                    },
                    "enough": False,
                },
                {
                    "id": "ops",
                    "title": "Operations",
                    "score": 27.77777777777778,
                    "points": 2.5,
                    "max": 9.0,
                    "coverage": {
                        "stated": 3,
                        "compared": 2,
                        "percent": 66.7,
                        "stated_weight": 11.0,
                        "compared_weight": 9.0,
                        "weighted_percent": 81.8,
                    },
                    "enough": True,
                },
            ],
            "questions": [
                {
                    "id": "personal",
                    "section": "sec",
                    "status": "not_required",
                    "points": 0.0,
                    "max": 0.0,
                    "credit": None,
                    "must_have": False,
                    "deal_breaker": False,
                    "missing": None,
                    "unknown": None,
                    "short": None,
                    "evidence": None,
                    "unconfirmed": False,
                    "near_miss": False,
                    "gap": None,
                    "plan_dependent": False,
                    "weight": 0.0,
                },
                {
                    "id": "encrypt",
                    "section": "sec",
                    "status": "met",
                    "points": 3.0,
                    "max": 3.0,
                    "credit": 1.0,
                    "must_have": True,
                    "deal_breaker": False,
                    "missing": None,
                    "unknown": None,
                    "short": None,
                    "evidence": "contract",
                    "unconfirmed": False,
                    "near_miss": False,
                    "gap": None,
                    "plan_dependent": False,
                    "weight": 3.0,
                },
                {
                    "id": "smime",
                    "section": "sec",
                    "status": "not_sure",
                    "points": 0.0,
                    "max": 0.0,
                    "credit": None,
                    "must_have": False,
                    "deal_breaker": False,
                    "missing": None,
                    "unknown": None,
                    "short": None,
                    "evidence": None,
                    "unconfirmed": False,
                    "near_miss": False,
                    "gap": None,
                    "plan_dependent": False,
                    "weight": 1.0,
                },
                {
                    "id": "region",
                    "section": "sec",
                    "status": "ask_provider",
                    "points": 0.0,
                    "max": 0.0,
                    "credit": None,
                    "must_have": True,
                    "deal_breaker": False,
                    "missing": ["ch"],
                    "unknown": ["ch"],
                    "short": [],
                    "evidence": None,
                    "unconfirmed": False,
                    "near_miss": False,
                    "gap": None,
                    "plan_dependent": False,
                    "weight": 2.0,
                },
                {
                    "id": "certs",
                    "section": "ops",
                    "status": "partly_met",
                    "points": 0.0,
                    "max": 4.0,
                    "credit": 0.0,
                    "must_have": False,
                    "deal_breaker": False,
                    "missing": ["fedramp"],
                    "unknown": [],
                    "short": ["fedramp"],
                    "evidence": "independent",
                    "unconfirmed": False,
                    "near_miss": False,
                    "gap": None,
                    "plan_dependent": False,
                    "weight": 4.0,
                },
                {
                    "id": "uptime",
                    "section": "ops",
                    "status": "partly_met",
                    "points": 2.5,
                    "max": 5.0,
                    "credit": 0.5,
                    "must_have": True,
                    "deal_breaker": False,
                    "missing": None,
                    "unknown": None,
                    "short": None,
                    "evidence": "contract",
                    "unconfirmed": False,
                    "near_miss": True,
                    "gap": 0.05,
                    "plan_dependent": False,
                    "weight": 5.0,
                },
                {
                    "id": "breach_hours",
                    "section": "ops",
                    "status": "ask_provider",
                    "points": 0.0,
                    "max": 0.0,
                    "credit": None,
                    "must_have": False,
                    "deal_breaker": False,
                    "missing": None,
                    "unknown": None,
                    "short": None,
                    "evidence": None,
                    "unconfirmed": False,
                    "near_miss": False,
                    "gap": None,
                    "plan_dependent": False,
                    "weight": 2.0,
                },
                {
                    "id": "notes",
                    "section": "ops",
                    "status": "not_required",
                    "points": 0.0,
                    "max": 0.0,
                    "credit": None,
                    "must_have": False,
                    "deal_breaker": False,
                    "missing": None,
                    "unknown": None,
                    "short": None,
                    "evidence": None,
                    "unconfirmed": False,
                    "near_miss": False,
                    "gap": None,
                    "plan_dependent": False,
                    "weight": 0.0,
                },
            ],
            "deal_breakers": [],
            "follow_ups": [
                {
                    "id": "region",
                    "section": "sec",
                    "status": "ask_provider",
                    "reason": "ask_provider",
                    "question": "Do you offer this: In Switzerland? Where must data live?",
                    "must_have": True,
                },
                {
                    "id": "certs",
                    "section": "ops",
                    "status": "partly_met",
                    "reason": "partly_met",
                    "question": "Which certifications must the provider hold?",
                    "must_have": False,
                },
                {
                    "id": "uptime",
                    "section": "ops",
                    "status": "partly_met",
                    "reason": "partly_met",
                    "question": "What monthly uptime must be financially backed?",
                    "must_have": True,
                },
                {
                    "id": "breach_hours",
                    "section": "ops",
                    "status": "ask_provider",
                    "reason": "ask_provider",
                    "question": "Within how many hours must a breach be reported to you?",
                    "must_have": False,
                },
            ],
        }
    )


def result_of(**fields) -> QuestionResult:
    base = {"id": "q", "section_id": "s", "status": MET, "points": 1.0, "max": 1.0, "credit": 1.0}
    return QuestionResult(**{**base, **fields})


@pytest.mark.parametrize(
    ("fields", "reason", "is_open"),
    [
        ({"must_have": True, "status": ASK_PROVIDER}, "ask_provider", True),
        ({"must_have": True, "status": NOT_SURE_STATUS}, "not_sure", True),
        ({"must_have": True, "status": PARTLY_MET, "near_miss": True}, "near_miss", True),
        ({"must_have": True, "unconfirmed": True}, "unconfirmed", True),
        ({"must_have": True}, None, False),
        ({"must_have": True, "status": NOT_MET}, None, False),  # a deal-breaker is settled
        ({"status": ASK_PROVIDER}, None, True),  # open, but no must-have
        ({"status": NOT_SURE_STATUS}, None, True),
        ({"status": PARTLY_MET, "near_miss": True}, None, False),
        ({"unconfirmed": True}, None, False),
    ],
)
def test_an_open_point_and_why_a_must_have_is_unresolved(fields, reason, is_open):
    result = result_of(**fields)
    assert result.open_reason == reason
    assert result.is_open is is_open


def test_footing_counts_stated_and_compared_by_number_and_by_weight():
    results = [
        result_of(status=MET, weight=3.0),
        result_of(status=NOT_MET, weight=1.0),
        result_of(status=PARTLY_MET, weight=2.0),
        result_of(status=ASK_PROVIDER, weight=2.0),
        result_of(status=NOT_SURE_STATUS, weight=1.0),
        result_of(status=NOT_REQUIRED, weight=0.0),
    ]
    found = footing(results)
    assert found == Footing(stated=5, compared=3, stated_weight=9.0, compared_weight=6.0)
    assert (found.percent, found.weighted_percent) == (60.0, 66.7)


def test_footing_of_nothing_stated_has_no_percent():
    empty = Footing(stated=0, compared=0, stated_weight=0.0, compared_weight=0.0)
    assert (empty.percent, empty.weighted_percent) == (None, None)
    assert empty.to_dict()["percent"] is None
    assert Footing(1, 1, 0.0, 0.0).weighted_percent is None
    assert Footing(3, 1, 1.0, 1.0).percent == 33.3


def test_a_section_reaching_min_coverage_exactly_is_enough(small_bank):
    bank = replace(small_bank, min_coverage=50.0)
    # sec: encrypt (3) compared, smime (1) and region (2) open: 50% of the weight
    result = score(bank, EVERY_KIND, EVERY_KIND_MUST)
    assert result.sections[0].footing.weighted_percent == 50.0
    assert result.sections[0].enough
    assert not score(replace(small_bank, min_coverage=50.1), EVERY_KIND).sections[0].enough
    assert not score(small_bank, {}).sections[0].enough  # nothing stated


def test_the_result_counts_every_status_and_lists_the_decisions_pending(small_bank):
    result = score(small_bank, EVERY_KIND, EVERY_KIND_MUST)
    assert result.counts == {
        "met": 1,
        "partly_met": 2,
        "not_met": 0,
        "not_required": 2,
        "ask_provider": 2,
        "not_sure": 1,
    }
    assert result.decide_internally == ("smime",)
    assert result.open_points == 4
    assert result.provisional and not result.capped


def test_coverage_exactly_at_min_coverage_is_rated(small_bank):
    answers = {"encrypt": "yes", "uptime": 99.9, "breach_hours": 24}  # 8 of 10 compared
    result = score(small_bank, answers)
    assert result.coverage.weighted_percent == 80.0 == small_bank.min_coverage
    assert result.state == "rated"
    result = score(small_bank, {**answers, "smime": "not_sure"})
    assert result.coverage.weighted_percent < 80 and result.state == "provisional"


def test_a_score_exactly_on_a_band_floor_is_rated_in_that_band():
    bank = load(
        bank_dict(
            [
                {
                    "id": "s",
                    "title": "S",
                    "questions": [
                        {
                            "id": f"q{n}",
                            "prompt": "?",
                            "type": "yesno",
                            "weight": 1,
                            "commitment": commitment(n < 17),
                        }
                        for n in range(20)
                    ],
                }
            ]
        )
    )
    result = score(bank, {f"q{n}": "yes" for n in range(20)})
    assert result.score == 85.0 and result.score_range == (85.0, 85.0)
    assert result.rating == "Strong fit" and result.rating_range == ("Strong fit", "Strong fit")


def test_the_evidence_cap_binds_only_where_the_score_reaches_the_top_band(small_bank):
    # region (assertion, 2) and encrypt (contract, 3): 60% assured, needs 50: no cap
    result = score(small_bank, {"personal": "yes", "region": "eu", "encrypt": "yes"})
    assert result.assurance == 60.0 and result.rating == "Strong fit" and result.capped_by is None
    # region and smime-free: uptime (contract 5) vs region (assertion 2) + certs (independent 4)
    weak = replace(small_bank, top_band_evidence=60.1)
    capped = score(weak, {"personal": "yes", "region": "eu", "encrypt": "yes"})
    assert capped.capped_by == "evidence" and capped.rating == "Fit with gaps"
    assert capped.rating_range == ("Fit with gaps", "Fit with gaps")
    exact = score(
        replace(small_bank, top_band_evidence=60.0),
        {"personal": "yes", "region": "eu", "encrypt": "yes"},
    )
    assert exact.capped_by is None and exact.rating == "Strong fit"


def test_the_evidence_cap_is_not_named_below_the_top_band(small_bank):
    weak = replace(small_bank, top_band_evidence=100.0)
    # encrypt met (3), smime not met (1), region met on an assertion (2): 83.3, second band
    result = score(weak, {"personal": "yes", "region": "eu", "encrypt": "yes", "smime": "yes"})
    assert result.score_range == (83.3, 83.3)
    assert result.rating == "Fit with gaps" and result.capped_by is None


def test_the_best_band_counts_open_points_as_settled_in_writing(small_bank):
    strict = replace(small_bank, top_band_evidence=90.0)
    # encrypt met on contract (3), breach_hours asked (2): if answered in writing, all assured
    result = score(strict, {"encrypt": "yes", "breach_hours": 24})
    assert result.assurance == 60.0
    assert result.rating_range == ("Fit with gaps", "Strong fit")
    assert result.state == "provisional"  # 60% compared


def test_a_deal_breaker_caps_both_ends_of_the_range(small_bank):
    result = score(small_bank, {"encrypt": "yes", "uptime": 99, "smime": "yes"}, ["smime"])
    assert result.capped_by == "deal_breaker"
    assert result.rating_range == ("Significant gaps", "Significant gaps")


def test_a_must_have_met_on_a_public_statement_is_confirmed_in_the_contract(small_bank):
    result = score(small_bank, {"personal": "yes", "region": "eu"}, ["region"])
    region = outcome(result, "region")
    assert (region.id, region.status, region.unconfirmed, region.evidence) == (
        "region",
        MET,
        True,
        "assertion",
    )
    assert (region.low, region.high) == (0.0, 1.0)
    assert [(f.id, f.reason, f.status) for f in result.follow_ups] == [("region", "confirm", MET)]
    assert result.unresolved_must_haves == ("region",)
    settled = score(small_bank, {"personal": "yes", "region": "eu"})
    assert not outcome(settled, "region").unconfirmed and settled.follow_ups == ()


def test_only_a_documented_commitment_met_in_full_says_it_holds_for_some_plans():
    def bank(value):
        found = commitment(value)
        found["plan_dependent"] = True
        return load(
            bank_dict(
                [
                    {
                        "id": "s",
                        "title": "S",
                        "questions": [
                            {"id": "y", "prompt": "?", "type": "yesno", "commitment": found}
                        ],
                    }
                ]
            )
        )

    assert score(bank(True), {"y": "yes"}).questions[0].plan_dependent
    assert not score(bank(False), {"y": "yes"}).questions[0].plan_dependent
    assert not score(bank(True), {"y": "no"}).questions[0].plan_dependent


def outcome(result, question_id: str) -> QuestionResult:
    return next(r for r in result.questions if r.id == question_id)


def test_a_gap_is_given_only_where_a_number_falls_short(small_bank):
    assert outcome(score(small_bank, {"uptime": 99.95}), "uptime").gap == 0.05
    assert outcome(score(small_bank, {"uptime": 99.9}), "uptime").gap is None
    assert outcome(score(small_bank, {"encrypt": "yes"}), "encrypt").gap is None


def test_what_an_answer_that_states_no_requirement_is(small_bank):
    q = small_bank.question
    assert states_no_requirement(q("encrypt"), "no")
    assert states_no_requirement(q("certs"), [])
    assert not states_no_requirement(q("encrypt"), "yes")
    assert not states_no_requirement(q("encrypt"), None)
    assert not states_no_requirement(q("encrypt"), "not_sure")
    assert not states_no_requirement(q("personal"), "no")  # never scored
    assert not states_no_requirement(q("notes"), "")


def test_the_questions_shown_follow_the_answers(small_bank):
    assert "region" not in [q.id for q in visible_questions(small_bank, {})]
    assert "region" in [q.id for q in visible_questions(small_bank, {"personal": "yes"})]


def test_a_follow_up_names_the_options_the_source_is_silent_on(small_bank):
    result = score(small_bank, {"certs": ["pci"], "personal": "yes", "region": "ch"})
    certs = outcome(result, "certs")
    assert follow_up_text(small_bank.question("certs"), certs) == (
        "Do you offer this: PCI DSS? Which certifications must the provider hold?"
    )
    result = score(small_bank, {"certs": ["pci", "iso27001"]})
    certs = outcome(result, "certs")
    assert certs.status == ASK_PROVIDER
    two = replace(certs, unknown=("fedramp", "pci"))
    assert follow_up_text(small_bank.question("certs"), two) == (
        "Do you offer which of these: FedRAMP; PCI DSS? Which certifications must the provider hold?"
    )
    encrypt = small_bank.question("encrypt")
    assert follow_up_text(encrypt, result_of(status=NOT_MET)) == "How are keys managed?"


def test_a_question_without_a_commitment_asks_its_own_follow_up(small_bank):
    breach = outcome(score(small_bank, {"breach_hours": 24}), "breach_hours")
    assert follow_up_text(small_bank.question("breach_hours"), breach) == (
        "Within how many hours must a breach be reported to you?"
    )


@pytest.mark.parametrize(
    ("refs", "ordered"),
    [
        (["10", "9", "1"], ["1", "9", "10"]),
        (["CEK-10", "CEK-9", "AIS"], ["AIS", "CEK-9", "CEK-10"]),
        (["2b", "2a", "10"], ["2a", "2b", "10"]),
    ],
)
def test_framework_references_sort_naturally(refs, ordered):
    assert sorted(refs, key=reference_order) == ordered


def test_framework_counts_leave_out_zeros_and_unstated_questions():
    questions = [
        {
            "id": "a",
            "prompt": "?",
            "type": "yesno",
            "frameworks": {"ncsc": ["10", "2"]},
            "commitment": commitment(True),
        },
        {"id": "b", "prompt": "?", "type": "yesno", "frameworks": {"ncsc": ["2"], "ccm": ["CEK"]}},
        {
            "id": "c",
            "prompt": "?",
            "type": "yesno",
            "frameworks": {"ncsc": ["3"]},
            "commitment": commitment(True),
        },
    ]
    bank = load(bank_dict([{"id": "s", "title": "S", "questions": questions}]))
    result = score(bank, {"a": "yes", "b": "yes", "c": "no"})
    assert framework_counts(bank, result.questions) == {
        "ncsc": {"2": {"met": 1, "ask_provider": 1}, "10": {"met": 1}},
        "ccm": {"CEK": {"ask_provider": 1}},
    }
    assert list(result.to_dict()["frameworks"]["ncsc"]) == ["2", "10"]


def test_a_choice_or_a_number_answer_can_state_no_requirement(small_bank):
    q = small_bank.question
    assert states_no_requirement(q("region"), "none")
    assert not states_no_requirement(q("region"), "eu")
    assert not states_no_requirement(q("uptime"), 0.5) and states_no_requirement(q("uptime"), 0)


def test_options_of_a_question_the_source_is_silent_on_are_all_unknown_none_short(small_bank):
    bank = replace(
        small_bank,
        sections=tuple(
            replace(
                s,
                questions=tuple(
                    replace(q, commitment=None) if q.id == "certs" else q for q in s.questions
                ),
            )
            for s in small_bank.sections
        ),
    )
    certs = outcome(score(bank, {"certs": ["soc2", "pci"]}), "certs")
    assert (certs.status, certs.missing, certs.unknown, certs.short) == (
        ASK_PROVIDER,
        ("soc2", "pci"),
        ("soc2", "pci"),
        (),
    )
    breach = outcome(score(bank, {"breach_hours": 4}), "breach_hours")
    assert (breach.missing, breach.unknown, breach.short) == (None, None, None)


def test_an_option_question_answered_not_sure_misses_nothing_yet(small_bank):
    certs = outcome(score(small_bank, {"certs": "not_sure"}), "certs")
    assert (certs.status, certs.missing, certs.unknown, certs.short) == (
        NOT_SURE_STATUS,
        (),
        (),
        (),
    )
    uptime = outcome(score(small_bank, {"uptime": "not_sure"}), "uptime")
    assert (uptime.missing, uptime.unknown, uptime.short) == (None, None, None)


def test_a_result_resting_on_one_question_of_weight_1_has_a_range_and_a_rating():
    questions = [
        {"id": "q", "prompt": "?", "type": "yesno", "weight": 1, "commitment": commitment(True)}
    ]
    bank = load(bank_dict([{"id": "s", "title": "S", "questions": questions}]))
    result = score(bank, {"q": "yes"})
    assert result.score_range == (100.0, 100.0) and result.assurance == 100.0
    assert result.state == "rated" and result.rating == "Strong fit"


def test_numbered_references_come_before_named_ones():
    assert sorted(["A", "10", "2"], key=reference_order) == ["2", "10", "A"]


def test_framework_counts_add_up_the_questions_under_one_reference():
    questions = [
        {
            "id": n,
            "prompt": "?",
            "type": "yesno",
            "frameworks": {"ncsc": ["2"]},
            "commitment": commitment(True),
        }
        for n in ("a", "b", "c")
    ]
    bank = load(bank_dict([{"id": "s", "title": "S", "questions": questions}]))
    result = score(bank, {"a": "yes", "b": "yes", "c": "yes"})
    assert result.frameworks == {"ncsc": {"2": {"met": 3}}}


def test_nothing_compared_is_never_rated_however_low_min_coverage_is(small_bank):
    result = score(replace(small_bank, min_coverage=0.5), {"breach_hours": 24})
    assert result.coverage.weighted_percent == 0.0
    assert result.state == "provisional" and result.rating is None
    assert score(replace(small_bank, min_coverage=0.0), {"breach_hours": 24}).state == "rated"
