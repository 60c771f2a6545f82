"""The PDF's fit/2 parts, read back from the PDF's text: the summary (coverage, why a result
is provisional, unresolved must-haves with the question to ask, "Decide before you sign"),
the must-have sentence only when true, dated sources, frameworks and the method page."""

from __future__ import annotations

from datetime import date
from xml.etree import ElementTree

import pytest
import tinyhtml5

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
    return app.extensions["banks"].current()


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
    return text_of(app.extensions["reports"].render_bytes(context))


def test_summary_says_what_the_score_rests_on_and_why_it_is_provisional(app, report_bank):
    context = context_for(report_bank, UNSURE, ["encrypt", "breach_hours"])
    text = pdf_text(app, context)
    cover, summary = text.split("Summary", 1)[0], text.split("Summary", 1)[1]
    assert "(provisional)" in cover
    assert "Based on 3 of 5 requirements compared with a documented commitment." in cover
    assert "This result is provisional Until these are settled it is rated no higher than " in (
        summary
    )
    assert "no higher than “Fit with gaps”:" in summary
    # 5 stated: encrypt (not sure), smime, certs, uptime, breach_hours (ask); 3 compared.
    assert (
        "Based on 3 of 5 requirements compared with a documented commitment (60%). The other "
        "2 are left out of the score: 1 the provider documents nothing on and 1 answered "
        "“Not sure”." in summary
    )
    assert "The provider documents nothing on 1 must-have." in summary
    assert "1 must-have is answered “Not sure”." in summary
    assert "Unresolved must-haves" in summary
    assert "Ask the provider: Within how many hours must a breach be reported to you?" in summary
    assert "Decide internally: Must data be encrypted at rest?" in summary
    assert "Decide before you sign" in summary
    assert "Not documented: FedRAMP" in text  # the certification the provider does not name
    assert "marked as a must-have is met" not in text


def test_the_every_must_have_is_met_sentence_only_when_it_is_true(app, report_bank):
    met = pdf_text(app, context_for(report_bank, ALL_MET, ["encrypt", "uptime"]))
    assert "None. Every requirement Acme Ltd marked as a must-have is met by a documented" in met
    assert "provisional" not in met.lower().split("how this score was computed")[0]
    asked = pdf_text(
        app, context_for(report_bank, {**ALL_MET, "breach_hours": 4}, ["breach_hours"])
    )
    assert "marked as a must-have is met" not in asked
    assert "None: no must-have falls short of a documented commitment, but 1 must-have cannot" in (
        asked
    )


def test_sources_are_dated_and_an_old_one_is_flagged_on_the_day_of_the_report(app, report_bank):
    fresh = pdf_text(app, context_for(report_bank, ALL_MET, []))
    documented = (
        "Provider's commitments As documented on Trust page (https://trust.example.com/), "
        "captured 1 September 2025"
    )
    assert documented in fresh and "may be out of date" not in fresh
    assert "Every commitment in this part is quoted from: Trust page" in fresh
    later = pdf_text(app, context_for(report_bank, ALL_MET, [], today=date(2028, 9, 2)))
    assert f"{documented} — may be out of date" in later


def test_frameworks_part_and_method_page(app, report_bank):
    text = pdf_text(app, context_for(report_bank, UNSURE, []))
    frameworks = text.split("Frameworks", 1)[1].split("Part 1.", 1)[0]
    assert "NCSC Cloud Security Principles" in frameworks
    assert "2. Asset protection and resilience" in frameworks
    assert "10. Identity and authentication" in frameworks
    assert "CEK" in frameworks
    method = text.split("How this score was computed", 1)[1]
    assert "method fit/2" in method
    assert "Not sure: the buyer answered “Not sure”" in method
    assert "coverage is below 80%, is provisional" in method


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
