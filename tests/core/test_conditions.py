"""show_if conditions: data, not code; evaluated against visible answers only."""

from __future__ import annotations

import pytest

from questionnaire.core.bank import parse_bank
from questionnaire.core.scoring import visible_answers, visible_questions
from tests.support import SMALL_BANK


def bank_with_condition(condition: str):
    text = SMALL_BANK.replace(
        "        prompt: Anything else?\n",
        f"        prompt: Anything else?\n        show_if: {condition}\n",
    )
    return parse_bank(text, "c.yaml")


BASE = {"personal": "yes", "region": "eu", "certs": ["iso27001", "pci"], "uptime": 99.95}


@pytest.mark.parametrize(
    ("condition", "shown"),
    [
        ('{question: personal, equals: "yes"}', True),
        ('{question: personal, equals: "no"}', False),
        ("{question: region, in: [ch, eu]}", True),
        ("{question: region, in: [ch, us]}", False),
        ("{question: region, not: eu}", False),
        ("{question: region, not: ch}", True),
        ("{question: uptime, at_least: 99.9}", True),
        ("{question: uptime, at_least: 99.99}", False),
        ("{question: certs, equals: pci}", True),  # multi: "pci is among the chosen"
        ("{question: certs, equals: soc2}", False),
        ("{question: certs, not: soc2}", True),
        ("{question: certs, in: [soc2, fedramp]}", False),
        ("{question: certs, at_least: 2}", True),
        ("{question: certs, at_least: 3}", False),
        ('{all: [{question: personal, equals: "yes"}, {question: certs, at_least: 2}]}', True),
        ('{all: [{question: personal, equals: "yes"}, {question: certs, at_least: 3}]}', False),
        ('{any: [{question: personal, equals: "no"}, {question: certs, at_least: 2}]}', True),
        ('{any: [{question: personal, equals: "no"}, {question: region, equals: ch}]}', False),
        (
            "{any: [{question: region, equals: ch}, {all: [{question: uptime, at_least: 99},"
            " {question: certs, equals: iso27001}]}]}",
            True,
        ),
    ],
)
def test_condition_forms(condition, shown):
    bank = bank_with_condition(condition)
    answers = {**BASE, "notes": "hello"}
    assert ("notes" in visible_answers(bank, answers)) is shown
    assert (bank.question("notes") in visible_questions(bank, answers)) is shown


@pytest.mark.parametrize(
    ("target", "condition"),
    [
        ("region", "{question: region, equals: ch}"),
        ("region", "{question: region, not: ch}"),
        ("region", "{question: region, in: [eu, us]}"),
        ("certs", "{question: certs, equals: pci}"),
        ("certs", "{question: certs, not: pci}"),
        ("certs", "{question: certs, at_least: 3}"),
        ("uptime", "{question: uptime, at_least: 99.99}"),
        ("uptime", "{question: uptime, not: 99}"),
    ],
)
def test_a_condition_on_a_not_sure_answer_holds_whatever_it_asks(target, condition):
    """The buyer may yet need the question it guards, so it is shown (as in static/app.js)."""
    bank = bank_with_condition(condition)
    answers = {**BASE, target: "not_sure", "notes": "hello"}
    assert "notes" in visible_answers(bank, answers)
    grouped = bank_with_condition(f"{{all: [{condition}, {condition}]}}")
    assert "notes" in visible_answers(grouped, answers)


def test_condition_on_an_unanswered_question_is_false_even_for_not():
    bank = bank_with_condition("{question: region, not: ch}")
    assert "notes" not in visible_answers(bank, {"personal": "yes", "notes": "x"})


def test_condition_on_a_hidden_question_is_false_so_hiding_cascades():
    # region shows only for personal data; notes shows only for region == eu.
    bank = bank_with_condition("{question: region, equals: eu}")
    answers = {"personal": "no", "region": "eu", "notes": "x"}
    kept = visible_answers(bank, answers)
    assert "region" not in kept and "notes" not in kept
    assert [q.id for q in visible_questions(bank, answers)].count("region") == 0


def test_hidden_answers_are_dropped_and_shown_ones_kept_in_bank_order(small_bank):
    kept = visible_answers(small_bank, {"uptime": 99.9, "region": "eu", "personal": "no"})
    assert list(kept) == ["personal", "uptime"]


def test_conditions_are_never_evaluated_as_code():
    text = SMALL_BANK.replace(
        '{question: personal, equals: "yes"}', "{question: personal, equals: \"__import__('os')\"}"
    )
    from questionnaire.core.bank import BankInvalid

    with pytest.raises(BankInvalid) as caught:
        parse_bank(text, "c.yaml")
    assert "is not a possible answer" in str(caught.value)
