"""Checking answers against the bank: what is read with a warning rather than refused."""

from __future__ import annotations

import pytest

from questionnaire.core.answers import (
    Answers,
    AnswersInvalid,
    carry_over,
    check,
    check_file,
    check_value,
    retired_answers,
)
from questionnaire.core.bank import parse_bank
from questionnaire.core.qtypes import AnswerError
from tests.support import SMALL_BANK

RETIRED_SOC2 = SMALL_BANK.replace(
    "{key: soc2, label: SOC 2}", "{key: soc2, label: SOC 2, retired: true}"
)


def test_a_retired_option_ticked_in_a_multi_is_read_and_named():
    bank = parse_bank(RETIRED_SOC2)
    answers = check(bank, {"certs": ["iso27001", "soc2"], "encrypt": "not_sure"})
    assert answers.values["certs"] == ["iso27001", "soc2"]
    assert retired_answers(bank, answers.values) == [
        "'certs': option 'soc2' (SOC 2) is retired: it is still read, but new buyers are no "
        "longer offered it"
    ]


def test_answers_on_options_still_offered_give_no_warning():
    bank = parse_bank(RETIRED_SOC2)
    answers = check(bank, {"certs": ["iso27001"], "personal": "yes", "region": "eu"})
    assert retired_answers(bank, answers.values) == []


def problems(bank, answers, must_have=()) -> list[str]:
    with pytest.raises(AnswersInvalid) as caught:
        check(bank, answers, must_have)
    assert str(caught.value) == "\n".join(caught.value.problems)
    return caught.value.problems


def test_checked_answers_are_normalised_and_kept_for_shown_questions(small_bank):
    answers = check(
        small_bank,
        {
            "certs": ["pci", "iso27001"],
            "personal": "yes",
            "region": "eu",
            "uptime": 99.9,
            "smime": None,
        },
        ["region", "uptime", "region"],
    )
    assert answers == Answers(
        values={"personal": "yes", "region": "eu", "certs": ["iso27001", "pci"], "uptime": 99.9},
        must_have=("region", "uptime"),
    )
    assert check(small_bank, {}) == Answers(values={}, must_have=())


def test_one_answer_is_checked_against_its_question(small_bank):
    assert check_value(small_bank, "certs", ["soc2", "iso27001"]) == ["iso27001", "soc2"]
    with pytest.raises(AnswerError):
        check_value(small_bank, "encrypt", "perhaps")


def test_every_problem_is_named_at_once(small_bank):
    found = problems(
        small_bank,
        {"encrypt": "perhaps", "uptime": 5, "zzz": 1, "region": "eu"},
        ["smime", "notes", "ghost"],
    )
    assert found == [
        "'encrypt': answer 'perhaps' does not fit: expected \"yes\" or \"no\"",
        "'uptime': answer 5 does not fit: 5 is below the minimum 90",
        "'zzz': not a question in bank version 1.0",
        "'region': answered, but its condition hides it given the other answers",
        "must_have 'smime': the question is not answered",
        "must_have 'notes': this question is not scored",
        "must_have 'ghost': not a question in bank version 1.0",
    ]


def test_a_mistyped_question_id_gets_a_suggestion(small_bank):
    assert problems(small_bank, {"encrpyt": "yes"}) == [
        "'encrpyt': not a question in bank version 1.0 (did you mean 'encrypt'?)"
    ]
    assert problems(small_bank, {}, ["uptmie"]) == [
        "must_have 'uptmie': not a question in bank version 1.0 (did you mean 'uptime'?)"
    ]


def test_a_must_have_on_an_answer_that_does_not_fit_is_not_named_twice(small_bank):
    assert problems(small_bank, {"encrypt": "perhaps"}, ["encrypt"]) == [
        "'encrypt': answer 'perhaps' does not fit: expected \"yes\" or \"no\""
    ]


def test_must_haves_hidden_by_a_condition_are_not_answered(small_bank):
    assert problems(small_bank, {"personal": "no"}, ["region"]) == [
        "must_have 'region': the question is not answered"
    ]


@pytest.mark.parametrize("must_have", ["encrypt", [1], {"encrypt": True}, None])
def test_must_haves_must_be_a_list_of_ids(small_bank, must_have):
    assert problems(small_bank, {"encrypt": "yes"}, must_have) == [
        "'must_have' must be a list of question ids"
    ]


def test_a_tuple_of_must_haves_is_a_list_too(small_bank):
    assert check(small_bank, {"encrypt": "yes"}, ("encrypt",)).must_have == ("encrypt",)


@pytest.mark.parametrize("answers", [["encrypt"], "yes", None])
def test_answers_must_map_question_ids_to_answers(small_bank, answers):
    assert problems(small_bank, answers) == [
        "'answers' must be an object mapping question ids to answers"
    ]


def test_an_answers_file_holds_answers_and_optionally_must_haves(small_bank):
    checked = check_file(small_bank, {"answers": {"encrypt": "yes"}, "must_have": ["encrypt"]})
    assert checked == Answers(values={"encrypt": "yes"}, must_have=("encrypt",))
    assert check_file(small_bank, {"answers": {"encrypt": "yes"}}).must_have == ()
    for bad in ({"encrypt": "yes"}, ["answers"], None):
        with pytest.raises(AnswersInvalid) as caught:
            check_file(small_bank, bad)
        assert caught.value.problems == [
            'the file must be a JSON object with "answers" (and optionally "must_have")'
        ]


def test_answers_carried_to_a_new_bank_keep_what_still_fits_and_name_the_rest(small_bank):
    carried = carry_over(
        small_bank,
        {
            "personal": "no",
            "region": "eu",  # now hidden
            "encrypt": "perhaps",  # no longer fits
            "retired_question": "yes",
            "uptime": 99.9,
            "smime": None,  # never answered: not named
            "certs": ["soc2"],
        },
        ["region", "uptime", "encrypt", "uptime", "personal"],
    )
    assert carried.values == {"personal": "no", "certs": ["soc2"], "uptime": 99.9}
    assert carried.dropped == ("region", "encrypt", "retired_question")
    assert carried.must_have == ("uptime",)  # personal is never scored


def test_a_retired_choice_option_is_named_too():
    bank = parse_bank(
        SMALL_BANK.replace(
            "{key: ch, label: In Switzerland}", "{key: ch, label: In Switzerland, retired: true}"
        )
    )
    assert retired_answers(bank, {"personal": "yes", "region": "ch"}) == [
        "'region': option 'ch' (In Switzerland) is retired: it is still read, but new buyers "
        "are no longer offered it"
    ]
    assert retired_answers(bank, {"personal": "yes", "region": "eu", "uptime": 99}) == []


def test_a_choice_is_its_whole_key_so_a_retired_option_named_inside_another_is_not_warned():
    bank = parse_bank(
        SMALL_BANK.replace(
            "{key: eu, label: In the EU}", "{key: eu, label: In the EU, retired: true}"
        )
    )
    answers = check(bank, {"personal": "yes", "region": "eu_any"})
    assert retired_answers(bank, answers.values) == []
    assert len(retired_answers(bank, {"personal": "yes", "region": "eu"})) == 1


def test_a_blank_answer_is_skipped_and_the_answers_after_it_still_read(small_bank):
    answers = check(small_bank, {"notes": None, "encrypt": "yes", "uptime": None, "smime": "no"})
    assert answers.values == {"encrypt": "yes", "smime": "no"}


def test_every_unknown_question_is_named_not_only_the_first(small_bank):
    with pytest.raises(AnswersInvalid) as caught:
        check(small_bank, {"colour": "red", "encrypt": "yes", "size": 3})
    assert [p.split(":")[0] for p in caught.value.problems] == ["'colour'", "'size'"]
