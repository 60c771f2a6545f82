"""Carrying answers over to a revision, and what a number field asks for. No app."""

from __future__ import annotations

import pytest

from questionnaire.core.bank import parse_bank
from questionnaire.core.qtypes import AnswerError, NumberField
from questionnaire.core.revision import carry_over
from tests.support import SMALL_BANK

ANSWERS = {
    "personal": "yes",
    "encrypt": "yes",
    "region": "eu",
    "certs": ["iso27001", "soc2"],
    "uptime": 99.95,
    "notes": "SSO please",
}


def edited(old: str, new: str) -> str:
    assert old in SMALL_BANK
    return SMALL_BANK.replace(old, new)


def test_everything_comes_along_to_the_same_bank(small_bank):
    carried = carry_over(small_bank, ANSWERS, ["encrypt", "uptime"], small_bank.by_id)
    assert carried.answers == ANSWERS
    assert carried.must_have == ("encrypt", "uptime")
    assert carried.dropped == carried.dropped_must_haves == ()
    assert carried.complete == ("sec", "ops")


def test_a_removed_question_and_an_option_that_no_longer_exists_are_dropped(small_bank):
    bank = parse_bank(
        edited("      - id: smime\n", "      - id: smime_gone\n").replace(
            "          - {key: ch, label: In Switzerland}\n", ""
        ),
        "edited.yaml",
    )
    answers = {**ANSWERS, "smime": "no", "region": "ch"}
    carried = carry_over(bank, answers, ["region", "encrypt"], small_bank.by_id)
    assert carried.dropped == ("region", "smime")
    assert "region" not in carried.answers and "smime" not in carried.answers
    assert carried.must_have == ("encrypt",)
    # smime_gone is new: the buyer has not seen the security section as it is now.
    assert carried.complete == ("ops",)


def test_an_answer_out_of_the_new_range_is_dropped_and_one_hidden_now_too(small_bank):
    bank = parse_bank(
        edited("        min: 90\n", "        min: 99.99\n").replace(
            'show_if: {question: personal, equals: "yes"}',
            'show_if: {question: personal, equals: "no"}',
        ),
        "edited.yaml",
    )
    carried = carry_over(bank, ANSWERS, ["uptime"], small_bank.by_id)
    assert carried.dropped == ("region", "uptime")
    assert carried.must_have == ()


def test_a_must_have_on_a_question_no_longer_scored_is_named(small_bank):
    bank = parse_bank(
        edited(
            "        type: yesno\n        weight: 3\n",
            "        type: yesno\n        weight: 0\n",
        ),
        "edited.yaml",
    )
    carried = carry_over(bank, ANSWERS, ["encrypt"], small_bank.by_id)
    assert carried.answers["encrypt"] == "yes"
    assert carried.must_have == ()
    assert carried.dropped_must_haves == ("encrypt",)


@pytest.mark.parametrize(
    ("unit", "bounds", "message"),
    [
        ("hours", "min: 1\n        max: 720", "enter a number of hours, like 4"),
        ("days", "min: 10\n        max: 365", "enter a number of days, like 10"),
        ('"%"', "min: 90\n        max: 100", "enter a percentage, like 99.9"),
        ('"°"', "min: 0\n        max: 3", "enter a number in °, like 3"),
        ('""', "min: 0\n        max: 9", "enter a number, like 4"),
    ],
)
def test_a_number_field_says_what_it_wants_in_its_unit(unit, bounds, message):
    text = edited(
        "unit: hours\n        min: 1\n        max: 720",
        f"unit: {unit}\n        {bounds}",
    )
    question = parse_bank(text, "b.yaml").question("breach_hours")
    for typed in ("soon", "1e", "inf"):
        with pytest.raises(AnswerError, match=f"^{message}$"):
            question.kind.from_form(question, NumberField(typed))
