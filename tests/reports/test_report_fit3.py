"""The PDF's fit/3 words, read back from the PDF's text, case by case: a result not yet rated
with its range and why, what it rests on, the must-haves to settle, the must-have sentence
only when true, silence that speaks only for its source, every answer "Not sure", nothing
stated, context questions, evidence grades, dated sources, frameworks and the method."""

from __future__ import annotations

from datetime import date
from xml.etree import ElementTree

import pytest
import tinyhtml5

from questionnaire import services
from questionnaire.core.report_context import report_context
from questionnaire.core.scoring import score
from questionnaire.reports.document import render_html
from questionnaire.store.models import utcnow
from tests.conftest import bank_file
from tests.reports.test_report import tree
from tests.support import SMALL_BANK, text_of

FRAMED_BANK = SMALL_BANK.replace(
    "        follow_up: How are keys managed?\n",
    '        follow_up: How are keys managed?\n        frameworks: {ncsc: ["2", "10"], ccm: [CEK]}\n',
)
TODAY = date(2026, 11, 30)
UNSURE = {
    "personal": "no",
    "encrypt": "not_sure",
    "smime": "yes",
    "certs": ["iso27001", "fedramp"],
    "uptime": 99.5,
    "breach_hours": 24,
}
ALL_MET = {"personal": "no", "encrypt": "yes", "certs": ["iso27001"], "uptime": 99.5}


@pytest.fixture
def bank_path(tmp_path):
    return bank_file(tmp_path, FRAMED_BANK)


@pytest.fixture
def report_bank(app):
    return services.banks(app).current()


def context_for(bank, answers, must_have, today=TODAY, company="Acme Ltd") -> dict:
    return report_context(
        bank,
        answers,
        must_have,
        score(bank, answers, must_have).to_dict(),
        company=company,
        contact="Ann Buyer",
        submitted_at=utcnow(),
        report_id="TC-000042",
        today=today,
    )


def pdf_text(app, context) -> str:
    return text_of(services.reports(app).render_bytes(context))


def test_a_result_not_yet_rated_says_so_with_its_range_and_why(app, report_bank):
    result = score(report_bank, UNSURE, ["encrypt", "breach_hours"])
    low, high = result.score_range
    text = pdf_text(app, context_for(report_bank, UNSURE, ["encrypt", "breach_hours"]))
    cover, summary = text.split("Summary", 1)
    assert "Not yet rated" in cover and "(provisional)" not in text
    assert f"Score between {low:.1f} and {high:.1f}, depending on 2 open points." in cover
    assert "rated no higher than" not in text.lower()  # no rating to cap
    # 5 stated: encrypt (not sure), smime, certs, uptime, breach_hours (ask); 3 compared.
    assert (
        "Compared so far: 3 of 4 requirements compared with a documented commitment "
        f"({result.coverage.weighted_percent:g}% of the stated weight). 1 requirement is not "
        "found in the source this bank quotes: ask the provider; 1 answer is “Not sure”: a "
        "decision pending on the buyer's side." in summary
    )
    assert "Why it is not yet rated" in summary
    assert "1 must-have is not found in the source: ask the provider." in summary
    assert "1 must-have is answered “Not sure”." in summary
    assert "Must-haves to settle" in summary
    assert "Ask the provider: Within how many hours must a breach be reported to you?" in summary
    assert "Decide internally: Must data be encrypted at rest?" in summary
    assert "Decide before you sign" in summary
    assert "Documented as not offered: FedRAMP" in text
    assert "marked as a must-have is met" not in text
    assert "committed to in writing" not in text


def test_the_every_must_have_is_met_sentence_only_when_it_is_true(app, report_bank):
    met = pdf_text(app, context_for(report_bank, ALL_MET, ["encrypt", "uptime"]))
    assert "None. Every requirement Acme Ltd marked as a must-have is met, on evidence strong" in (
        met
    )
    assert "not yet rated" not in met.lower().split("how this result was worked out")[0]
    asked = pdf_text(
        app, context_for(report_bank, {**ALL_MET, "breach_hours": 4}, ["breach_hours"])
    )
    assert "marked as a must-have is met" not in asked
    assert "None: the source documents no shortfall on a must-have, but 1 must-have is not" in (
        asked
    )
    # Region is met on the provider's public word only: not settled for a must-have.
    word = pdf_text(
        app,
        context_for(report_bank, {**ALL_MET, "personal": "yes", "region": "eu"}, ["region"]),
    )
    assert "marked as a must-have is met" not in word
    assert "Met on the provider's public word: confirm it in the contract" in word
    # A must-have marked on an answer that states no requirement is listed, not dropped.
    dropped = pdf_text(app, context_for(report_bank, {**ALL_MET, "smime": "no"}, ["smime"]))
    assert "Marked must-have, but no requirement stated" in dropped
    assert "marked as a must-have is met" not in dropped


def test_sources_are_dated_and_an_old_one_is_flagged_on_the_day_of_the_report(app, report_bank):
    fresh = pdf_text(app, context_for(report_bank, ALL_MET, []))
    documented = (
        "Provider's commitments As stated publicly on Trust page (https://trust.example.com/), "
        "captured 1 September 2025"
    )
    assert documented in fresh and "may be out of date" not in fresh
    assert "Every commitment in this part is quoted from: Trust page" in fresh
    later = pdf_text(app, context_for(report_bank, ALL_MET, [], today=date(2028, 9, 2)))
    assert f"{documented} — may be out of date" in later


def test_silence_speaks_only_for_the_source_it_quotes(app, report_bank):
    text = pdf_text(app, context_for(report_bank, {**ALL_MET, "breach_hours": 4}, []))
    assert "Not found in Trust page, captured 1 September 2025." in text
    assert "Nothing documented" not in text and "published commitments" not in text


def test_every_answer_not_sure_compares_no_requirement(app, report_bank):
    answers = {q: "not_sure" for q in ("encrypt", "smime", "certs", "uptime", "breach_hours")}
    text = pdf_text(app, context_for(report_bank, {"personal": "no", **answers}, []))
    assert "Based on 0 of" not in text
    assert "Compared so far: no requirement compared yet" in text
    assert "5 answers are “Not sure”: decisions pending on the buyer's side." in text
    assert "Score between 0.0 and 100.0, depending on 5 open points." in text
    assert "None: every requirement" not in text  # nothing was compared, let alone met
    assert "None yet: every answer given is “Not sure”." in text


def test_nothing_stated_is_not_rated_and_promises_nothing(app, report_bank):
    text = pdf_text(app, context_for(report_bank, {"personal": "no", "encrypt": "no"}, []))
    assert "Not rated" in text and "No requirement was stated, so there is nothing to rate." in text
    assert "None: no requirement was stated." in text
    assert "None: every requirement" not in text and "questions to ask below" not in text
    assert "Not rated nothing stated" in text  # the dial says what it means in full


def test_a_context_question_is_an_answer_not_a_requirement(app, report_bank):
    text = pdf_text(
        app, context_for(report_bank, {**ALL_MET, "personal": "yes", "region": "eu"}, [])
    )
    part = text.split("Will you keep personal data in the service?", 2)[-1].split("Must data", 1)[0]
    assert "Answer: Yes" in part and "Context only" in part
    assert "Requirement: Yes" not in part and "Not required" not in part


def test_evidence_grades_are_printed_beside_what_is_met(app, report_bank):
    text = pdf_text(
        app, context_for(report_bank, {**ALL_MET, "personal": "yes", "region": "eu"}, [])
    )
    assert "Met Contract" in text  # encrypt, uptime
    assert "Met Independent audit" in text  # certs
    assert "Met Public statement" in text  # region


def test_frameworks_part_and_method_page(app, report_bank):
    text = pdf_text(app, context_for(report_bank, UNSURE, []))
    frameworks = text.split("Frameworks", 1)[1].split("How this result was worked out", 1)[0]
    assert "NCSC Cloud Security Principles" in frameworks
    assert "2. Asset protection and resilience" in frameworks
    assert "10. Identity and authentication" in frameworks
    assert "CEK" in frameworks
    method = text.split("How this result was worked out", 1)[1]
    assert "method fit/3" in method
    assert "Silence is never counted as a shortfall" in method
    assert "some of several options needed are offered" not in method
    assert "at least 80% of the stated weight is compared" in method
    assert "needs at least 50% of the stated weight met by contract terms" in method


@pytest.mark.parametrize(
    "company", ["Acme Ltd", 'Acme "Co" & <Sons> ]]> <!ENTITY x "y"> &amp; \U0001f512']
)
def test_the_new_parts_read_the_same_to_html_and_xml_parsers(app, report_bank, company):
    """See test_report.test_report_markup_reads_the_same_to_html_and_xml_parsers: every
    fit/2 part present (unresolved, decide, frameworks, missing keys, provisional)."""
    context = context_for(report_bank, UNSURE, ["encrypt", "breach_hours"], company=company)
    html = render_html(app, context, utcnow())
    assert "Decide before you sign" in html and "Frameworks" in html
    assert tree(ElementTree.fromstring(html)) == tree(
        tinyhtml5.parse(html, namespace_html_elements=False)
    )
