"""The fields of each question type (core/qtypes.py): the one a buyer answers with on a
step page, and the provider's side, the one a salesperson writes a commitment with, how
what they type is read or refused, and how a value is shown back in it. Labels and hints
are asserted word for word: the pages print them."""

from __future__ import annotations

import pytest

from questionnaire.core.qtypes import TYPES, WrittenAnswerError
from questionnaire.core.questiontype import Field
from tests.factories import number_question

YESNO, NUMBER, TEXT = TYPES["yesno"], TYPES["number"], TYPES["text"]


# --- the buyer's field --------------------------------------------------------------------


def test_a_yes_no_is_answered_with_two_radios_side_by_side(small_bank):
    assert YESNO.field(small_bank.question("encrypt")) == Field("radios", inline=True)


def test_a_number_box_takes_decimals_shows_its_unit_after_it_and_its_range_as_hint(
    small_bank,
):
    assert NUMBER.field(small_bank.question("breach_hours")) == Field(
        "input",
        hint="Enter a number from 1 to 720 (hours).",
        inputmode="decimal",
        suffix="hours",
        size="number",
    )


def test_a_number_box_without_a_unit_gives_its_range_alone():
    assert NUMBER.field(number_question(min=0, max=1500)) == Field(
        "input", hint="Enter a number from 0 to 1,500.", inputmode="decimal", size="number"
    )


@pytest.mark.parametrize("bound", [{"min": 1}, {"max": 720}, {}])
def test_a_number_box_with_half_a_range_or_none_has_no_range_hint(bound):
    assert NUMBER.field(number_question(unit="hours", **bound)).hint == ""


def test_a_text_is_a_text_area_held_to_the_questions_length(small_bank):
    assert TEXT.field(small_bank.question("notes")) == Field("textarea", max_length=200)


# --- the salesperson's field: yes/no --------------------------------------------------------


def test_a_written_yes_no_is_two_radios_that_say_what_is_committed(small_bank):
    assert YESNO.written_field(small_bank.question("smime")) == Field(
        "radios",
        label="What do you commit to?",
        choices=(("yes", "Yes, we commit to it"), ("no", "No, we do not")),
    )


def test_a_written_yes_no_is_shown_back_as_the_radio_that_gives_it(small_bank):
    smime = small_bank.question("smime")
    assert YESNO.written_form_value(smime, True) == ["yes"]
    assert YESNO.written_form_value(smime, False) == ["no"]


@pytest.mark.parametrize(("raw", "value"), [("yes", True), ("no", False), (True, True)])
def test_a_written_yes_no_is_read_from_the_radios_or_the_api(small_bank, raw, value):
    assert YESNO.parse_written(small_bank.question("smime"), raw) is value


@pytest.mark.parametrize("raw", ["maybe", "Yes", "", 1, None])
def test_a_written_yes_no_that_is_neither_asks_for_yes_or_no(small_bank, raw):
    with pytest.raises(WrittenAnswerError) as refused:
        YESNO.parse_written(small_bank.question("smime"), raw)
    assert (str(refused.value), refused.value.field, refused.value.code) == (
        'Choose "yes" or "no"',
        "value",
        "not_yes_or_no",
    )


# --- the salesperson's field: number ---------------------------------------------------------


def test_a_written_figure_is_a_decimal_box_labelled_with_its_unit_and_hinted_with_its_range(
    small_bank,
):
    assert NUMBER.written_field(small_bank.question("breach_hours")) == Field(
        "input",
        label="What figure do you commit to? (hours)",
        hint="Enter a number of hours, like 4. The question's range: 1 hour to 720 hours.",
        inputmode="decimal",
        max_length=32,
        size="number",
    )


def test_a_written_figure_without_a_unit_is_asked_for_plainly():
    field = NUMBER.written_field(number_question())
    assert (field.label, field.hint) == ("What figure do you commit to?", "Enter a number, like 4.")


@pytest.mark.parametrize(
    ("bound", "hint"),
    [
        ({"min": 30}, "Enter a number of days, like 30. At least 30 days."),
        ({"max": 2}, "Enter a number of days, like 2. At most 2 days."),
        (
            {"min": 1, "max": 1},
            "Enter a number of days, like 1. The question's range: 1 day to 1 day.",
        ),
    ],
)
def test_a_written_figure_is_hinted_with_the_bounds_the_question_has(bound, hint):
    assert NUMBER.written_hint(number_question(unit="days", **bound)) == hint


@pytest.mark.parametrize(("raw", "value"), [("12", 12), (" 4.5 ", 4.5), ("720.0", 720), (1.5, 1.5)])
def test_a_written_figure_is_read_from_the_box_or_the_api(small_bank, raw, value):
    found = NUMBER.parse_written(small_bank.question("breach_hours"), raw)
    assert found == value and type(found) is type(value)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("lots", "Enter a number of hours, like 4"),
        ("", "Enter a number of hours, like 4"),
        (True, "Enter a number of hours, like 4"),  # JSON true is not a figure
        ("1000", "1,000 is above the maximum 720"),
        (0.5, "0.5 is below the minimum 1"),
        ("1e20", "Enter a number with at most 15 digits before the decimal point"),
    ],
)
def test_a_written_figure_that_does_not_fit_says_why_as_a_sentence(small_bank, raw, message):
    with pytest.raises(WrittenAnswerError) as refused:
        NUMBER.parse_written(small_bank.question("breach_hours"), raw)
    assert (str(refused.value), refused.value.field, refused.value.code) == (
        message,
        "value",
        "invalid_number",
    )


def test_a_figure_is_described_to_the_api_and_the_library_in_its_unit_and_range(small_bank):
    uptime = small_bank.question("uptime")
    assert NUMBER.value_terms(uptime) == {"options": [], "unit": "%", "min": 90, "max": 100}
    assert NUMBER.value_space_data(uptime) == {
        "type": "number",
        "unit": "%",
        "range": [90.0, 100.0],
        "better": "higher",
        "options": [],
    }
