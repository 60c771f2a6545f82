"""The provider's side of choice and multi questions (core/optiontypes.py): a salesperson's
written answer read and refused in the question's options, the field it is given with,
what the API and the answer library learn of the options, an edit to the options in
words, and a condition on a multi question as the page prints it."""

from __future__ import annotations

import pytest

from questionnaire.core.qtypes import TYPES, WrittenAnswerError
from questionnaire.core.questiontype import Field
from tests.factories import bank_dict, load

CERTS_PROMPT = "“Which certifications must the provider hold?”"
CERTS_OPTIONS = (
    "Choose from this question's options: “ISO 27001” (iso27001); “SOC 2” (soc2); "
    "“FedRAMP” (fedramp); “PCI DSS” (pci)"
)


@pytest.fixture
def q(small_bank):
    """A question of the small bank by id."""
    return small_bank.question


# --- the written answer -------------------------------------------------------------------


def test_a_written_answer_lists_the_options_offered_in_bank_order_once_each(q):
    kind = TYPES["multi"]
    assert kind.parse_written(q("certs"), ["pci", "soc2", "pci"]) == ("soc2", "pci")
    assert kind.parse_written(q("certs"), ("iso27001",)) == ("iso27001",)
    assert kind.parse_written(q("certs"), "soc2") == ("soc2",)  # one key alone
    assert kind.parse_written(q("certs"), []) == ()  # offers none of them


@pytest.mark.parametrize("raw", [["soc2", "mars"], ["soc2", 7], "mars", ("mars",)])
def test_a_written_answer_naming_what_is_not_an_option_is_an_invalid_option(q, raw):
    with pytest.raises(WrittenAnswerError) as refused:
        TYPES["multi"].parse_written(q("certs"), raw)
    assert (str(refused.value), refused.value.field, refused.value.code) == (
        CERTS_OPTIONS,
        "value",
        "invalid_option",
    )


@pytest.mark.parametrize("raw", [{"soc2": True}, 7, None, True])
def test_a_written_answer_that_is_not_a_list_of_keys_says_so_in_its_code(q, raw):
    with pytest.raises(WrittenAnswerError) as refused:
        TYPES["choice"].parse_written(q("region"), raw)
    assert (refused.value.field, refused.value.code) == ("value", "not_a_list")
    assert str(refused.value).startswith("Choose from this question's options: “No requirement”")


def test_the_written_field_is_a_checkbox_for_each_option(q):
    assert TYPES["choice"].written_field(q("region")) == Field(
        "checkboxes",
        label="Which of these do you offer?",
        hint="Select all you commit to in writing: any other is counted as not offered.",
        choices=(
            ("none", "No requirement"),
            ("eu", "In the EU"),
            ("us", "In the US"),
            ("eu_any", "Anywhere in Europe"),
            ("ch", "In Switzerland"),
        ),
    )


def test_a_written_answer_goes_through_its_form_and_back_unchanged(q):
    kind, certs = TYPES["multi"], q("certs")
    shown = kind.written_form_value(certs, ("soc2", "pci"))
    assert shown == ["soc2", "pci"]
    assert kind.parse_written(certs, kind.written_from_form(certs, shown)) == ("soc2", "pci")
    assert kind.written_form_value(certs, ()) == []


# --- what the API and the answer library learn of the options --------------------------------


def test_the_api_names_the_options_to_choose_from_and_no_unit_or_range(q):
    assert TYPES["multi"].value_terms(q("certs")) == {
        "options": [
            {"key": "iso27001", "label": "ISO 27001"},
            {"key": "soc2", "label": "SOC 2"},
            {"key": "fedramp", "label": "FedRAMP"},
            {"key": "pci", "label": "PCI DSS"},
        ],
        "unit": "",
        "min": None,
        "max": None,
    }


def test_a_library_answer_fits_by_the_options_keys_labels_and_requirements(q):
    assert TYPES["choice"].value_space_data(q("region")) == {
        "type": "choice",
        "unit": "",
        "range": [None, None],
        "better": None,
        "options": [
            ["none", "No requirement", None],
            ["eu", "In the EU", "eu"],
            ["us", "In the US", "us"],
            ["eu_any", "Anywhere in Europe", "eu"],
            ["ch", "In Switzerland", "ch"],
        ],
    }


# --- an edit to the options, in words --------------------------------------------------------


def multi_question(options: list[dict]):
    question = {"id": "m", "prompt": "Which?", "type": "multi", "options": options}
    return load(bank_dict([{"id": "s", "title": "S", "questions": [question]}])).question("m")


def test_an_edit_to_the_options_is_told_option_by_option():
    old = multi_question(
        [
            {"key": "a", "label": "A"},
            {"key": "b", "label": "B"},
            {"key": "c", "label": "C"},
            {"key": "d", "label": "D"},
            {"key": "e", "label": "E", "retired": True},
        ]
    )
    new = multi_question(
        [
            {"key": "a", "label": "A2", "retired": True},
            {"key": "b", "label": "B", "requires": "a"},
            {"key": "c", "label": "C", "retired": True},
            {"key": "e", "label": "E"},
            {"key": "f", "label": "F"},
        ]
    )
    assert list(TYPES["multi"].setting_changes(old, new)) == [
        ("options", "option 'a' relabelled 'A' -> 'A2'"),
        ("options", "option 'a' retired"),
        ("options", "option 'b' now requires 'a' (was 'b')"),
        ("options", "option 'c' retired"),
        ("options", "option 'e' offered again"),
        ("options", "option 'f' added ('F')"),
        ("options", "option 'd' removed"),
    ]


def test_options_left_as_they_were_are_no_change(q):
    assert list(TYPES["multi"].setting_changes(q("certs"), q("certs"))) == []


# --- a condition on a multi question, in words ------------------------------------------------


@pytest.mark.parametrize(
    ("op", "operand", "unsure", "words"),
    [
        ("at_least", 0, "", f"you answered {CERTS_PROMPT}"),
        (
            "at_least",
            0,
            "“Not sure”",
            f"you answered {CERTS_PROMPT}, or you answered “Not sure” to it",
        ),
        ("at_least", 1, "", f"you chose at least one of the options in {CERTS_PROMPT}"),
        (
            "at_least",
            2,
            "“Not sure”",
            f"you chose at least two of the options in {CERTS_PROMPT}, "
            "or you answered “Not sure” to it",
        ),
        ("at_least", 9, "", f"you chose at least nine of the options in {CERTS_PROMPT}"),
        ("at_least", 10, "", f"you chose at least 10 of the options in {CERTS_PROMPT}"),
        ("at_least", 1234, "", f"you chose at least 1,234 of the options in {CERTS_PROMPT}"),
        ("equals", "soc2", "", f"you chose “SOC 2” in {CERTS_PROMPT}"),
        (
            "equals",
            "soc2",
            "“Not sure”",
            f"you chose “SOC 2” in {CERTS_PROMPT}, or you answered “Not sure” to it",
        ),
        ("in", ("soc2", "pci"), "", f"you chose “SOC 2” or “PCI DSS” in {CERTS_PROMPT}"),
        # "Not sure" does not answer that an option was left out: it is not named.
        ("not", "iso27001", "“Not sure”", f"you did not choose “ISO 27001” in {CERTS_PROMPT}"),
        ("not", "iso27001", "", f"you did not choose “ISO 27001” in {CERTS_PROMPT}"),
    ],
)
def test_a_condition_on_a_multi_question_in_words(q, op, operand, unsure, words):
    assert TYPES["multi"].condition_words(q("certs"), op, operand, unsure) == words
