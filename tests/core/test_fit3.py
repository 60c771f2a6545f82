"""What method fit/3 adds: graded evidence, silence that is never a shortfall, near misses,
must-haves on no requirement, a range instead of a false point, a state, the evidence cap,
section footing; and the properties that keep it honest (docs/method.md)."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given
from hypothesis import strategies as st

from questionnaire.core import answers as answers_mod
from questionnaire.core.bank import parse_bank
from questionnaire.core.qtypes import NOT_SURE
from questionnaire.core.scoring import (
    ASK_PROVIDER,
    MET,
    NOT_MET,
    NOT_REQUIRED,
    PARTLY_MET,
    PROVISIONAL,
    RATED,
    score,
)
from tests.factories import bank_dict, commitment, load, random_answers, random_bank_dict
from tests.support import SMALL_BANK

# Every scored question of the small bank met, on contract-grade evidence except region
# (an assertion): 12 of 14 stated weight assured.
ALL_MET = {
    "personal": "yes",
    "encrypt": "yes",
    "region": "eu",
    "certs": ["iso27001"],
    "uptime": 99.5,
}


def by_id(result) -> dict:
    return {q.id: q for q in result.questions}


def one_question_bank(question: dict, **top) -> object:
    data = bank_dict([{"id": "s", "title": "S", "questions": [question]}])
    data.update(top)
    return load(data)


# --- evidence grades ----------------------------------------------------------------------


def test_each_compared_question_carries_its_evidence_grade(small_bank):
    found = by_id(score(small_bank, {**ALL_MET, "smime": "yes", "breach_hours": 4}))
    assert found["encrypt"].evidence == "contract"
    assert found["region"].evidence == "assertion"
    assert found["certs"].evidence == "independent"
    assert found["smime"].evidence == "assertion"  # a documented absence has a grade too
    assert found["breach_hours"].evidence is None  # nothing to grade


def test_a_must_have_met_only_on_the_public_word_is_unresolved_and_asked(small_bank):
    result = score(small_bank, ALL_MET, must_have=["region", "encrypt"])
    region = by_id(result)["region"]
    assert region.status == MET and region.unconfirmed and region.open_reason == "unconfirmed"
    assert not by_id(result)["encrypt"].unconfirmed  # contract: meets the bar
    assert result.unresolved_must_haves == ("region",)
    assert result.state == PROVISIONAL and result.rating is None
    # Its verification question is shown, not hidden.
    assert [(f.id, f.reason) for f in result.follow_ups] == [("region", "confirm")]
    assert result.to_dict()["unresolved_reasons"] == {"region": "unconfirmed"}


def test_the_bank_sets_the_bar_for_must_haves():
    policy_region = SMALL_BANK.replace(
        'source: "Trust page", evidence: assertion}\n        options', "X"
    ).replace(
        '"EU and US regions", source: "Trust page", evidence: assertion',
        '"EU and US regions", source: "Trust page", evidence: policy',
    )
    assert policy_region != SMALL_BANK
    lenient = parse_bank(
        policy_region.replace("title: Small bank", "title: Small bank\nmust_have_evidence: policy")
    )
    assert not by_id(score(lenient, ALL_MET, ["region"]))["region"].unconfirmed
    assert by_id(score(parse_bank(policy_region), ALL_MET, ["region"]))["region"].unconfirmed
    strict = parse_bank(
        SMALL_BANK.replace(
            "title: Small bank", "title: Small bank\nmust_have_evidence: independent"
        )
    )
    result = score(strict, ALL_MET, ["encrypt", "certs"])
    assert result.unresolved_must_haves == ("encrypt",)  # contract is below independent


def test_a_written_answer_counts_as_contract_for_a_must_have(small_bank):
    documented = small_bank.question("region").commitment
    written = dataclasses.replace(documented, evidence="written")
    result = score(small_bank, ALL_MET, ["region"], commitments={"region": written})
    assert result.unresolved_must_haves == () and result.state == RATED
    assert by_id(result)["region"].evidence == "written"


def test_the_top_band_needs_enough_assured_evidence():
    question = {
        "id": "q",
        "prompt": "Q?",
        "type": "yesno",
        "weight": 2,
        "commitment": commitment(True, "assertion"),
    }
    bank = one_question_bank(question)
    result = score(bank, {"q": "yes"})
    assert result.score_range == (100.0, 100.0) and result.assurance == 0.0
    assert result.state == RATED and result.rating == "Fit with gaps"
    assert result.capped_by == "evidence"
    # If the open points went well... there are none: the cap stays in the high end too.
    assert result.rating_range == ("Fit with gaps", "Fit with gaps")
    assured = one_question_bank({**question, "commitment": commitment(True, "contract")})
    assert score(assured, {"q": "yes"}).rating == "Strong fit"
    # top_band_evidence: 0 lifts the cap.
    relaxed = one_question_bank(question, top_band_evidence=0)
    assert score(relaxed, {"q": "yes"}).rating == "Strong fit"


def test_assurance_is_a_share_of_stated_weight_so_not_sure_cannot_raise_it(small_bank):
    # 12 of 14 stated weight met on contract or independent evidence.
    assert score(small_bank, ALL_MET).assurance == round(100 * 12 / 14, 1)
    # Not sure on the assertion-met region keeps its weight in the denominator.
    unsure = score(small_bank, {**ALL_MET, "region": NOT_SURE})
    assert unsure.assurance == round(100 * 12 / 14, 1)


def test_a_schema_2_bank_loads_with_every_commitment_an_assertion_and_a_warning():
    old = "\n".join(
        line.replace(", evidence: contract", "")
        .replace(", evidence: assertion", "")
        .replace("evidence: independent", "")
        for line in SMALL_BANK.replace("schema: 3", "schema: 2").splitlines()
    )
    bank = parse_bank(old, "old.yaml")
    assert {q.commitment.evidence for q in bank.questions if q.commitment} == {"assertion"}
    ungraded = [w for w in bank.warnings if "no 'evidence' grade" in w.message]
    assert len(ungraded) == 5
    assert str(ungraded[0]).startswith("old.yaml:") and "counts as 'assertion'" in str(ungraded[0])


def test_schema_3_requires_a_grade_and_refuses_an_unknown_one():
    with pytest.raises(Exception, match="needs 'evidence'"):
        parse_bank(
            SMALL_BANK.replace(", evidence: contract}\n      - id: smime", "}\n      - id: smime")
        )
    with pytest.raises(Exception, match="'written' of .* is not a grade.*never in the bank"):
        parse_bank(SMALL_BANK.replace("evidence: independent", "evidence: written"))


# --- silence ----------------------------------------------------------------------------


def test_an_option_the_provider_is_silent_on_is_asked_about_by_name(small_bank):
    result = score(small_bank, {"certs": ["iso27001", "pci"]})
    certs = by_id(result)["certs"]
    assert (certs.status, certs.unknown, certs.deal_breaker) == (ASK_PROVIDER, ("pci",), False)
    assert result.coverage.compared == 0  # not compared
    (follow_up,) = result.follow_ups
    assert follow_up.text.startswith("Do you offer this: PCI DSS?")


def test_a_documented_absence_is_a_shortfall_whatever_else_is_unknown(small_bank):
    result = score(small_bank, {"certs": ["fedramp", "pci"]}, ["certs"])
    certs = by_id(result)["certs"]
    assert (certs.status, certs.short, certs.unknown) == (NOT_MET, ("fedramp",), ("pci",))
    assert result.deal_breakers == ("certs",)


# --- near misses ------------------------------------------------------------------------


def test_a_near_miss_is_half_credit_never_a_deal_breaker_and_unresolved_as_a_must_have(small_bank):
    result = score(small_bank, {"encrypt": "yes", "uptime": 99.95}, ["uptime"])
    uptime = by_id(result)["uptime"]
    assert (uptime.status, uptime.credit, uptime.near_miss, uptime.gap) == (
        PARTLY_MET,
        0.5,
        True,
        0.05,
    )
    assert not uptime.deal_breaker and result.deal_breakers == ()
    assert result.unresolved_must_haves == ("uptime",) and result.state == PROVISIONAL
    assert result.to_dict()["unresolved_reasons"] == {"uptime": "near_miss"}
    # Beyond the tolerance it is a shortfall and a deal-breaker.
    beyond = score(small_bank, {"encrypt": "yes", "uptime": 99.96}, ["uptime"])
    assert by_id(beyond)["uptime"].status == NOT_MET and beyond.deal_breakers == ("uptime",)
    # Without must-have, a near miss keeps its half credit in both ends of the range.
    free = score(small_bank, {"encrypt": "yes", "uptime": 99.95})
    assert free.score_range == (round(100 * 5.5 / 8, 1),) * 2


# --- must-haves on no requirement, zero asks -------------------------------------------


def test_zero_is_no_requirement_where_more_is_better():
    question = {
        "id": "credit",
        "prompt": "What service credit do you need?",
        "type": "number",
        "unit": "%",
        "min": 0,
        "max": 100,
        "better": "higher",
        "weight": 2,
        "commitment": commitment(25),
    }
    result = score(one_question_bank(question), {"credit": 0}, ["credit"])
    assert by_id(result)["credit"].status == NOT_REQUIRED
    assert result.must_haves_without_requirement == ("credit",)
    assert result.state == "not_rated"


# --- range, state ------------------------------------------------------------------------


def test_nothing_stated_is_not_rated(small_bank):
    result = score(small_bank, {"encrypt": "no", "personal": "no"})
    assert (result.state, result.score_range, result.rating, result.rating_range) == (
        "not_rated",
        None,
        None,
        (None, None),
    )


def test_every_answer_not_sure_is_provisional_with_the_widest_range(small_bank):
    answers = {q: NOT_SURE for q in ("encrypt", "smime", "certs", "uptime", "breach_hours")}
    result = score(small_bank, answers)
    assert result.state == PROVISIONAL and result.score is None
    assert result.score_range == (0.0, 100.0) and result.coverage.compared == 0
    assert result.open_points == 5


def test_a_rated_result_is_the_band_of_what_the_buyer_can_count_on(small_bank):
    # 16 stated: breach_hours (2) asked, the rest met; coverage 87.5% >= 80: rated.
    result = score(small_bank, {**ALL_MET, "breach_hours": 24})
    assert result.state == RATED
    assert result.score == 100.0 and result.score_range == (87.5, 100.0)
    assert result.rating == "Strong fit" == result.rating_range[0]
    assert result.open_points == 1


def test_a_provisional_result_has_no_rating_but_a_range_of_bands(small_bank):
    result = score(small_bank, {**ALL_MET, "breach_hours": 24, "smime": "yes"}, ["breach_hours"])
    assert result.state == PROVISIONAL and result.rating is None
    assert result.score_range == (round(100 * 14 / 17, 1), round(100 * 16 / 17, 1))
    # Low: the unresolved must-have could be a deal-breaker. High: everything open goes well.
    assert result.rating_range == ("Significant gaps", "Strong fit")


def test_sections_carry_their_footing(small_bank):
    result = score(small_bank, {"encrypt": "yes", "uptime": 99, "breach_hours": 4})
    sec, ops = result.sections
    assert (sec.footing.stated, sec.footing.compared, sec.enough) == (1, 1, True)
    assert (ops.footing.stated, ops.footing.compared) == (2, 1)
    assert ops.footing.weighted_percent == round(100 * 5 / 7, 1) and not ops.enough
    stored = result.to_dict()["sections"][1]
    assert stored["coverage"]["weighted_percent"] == round(100 * 5 / 7, 1)
    assert stored["enough"] is False


def test_plan_dependent_is_said_only_when_met():
    question = {
        "id": "dlp",
        "prompt": "Do you need data loss prevention?",
        "type": "yesno",
        "weight": 2,
        "commitment": {**commitment(True, "assertion"), "plan_dependent": True},
    }
    bank = one_question_bank(question)
    assert by_id(score(bank, {"dlp": "yes"}))["dlp"].plan_dependent
    assert not by_id(score(bank, {"dlp": NOT_SURE}))["dlp"].plan_dependent


# --- properties --------------------------------------------------------------------------

seeds = st.integers(min_value=0, max_value=2**32 - 1)


def generated(seed: int, must_share: float = 0.3):
    bank = load(random_bank_dict(n_questions=14, n_sections=3, seed=seed))
    raw, _ = random_answers(bank, seed)
    checked = answers_mod.check(bank, _visible(bank, raw))
    must = [
        q.id
        for i, q in enumerate(bank.questions)
        if q.scored and q.id in checked.values and (seed >> (i % 30)) % 10 < 10 * must_share
    ]
    return bank, checked.values, must


def _visible(bank, raw):
    from questionnaire.core.scoring import visible_answers

    return visible_answers(bank, raw)


def band_index(bank, label) -> int:
    labels = [r.label for r in bank.ratings]
    return labels.index(label)


def assert_no_higher(bank, before, after):
    """``after`` never counts on more than ``before``: score_range.low, rating_range.low, and
    a rated result's rating."""
    if before.score_range is not None and after.score_range is not None:
        assert after.score_range[0] <= before.score_range[0]
    if before.rating_range[0] is not None and after.rating_range[0] is not None:
        assert band_index(bank, after.rating_range[0]) >= band_index(bank, before.rating_range[0])
    if before.rating is not None and after.rating is not None:
        assert band_index(bank, after.rating) >= band_index(bank, before.rating)


@given(seeds, st.integers(min_value=0, max_value=1000))
def test_not_sure_never_raises_what_the_buyer_can_count_on(seed, pick):
    bank, values, must = generated(seed)
    candidates = [q.id for q in bank.questions if q.offers_not_sure and q.id in values]
    if not candidates:
        return
    target = candidates[pick % len(candidates)]
    before = score(bank, values, must)
    after = score(bank, {**values, target: NOT_SURE}, must)
    assert_no_higher(bank, before, after)


def stricter(question, answer):
    """A stricter requirement than ``answer``: one the same commitment meets in fewer cases
    (a higher minimum, a lower maximum, more options required). None when there is none."""
    if answer is None or answer == NOT_SURE or question.kind.requirement(question, answer) is None:
        return None
    if question.type == "number":
        settings = question.settings
        step = 0.03 if settings.near else 7.5
        moved = answer + step if settings.better == "higher" else answer - step
        moved = round(moved, 2)
        if (
            settings.min is not None
            and moved < settings.min
            or settings.max is not None
            and moved > settings.max
        ):
            return None
        return moved
    if question.type == "multi":
        required = {question.option(k).requires for k in answer}
        extra = [o.key for o in question.options if o.requires and o.requires not in required]
        return (
            [k for k in (o.key for o in question.options) if k in answer or k == extra[0]]
            if extra
            else None
        )
    return None


@given(seeds, st.integers(min_value=0, max_value=1000))
def test_a_stricter_requirement_never_raises_what_the_buyer_can_count_on(seed, pick):
    bank, values, must = generated(seed)
    changes = [
        (q.id, stricter(q, values.get(q.id)))
        for q in bank.questions
        if q.scored and stricter(q, values.get(q.id)) is not None
    ]
    if not changes:
        return
    target, new = changes[pick % len(changes)]
    before = score(bank, values, must)
    after = score(bank, {**values, target: new}, must)
    assert_no_higher(bank, before, after)


@given(seeds)
def test_silence_is_never_a_shortfall_or_a_deal_breaker(seed):
    bank, values, _ = generated(seed)
    must = [q.id for q in bank.questions if q.scored and q.id in values]  # all of them
    result = score(bank, values, must)
    for q in result.questions:
        if q.status in (PARTLY_MET, NOT_MET) and q.short is not None:
            assert q.short, q  # an option type falls short only on a documented absence
        if q.deal_breaker:
            commitment_ = bank.question(q.id).commitment
            assert commitment_ is not None and q.status in (PARTLY_MET, NOT_MET)
            assert q.short or q.gap or commitment_.value is False
        if q.status == ASK_PROVIDER:
            assert not q.deal_breaker


@given(seeds)
def test_a_must_have_met_only_by_an_assertion_is_unresolved(seed):
    bank, values, _ = generated(seed)
    must = [q.id for q in bank.questions if q.scored and q.id in values]
    result = score(bank, values, must)
    for q in result.questions:
        if q.must_have and q.status == MET and q.evidence == "assertion":
            assert q.id in result.unresolved_must_haves
            assert result.state == PROVISIONAL and result.rating is None


@given(seeds)
def test_the_range_holds_the_compared_score_and_the_rating_its_low_end(seed):
    bank, values, must = generated(seed)
    result = score(bank, values, must)
    if result.score_range is None:
        assert result.state == "not_rated" and result.rating is None
        return
    low, high = result.score_range
    assert 0 <= low <= high <= 100
    if result.state == RATED:
        assert result.rating == result.rating_range[0]
        assert band_index(bank, result.rating) >= bank.band(low)
    else:
        assert result.rating is None
    assert band_index(bank, result.rating_range[1]) <= band_index(bank, result.rating_range[0])


def test_the_properties_meet_what_they_are_about():
    """So the properties above are not vacuous."""
    found = [generated(seed) for seed in range(40)]
    results = [
        score(b, v, [q.id for q in b.questions if q.scored and q.id in v]) for b, v, _ in found
    ]
    assert sum(any(q.unconfirmed for q in r.questions) for r in results) >= 10
    assert sum(any(q.near_miss for q in r.questions) for r in results) >= 3
    assert sum(any(q.short for q in r.questions if q.short) for r in results) >= 10
    assert sum(any(q.unknown for q in r.questions if q.unknown) for r in results) >= 10
    assert sum(r.state == RATED for r in (score(b, v, []) for b, v, _ in found)) >= 3
    assert (
        sum(
            any(stricter(q, v.get(q.id)) is not None for q in b.questions if q.scored)
            for b, v, _ in found
        )
        >= 20
    )
