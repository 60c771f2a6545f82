"""The date question type: a day by which something must hold ("a certificate valid until
at least"), met when the provider's day is on or after the buyer's. Its own small bank."""

from __future__ import annotations

import textwrap
from datetime import UTC, date, datetime

import pytest
import yaml

from questionnaire.core.bank import parse_bank
from questionnaire.core.bankdiff import diff_banks
from questionnaire.core.library import (
    Exported,
    commitment_of,
    judge,
    requirement_text,
    value_hint,
    value_space,
    value_text,
)
from questionnaire.core.model import BankInvalid
from questionnaire.core.presenter import result_view
from questionnaire.core.qtypes import NOT_SURE, TYPES, AnswerError, TypedField
from questionnaire.core.questiontype import Field
from questionnaire.core.scoring import (
    ASK_PROVIDER,
    MET,
    NOT_MET,
    NOT_SURE_STATUS,
    PARTLY_MET,
    score,
)
from questionnaire.core.written import (
    WrittenAnswer,
    WrittenAnswerError,
    parse_value,
    written_commitments,
)
from tests.support import line_of

DATE_BANK = textwrap.dedent(
    """\
    schema: 3
    version: "1.0"
    title: Date bank
    provider: {name: Example Cloud, source: Trust page, url: "https://trust.example.com/", as_of: 2025-09-01}
    ratings:
      - {min: 85, label: Strong fit}
      - {min: 60, label: Fit with gaps}
      - {min: 0, label: Significant gaps}
    sections:
      - id: certs
        title: Certificates
        questions:
          - id: iso_valid
            prompt: Until when must the ISO 27001 certificate be valid?
            type: date
            weight: 3
            near: 30
            follow_up: When is the next surveillance audit?
            commitment: {value: 2027-06-30, statement: "Certified until 30 June 2027", source: "Trust page", evidence: independent}
          - id: soc_valid
            prompt: Until when must the SOC 2 report cover?
            type: date
            weight: 2
          - id: pci_valid
            prompt: Until when must the PCI DSS attestation be valid?
            type: date
            weight: 1
            commitment: {value: "2026-12-31", statement: "Attested until the end of 2026", source: "Trust page", evidence: policy}
    """
)
KIND = TYPES["date"]


@pytest.fixture
def bank():
    return parse_bank(DATE_BANK, "dates.yaml")


def problems(text: str) -> list[str]:
    with pytest.raises(BankInvalid) as caught:
        parse_bank(text, "dates.yaml")
    return [str(p) for p in caught.value.problems]


# --- the bank -----------------------------------------------------------------------------


def test_a_commitment_day_is_held_as_iso_text_from_a_yaml_date_or_quoted_text(bank):
    assert bank.question("iso_valid").commitment.value == "2027-06-30"
    assert bank.question("pci_valid").commitment.value == "2026-12-31"
    assert bank.question("iso_valid").settings.near == 30
    assert bank.question("soc_valid").settings.near is None


@pytest.mark.parametrize("value", ["soon", "2027-02-30", "30 Jun 2027", 20270630, True])
def test_a_commitment_that_is_not_a_day_is_refused_with_its_line(value):
    text = DATE_BANK.replace("value: 2027-06-30", f"value: {value!r}".replace("'", '"'))
    line = line_of(text, 'statement: "Certified until')
    assert problems(text) == [
        f"dates.yaml:{line}: the commitment of a date question must be a date, like 2027-03-31"
    ]


@pytest.mark.parametrize("near", ["-1", "1.5", "true", '"30"'])
def test_a_near_miss_margin_is_a_whole_number_of_days(near):
    text = DATE_BANK.replace("near: 30", f"near: {near}")
    line = line_of(text, "near:")
    assert problems(text) == [
        f"dates.yaml:{line}: 'near' must be a whole number of days, at least 0, got "
        f"{yaml.safe_load(near)!r}"
    ]


def test_a_near_miss_margin_of_zero_days_is_allowed():
    text = DATE_BANK.replace("near: 30", "near: 0")
    assert parse_bank(text, "dates.yaml").question("iso_valid").settings.near == 0


def test_a_date_question_lists_nothing_as_not_offered():
    text = DATE_BANK.replace("evidence: independent}", "evidence: independent, not_offered: [x]}")
    assert problems(text) == [
        f"dates.yaml:{line_of(text, 'not_offered')}: only a choice or multi commitment lists "
        "what is not offered; a date commitment says it with its value"
    ]


def test_conditions_cannot_look_at_a_date_question():
    text = DATE_BANK.replace(
        "        weight: 2\n",
        '        weight: 2\n        show_if: {question: iso_valid, equals: "2027-01-01"}\n',
    )
    assert problems(text) == [
        f"dates.yaml:{line_of(text, 'show_if')}: show_if of 'soc_valid': "
        "conditions cannot look at a date question"
    ]


# --- the buyer's answer -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "kept"),
    [("2027-12-31", "2027-12-31"), (date(2027, 12, 31), "2027-12-31")],
)
def test_an_answer_is_an_iso_day(bank, value, kept):
    assert KIND.read_answer(bank.question("iso_valid"), value) == kept


@pytest.mark.parametrize(
    "value",
    # datetime: what YAML reads from a timestamp, naive as YAML gives it.
    ["2027-02-30", "31/12/2027", "31 Dec 2027", "2027-W13-3", 2027, None, datetime(2027, 1, 1)],  # noqa: DTZ001
)
def test_an_answer_file_gives_a_day_as_iso_text_or_it_is_refused(bank, value):
    with pytest.raises(AnswerError, match="expected a date like 2027-03-31"):
        KIND.parse(bank.question("iso_valid"), value)


@pytest.mark.parametrize(
    ("typed", "kept"),
    [
        ("31 Dec 2027", "2027-12-31"),
        ("31 december 2027", "2027-12-31"),
        ("2027-12-31", "2027-12-31"),
    ],
)
def test_the_form_takes_a_day_as_people_write_it(bank, typed, kept):
    assert KIND.from_form(bank.question("iso_valid"), TypedField(typed)) == kept


def test_the_form_refuses_what_is_not_a_day_and_takes_blank_as_no_answer(bank):
    question = bank.question("iso_valid")
    with pytest.raises(AnswerError, match="^enter a date, like 30 Nov 2026$"):
        KIND.from_form(question, TypedField("next spring"))
    assert KIND.from_form(question, TypedField("")) is None


def test_not_sure_is_the_box_beside_the_day_never_both(bank):
    question = bank.question("iso_valid")
    assert KIND.from_form(question, TypedField("", True)) == NOT_SURE
    with pytest.raises(AnswerError, match="Enter a date or select “Not sure”, not both"):
        KIND.from_form(question, TypedField("31 Dec 2027", True))
    assert KIND.to_form(question, NOT_SURE) == TypedField("", True)
    assert KIND.to_form(question, "2027-12-31") == TypedField("31 Dec 2027")
    assert KIND.to_form(question, None) == TypedField("")


def test_the_field_is_one_box_with_the_form_of_a_day_as_its_hint(bank):
    assert KIND.field(bank.question("iso_valid")) == Field(
        "input", hint="Enter a date, like 30 Nov 2026.", size="date"
    )


# --- scoring ------------------------------------------------------------------------------


def outcome(bank, answer, must_have=()):
    result = score(bank, {"iso_valid": answer}, list(must_have))
    return next(q for q in result.questions if q.id == "iso_valid")


@pytest.mark.parametrize("answer", ["2027-06-30", "2027-01-01"])
def test_a_day_on_or_before_the_commitment_is_met(bank, answer):
    found = outcome(bank, answer)
    assert (found.status, found.credit, found.gap) == (MET, 1.0, None)


@pytest.mark.parametrize(
    ("offered", "credit"), [("2027-12-31", 1.0), ("2028-01-01", 1.0), ("2027-12-30", 0.0)]
)
def test_full_credit_is_for_a_day_on_or_after_the_one_asked_for(bank, offered, credit):
    # A day early earns none here, within the margin or not: a near miss is compare's.
    assert KIND.credit(bank.question("iso_valid"), "2027-12-31", offered) == credit


def test_a_day_after_the_commitment_within_the_margin_is_a_near_miss(bank):
    found = outcome(bank, "2027-07-30", ["iso_valid"])  # 30 days: the margin itself
    assert (found.status, found.credit, found.near_miss, found.gap) == (PARTLY_MET, 0.5, True, 30)
    assert not found.deal_breaker and found.open_reason == "near_miss"


def test_a_day_after_the_margin_is_not_met_and_a_must_have_is_a_deal_breaker(bank):
    found = outcome(bank, "2027-07-31", ["iso_valid"])
    assert (found.status, found.credit, found.near_miss, found.gap) == (NOT_MET, 0.0, False, 31)
    assert found.deal_breaker


def test_without_a_commitment_ask_the_provider_and_not_sure_is_the_buyers(bank):
    result = score(bank, {"soc_valid": "2027-01-01", "iso_valid": NOT_SURE}, [])
    by_id = {q.id: q for q in result.questions}
    assert by_id["soc_valid"].status == ASK_PROVIDER
    assert by_id["iso_valid"].status == NOT_SURE_STATUS
    assert [f.id for f in result.follow_ups] == ["soc_valid"]


def test_the_result_says_the_day_asked_for_the_day_committed_and_the_days_short(bank):
    answers = {"iso_valid": "2027-07-01"}
    result = score(bank, answers, []).to_dict()
    view = result_view(bank, answers, [], result, date(2026, 12, 1))
    item = next(i for s in view["sections"] for i in s["questions"] if i["id"] == "iso_valid")
    assert (item["answer"], item["commitment"]["text"]) == ("1 Jul 2027", "30 Jun 2027")
    assert (item["status_label"], item["gap_text"]) == ("Near miss", "1 day short")
    assert KIND.gap_text(bank.question("iso_valid"), 12) == "12 days short"


# --- the provider's written answer --------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "kept"),
    [
        ("30 Jun 2028", "2028-06-30"),
        (" 2028-06-30 ", "2028-06-30"),
        (date(2028, 6, 30), "2028-06-30"),
    ],
)
def test_a_written_answer_is_a_day_from_the_form_or_the_api(bank, raw, kept):
    assert parse_value(bank.question("iso_valid"), raw) == kept


@pytest.mark.parametrize("raw", ["", "soon", "2028-02-30", 2028, True, ["2028-06-30"]])
def test_a_written_answer_that_is_not_a_day_says_what_to_enter(bank, raw):
    with pytest.raises(WrittenAnswerError, match="^Enter a date, like 30 Nov 2026.$") as caught:
        parse_value(bank.question("iso_valid"), raw)
    assert (caught.value.field, caught.value.code) == ("value", "invalid_date")


def test_a_written_day_later_than_asked_makes_the_revision_met_with_its_evidence(bank):
    answers = {"iso_valid": "2027-12-31"}
    assert outcome(bank, "2027-12-31").status == NOT_MET
    written = WrittenAnswer(
        "iso_valid",
        "2028-06-30",
        "Renewed until June 2028",
        "",
        "Sam",
        datetime(2026, 12, 1, tzinfo=UTC),
    )
    commitments = written_commitments({"iso_valid": written}, bank)
    assert commitments["iso_valid"].not_offered == ()
    revised = score(bank, answers, [], commitments)
    found = next(q for q in revised.questions if q.id == "iso_valid")
    assert (found.status, found.evidence) == (MET, "written")


def test_the_written_field_asks_for_the_day_committed_to(bank):
    question = bank.question("iso_valid")
    assert KIND.written_field(question) == Field(
        "input",
        label="What date do you commit to?",
        hint="Enter a date, like 30 Nov 2026.",
        max_length=32,
        size="date",
    )
    assert KIND.written_form_value(question, "2028-06-30") == ["30 Jun 2028"]
    assert KIND.written_from_form(question, ["30 Jun 2028"]) == "30 Jun 2028"


# --- the answer library -------------------------------------------------------------------


def test_a_stored_value_that_is_not_a_day_is_shown_as_it_was_written(bank):
    assert KIND.describe(bank.question("iso_valid"), "end of 2027") == "end of 2027"


def test_the_library_words_a_day_and_judges_it_against_the_buyer(bank):
    question = bank.question("iso_valid")
    assert requirement_text(question, "2027-12-31") == "On or after 31 Dec 2027"
    assert value_text(question, "2028-06-30") == "30 Jun 2028"
    assert value_hint(question) == "Enter a date, like 30 Nov 2026."
    met = judge(bank, "iso_valid", "2027-12-31", True, "2028-06-30", "written")
    assert (met.meets, met.text) == (
        True,
        "Meets what the buyer asked for: on or after 31 Dec 2027",
    )
    near = judge(bank, "iso_valid", "2027-12-31", False, "2027-12-01", "written")
    assert (near.meets, near.near_miss) == (False, True)


def test_a_library_day_fits_date_questions_only(bank):
    number = parse_bank(
        DATE_BANK.replace(
            "type: date\n        weight: 2",
            "type: number\n        better: higher\n        weight: 2",
        ),
        "dates.yaml",
    )
    assert value_space(bank.question("soc_valid")) == value_space(bank.question("iso_valid"))
    assert value_space(number.question("soc_valid")) != value_space(bank.question("soc_valid"))


def test_an_exported_day_is_a_commitment_the_bank_takes_back(bank):
    item = Exported(
        1,
        "soc_valid",
        "2028-06-30",
        "Covered until June 2028",
        "SOC 2 report",
        "written",
        "Sam",
        date(2026, 12, 1),
        ("1.0",),
    )
    found = commitment_of(bank, item)
    assert found["value"] == "2028-06-30" and "not_offered" not in found
    pasted = yaml.safe_dump({"commitment": {**found, "source": "SOC 2 report"}}, sort_keys=False)
    indented = textwrap.indent(pasted, "        ")
    text = DATE_BANK.replace("        weight: 2\n", "        weight: 2\n" + indented, 1)
    assert parse_bank(text, "dates.yaml").question("soc_valid").commitment.value == "2028-06-30"


def test_a_changed_margin_is_listed_by_the_diff(bank):
    changed = parse_bank(DATE_BANK.replace("near: 30", "near: 14"), "dates.yaml")
    assert [str(c) for c in diff_banks(bank, changed)] == [
        "options    iso_valid: near miss margin 30 -> 14 days"
    ]
