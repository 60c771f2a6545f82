"""What fit/2 added to fit/1 and fit/3 keeps: "Not sure", coverage, unresolved must-haves,
provisional results, missing keys, framework counts, replaced commitments; and their
properties under fit/3 (test_fit3.py has what fit/3 adds)."""

from __future__ import annotations

import dataclasses
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from questionnaire.core import answers as answers_mod
from questionnaire.core.bank import parse_bank
from questionnaire.core.qtypes import NOT_SURE, AnswerError
from questionnaire.core.scoring import (
    ASK_PROVIDER,
    COMPARED,
    MET,
    NOT_SURE_STATUS,
    STATED,
    score,
    visible_answers,
)
from tests.factories import load, random_answers, random_bank_dict
from tests.support import SMALL_BANK

# Every scored question of the small bank met; region needs personal = "yes".
ALL_MET = {
    "personal": "yes",
    "encrypt": "yes",
    "region": "eu",
    "certs": ["iso27001"],
    "uptime": 99.5,
}


def by_id(result) -> dict:
    return {q.id: q for q in result.questions}


# --- "Not sure" ---------------------------------------------------------------------------


@pytest.mark.parametrize("question", ["encrypt", "region", "certs", "uptime", "breach_hours"])
def test_not_sure_is_an_answer_to_every_scored_type_and_is_left_out_of_the_score(
    small_bank, question
):
    checked = answers_mod.check(small_bank, {**ALL_MET, question: NOT_SURE})
    assert checked.values[question] == NOT_SURE
    result = score(small_bank, checked.values)
    assert by_id(result)[question].status == NOT_SURE_STATUS
    assert (by_id(result)[question].points, by_id(result)[question].max) == (0.0, 0.0)
    assert result.decide_internally == (question,)
    assert result.score == 100.0  # the rest are met; not sure weighs nothing
    assert question not in [f.id for f in result.follow_ups]  # not a question for the provider


def test_not_sure_is_refused_on_questions_that_are_never_scored_unless_a_gate_offers_it(
    small_bank,
):
    with pytest.raises(answers_mod.AnswersInvalid) as caught:
        answers_mod.check(small_bank, {"personal": NOT_SURE})
    assert "'Not sure' is not offered on this question" in str(caught.value)
    gate = parse_bank(
        SMALL_BANK.replace("        weight: 0\n", "        weight: 0\n        not_sure: true\n")
    )
    checked = answers_mod.check(gate, {"personal": NOT_SURE, "region": "eu"})
    assert checked.values == {"personal": NOT_SURE, "region": "eu"}  # the gate shows region
    # A text answer that happens to read "not_sure" is just text.
    assert answers_mod.check(small_bank, {"notes": NOT_SURE}).values["notes"] == NOT_SURE
    result = score(small_bank, {"notes": NOT_SURE})
    assert by_id(result)["notes"].status == "not_required"


def test_a_must_have_may_be_marked_on_a_not_sure_answer_and_is_then_unresolved(small_bank):
    checked = answers_mod.check(small_bank, {**ALL_MET, "uptime": NOT_SURE}, ["uptime"])
    result = score(small_bank, checked.values, checked.must_have)
    assert by_id(result)["uptime"].must_have and not by_id(result)["uptime"].deal_breaker
    assert result.unresolved_must_haves == ("uptime",)
    assert result.provisional and result.rating is None
    assert result.score == 100.0 and result.rating_range[0] == "Significant gaps"


def test_multi_not_sure_is_one_answer_not_an_option(small_bank):
    with pytest.raises(answers_mod.AnswersInvalid):
        answers_mod.check(small_bank, {"certs": [NOT_SURE]})  # not an option key
    certs = small_bank.question("certs")
    with pytest.raises(AnswerError, match="not both"):
        certs.kind.from_form(certs, ["iso27001", NOT_SURE])
    assert certs.kind.from_form(certs, [NOT_SURE]) == NOT_SURE
    assert certs.kind.to_form(certs, NOT_SURE) == (NOT_SURE,)


def test_number_not_sure_box_and_a_number_together_are_refused(small_bank):
    uptime = small_bank.question("uptime")
    field = uptime.kind.to_form(uptime, NOT_SURE)
    assert (field.text, field.not_sure) == ("", True)
    assert uptime.kind.from_form(uptime, field) == NOT_SURE
    with pytest.raises(AnswerError, match="not both"):
        uptime.kind.from_form(uptime, field._replace(text="99.9"))
    assert uptime.kind.from_form(uptime, uptime.kind.to_form(uptime, 99.95)) == 99.95


def test_a_question_gated_on_a_not_sure_answer_is_shown(small_bank):
    # region is shown when personal = "yes"; personal is weight 0, so use a scored gate.
    text = SMALL_BANK.replace(
        'show_if: {question: personal, equals: "yes"}', 'show_if: {question: encrypt, not: "yes"}'
    )
    bank = parse_bank(text, "gate.yaml")
    assert "region" not in by_id(score(bank, {"encrypt": "yes"}))
    assert "region" in by_id(score(bank, {"encrypt": "no"}))
    result = score(bank, {"encrypt": NOT_SURE, "region": "eu"})
    assert by_id(result)["region"].status == MET  # shown, and its answer kept


def test_the_option_key_not_sure_is_reserved():
    text = SMALL_BANK.replace("{key: ch, label: In Switzerland}", "{key: not_sure, label: Maybe}")
    with pytest.raises(Exception, match="reserved for the answer"):
        parse_bank(text, "q.yaml")


# --- coverage, unresolved must-haves, provisional ------------------------------------------


def test_coverage_counts_stated_and_compared_requirements(small_bank):
    answers = {**ALL_MET, "smime": "yes", "breach_hours": 24, "uptime": NOT_SURE}
    result = score(small_bank, answers)
    # stated: encrypt, smime, region, certs, uptime (not sure), breach_hours (ask) = 6
    # compared: encrypt, smime, region, certs = 4
    coverage = result.coverage.to_dict()
    assert (coverage["stated"], coverage["compared"], coverage["percent"]) == (6, 4, 66.7)
    # by weight: 3 + 1 + 2 + 4 compared of 3 + 1 + 2 + 4 + 5 + 2 stated
    assert coverage["weighted_percent"] == round(100 * 10 / 17, 1)
    assert result.provisional and result.rating is None
    assert result.unresolved_must_haves == ()


def test_coverage_is_null_when_nothing_is_stated(small_bank):
    result = score(small_bank, {"encrypt": "no"})
    coverage = result.coverage.to_dict()
    assert (coverage["stated"], coverage["compared"], coverage["percent"]) == (0, 0, None)
    assert coverage["weighted_percent"] is None
    assert result.state == "not_rated" and result.capped_by is None and result.rating is None


def test_min_coverage_comes_from_the_bank():
    answers = {**ALL_MET, "breach_hours": 24}  # weights 3+2+4+5 = 14 of 16 compared: 87.5%
    assert not score(parse_bank(SMALL_BANK), answers).provisional  # default 80: not below
    strict = parse_bank(
        SMALL_BANK.replace("title: Small bank", "title: Small bank\nmin_coverage: 90")
    )
    assert strict.min_coverage == 90
    result = score(strict, answers)
    assert result.provisional and result.rating is None and result.score == 100.0
    assert result.to_dict()["min_coverage"] == 90


def test_a_deal_breaker_caps_below_the_provisional_cap(small_bank):
    answers = {**ALL_MET, "smime": "yes", "breach_hours": 24}
    result = score(small_bank, answers, ["smime", "breach_hours"])
    assert result.deal_breakers == ("smime",) and result.unresolved_must_haves == ("breach_hours",)
    assert result.capped_by == "deal_breaker" and result.provisional
    assert result.rating is None
    assert result.rating_range == ("Significant gaps", "Significant gaps")
    data = result.to_dict()
    assert data["capped_by_deal_breaker"] is True and data["capped_by"] == "deal_breaker"


def test_unresolved_must_haves_are_in_bank_order(small_bank):
    answers = {**ALL_MET, "breach_hours": 24, "encrypt": NOT_SURE}
    result = score(small_bank, answers, ["breach_hours", "encrypt"])
    assert result.unresolved_must_haves == ("encrypt", "breach_hours")


def test_a_result_that_is_neither_capped_nor_provisional_says_so(small_bank):
    result = score(small_bank, ALL_MET, ["encrypt"])
    assert (result.rating, result.capped_by, result.provisional) == ("Strong fit", None, False)
    assert result.to_dict()["capped_by_deal_breaker"] is False


# --- missing keys, frameworks, replaced commitments -----------------------------------------


def test_choice_and_multi_name_the_required_keys_not_documented(small_bank):
    result = score(
        small_bank,
        {"personal": "yes", "region": "ch", "certs": ["soc2", "pci", "fedramp"], "encrypt": "yes"},
    )
    found = by_id(result)
    assert found["region"].missing == ("ch",) and found["region"].unknown == ("ch",)
    assert found["certs"].missing == ("fedramp", "pci")  # in option order
    assert (found["certs"].short, found["certs"].unknown) == (("fedramp",), ("pci",))
    assert found["encrypt"].missing is None  # not a type with option keys
    met = by_id(score(small_bank, ALL_MET))
    assert met["region"].missing == () and met["certs"].missing == ()
    data = score(small_bank, {"certs": ["pci"]}).to_dict()
    assert next(q for q in data["questions"] if q["id"] == "certs")["missing"] == ["pci"]


def test_ask_the_provider_on_a_choice_names_every_required_key():
    text = SMALL_BANK.replace(
        '        commitment: {value: [eu, us], statement: "EU and US regions", source: "Trust page",'
        " evidence: assertion}\n",
        "",
    )
    assert text != SMALL_BANK
    result = score(parse_bank(text), {"personal": "yes", "region": "eu_any"})
    assert (by_id(result)["region"].status, by_id(result)["region"].missing) == (
        ASK_PROVIDER,
        ("eu",),
    )


def test_framework_counts_by_status_over_stated_questions():
    text = (
        SMALL_BANK.replace(
            "        follow_up: How are keys managed?\n",
            '        follow_up: How are keys managed?\n        frameworks: {ncsc: ["2", "10"], ccm: [CEK]}\n',
        )
        .replace(
            "        weight: 1\n",
            '        weight: 1\n        frameworks: {ncsc: ["2"]}\n',
        )
        .replace(
            "        better: lower\n",
            '        better: lower\n        frameworks: {ncsc: ["9"], ccm: [SEF]}\n',
        )
    )
    bank = parse_bank(text)
    result = score(bank, {"encrypt": "yes", "smime": "no", "breach_hours": 24})
    # smime "no" states nothing: left out of the counts.
    assert result.frameworks == {
        "ncsc": {"2": {"met": 1}, "9": {"ask_provider": 1}, "10": {"met": 1}},
        "ccm": {"CEK": {"met": 1}, "SEF": {"ask_provider": 1}},
    }
    assert list(result.frameworks["ncsc"]) == ["2", "9", "10"]  # natural order


def test_a_caller_may_replace_the_commitment_of_a_question(small_bank):
    documented = small_bank.question("uptime").commitment
    better = dataclasses.replace(documented, value=99.99, statement="In writing, 99.99%")
    answers = {**ALL_MET, "uptime": 99.95, "breach_hours": 4}
    plain = score(small_bank, answers)
    assert by_id(plain)["uptime"].status == "partly_met"  # a near miss
    replaced = score(small_bank, answers, commitments={"uptime": better, "breach_hours": better})
    assert by_id(replaced)["uptime"].status == MET
    assert by_id(replaced)["breach_hours"].status == "not_met"  # lower is better: 99.99 > 4
    assert score(small_bank, answers).to_dict() == plain.to_dict()  # nothing was changed


# --- properties ------------------------------------------------------------------------

seeds = st.integers(min_value=0, max_value=2**32 - 1)


def generated(seed: int, not_sure_share: float = 0.0):
    """A random bank and checked answers to it; some scored answers made "Not sure"."""
    bank = load(random_bank_dict(n_questions=14, n_sections=3, seed=seed))
    raw, must = random_answers(bank, seed)
    values = {}
    for q in bank.questions:  # in bank order, so conditions see what is kept
        answer = raw[q.id]
        if q.scored and (seed * 31 + len(values)) % 100 < 100 * not_sure_share:
            answer = NOT_SURE
        values[q.id] = answer
    shown = visible_answers(bank, values)
    checked = answers_mod.check(bank, shown, [m for m in must if m in shown])
    return bank, checked


def band(bank, rating) -> int:
    """0 for the top band; no rating counts as below every band."""
    labels = [r.label for r in bank.ratings]
    return labels.index(rating) if rating is not None else len(labels)


@given(seeds, st.integers(min_value=0, max_value=1000))
def test_answering_not_sure_instead_of_a_met_answer_never_raises_the_rating(seed, pick):
    bank, checked = generated(seed, 0.2)
    before = score(bank, checked.values, checked.must_have)
    met = [q.id for q in before.questions if q.status == MET]
    if not met:
        return
    target = met[pick % len(met)]
    after = score(bank, {**checked.values, target: NOT_SURE}, checked.must_have)
    assert by_id(after)[target].status == NOT_SURE_STATUS
    assert band(bank, after.rating) >= band(bank, before.rating)
    if before.score is not None and after.score is not None:
        assert after.score <= before.score + 1e-9


@given(seeds)
def test_a_result_with_an_unresolved_must_have_is_not_yet_rated(seed):
    bank, checked = generated(seed, 0.3)
    # Every stated question a must-have: unresolved ones abound.
    must = [q.id for q in bank.questions if q.scored and q.id in checked.values]
    result = score(bank, checked.values, must)
    if result.unresolved_must_haves:
        assert result.provisional and result.rating is None
        assert result.rating_range[0] == bank.ratings[-1].label
    for qid in result.unresolved_must_haves:
        q = by_id(result)[qid]
        assert q.status in (ASK_PROVIDER, NOT_SURE_STATUS) or q.near_miss or q.unconfirmed


def _no_requirement(question):
    return {"yesno": "no", "choice": "none", "multi": [], "number": None}[question.type]


@given(seeds)
def test_the_score_ignores_not_sure_and_ask_the_provider(seed):
    bank, checked = generated(seed, 0.3)
    before = score(bank, checked.values)
    # Conditions: a question's visibility may depend on these answers; keep those.
    referenced = {ref for q in bank.questions if q.show_if for ref in q.show_if.references()}
    changed = dict(checked.values)
    for q in before.questions:
        if q.status in (NOT_SURE_STATUS, ASK_PROVIDER) and q.id not in referenced:
            changed[q.id] = _no_requirement(bank.question(q.id))
    after = score(bank, changed)
    assert after.score == before.score
    assert [s.score for s in after.sections] == [s.score for s in before.sections]


@given(seeds)
def test_coverage_counts_and_lists_agree_with_the_statuses(seed):
    bank, checked = generated(seed, 0.25)
    result = score(bank, checked.values, checked.must_have)
    statuses = [q.status for q in result.questions]
    assert result.coverage.stated == sum(s in STATED for s in statuses)
    assert result.coverage.compared == sum(s in COMPARED for s in statuses)
    percent = result.coverage.percent
    assert percent is None or 0 <= percent <= 100
    assert (result.score is None) == (result.coverage.compared == 0)
    assert result.decide_internally == tuple(
        q.id for q in result.questions if q.status == NOT_SURE_STATUS
    )
    assert sum(result.counts.values()) == len(result.questions)
    weighted = result.coverage.weighted_percent
    expected = bool(result.unresolved_must_haves) or (
        weighted is not None and weighted < bank.min_coverage
    )
    assert result.provisional == expected
    # A rating is the band of the range's low end, never above it.
    if result.rating is not None:
        assert band(bank, result.rating) >= bank.band(result.score_range[0])
    for name, refs in result.frameworks.items():
        for counts in refs.values():
            assert all(n > 0 and s in STATED for s, n in counts.items()), (name, counts)


@given(seeds)
def test_the_stored_result_is_plain_json_and_keeps_every_fit1_key(seed):
    bank, checked = generated(seed, 0.2)
    data = score(bank, checked.values, checked.must_have).to_dict()
    assert json.loads(json.dumps(data)) == data
    fit1_keys = {"method", "bank_version", "bank_sha256", "score", "rating"}
    fit1_keys |= {"capped_by_deal_breaker", "counts", "sections", "questions"}
    fit1_keys |= {"deal_breakers", "follow_ups"}
    fit2_keys = {"coverage", "unresolved_must_haves", "provisional", "capped_by"}
    fit2_keys |= {"decide_internally", "frameworks"}
    fit3_keys = {"state", "score_range", "rating_range", "assurance", "open_points"}
    assert set(data) >= fit1_keys | fit2_keys | fit3_keys and data["method"] == "fit/3"
    assert all("missing" in q for q in data["questions"])


def test_the_generated_answers_do_hold_not_sure_and_unresolved_must_haves():
    """So the properties above are not vacuous."""
    found = [generated(seed, 0.3) for seed in range(30)]
    assert sum(NOT_SURE in checked.values.values() for _, checked in found) >= 10
    unresolved = [
        score(bank, c.values, [q.id for q in bank.questions if q.scored and q.id in c.values])
        for bank, c in found
    ]
    assert sum(bool(r.unresolved_must_haves) for r in unresolved) >= 10
