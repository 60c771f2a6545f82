"""What every question type shares (core/questiontype.py): a written answer's error and its
code, the defaults a type answered with one value gets for its written answer and its
field, what the API and the answer library learn of a question without options, and a
condition in words as the step page prints it."""

from __future__ import annotations

import pytest

from questionnaire.core.qtypes import TYPES
from questionnaire.core.questiontype import Field, QuestionType, WrittenAnswerError


@pytest.fixture
def q(small_bank):
    """A question of the small bank by id."""
    return small_bank.question


class OneValue(QuestionType):
    """A type that takes every default: what a new type answered with one value starts from."""

    name = "one_value"


# --- a written answer's error ----------------------------------------------------------------


def test_a_written_answer_error_is_about_the_value_unless_it_says_otherwise():
    error = WrittenAnswerError("Enter a figure")
    assert (str(error), error.field, error.code) == ("Enter a figure", "value", "invalid_value")
    error = WrittenAnswerError("Too long", field="statement", code="too_long")
    assert (str(error), error.field, error.code) == ("Too long", "statement", "too_long")


def test_a_question_never_scored_takes_no_written_answer(q):
    with pytest.raises(WrittenAnswerError) as refused:
        TYPES["text"].parse_written(q("notes"), "We offer it")
    assert (str(refused.value), refused.value.field, refused.value.code) == (
        "A text question is never scored, so it takes no answer",
        "question",
        "not_scored",
    )


# --- the defaults of a type answered with one value -------------------------------------------


def test_a_type_without_a_written_field_of_its_own_asks_on_one_short_line(q):
    assert OneValue().written_field(q("breach_hours")) == Field(
        "input", label="What do you commit to?", max_length=32
    )


def test_a_written_figure_is_shown_back_in_its_box_as_the_text_it_reads_from(q):
    kind, hours = TYPES["number"], q("breach_hours")
    assert kind.written_form_value(hours, 24) == ["24"]
    assert kind.written_form_value(hours, 4.5) == ["4.5"]
    assert kind.written_from_form(hours, ["24"]) == "24"
    assert kind.parse_written(hours, kind.written_from_form(hours, ["4.5"])) == 4.5


def test_a_written_answer_posted_empty_is_refused_in_the_questions_terms(q):
    kind, hours = TYPES["number"], q("breach_hours")
    assert kind.written_from_form(hours, []) == ""
    with pytest.raises(WrittenAnswerError) as refused:
        kind.parse_written(hours, kind.written_from_form(hours, []))
    assert refused.value.code == "invalid_number"


def test_a_buyers_option_field_is_drawn_by_its_widget(q):
    assert TYPES["choice"].field(q("region")) == Field("radios")
    assert TYPES["multi"].field(q("certs")) == Field("checkboxes")


def test_a_type_without_a_measure_of_shortfall_puts_no_gap_in_words(q):
    assert TYPES["yesno"].gap_text(q("smime"), 1.0) == ""
    assert TYPES["multi"].gap_text(q("certs"), 2.0) == ""


# --- what the API and the answer library learn of a question without options ------------------


def test_the_api_offers_a_yes_no_question_no_options_unit_or_range(q):
    assert TYPES["yesno"].value_terms(q("smime")) == {
        "options": [],
        "unit": "",
        "min": None,
        "max": None,
    }


def test_a_library_answer_fits_a_yes_no_question_by_its_type_alone(q):
    # The five keys the fingerprint had before types owned it: a stored answer keeps fitting.
    assert TYPES["yesno"].value_space_data(q("smime")) == {
        "type": "yesno",
        "unit": "",
        "range": [None, None],
        "better": None,
        "options": [],
    }


# --- a condition in words ------------------------------------------------------------------

PERSONAL = "“Will you keep personal data in the service?”"
REGION = "“Where must data live?”"
UPTIME = "“What monthly uptime must be financially backed?”"


@pytest.mark.parametrize(
    ("qid", "op", "operand", "unsure", "words"),
    [
        ("personal", "equals", "yes", "", f"you answered “Yes” to {PERSONAL}"),
        (
            "personal",
            "equals",
            "yes",
            "“Not sure”",
            f"you answered “Yes” or “Not sure” to {PERSONAL}",
        ),
        # "Not sure" is not an answer other than Yes: it is not named.
        ("personal", "not", "yes", "“Not sure”", f"you did not answer “Yes” to {PERSONAL}"),
        ("personal", "not", "no", "", f"you did not answer “No” to {PERSONAL}"),
        (
            "region",
            "in",
            ("eu", "ch"),
            "",
            f"you answered “In the EU” or “In Switzerland” to {REGION}",
        ),
        ("uptime", "at_least", 99.9, "", f"you answered 99.9% or more to {UPTIME}"),
        (
            "uptime",
            "at_least",
            99.9,
            "“Not sure”",
            f"you answered 99.9% or more to {UPTIME}, or you answered “Not sure” to it",
        ),
    ],
)
def test_a_condition_in_words(q, qid, op, operand, unsure, words):
    question = q(qid)
    assert question.kind.condition_words(question, op, operand, unsure) == words
