"""show_if conditions: data, not code; evaluated against visible answers only."""

from __future__ import annotations

import pytest

from questionnaire.core.bank import BankInvalid, parse_bank
from questionnaire.core.conditions import Compare, Group, parse, visible
from questionnaire.core.scoring import visible_answers, visible_questions
from tests.support import SMALL_BANK, line_of


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
    with pytest.raises(BankInvalid) as caught:
        parse_bank(text, "c.yaml")
    assert "is not a possible answer" in str(caught.value)


# --- reading a show_if ------------------------------------------------------------------


@pytest.fixture
def earlier(small_bank):
    """Every question before notes, by id, as the bank reader passes them."""
    return {q.id: q for q in small_bank.questions if q.id != "notes"}


def read(raw, earlier, own_id="notes"):
    known = {*earlier, "notes", "later"}
    return parse(raw, earlier, known, 7, own_id)


def test_a_comparison_is_read_with_its_question_and_operand(earlier):
    condition, problems = read({"question": "region", "in": ["eu", "us"]}, earlier)
    assert problems == []
    assert condition == Compare(earlier["region"], "in", ("eu", "us"))
    assert condition.references() == {"region"}
    condition, _ = read({"question": "uptime", "at_least": 99}, earlier)
    assert (condition.op, condition.operand) == ("at_least", 99)


def test_groups_are_read_with_every_item(earlier):
    raw = {
        "any": [
            {"question": "personal", "equals": "yes"},
            {"all": [{"question": "certs", "at_least": 1}]},
        ]
    }
    condition, problems = read(raw, earlier)
    assert problems == [] and isinstance(condition, Group) and condition.mode == "any"
    assert len(condition.items) == 2 and condition.items[1].mode == "all"
    assert condition.references() == {"personal", "certs"}


@pytest.mark.parametrize(
    "raw",
    [
        "personal",
        {"question": "personal"},
        {"equals": "yes"},
        {"question": "personal", "equals": "yes", "not": "no"},
        {"question": "personal", "equals": "yes", "colour": "red"},
        {"question": "notes", "equals": "x"},  # its own question
        {"question": "later", "equals": "x"},
        {"question": "nowhere", "equals": "x"},
        {"question": "personal", "equals": "maybe"},
        {"all": []},
        {"all": {"question": "personal", "equals": "yes"}},
        {"all": [{"question": "personal", "equals": "yes"}], "question": "personal"},
        {
            "any": [
                {"question": "personal", "equals": "yes"},
                {"question": "nowhere", "equals": "x"},
            ]
        },
    ],
)
def test_a_broken_condition_is_one_problem_and_no_condition(earlier, raw):
    condition, problems = read(raw, earlier)
    assert condition is None
    assert [line for line, _ in problems] == [7]


def test_each_broken_item_of_a_group_is_its_own_problem(earlier):
    raw = {"all": [{"question": "nowhere", "equals": "x"}, {"question": "later", "equals": "x"}]}
    condition, problems = read(raw, earlier)
    assert condition is None and len(problems) == 2


def test_a_condition_problem_says_which_question_is_wrong(earlier):
    def message(raw):
        return read(raw, earlier)[1][0][1]

    assert "is this question" in message({"question": "notes", "equals": "x"})
    assert "comes later" in message({"question": "later", "equals": "x"})
    assert "not a question" in message({"question": "nowhere", "equals": "x"})
    assert "did you mean 'region'" in message({"question": "regoin", "equals": "x"})


def test_a_group_holds_for_all_or_for_any_of_its_items(small_bank):
    yes = Compare(small_bank.question("personal"), "equals", "yes")
    eu = Compare(small_bank.question("region"), "equals", "eu")
    answers = {"personal": "yes", "region": "us"}
    assert Group("any", (yes, eu)).holds(answers) and not Group("all", (yes, eu)).holds(answers)
    assert Group("all", (yes,)).holds(answers)
    assert not Group("any", (eu,)).holds(answers)


def test_a_comparison_with_an_answer_of_none_is_false(small_bank):
    yes = Compare(small_bank.question("personal"), "not", "no")
    assert not yes.holds({"personal": None}) and not yes.holds({})
    assert yes.holds({"personal": "yes"})


def test_a_question_without_a_condition_is_always_visible(small_bank):
    assert visible(small_bank.question("encrypt"), {})
    assert not visible(small_bank.question("region"), {})
    assert visible(small_bank.question("region"), {"personal": "yes"})


# --- where a show_if problem is reported --------------------------------------------------


def problems_with_condition(block: str) -> tuple[str, list[str]]:
    """A show_if written over several lines under notes: the bank's text and problems."""
    text = SMALL_BANK.replace(
        "        prompt: Anything else?\n", f"        prompt: Anything else?\n{block}"
    )
    with pytest.raises(BankInvalid) as caught:
        parse_bank(text, "c.yaml")
    return text, [str(p) for p in caught.value.problems]


@pytest.mark.parametrize(
    ("block", "at", "fragment"),
    [
        # a mapping's own problem: at its first line, not at show_if's
        (
            "        show_if:\n          question: region\n",
            "question: region",
            "exactly one of",
        ),
        # a question that is no question: at its 'question' key
        (
            "        show_if:\n          equals: x\n          question: nowhere\n",
            "question: nowhere",
            "'nowhere' is not a question",
        ),
        # an operand the question cannot take: at the operator's key
        (
            "        show_if:\n          question: personal\n          equals: maybe\n",
            "equals: maybe",
            "'maybe' is not a possible answer",
        ),
        # an item of a group that is not a mapping: at the item's line
        (
            "        show_if:\n          all:\n            - personal\n",
            "- personal",
            "must be a mapping",
        ),
    ],
)
def test_a_show_if_problem_is_reported_at_the_line_that_has_it(block, at, fragment):
    text, problems = problems_with_condition(block)
    line = line_of(text, at)
    assert [p for p in problems if fragment in p] == [p for p in problems if f":{line}: " in p]
    assert len(problems) == 1 and problems[0].startswith(f"c.yaml:{line}: show_if of 'notes'")


def test_a_condition_in_a_group_on_its_own_question_says_so(earlier):
    _, problems = read({"all": [{"question": "notes", "equals": "x"}]}, earlier)
    assert len(problems) == 1 and "is this question" in problems[0][1]
    _, problems = read({"any": [{"all": [{"question": "notes", "equals": "x"}]}]}, earlier)
    assert len(problems) == 1 and "is this question" in problems[0][1]
