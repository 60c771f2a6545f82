"""The bank as data (core/model.py): bands, caps, tones and lookups."""

from __future__ import annotations

import pytest

from questionnaire.core.model import Bank, BankInvalid, Problem, Rating


def ratings_bank(small_bank, *ratings: tuple[float, str]) -> Bank:
    """The small bank with other rating bands."""
    from dataclasses import replace

    return replace(small_bank, ratings=tuple(Rating(m, label) for m, label in ratings))


@pytest.mark.parametrize(
    ("score", "band", "label"),
    [
        (100.0, 0, "Strong fit"),
        (85.0, 0, "Strong fit"),  # exactly on a floor: that band
        (84.9, 1, "Fit with gaps"),
        (60.0, 1, "Fit with gaps"),
        (59.9, 2, "Significant gaps"),
        (0.0, 2, "Significant gaps"),
    ],
)
def test_a_score_on_a_band_floor_reaches_that_band(small_bank, score, band, label):
    assert small_bank.band(score) == band
    assert small_bank.rating_for(score) == label


def test_a_score_below_every_floor_falls_in_the_lowest_band(small_bank):
    bank = ratings_bank(small_bank, (90, "Top"), (50, "Middle"), (20, "Bottom"))
    assert bank.band(10.0) == 2 and bank.rating_for(10.0) == "Bottom"
    assert bank.band(20.0) == 2 and bank.band(50.0) == 1 and bank.band(90.0) == 0


def test_a_cap_holds_the_rating_down_but_never_raises_it(small_bank):
    assert small_bank.rating_for(95.0, no_better_than=1) == "Fit with gaps"
    assert small_bank.rating_for(95.0, no_better_than=2) == "Significant gaps"
    assert small_bank.rating_for(70.0, no_better_than=0) == "Fit with gaps"
    assert small_bank.rating_for(10.0, no_better_than=1) == "Significant gaps"
    # a cap past the lowest band is the lowest band
    assert small_bank.rating_for(95.0, no_better_than=7) == "Significant gaps"
    assert small_bank.rating_for(None) is None
    assert small_bank.rating_for(None, no_better_than=2) is None


def test_a_rating_reads_good_at_the_top_poor_at_the_bottom_fair_between(small_bank):
    assert small_bank.rating_tone("Strong fit") == "good"
    assert small_bank.rating_tone("Fit with gaps") == "fair"
    assert small_bank.rating_tone("Significant gaps") == "poor"
    assert small_bank.rating_tone(None) == "none"
    assert small_bank.rating_tone("Excellent") == "none"  # not a band of this bank
    four = ratings_bank(small_bank, (90, "A"), (70, "B"), (50, "C"), (0, "D"))
    assert [four.rating_tone(x) for x in "ABCD"] == ["good", "fair", "fair", "poor"]


def test_questions_and_sections_are_found_by_id(small_bank):
    assert small_bank.question("uptime").prompt.startswith("What monthly uptime")
    assert small_bank.section("ops").title == "Operations"
    assert [q.id for q in small_bank.questions][:3] == ["personal", "encrypt", "smime"]
    assert set(small_bank.by_id) == {q.id for q in small_bank.questions}
    with pytest.raises(KeyError):
        small_bank.question("nope")
    with pytest.raises(KeyError, match="nope"):
        small_bank.section("nope")


def test_an_option_is_found_by_its_key(small_bank):
    region = small_bank.question("region")
    assert region.option("eu_any").label == "Anywhere in Europe"
    assert region.option("eu_any").requires == "eu"
    with pytest.raises(KeyError, match="mars"):
        region.option("mars")


def test_not_sure_is_offered_on_scored_questions_and_gates_that_say_so(small_bank):
    assert small_bank.question("encrypt").offers_not_sure
    assert not small_bank.question("personal").offers_not_sure  # weight 0, no gate
    assert not small_bank.question("notes").offers_not_sure  # text is never scored
    assert small_bank.question("uptime").scored and not small_bank.question("notes").scored


def test_a_problem_prints_as_path_line_message():
    assert str(Problem("q.yaml", 7, "bad")) == "q.yaml:7: bad"
    assert str(Problem("q.yaml", 7, "odd", warning=True)) == "q.yaml:7: warning: odd"


def test_an_invalid_bank_carries_every_problem_and_its_warnings():
    problems = [Problem("q.yaml", 1, "one"), Problem("q.yaml", 2, "two")]
    warnings = [Problem("q.yaml", 3, "three", warning=True)]
    error = BankInvalid(problems, warnings)
    assert error.problems == problems and error.warnings == warnings
    assert str(error) == "q.yaml:1: one\nq.yaml:2: two"
    assert BankInvalid(problems).warnings == []
