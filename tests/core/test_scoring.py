"""Method fit/3: match rules per type, score arithmetic, must-haves and properties. What
fit/3 adds (evidence grades, the range, the state, near misses, silence) is in
test_fit3.py; "Not sure" and coverage in test_fit2.py."""

from __future__ import annotations

import copy
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from questionnaire.core import answers as answers_mod
from questionnaire.core.scoring import (
    ASK_PROVIDER,
    MET,
    METHOD,
    NOT_MET,
    NOT_REQUIRED,
    PARTLY_MET,
    reference_order,
    score,
    states_no_requirement,
    visible_answers,
)
from tests.factories import bank_dict, commitment, load, random_answers, random_bank_dict


def statuses(result) -> dict[str, str]:
    return {q.id: q.status for q in result.questions}


def outcome(result, question_id):
    return next(q for q in result.questions if q.id == question_id)


# --- match rules, one type at a time -----------------------------------------------------


@pytest.mark.parametrize(
    ("answer", "status", "points"),
    [("yes", MET, 3.0), ("no", NOT_REQUIRED, 0.0)],
)
def test_yesno_is_met_when_the_commitment_is_true(small_bank, answer, status, points):
    q = outcome(score(small_bank, {"encrypt": answer}), "encrypt")
    assert (q.status, q.points, q.max) == (status, points, 3.0 if status == MET else 0.0)


def test_yesno_is_not_met_when_the_commitment_is_false(small_bank):
    assert statuses(score(small_bank, {"smime": "yes"}))["smime"] == NOT_MET


@pytest.mark.parametrize(
    ("answer", "status"),
    [
        ("none", NOT_REQUIRED),
        ("eu", MET),
        ("us", MET),
        ("eu_any", MET),
        ("ch", ASK_PROVIDER),  # the commitment is silent on Switzerland: never a shortfall
    ],
)
def test_choice_needs_the_required_offering(small_bank, answer, status):
    result = score(small_bank, {"personal": "yes", "region": answer})
    assert statuses(result)["region"] == status


@pytest.mark.parametrize(
    ("chosen", "status", "credit", "short", "unknown"),
    [
        ([], NOT_REQUIRED, None, (), ()),
        (["iso27001"], MET, 1.0, (), ()),
        (["iso27001", "soc2"], MET, 1.0, (), ()),
        (["iso27001", "fedramp"], PARTLY_MET, 0.0, ("fedramp",), ()),
        (["fedramp"], NOT_MET, 0.0, ("fedramp",), ()),
        (["fedramp", "pci"], NOT_MET, 0.0, ("fedramp",), ("pci",)),
        (["iso27001", "soc2", "fedramp", "pci"], PARTLY_MET, 0.0, ("fedramp",), ("pci",)),
        (["iso27001", "pci"], ASK_PROVIDER, None, (), ("pci",)),
    ],
)
def test_multi_is_met_only_as_a_whole_and_silence_is_unknown(
    small_bank, chosen, status, credit, short, unknown
):
    q = outcome(score(small_bank, {"certs": chosen}), "certs")
    assert (q.status, q.credit, q.short, q.unknown) == (status, credit, short, unknown)
    assert q.missing == tuple(
        k for k in ("iso27001", "soc2", "fedramp", "pci") if k in short + unknown
    )
    if credit is not None:
        assert q.points == 4 * credit and q.max == 4


@pytest.mark.parametrize(
    ("question", "answer", "status"),
    [
        ("uptime", 99.9, MET),  # higher is better: 99.9 committed >= 99.9 required
        ("uptime", 99.0, MET),
        ("uptime", 99.95, PARTLY_MET),  # within `near: 0.05`: a near miss
        ("uptime", 99.96, NOT_MET),
        ("breach_hours", 24, ASK_PROVIDER),  # nothing documented
    ],
)
def test_number_compares_in_the_better_direction(small_bank, question, answer, status):
    assert statuses(score(small_bank, {question: answer}))[question] == status


def test_number_lower_is_better():
    bank = load(
        bank_dict(
            [
                {
                    "id": "s",
                    "title": "S",
                    "questions": [
                        {
                            "id": "hours",
                            "prompt": "Hours to notify?",
                            "type": "number",
                            "better": "lower",
                            "commitment": commitment(72),
                        }
                    ],
                }
            ]
        )
    )
    assert statuses(score(bank, {"hours": 72}))["hours"] == MET
    assert statuses(score(bank, {"hours": 100}))["hours"] == MET
    assert statuses(score(bank, {"hours": 24}))["hours"] == NOT_MET


def test_text_and_weight_zero_questions_are_never_scored(small_bank):
    result = score(small_bank, {"personal": "yes", "notes": "We need SSO"})
    by_id = {q.id: q for q in result.questions}
    assert by_id["notes"].status == NOT_REQUIRED and by_id["notes"].max == 0
    assert by_id["personal"].status == NOT_REQUIRED and by_id["personal"].max == 0
    assert result.score is None


def test_a_requirement_without_a_commitment_is_ask_the_provider_and_a_follow_up(small_bank):
    result = score(small_bank, {"breach_hours": 24, "encrypt": "yes"})
    assert statuses(result)["breach_hours"] == ASK_PROVIDER
    assert result.score == 100.0  # ask_provider is left out of the compared score
    assert [f.id for f in result.follow_ups] == ["breach_hours"]


# --- score arithmetic ------------------------------------------------------------------


def test_score_is_none_not_zero_when_nothing_is_scored(small_bank):
    result = score(small_bank, {"encrypt": "no", "certs": []})
    assert result.score is None and result.rating is None and result.score_range is None
    assert all(s.score is None for s in result.sections)


def test_points_add_up_to_the_score(small_bank):
    answers = {
        "personal": "yes",
        "encrypt": "yes",  # 3 of 3
        "smime": "yes",  # 0 of 1
        "region": "ch",  # ask the provider: out of the compared score
        "certs": ["iso27001", "fedramp"],  # 0 of 4: FedRAMP is documented as not offered
        "uptime": 99.5,  # 5 of 5
        "breach_hours": 24,  # ask the provider
    }
    result = score(small_bank, answers)
    assert result.score == pytest.approx(100 * (3 + 0 + 0 + 5) / (3 + 1 + 4 + 5))
    points = sum(q.points for q in result.questions)
    maximum = sum(q.max for q in result.questions)
    assert result.score == pytest.approx(100 * points / maximum)
    sec, ops = result.sections
    assert sec.score == pytest.approx(100 * 3 / 4) and (sec.points, sec.max) == (3, 4)
    assert ops.score == pytest.approx(100 * 5 / 9) and (ops.points, ops.max) == (5, 9)
    # The range counts both asks (region 2, breach_hours 2) at 0 and at full credit.
    assert result.score_range == (round(100 * 8 / 17, 1), round(100 * 12 / 17, 1))
    assert result.method == METHOD == "fit/3" and result.bank_version == "1.0"
    assert [f.id for f in result.follow_ups] == ["smime", "region", "certs", "breach_hours"]


def one_question_sections(*weights: float) -> dict:
    """A bank of one section per weight, each a yes/no question the provider meets."""
    return bank_dict(
        [
            {
                "id": f"s{n}",
                "title": f"Section {n}",
                "questions": [
                    {
                        "id": f"q{n}",
                        "prompt": f"Need {n}?",
                        "type": "yesno",
                        "weight": weight,
                        "commitment": commitment(n % 2 == 0),
                    }
                ],
            }
            for n, weight in enumerate(weights)
        ]
    )


def test_a_section_of_one_question_of_weight_1_is_scored():
    bank = load(one_question_sections(1, 1, 0.5))
    result = score(bank, {"q0": "yes", "q1": "yes", "q2": "yes"})
    met, not_met, half = result.sections
    assert (met.score, met.points, met.max) == (100.0, 1.0, 1.0)
    assert (not_met.score, not_met.points, not_met.max) == (0.0, 0.0, 1.0)
    assert (half.score, half.points, half.max) == (100.0, 0.5, 0.5)
    assert result.score == pytest.approx(100 * 1.5 / 2.5)


def test_must_have_not_met_is_a_deal_breaker_that_caps_the_rating(small_bank):
    answers = {"encrypt": "yes", "uptime": 99.5, "smime": "yes"}
    free = score(small_bank, answers)
    assert free.state == "rated" and free.rating == "Strong fit"
    assert free.score == pytest.approx(100 * 8 / 9)
    capped = score(small_bank, answers, must_have=["smime"])
    assert capped.score == free.score  # the cap touches the rating, not the score
    assert capped.deal_breakers == ("smime",)
    assert capped.rating == "Significant gaps" and capped.capped
    assert capped.rating_range == ("Significant gaps", "Significant gaps")


def test_partly_met_must_have_is_a_deal_breaker_too(small_bank):
    result = score(small_bank, {"certs": ["iso27001", "fedramp"]}, must_have=["certs"])
    assert result.deal_breakers == ("certs",)


def test_a_must_have_the_provider_is_silent_on_is_unresolved_not_a_deal_breaker(small_bank):
    result = score(small_bank, {"certs": ["iso27001", "pci"]}, must_have=["certs"])
    assert result.deal_breakers == () and result.unresolved_must_haves == ("certs",)
    assert result.state == "provisional" and result.rating is None


def test_met_must_have_and_ask_provider_must_have_are_not_deal_breakers(small_bank):
    result = score(small_bank, {"encrypt": "yes", "breach_hours": 4}, ["encrypt", "breach_hours"])
    assert result.deal_breakers == ()
    # Not a deal-breaker, but unresolved: the result is not yet rated.
    assert result.unresolved_must_haves == ("breach_hours",)
    assert result.state == "provisional" and result.rating is None
    assert result.rating_range == ("Significant gaps", "Strong fit")
    assert [(f.id, f.must_have) for f in result.follow_ups] == [("breach_hours", True)]


def test_must_have_on_a_no_requirement_answer_is_listed_not_dropped(small_bank):
    result = score(small_bank, {"encrypt": "no", "uptime": 99}, must_have=["encrypt"])
    assert result.deal_breakers == () and not outcome(result, "encrypt").must_have
    assert result.must_haves_without_requirement == ("encrypt",)


def test_hidden_questions_are_not_scored_and_their_answers_dropped(small_bank):
    result = score(small_bank, {"personal": "no", "region": "ch"}, must_have=["region"])
    assert "region" not in statuses(result)
    assert result.deal_breakers == () and result.must_haves_without_requirement == ()


def test_result_dict_has_the_documented_keys(small_bank):
    data = score(small_bank, {"encrypt": "yes"}).to_dict()
    for key in (
        "score",
        "score_range",
        "state",
        "rating",
        "rating_range",
        "sections",
        "questions",
        "deal_breakers",
        "follow_ups",
    ):
        assert key in data
    assert data["method"] == "fit/3" and data["bank_version"] == "1.0"
    assert set(data["questions"][0]) >= {"id", "status", "points", "max", "evidence"}
    assert set(data["sections"][0]) >= {"id", "title", "score", "coverage", "enough"}
    assert data["coverage"]["weighted_percent"] == 100.0


# --- properties ------------------------------------------------------------------------

seeds = st.integers(min_value=0, max_value=2**32 - 1)


def generated(seed: int, n: int = 12):
    data = random_bank_dict(n_questions=n, n_sections=3, seed=seed)
    bank = load(data)
    raw, must = random_answers(bank, seed)
    values = _visible_only(bank, raw)
    checked = answers_mod.check(bank, values, _must_ok(bank, values, must))
    return data, bank, checked


def _visible_only(bank, raw):
    return visible_answers(bank, raw)


def _must_ok(bank, values, must):
    return [m for m in must if m in values]


@given(seeds)
def test_scores_stay_within_0_and_100_or_none(seed):
    data = random_bank_dict(n_questions=12, n_sections=3, seed=seed)
    bank = load(data)
    raw, must = random_answers(bank, seed)
    values = _visible_only(bank, raw)
    result = score(bank, values, _must_ok(bank, values, must))
    for value in [result.score, *(s.score for s in result.sections)]:
        assert value is None or 0 <= value <= 100
    if result.score is None:
        assert result.rating is None and not result.deal_breakers


def _meet(question: dict, answer) -> None:
    """Change the question's commitment so the buyer's requirement is fully met."""
    kind = question["type"]
    if kind == "yesno":
        question["commitment"] = commitment(True)
    elif kind == "number":
        question["commitment"] = commitment(answer)
    elif kind in ("choice", "multi"):
        chosen = [answer] if kind == "choice" else answer
        offered = set(question.get("commitment", {}).get("value", [])) | set(chosen)
        absent = question.get("commitment", {}).get("not_offered", [])
        question["commitment"] = commitment(
            sorted(offered), "contract", [k for k in absent if k not in offered]
        )


@given(seeds, st.integers(min_value=0, max_value=1000))
def test_meeting_one_more_requirement_never_lowers_a_score(seed, pick):
    data = random_bank_dict(n_questions=12, n_sections=3, seed=seed)
    bank = load(data)
    raw, must = random_answers(bank, seed)
    values = _visible_only(bank, raw)
    before = score(bank, values, _must_ok(bank, values, must))
    unmet = [
        q
        for q in before.questions
        if q.status in (NOT_MET, PARTLY_MET, ASK_PROVIDER) and values[q.id] != "not_sure"
    ]
    if not unmet:
        return
    target = unmet[pick % len(unmet)]
    changed = copy.deepcopy(data)
    question = next(q for s in changed["sections"] for q in s["questions"] if q["id"] == target.id)
    _meet(question, values[target.id])
    after = score(load(changed), values, _must_ok(bank, values, must))
    assert next(q for q in after.questions if q.id == target.id).status == MET
    assert after.score >= before.score if before.score is not None else after.score is not None
    for old, new in zip(before.sections, after.sections, strict=True):
        if old.score is not None:
            assert new.score >= old.score - 1e-9
    assert len(after.deal_breakers) <= len(before.deal_breakers)


def _no_requirement(question) -> object:
    return {"yesno": "no", "choice": "none", "multi": [], "number": None, "text": ""}[question.type]


@given(seeds, st.integers(min_value=0, max_value=1000))
def test_answering_no_requirement_never_changes_other_questions_results(seed, pick):
    _, bank, checked = generated(seed)
    referenced = {ref for q in bank.questions if q.show_if for ref in q.show_if.references()}
    candidates = [q for q in bank.questions if q.id in checked.values and q.id not in referenced]
    if not candidates:
        return
    target = candidates[pick % len(candidates)]
    before = score(bank, checked.values, checked.must_have)
    values = {**checked.values, target.id: _no_requirement(target)}
    after = score(bank, values, checked.must_have)
    strip = lambda r: {q.id: (q.status, q.points, q.max, q.deal_breaker) for q in r.questions}  # noqa: E731
    old, new = strip(before), strip(after)
    assert new.pop(target.id)[0] == NOT_REQUIRED
    old.pop(target.id)
    assert old == new


@given(seeds, st.randoms(use_true_random=False))
def test_question_order_in_the_file_does_not_change_scores(seed, rng):
    data = random_bank_dict(n_questions=14, n_sections=3, seed=seed)
    for section in data["sections"]:
        for question in section["questions"]:
            question.pop(
                "show_if", None
            )  # conditions pin an order; this property is about the rest
    bank = load(data)
    raw, must = random_answers(bank, seed)
    before = score(bank, raw, must)
    shuffled = copy.deepcopy(data)
    rng.shuffle(shuffled["sections"])
    for section in shuffled["sections"]:
        rng.shuffle(section["questions"])
    after = score(load(shuffled), raw, must)
    assert after.score == before.score  # exactly equal: sums are exactly rounded
    assert {s.id: s.score for s in after.sections} == {s.id: s.score for s in before.sections}
    assert statuses(after) == statuses(before)
    assert set(after.deal_breakers) == set(before.deal_breakers)
    assert after.rating == before.rating


@pytest.mark.scale
def test_generated_2000_question_bank_loads_and_scores():
    data = random_bank_dict(n_questions=2000, n_sections=20, seed=7)
    bank = load(data)
    raw, must = random_answers(bank, 7)
    values = _visible_only(bank, raw)
    result = score(bank, values, _must_ok(bank, values, must))
    assert len(bank.questions) == 2000
    assert result.score is not None and math.isfinite(result.score)
    assert len(result.sections) == 20


def test_generator_is_deterministic():
    assert random_bank_dict(30, seed=3) == random_bank_dict(30, seed=3)
    assert random_bank_dict(30, seed=3) != random_bank_dict(30, seed=4)


def test_a_single_requirement_of_weight_1_is_scored(small_bank):
    result = score(small_bank, {"smime": "yes"}, []).to_dict()
    assert (result["score"], result["score_range"], result["state"]) == (
        0.0,
        {"low": 0.0, "high": 0.0},
        "rated",
    )
    assert result["coverage"]["weighted_percent"] == 100.0


@pytest.mark.parametrize(
    ("question_id", "answer", "none"),
    [("region", "none", True), ("region", "eu", False), ("uptime", 0, True), ("uptime", 99, False)],
)
def test_an_answer_states_no_requirement_by_what_its_type_requires(
    small_bank, question_id, answer, none
):
    assert states_no_requirement(small_bank.question(question_id), answer) is none


def test_framework_references_sort_numbers_by_value_before_text():
    assert sorted(["B", "2", "10", "9", "A1"], key=reference_order) == ["2", "9", "10", "A1", "B"]
