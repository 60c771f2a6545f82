"""Written answers in the core: checked in the question's own terms, scored as commitments
with their own evidence, and kept apart from the public commitments in the view."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from questionnaire.core.dates import day_text, parse_day
from questionnaire.core.presenter import result_view
from questionnaire.core.scoring import score
from questionnaire.core.written import (
    WrittenAnswer,
    WrittenAnswerError,
    answerable,
    make_answer,
    mark_written,
    parse_value,
    written_commitments,
)

AT = datetime(2026, 12, 3, 10, 30, tzinfo=UTC)
ANSWERS = {"encrypt": "yes", "smime": "yes", "certs": ["iso27001", "fedramp"], "breach_hours": 24}


def written(bank, qid, value, statement="In our contract.", reference="MSA 4.2"):
    result = score(bank, ANSWERS).to_dict()
    return make_answer(bank, answerable(result), qid, value, statement, reference, "Sam Seller", AT)


def test_answerable_are_the_follow_ups_of_the_result(small_bank):
    result = score(small_bank, ANSWERS).to_dict()
    assert answerable(result) == ["smime", "certs", "breach_hours"]


@pytest.mark.parametrize(
    ("qid", "raw", "value"),
    [
        ("smime", "yes", True),
        ("smime", False, False),
        ("breach_hours", "12", 12),
        ("breach_hours", 4.5, 4.5),
        ("certs", ["fedramp", "iso27001", "fedramp"], ("iso27001", "fedramp")),
        ("region", "ch", ("ch",)),
    ],
)
def test_values_are_read_in_the_questions_own_terms(small_bank, qid, raw, value):
    assert parse_value(small_bank.question(qid), raw) == value


@pytest.mark.parametrize(
    ("qid", "raw"),
    [
        ("smime", "maybe"),
        ("breach_hours", "1000"),
        ("breach_hours", "x"),
        ("certs", ["nope"]),
        ("certs", {"a": 1}),
        ("notes", "text"),
    ],
)
def test_values_that_do_not_fit_are_refused_with_a_message(small_bank, qid, raw):
    with pytest.raises(WrittenAnswerError):
        parse_value(small_bank.question(qid), raw)


@pytest.mark.parametrize("raw", [["nope"], ["iso27001", 7], {"a": 1}])
def test_an_option_that_is_not_one_is_refused_naming_the_options_as_people_read_them(
    small_bank, raw
):
    with pytest.raises(WrittenAnswerError) as refused:
        parse_value(small_bank.question("certs"), raw)
    assert str(refused.value) == (
        "Choose from this question's options: “ISO 27001” (iso27001); “SOC 2” (soc2); "
        "“FedRAMP” (fedramp); “PCI DSS” (pci)"
    )


def test_only_follow_ups_can_be_answered_and_a_statement_is_needed(small_bank):
    with pytest.raises(WrittenAnswerError, match="open follow-ups"):
        written(small_bank, "encrypt", "yes")  # met already: not asked
    with pytest.raises(WrittenAnswerError, match="statement"):
        written(small_bank, "smime", "yes", statement="  \x00 ")


def test_a_written_answer_is_scored_as_a_commitment_with_its_own_evidence(small_bank):
    before = score(small_bank, ANSWERS)
    answer = written(small_bank, "breach_hours", "12")
    replaced = written_commitments({"breach_hours": answer})
    after = score(small_bank, ANSWERS, commitments=replaced)
    outcome = {q.id: q.status for q in after.questions}
    assert {q.id: q.status for q in before.questions}["breach_hours"] == "ask_provider"
    assert outcome["breach_hours"] == "met" and after.score > before.score
    commitment = replaced["breach_hours"]
    assert commitment.source == "Written answer from Sam Seller, 3 Dec 2026; MSA 4.2"
    assert small_bank.question("breach_hours").commitment is None  # the public bank untouched


def test_the_view_marks_written_answers_apart_and_counts_them(small_bank):
    original = score(small_bank, ANSWERS).to_dict()
    answer = written(small_bank, "smime", "yes")
    replaced = written_commitments({"smime": answer})
    revised = score(small_bank, ANSWERS, commitments=replaced).to_dict()
    view = result_view(small_bank, ANSWERS, [], revised, date(2026, 12, 3))
    mark_written(view, small_bank, {"smime": answer}, original)
    item = next(q for s in view["sections"] for q in s["questions"] if q["id"] == "smime")
    assert item["commitment"]["statement"] == "No S/MIME"  # the public one, as published
    assert item["written"]["evidence"] == "Written answer from Sam Seller, 3 Dec 2026"
    assert item["written"]["not_public"] == "not in Trust page"
    assert view["answered"] == {"answered": 1, "asked": 3, "open": 2}
    assert [w["id"] for w in view["written_answers"]] == ["smime"]


def test_a_written_answer_survives_its_stored_form():
    answer = WrittenAnswer("certs", ("iso27001",), "We hold it.", "", "Sam", AT)
    assert WrittenAnswer.from_dict(answer.to_dict()) == answer


@pytest.mark.parametrize(
    "text", ["30 Nov 2026", "30 november 2026", "2026-11-30", " 30  Nov 2026 "]
)
def test_one_day_format_is_written_and_read(text):
    assert parse_day(text) == date(2026, 11, 30)
    assert day_text(date(2026, 11, 30)) == "30 Nov 2026"


@pytest.mark.parametrize("text", ["", "31 Feb 2026", "11/30/2026", "x" * 40, "2026-13-01"])
def test_other_day_texts_are_refused(text):
    with pytest.raises(ValueError):  # noqa: PT011  its message is only the text refused
        parse_day(text)


def test_a_written_answer_is_graded_written_and_settles_a_must_have_as_a_contract_would(
    small_bank,
):
    answers = {"personal": "yes", "region": "eu", "encrypt": "yes"}
    original = score(small_bank, answers, ["region"]).to_dict()
    # Region is met on a public statement only: a must-have to confirm, so it may be answered.
    assert original["unresolved_reasons"] == {"region": "unconfirmed"}
    assert answerable(original) == ["region"]
    answer = make_answer(
        small_bank, answerable(original), "region", ["eu"], "EU only, in writing.", "", "Sam", AT
    )
    revised = score(
        small_bank, answers, ["region"], written_commitments({"region": answer}, small_bank)
    )
    region = next(q for q in revised.questions if q.id == "region")
    assert (region.status, region.evidence, region.unconfirmed) == ("met", "written", False)
    assert revised.state == "rated" and revised.unresolved_must_haves == ()


def test_a_written_answer_lists_what_is_offered_so_the_rest_is_not_offered(small_bank):
    answer = written(small_bank, "certs", ["iso27001", "soc2"])
    replaced = written_commitments({"certs": answer}, small_bank)
    assert replaced["certs"].not_offered == ("fedramp", "pci")
    result = score(small_bank, {"certs": ["iso27001", "pci"]}, commitments=replaced)
    certs = next(q for q in result.questions if q.id == "certs")
    assert (certs.status, certs.short, certs.unknown) == ("partly_met", ("pci",), ())
