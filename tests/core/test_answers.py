"""Checking answers against the bank: what is read with a warning rather than refused."""

from __future__ import annotations

from questionnaire.core.answers import check, retired_answers
from questionnaire.core.bank import parse_bank
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
