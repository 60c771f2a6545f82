"""Question types one at a time (core/qtypes.py, optiontypes.py, questiontype.py): what an
answer must look like, what it requires of the provider, how a commitment is held against
it and put into words, and how a posted form carries it."""

from __future__ import annotations

import pytest
from werkzeug.datastructures import MultiDict

from questionnaire.core.bank import BankInvalid, parse_bank
from questionnaire.core.qtypes import NOT_SURE, TYPES, AnswerError, NumberField
from questionnaire.core.questiontype import Match, QuestionType, format_number, is_number
from tests.factories import bank_dict, commitment, load, number_question
from tests.support import SMALL_BANK, line_of


@pytest.fixture
def q(small_bank):
    """A question of the small bank by id."""
    return small_bank.question


def problems_of(text: str) -> list[tuple[int, str]]:
    with pytest.raises(BankInvalid) as caught:
        parse_bank(text, "b.yaml")
    return [(p.line, p.message) for p in caught.value.problems]


def lines_of(text: str) -> list[int]:
    return [line for line, _ in problems_of(text)]


def replaced(old: str, new: str) -> str:
    assert old in SMALL_BANK
    return SMALL_BANK.replace(old, new, 1)


# --- yes/no -----------------------------------------------------------------------------


def test_yes_no_reads_yes_or_no_and_requires_only_on_yes(q):
    kind = TYPES["yesno"]
    assert kind.parse(q("encrypt"), "yes") == "yes" and kind.parse(q("encrypt"), "no") == "no"
    for bad in ("Yes", True, "", "maybe"):
        with pytest.raises(AnswerError):
            kind.parse(q("encrypt"), bad)
    assert kind.requirement(q("encrypt"), "yes") is True
    assert kind.requirement(q("encrypt"), "no") is None


def test_yes_no_is_met_only_by_a_commitment_of_true(q):
    kind = TYPES["yesno"]
    assert kind.credit(q("encrypt"), True, True) == 1.0
    assert kind.credit(q("encrypt"), True, False) == 0.0
    assert kind.credit(q("encrypt"), True, "yes") == 0.0  # only the value true counts
    assert kind.compare(q("encrypt"), True, True) == Match("met", 1.0)
    assert kind.compare(q("encrypt"), True, False) == Match("not_met", 0.0)


def test_yes_no_in_words(q):
    kind = TYPES["yesno"]
    assert (kind.describe(q("encrypt"), "yes"), kind.describe(q("encrypt"), "no")) == ("Yes", "No")
    assert kind.describe_commitment(q("encrypt"), True) == "Yes"
    assert kind.describe_commitment(q("encrypt"), False) == "No"
    assert kind.choices(q("encrypt")) == [("yes", "Yes"), ("no", "No")]
    assert kind.missing_message(q("encrypt")) == "Select Yes, No or Not sure"
    assert kind.missing_message(q("personal")) == "Select Yes or No"  # not scored


def test_a_yes_no_commitment_must_be_true_or_false(q):
    kind = TYPES["yesno"]
    assert kind.commitment_error(q("encrypt"), True) is None
    assert kind.commitment_error(q("encrypt"), False) is None
    assert kind.commitment_error(q("encrypt"), "yes") is not None
    assert kind.commitment_error(q("encrypt"), 1) is not None


# --- number -----------------------------------------------------------------------------


def test_a_number_answer_must_lie_within_min_and_max(q):
    kind, uptime = TYPES["number"], q("uptime")
    assert kind.parse(uptime, 90) == 90 and kind.parse(uptime, 100) == 100
    assert kind.parse(uptime, 99.9) == 99.9
    for bad in (89.99, 100.01, "99", True, float("nan"), None):
        with pytest.raises(AnswerError):
            kind.parse(uptime, bad)
    unbounded = number_question()
    assert kind.parse(unbounded, -5) == -5 and kind.parse(unbounded, 10**9) == 10**9


def test_asking_for_at_least_nothing_states_no_requirement_where_more_is_better(q):
    kind = TYPES["number"]
    higher = number_question(better="higher")
    lower = number_question(better="lower")
    assert kind.requirement(higher, 0) is None and kind.requirement(higher, -1) is None
    assert kind.requirement(higher, 0.5) == 0.5
    assert kind.requirement(lower, 0) == 0  # "within 0 hours" is a requirement


@pytest.mark.parametrize(
    ("better", "required", "offered", "credit", "gap"),
    [
        ("higher", 99.9, 99.9, 1.0, 0),
        ("higher", 99.9, 99.99, 1.0, 0),
        ("higher", 99.95, 99.9, 0.0, 0.05),
        ("lower", 24, 24, 1.0, 0),
        ("lower", 24, 12, 1.0, 0),
        ("lower", 24, 72, 0.0, 48),
    ],
)
def test_a_number_is_met_in_its_better_direction(better, required, offered, credit, gap):
    kind, question = TYPES["number"], number_question(better=better)
    assert kind.credit(question, required, offered) == credit
    assert kind.shortfall(question, required, offered) == gap
    outcome = kind.compare(question, required, offered)
    assert (outcome.outcome, outcome.credit, outcome.gap) == (
        "met" if credit else "not_met",
        credit,
        gap,
    )
    assert not outcome.near


def test_a_number_missed_by_no_more_than_near_is_a_near_miss_at_half_credit():
    kind, question = TYPES["number"], number_question(near=0.05)
    assert kind.compare(question, 99.95, 99.9) == Match("partly_met", 0.5, gap=0.05, near=True)
    assert kind.compare(question, 99.96, 99.9) == Match("not_met", 0.0, gap=0.06)
    assert kind.compare(question, 99.9, 99.9) == Match("met", 1.0, gap=0)
    lower = number_question(better="lower", near=2)
    assert kind.compare(lower, 24, 26) == Match("partly_met", 0.5, gap=2, near=True)
    assert kind.compare(lower, 24, 27) == Match("not_met", 0.0, gap=3)
    exact = number_question(near=0)
    assert kind.compare(exact, 10, 9) == Match("not_met", 0.0, gap=1)


def test_number_conditions_compare_at_least(q):
    kind, uptime = TYPES["number"], q("uptime")
    assert kind.matches(uptime, "at_least", 99.9, 99.9)
    assert not kind.matches(uptime, "at_least", 99.8, 99.9)
    assert kind.matches(uptime, "equals", 99.9, 99.9)
    assert kind.operand_error(uptime, "at_least", 5) is None
    assert kind.operand_error(uptime, "at_least", "5") is not None
    assert kind.operand_error(uptime, "equals", 95) is None
    assert kind.operand_error(uptime, "equals", 50) is not None  # below min: no such answer


@pytest.mark.parametrize(
    ("unit", "value", "words"),
    [("%", 99.9, "99.9%"), ("hours", 24, "24 hours"), ("", 1500, "1,500"), ("°", 5, "5°")],
)
def test_a_number_in_words_carries_its_unit(unit, value, words):
    kind, question = TYPES["number"], number_question(unit=unit)
    assert kind.describe(question, value) == words
    assert kind.describe_commitment(question, value) == words


def test_a_number_commitment_must_be_a_number_and_should_lie_in_range(q):
    kind, uptime = TYPES["number"], q("uptime")
    assert kind.commitment_error(uptime, 99.9) is None
    assert kind.commitment_error(uptime, "99.9") is not None
    assert kind.commitment_error(uptime, True) is not None
    assert kind.commitment_warning(uptime, 99.9) is None
    assert (
        kind.commitment_warning(uptime, 90) is None and kind.commitment_warning(uptime, 100) is None
    )
    assert kind.commitment_warning(uptime, 89) is not None
    assert kind.commitment_warning(uptime, 101) is not None
    assert kind.commitment_warning(number_question(), -1e9) is None


def form(**fields) -> MultiDict:
    data = MultiDict()
    for key, value in fields.items():
        for item in value if isinstance(value, list) else [value]:
            data.add(key, item)
    return data


def test_a_number_field_is_read_from_its_box_and_its_not_sure_box(q):
    kind, uptime = TYPES["number"], q("uptime")
    assert kind.form_data(uptime, form(uptime=" 99.9 ")) == NumberField("99.9", False)
    assert kind.form_data(uptime, form(not_sure=["certs", "uptime"])) == NumberField("", True)
    assert kind.form_data(uptime, form(not_sure="certs")) == NumberField("", False)
    assert kind.form_data(uptime, form()) == NumberField("", False)


@pytest.mark.parametrize(
    ("text", "value"),
    [("99.9", 99.9), ("100", 100), ("1,00", 100), ("99.50", 99.5), ("", None)],
)
def test_a_number_typed_in_the_form_is_read_as_a_number(q, text, value):
    answer = TYPES["number"].from_form(q("uptime"), NumberField(text))
    assert answer == value and type(answer) is type(value)


def test_a_whole_number_typed_with_decimals_is_read_as_a_whole_number():
    assert type(TYPES["number"].from_form(number_question(), NumberField("5.0"))) is int


@pytest.mark.parametrize("text", ["abc", "inf", "NaN", "1e15", "12 hours", "99.9.9"])
def test_what_is_not_a_number_of_sensible_size_is_refused(text):
    with pytest.raises(AnswerError):
        TYPES["number"].from_form(number_question(), NumberField(text))


def test_a_number_of_fourteen_digits_is_still_read():
    assert TYPES["number"].from_form(number_question(), NumberField("9" * 15)) == int("9" * 15)


def test_not_sure_on_a_number_is_the_box_alone(q):
    kind, uptime = TYPES["number"], q("uptime")
    assert kind.from_form(uptime, NumberField("", True)) == NOT_SURE
    with pytest.raises(AnswerError):
        kind.from_form(uptime, NumberField("99.9", True))
    with pytest.raises(AnswerError):
        kind.from_form(uptime, NumberField("50"))  # below the minimum


def test_a_number_answer_is_shown_back_in_its_form(q):
    kind, uptime = TYPES["number"], q("uptime")
    assert kind.to_form(uptime, NOT_SURE) == NumberField("", True)
    assert kind.to_form(uptime, None) == NumberField("", False)
    assert kind.to_form(uptime, 99.9) == NumberField("99.9", False)
    assert kind.to_form(number_question(), 1500) == NumberField("1500", False)


@pytest.mark.parametrize(
    ("fields", "wanted"),
    [
        ({"unit": "%", "min": 90, "max": 100}, "enter a percentage, like 99.9"),
        ({"unit": "%", "min": 0, "max": 50}, "enter a percentage, like 50"),
        ({"unit": "hours", "min": 1, "max": 720}, "enter a number of hours, like 4"),
        ({"unit": "hours", "min": 8}, "enter a number of hours, like 8"),
        ({"unit": "hours", "max": 2}, "enter a number of hours, like 2"),
        ({"unit": "€"}, "enter a number in €, like 4"),
        ({}, "enter a number, like 4"),
        ({"unit": "%", "step": 1}, "enter a percentage, like 100"),
        ({"unit": "%", "step": 0.5}, "enter a percentage, like 99.9"),
    ],
)
def test_a_number_field_says_what_it_wants(fields, wanted):
    assert TYPES["number"].wanted(number_question(**fields)) == wanted


def test_a_refused_number_says_what_the_field_wants(q):
    with pytest.raises(AnswerError, match="enter a percentage, like 99.9"):
        TYPES["number"].from_form(q("uptime"), NumberField("lots"))


def test_a_number_question_reads_its_fields_from_the_bank(q):
    uptime = q("uptime")
    assert (
        uptime.settings.unit,
        uptime.settings.min,
        uptime.settings.max,
        uptime.settings.better,
        uptime.settings.near,
    ) == (
        "%",
        90,
        100,
        "higher",
        0.05,
    )
    assert uptime.settings.step is None and uptime.settings.availability is False
    question = number_question(unit="%", step=0.1, availability=True, better="lower")
    assert (question.settings.step, question.settings.availability, question.settings.better) == (
        0.1,
        True,
        "lower",
    )
    assert number_question().settings.unit == "" and number_question().settings.near is None


@pytest.mark.parametrize(
    ("old", "new", "key"),
    [
        ("min: 90\n", "min: low\n", "min: low"),
        ("max: 100\n", "max: high\n", "max: high"),
        ("min: 90\n", "min: 90\n        step: 0\n", "step: 0"),
        ("min: 90\n", "min: 90\n        step: -1\n", "step: -1"),
        ("min: 90\n", "min: 90\n        step: x\n", "step: x"),
        ("better: higher\n        weight: 5", "better: up\n        weight: 5", "better: up"),
        ('unit: "%"\n        min: 90', "unit: 5\n        min: 90", "unit: 5"),
        ("near: 0.05", "near: -1", "near: -1"),
        ("near: 0.05", "near: close", "near: close"),
        (
            'unit: "%"\n        min: 90',
            'unit: "%"\n        availability: often\n        min: 90',
            "availability: often",
        ),
        ("unit: hours\n", "unit: hours\n        availability: true\n", "availability: true"),
        ("min: 90\n", "min: 101\n", "min: 101"),  # min above max: said at min
    ],
)
def test_each_bad_number_field_is_an_error_on_its_own_line(old, new, key):
    text = replaced(old, new)
    [(line, message)] = problems_of(text)
    assert line == line_of(text, key)
    assert key.split(":")[0] in message  # the field, not a reader that gave up on the file


def test_availability_true_or_false_is_a_flag():
    text = replaced(
        'unit: "%"\n        min: 90', 'unit: "%"\n        availability: false\n        min: 90'
    )
    assert parse_bank(text, "b.yaml").question("uptime").settings.availability is False
    text = replaced(
        'unit: "%"\n        min: 90', 'unit: "%"\n        availability: true\n        min: 90'
    )
    assert parse_bank(text, "b.yaml").question("uptime").settings.availability is True


def test_a_number_question_without_better_is_an_error_on_its_first_line():
    text = replaced("        better: higher\n", "")
    assert lines_of(text) == [line_of(text, "- id: uptime")]


def test_min_equal_to_max_and_a_near_of_zero_are_allowed():
    text = replaced("max: 100\n", "max: 90\n").replace("near: 0.05", "near: 0")
    text = text.replace("value: 99.9, statement", "value: 90, statement")
    uptime = parse_bank(text, "b.yaml").question("uptime")
    assert (uptime.settings.min, uptime.settings.max, uptime.settings.near) == (90, 90, 0)


@pytest.mark.parametrize(
    ("old", "new", "changes"),
    [
        ({"unit": "days"}, {"unit": "hours"}, [("reworded", "unit: 'days' -> 'hours'")]),
        ({}, {"unit": "%"}, [("reworded", "unit: (none) -> '%'")]),
        ({"unit": "%"}, {}, [("reworded", "unit: '%' -> (none)")]),
        (
            {"min": 0, "max": 10},
            {"min": 0, "max": 20, "better": "lower"},
            [("options", "range/direction 0..10 higher -> 0..20 lower")],
        ),
        ({}, {"near": 2.0}, [("options", "near miss margin (none) -> 2")]),
        ({"near": 0.05}, {}, [("options", "near miss margin 0.05 -> (none)")]),
        # a whole-number margin is written in full, however large
        (
            {"near": 1000000},
            {"near": 2000000},
            [("options", "near miss margin 1000000 -> 2000000")],
        ),
        ({"unit": "days", "near": 1}, {"unit": "days", "near": 1}, []),
    ],
)
def test_a_changed_number_setting_is_worded_for_the_bank_diff(old, new, changes):
    kind = TYPES["number"]
    assert list(kind.setting_changes(number_question(**old), number_question(**new))) == changes


# --- text -------------------------------------------------------------------------------


def test_text_is_cleaned_and_held_to_its_length(q):
    kind, notes = TYPES["text"], q("notes")
    assert kind.parse(notes, "  line one\r\nline two\x00 ") == "line one\nline two"
    assert kind.parse(notes, "x" * 200) == "x" * 200
    with pytest.raises(AnswerError):
        kind.parse(notes, "x" * 201)
    with pytest.raises(AnswerError):
        kind.parse(notes, 5)
    assert kind.requirement(notes, "anything") is None
    assert kind.describe(notes, "We need SSO") == "We need SSO"
    assert kind.choices(notes) == []


def test_text_takes_no_commitment_and_no_condition(q):
    kind, notes = TYPES["text"], q("notes")
    assert kind.commitment_error(notes, "anything") is not None
    assert kind.operand_error(notes, "equals", "x") is not None


@pytest.mark.parametrize(("written", "kept"), [("max_length: 1", 1), ("max_length: 2000", 2000)])
def test_a_text_length_limit_from_1_to_2000_is_kept(written, kept):
    text = replaced("max_length: 200", written)
    assert parse_bank(text, "b.yaml").question("notes").settings.max_length == kept


def test_a_text_question_without_a_limit_takes_2000_characters():
    text = replaced("        max_length: 200\n", "")
    assert parse_bank(text, "b.yaml").question("notes").settings.max_length == 2000


@pytest.mark.parametrize("bad", ["0", "2001", "true", "ten", "5.5"])
def test_a_bad_text_length_limit_is_an_error_on_its_line(bad):
    text = replaced("max_length: 200", f"max_length: {bad}")
    assert lines_of(text) == [line_of(text, "max_length")]


# --- choice and multi ---------------------------------------------------------------------


def test_a_choice_answer_is_one_of_its_option_keys(q):
    kind, region = TYPES["choice"], q("region")
    assert kind.parse(region, "eu_any") == "eu_any"
    for bad in ("mars", ["eu"], 1, "EU"):
        with pytest.raises(AnswerError):
            kind.parse(region, bad)
    assert kind.choices(region) == [
        ("none", "No requirement"),
        ("eu", "In the EU"),
        ("us", "In the US"),
        ("eu_any", "Anywhere in Europe"),
        ("ch", "In Switzerland"),
    ]
    assert kind.describe(region, "eu_any") == "Anywhere in Europe"
    assert kind.missing_message(region) == "Select one option, or Not sure"


def test_a_choice_requires_the_offering_its_option_names(q):
    kind, region = TYPES["choice"], q("region")
    assert kind.requirement(region, "none") is None
    assert kind.requirement(region, "eu") == "eu"
    assert kind.requirement(region, "eu_any") == "eu"
    assert kind.credit(region, "eu", ["eu", "us"]) == 1.0
    assert kind.credit(region, "ch", ["eu", "us"]) == 0.0
    assert kind.missing(region, "ch", ["eu", "us"]) == ("ch",)
    assert kind.missing(region, "eu", ["eu", "us"]) == ()
    assert kind.missing(region, None, ["eu"]) == ()


def test_an_unscored_choice_asks_for_one_option():
    question = {
        "id": "c",
        "prompt": "Which?",
        "type": "choice",
        "weight": 0,
        "options": [{"key": "a", "label": "A"}],
    }
    bank = load(bank_dict([{"id": "s", "title": "S", "questions": [question]}]))
    assert TYPES["choice"].missing_message(bank.question("c")) == "Select one option"


def test_the_report_lists_the_options_the_provider_offers(q):
    kind = TYPES["choice"]
    assert kind.describe_commitment(q("region"), ["eu", "us"]) == "In the EU; In the US"
    assert kind.describe_commitment(q("region"), ["us", "eu"]) == "In the EU; In the US"
    assert kind.describe_commitment(q("region"), []) == "None of the options"
    certs = TYPES["multi"].describe_commitment(q("certs"), ["soc2"])
    assert certs == "SOC 2"


def test_a_multi_answer_is_a_list_of_keys_kept_in_bank_order_once_each(q):
    kind, certs = TYPES["multi"], q("certs")
    assert kind.parse(certs, ["pci", "iso27001", "pci"]) == ["iso27001", "pci"]
    assert kind.parse(certs, []) == []
    for bad in ("iso27001", ["mars"], [1], None):
        with pytest.raises(AnswerError):
            kind.parse(certs, bad)


def test_a_multi_requires_each_chosen_offering_and_earns_its_share(q):
    kind, certs = TYPES["multi"], q("certs")
    assert kind.requirement(certs, []) is None
    assert kind.requirement(certs, ["soc2", "pci"]) == frozenset({"soc2", "pci"})
    assert kind.credit(certs, frozenset({"soc2", "pci"}), ["iso27001", "soc2"]) == 0.5
    assert kind.credit(certs, frozenset({"soc2"}), ["soc2"]) == 1.0
    assert kind.missing(certs, frozenset({"pci", "soc2", "fedramp"}), ["soc2"]) == (
        "fedramp",
        "pci",
    )


def test_a_multi_answer_that_requires_nothing_states_no_requirement():
    question = {
        "id": "m",
        "prompt": "Which?",
        "type": "multi",
        "options": [{"key": "none", "label": "None", "requires": None}, {"key": "a", "label": "A"}],
    }
    bank = load(bank_dict([{"id": "s", "title": "S", "questions": [question]}]))
    assert TYPES["multi"].requirement(bank.question("m"), ["none"]) is None
    assert TYPES["multi"].requirement(bank.question("m"), ["none", "a"]) == frozenset({"a"})


@pytest.mark.parametrize(
    ("required", "offered", "absent", "expected"),
    [
        ({"soc2"}, ["soc2"], [], Match("met", 1.0, (), ())),
        ({"pci"}, ["soc2"], [], Match("unknown", 0.0, (), ("pci",))),
        ({"pci"}, ["soc2"], ["pci"], Match("not_met", 0.0, ("pci",), ())),
        ({"soc2", "pci"}, ["soc2"], ["pci"], Match("partly_met", 0.0, ("pci",), ())),
        ({"fedramp", "pci"}, [], ["pci"], Match("not_met", 0.0, ("pci",), ("fedramp",))),
        (
            {"soc2", "fedramp", "pci"},
            ["soc2"],
            ["pci"],
            Match("partly_met", 0.0, ("pci",), ("fedramp",)),
        ),
    ],
)
def test_options_are_offered_documented_as_not_offered_or_unknown(
    q, required, offered, absent, expected
):
    assert TYPES["multi"].compare(q("certs"), frozenset(required), offered, tuple(absent)) == (
        expected
    )


def test_a_choice_documented_as_not_offered_is_not_met(q):
    kind = TYPES["choice"]
    assert kind.compare(q("region"), "ch", ["eu"], ("ch",)) == Match("not_met", 0.0, ("ch",), ())
    assert kind.compare(q("region"), "ch", ["eu"]) == Match("unknown", 0.0, (), ("ch",))
    assert kind.compare(q("region"), "eu", ["eu"]) == Match("met", 1.0, (), ())


@pytest.mark.parametrize(
    ("op", "operand", "holds"),
    [
        ("equals", "soc2", True),
        ("equals", "pci", False),
        ("not", "pci", True),
        ("not", "soc2", False),
        ("in", ("pci", "soc2"), True),
        ("in", ("pci", "fedramp"), False),
        ("at_least", 2, True),
        ("at_least", 3, False),
    ],
)
def test_a_multi_condition_reads_the_answer_as_a_set(q, op, operand, holds):
    assert TYPES["multi"].matches(q("certs"), op, ["iso27001", "soc2"], operand) is holds


def test_an_unknown_condition_on_a_multi_is_refused(q):
    with pytest.raises(ValueError, match="between"):
        TYPES["multi"].matches(q("certs"), "between", ["soc2"], 1)


@pytest.mark.parametrize(
    ("op", "operand", "fits"),
    [
        ("at_least", 0, True),
        ("at_least", 2, True),
        ("at_least", -1, False),
        ("at_least", True, False),
        ("at_least", 1.5, False),
        ("equals", "soc2", True),
        ("equals", "mars", False),
        ("not", "pci", True),
        ("in", ["soc2", "pci"], True),
        ("in", ["soc2", "mars"], False),
        ("in", "soc2", False),
        ("between", "soc2", False),
    ],
)
def test_a_multi_condition_must_name_its_options(q, op, operand, fits):
    assert (TYPES["multi"].operand_error(q("certs"), op, operand) is None) is fits


def test_multi_in_words_and_in_its_form(q):
    kind, certs = TYPES["multi"], q("certs")
    assert kind.describe(certs, ["iso27001", "pci"]) == "ISO 27001; PCI DSS"
    assert kind.describe(certs, []) == "None selected"
    assert kind.form_data(certs, form(certs=["soc2", "pci"])) == ["soc2", "pci"]
    assert kind.from_form(certs, ["pci", "soc2"]) == ["soc2", "pci"]
    assert kind.from_form(certs, []) == [] and kind.from_form(certs, None) == []
    assert kind.from_form(certs, [NOT_SURE]) == NOT_SURE
    with pytest.raises(AnswerError):
        kind.from_form(certs, [NOT_SURE, "soc2"])
    assert kind.to_form(certs, NOT_SURE) == (NOT_SURE,)
    assert kind.to_form(certs, ["soc2"]) == ("soc2",)
    assert kind.to_form(certs, None) == ()


def test_a_choice_or_multi_commitment_lists_option_keys_of_its_question(q):
    kind = TYPES["multi"]
    assert kind.commitment_error(q("certs"), ["soc2", "pci"]) is None
    assert kind.commitment_error(q("certs"), []) is None
    assert kind.commitment_error(q("certs"), "soc2") is not None
    assert kind.commitment_error(q("certs"), ["soc2", 5]) is not None
    assert kind.commitment_error(q("certs"), ["soc2", "mars"]) is not None


def test_not_offered_lists_required_options_the_value_does_not_offer(q):
    kind = TYPES["multi"]
    assert kind.not_offered_error(q("certs"), ["pci"], ["soc2"]) is None
    assert kind.not_offered_error(q("certs"), [], ["soc2"]) is None
    assert kind.not_offered_error(q("certs"), "pci", ["soc2"]) is not None
    assert kind.not_offered_error(q("certs"), [3], ["soc2"]) is not None
    assert kind.not_offered_error(q("certs"), ["mars"], ["soc2"]) is not None
    assert kind.not_offered_error(q("certs"), ["soc2"], ["soc2"]) is not None  # both
    assert kind.not_offered_error(q("certs"), ["soc2"], "soc2") is None  # a bad value is said apart
    # "none" requires nothing, so it cannot be not offered
    assert TYPES["choice"].not_offered_error(q("region"), ["none"], ["eu"]) is not None
    assert TYPES["choice"].not_offered_error(q("region"), ["ch"], ["eu"]) is None


def test_only_option_types_list_what_is_not_offered(q):
    assert TYPES["yesno"].not_offered_error(q("encrypt"), [], True) is not None
    assert TYPES["number"].not_offered_error(q("uptime"), [], 99) is not None


# --- options as the bank gives them ---------------------------------------------------------


def test_options_are_read_with_their_requirement_and_retirement(q):
    region = q("region")
    assert [(o.key, o.requires, o.retired) for o in region.options] == [
        ("none", None, False),
        ("eu", "eu", False),
        ("us", "us", False),
        ("eu_any", "eu", False),
        ("ch", "ch", False),
    ]
    text = replaced("{key: us, label: In the US}", "{key: us, label: In the US, retired: true}")
    assert parse_bank(text, "b.yaml").question("region").option("us").retired is True


@pytest.mark.parametrize(
    ("old", "new", "at"),
    [
        ("{key: us, label: In the US}", "{label: In the US}", "label: In the US"),
        ("{key: us, label: In the US}", "{key: 5, label: In the US}", "key: 5"),
        (
            "{key: us, label: In the US}",
            "{key: eu, label: In the US}",
            "{key: eu, label: In the US",
        ),
        ("{key: us, label: In the US}", "{key: not_sure, label: In the US}", "key: not_sure"),
        ("{key: us, label: In the US}", "{key: us}", "{key: us}"),
        ("{key: us, label: In the US}", '{key: us, label: " "}', "{key: us, label"),
        ("{key: us, label: In the US}", "{key: us, label: In the US, retired: 1}", "retired: 1"),
        (
            "{key: us, label: In the US}",
            "{key: us, label: In the US, requires: mars}",
            "requires: mars",
        ),
        ("{key: us, label: In the US}", "just text", "just text"),
    ],
)
def test_each_bad_option_is_an_error_on_its_line(old, new, at):
    text = replaced(old, new)
    found = lines_of(text)
    assert line_of(text, at) in found
    assert all(line == line_of(text, at) for line in found) or len(found) > 1


def test_a_bad_option_leaves_the_others_read():
    text = replaced("{key: us, label: In the US}", "{key: us, label: In the US, colour: red}")
    bank = parse_bank(text, "b.yaml")
    assert [o.key for o in bank.question("region").options] == ["none", "eu", "us", "eu_any", "ch"]
    assert [w.line for w in bank.warnings] == [line_of(text, "colour: red")]


def test_options_must_be_a_list_and_not_all_retired():
    text = SMALL_BANK
    for key, label in [("soc2", "SOC 2"), ("fedramp", "FedRAMP"), ("pci", "PCI DSS")]:
        text = text.replace(f"          - {{key: {key}, label: {label}}}\n", "")
    text = text.replace(
        "options:\n          - {key: iso27001, label: ISO 27001}", "options: {key: iso27001}"
    )
    assert line_of(text, "options: {key: iso27001}") in lines_of(text)
    retired = SMALL_BANK
    for key in ("iso27001", "soc2", "fedramp", "pci"):
        retired = retired.replace(f"{{key: {key}, label:", f"{{key: {key}, retired: true, label:")
    assert line_of(retired, "options:", 2) in lines_of(retired)


# --- what every type shares --------------------------------------------------------------


def test_not_sure_is_read_only_where_it_is_offered(q):
    assert TYPES["yesno"].read_answer(q("encrypt"), NOT_SURE) == NOT_SURE
    with pytest.raises(AnswerError):
        TYPES["yesno"].read_answer(q("personal"), NOT_SURE)  # weight 0, no gate


def test_a_text_answer_of_not_sure_is_text_not_a_decision(q):
    assert TYPES["text"].read_answer(q("notes"), "not_sure") == "not_sure"


@pytest.mark.parametrize(
    ("op", "answer", "operand", "holds"),
    [
        ("equals", "yes", "yes", True),
        ("equals", "no", "yes", False),
        ("not", "no", "yes", True),
        ("not", "yes", "yes", False),
        ("in", "eu", ("eu", "us"), True),
        ("in", "ch", ("eu", "us"), False),
    ],
)
def test_a_condition_compares_the_answer_with_its_operand(q, op, answer, operand, holds):
    assert QuestionType.matches(TYPES["choice"], q("region"), op, answer, operand) is holds


def test_an_unknown_condition_is_refused(q):
    with pytest.raises(ValueError, match="at_least"):
        TYPES["yesno"].matches(q("encrypt"), "at_least", "yes", 1)


@pytest.mark.parametrize(
    ("op", "operand", "fits"),
    [
        ("equals", "yes", True),
        ("equals", True, False),  # bare yes in YAML
        ("not", "no", True),
        ("in", ["yes", "no"], True),
        ("in", ["yes", "maybe"], False),
        ("in", "yes", False),
        ("at_least", 1, False),
    ],
)
def test_a_condition_operand_must_be_a_possible_answer(q, op, operand, fits):
    assert (TYPES["yesno"].operand_error(q("encrypt"), op, operand) is None) is fits


def test_a_bare_yes_in_a_condition_hints_at_quoting(q):
    assert "quote it" in TYPES["yesno"].operand_error(q("encrypt"), "equals", True)
    assert "quote it" not in TYPES["yesno"].operand_error(q("encrypt"), "equals", "maybe")


def test_an_empty_form_field_is_no_answer(q):
    kind = TYPES["yesno"]
    for empty in (None, "", []):
        assert kind.from_form(q("encrypt"), empty) is None
    assert kind.from_form(q("encrypt"), "yes") == "yes"
    assert kind.from_form(q("encrypt"), NOT_SURE) == NOT_SURE
    assert kind.form_data(q("encrypt"), form(encrypt="no")) == "no"
    assert kind.to_form(q("encrypt"), "no") == "no"


def test_only_option_types_name_missing_options(q):
    assert TYPES["yesno"].missing(q("encrypt"), True, False) is None
    assert TYPES["number"].missing(q("uptime"), 99.9, 99) is None
    assert TYPES["multi"].missing(q("certs"), None, []) == ()


@pytest.mark.parametrize(
    ("value", "number"),
    [(1, True), (1.5, True), (True, False), (float("inf"), False), ("1", False), (None, False)],
)
def test_what_counts_as_a_number(value, number):
    assert is_number(value) is number


@pytest.mark.parametrize(
    ("value", "text"),
    [(None, ""), (1500, "1,500"), (99.9, "99.9"), (100.0, "100"), (0.05, "0.05"), (-3, "-3")],
)
def test_numbers_in_words(value, text):
    assert format_number(value) == text


def test_a_yes_no_with_a_commitment_compares(small_bank):
    bank = load(
        bank_dict(
            [
                {
                    "id": "s",
                    "title": "S",
                    "questions": [
                        {"id": "y", "prompt": "Y?", "type": "yesno", "commitment": commitment(True)}
                    ],
                }
            ]
        )
    )
    assert bank.question("y").kind.compare(bank.question("y"), True, True).outcome == "met"


# --- edges found by mutation testing -------------------------------------------------------


def options_bank(options_yaml: str, commitment_yaml: str = "") -> str:
    """A bank of one choice question whose options are ``options_yaml`` (block style)."""
    return (
        'schema: 3\nversion: "1"\ntitle: T\n'
        "provider: {name: C, source: S, as_of: 2025-09-01}\n"
        "ratings:\n  - {min: 0, label: Any}\n"
        "sections:\n  - id: s\n    title: S\n    questions:\n"
        "      - id: c\n        prompt: Which?\n        type: choice\n        options:\n"
        + options_yaml
        + commitment_yaml
    )


FIRST = "          - label: First\n            key: first\n"
LAST = "          - label: Last\n            key: last\n"


@pytest.mark.parametrize(
    ("bad", "at"),
    [
        ("          - label: Bad\n            key: 5\n", "key: 5"),
        ("          - label: Bad\n            key: first\n", "key: first"),
        ("          - label: Bad\n            key: not_sure\n", "key: not_sure"),
    ],
)
def test_a_bad_option_key_is_an_error_on_the_keys_line_and_later_options_are_read(bad, at):
    text = options_bank(
        FIRST + bad + LAST,
        "        commitment: {value: [last], statement: x, evidence: contract}\n",
    )
    found = problems_of(text)
    assert [line for line, _ in found] == [line_of(text, at, 2 if at == "key: first" else 1)]


def test_an_option_without_a_key_or_not_a_mapping_is_skipped_and_later_ones_read():
    for bad in ("          - label: Bad\n", "          - just text\n"):
        text = options_bank(
            FIRST + bad + LAST,
            "        commitment: {value: [last], statement: x, evidence: contract}\n",
        )
        found = problems_of(text)
        assert len(found) == 1  # the commitment names "last": it was read


def test_a_bare_boolean_key_hints_at_quoting_and_another_key_does_not():
    text = options_bank(FIRST + "          - label: Yes\n            key: yes\n")
    assert "quote it" in problems_of(text)[0][1]
    text = options_bank(FIRST + "          - label: Five\n            key: 5\n")
    assert "quote it" not in problems_of(text)[0][1]


def test_a_not_offered_list_must_be_a_list():
    text = replaced("not_offered: [fedramp]", "not_offered: 5")
    assert lines_of(text) == [line_of(text, "not_offered: 5")]


def test_an_option_key_inside_another_is_not_taken_for_it():
    question = {
        "id": "c",
        "prompt": "Where?",
        "type": "choice",
        "options": [{"key": "eu", "label": "EU"}, {"key": "eu_west", "label": "Western EU"}],
    }
    bank = load(bank_dict([{"id": "s", "title": "S", "questions": [question]}]))
    kind, where = TYPES["choice"], bank.question("c")
    assert kind.missing(where, "eu_west", []) == ("eu_west",)
    assert kind.compare(where, "eu_west", ["eu"]) == Match("unknown", 0.0, (), ("eu_west",))


def test_in_takes_a_list_even_an_empty_text_is_refused(q):
    assert TYPES["multi"].operand_error(q("certs"), "in", "") is not None
    assert TYPES["multi"].operand_error(q("certs"), "in", ("soc2",)) is not None
    assert TYPES["yesno"].operand_error(q("encrypt"), "in", "") is not None
    assert TYPES["yesno"].operand_error(q("encrypt"), "in", ("yes",)) is not None


def test_a_difference_below_a_billionth_is_no_gap():
    kind, question = TYPES["number"], number_question()
    assert kind.shortfall(question, 99.9000000001, 99.9) == 0
    assert kind.compare(question, 99.9000000001, 99.9).outcome == "met"
    assert kind.shortfall(question, 99.900000002, 99.9) == 0.000000002


def test_fractions_are_written_without_thousands_separators():
    assert format_number(1234.5) == "1234.5"
    assert format_number(1234) == "1,234"


def test_each_option_problem_is_told_at_the_line_of_its_field():
    text = options_bank(
        FIRST
        + "          - label: Second\n            key: second\n            colour: red\n"
        + "          - label: Third\n            key: third\n            retired: sometimes\n"
        + "          - label: Fourth\n            key: fourth\n            requires: fifth\n"
        + "          - label: Again\n            key: second\n"
    )
    with pytest.raises(BankInvalid) as caught:
        parse_bank(text, "b.yaml")
    problems = [(p.line, p.message) for p in caught.value.problems]
    assert [line for line, _ in problems] == [  # in line order
        line_of(text, "retired: sometimes"),
        line_of(text, "requires: fifth"),
        line_of(text, "key: second", 2),
    ]
    assert f"(first on line {line_of(text, 'key: second')})" in problems[2][1]
    assert [w.line for w in caught.value.warnings] == [line_of(text, "colour: red")]


def test_an_option_requiring_no_option_is_one_problem_read_as_requiring_itself():
    """The bank is refused, with no second problem on its account: the option stands for
    its own offering, so a commitment may still list it as not offered."""
    text = replaced(
        "{key: ch, label: In Switzerland}", "{key: ch, label: In Switzerland, requires: mars}"
    )
    text = text.replace(
        '{value: [eu, us], statement: "EU', '{value: [eu, us], not_offered: [ch], statement: "EU'
    )
    assert problems_of(text) == [
        (line_of(text, "requires: mars"), "option 'ch' requires 'mars', which is not an option")
    ]


def test_a_type_that_does_not_word_its_commitment_shows_the_value_as_written(q):
    """QuestionType's default, for a new type whose commitment needs no words of its own."""
    assert QuestionType.describe_commitment(TYPES["text"], q("notes"), 48) == "48"
    assert QuestionType.describe_commitment(TYPES["text"], q("notes"), "ISO 27001") == "ISO 27001"
