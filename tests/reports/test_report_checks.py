"""The PDF report under an outside checker and on the page: `pdfua` (PyPI, pinned) finds
nothing in the example report, nor in one with every status, a written answer and a
deal-breaker; no heading is left at the foot of a page; no page before the method is left
mostly empty; a single choice prints its requirement once."""

from __future__ import annotations

import json
import shutil
from io import BytesIO
from types import SimpleNamespace

import pikepdf
import pytest
from pdfua import Severity, validate
from pypdf import PdfReader

from questionnaire import services
from questionnaire.app import create_app
from questionnaire.core.scoring import score
from questionnaire.store.db import db
from tests.conftest import EXAMPLE_ANSWERS, SHIPPED_BANK, Buyer
from tests.live import RENDER_SECONDS
from tests.reports.test_report import pdf_of
from tests.support import FAST, add_user, assessment_id, sign_in, text_of
from tests.web.test_followup import answer_form

HEADINGS = {"/H1", "/H2", "/H3"}
CONTAINERS = {"/Document", "/Sect", "/Div", "/Art", "/Part", "/NonStruct"}
STATUSES = ("Met", "Partly met", "Not met", "Not required", "Ask the provider", "Not sure")


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    """Two reports on the shipped bank, drawn once: the example's answers, and the same
    with a "Not sure" and the provider's written answer to one of the questions to ask."""
    tmp = tmp_path_factory.mktemp("checked")
    shutil.copy(SHIPPED_BANK, tmp / "questions.yaml")
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "WTF_CSRF_ENABLED": False,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp / 'test.db'}",
            "QUESTIONS_PATH": str(tmp / "questions.yaml"),
            "REPORTS_DIR": str(tmp / "reports"),
            "SERVER_NAME": "localhost",
            # As every test app: a loaded machine's render of the shipped bank outlasts 20 s.
            "REPORT_TIMEOUT_SECONDS": RENDER_SECONDS,
            **FAST,
        }
    )
    with app.app_context():
        db.create_all()
    bank = services.banks(app).current()
    example = json.loads(EXAMPLE_ANSWERS.read_text())
    answers, must_have = example["answers"], example["must_have"]

    def submitted(answers) -> str:
        buyer = Buyer(app.test_client())
        buyer.start(company="Harbour & Finch Ltd")
        buyer.answer_all(bank, answers, must_have)
        assert buyer.submit().status_code == 302
        return buyer.token

    plain = submitted(answers)
    unsure = next(q.id for q in bank.questions if answers.get(q.id) == "yes" and q.scored)
    result = score(bank, {**answers, unsure: "not_sure"}, must_have).to_dict()
    asked = next(f["id"] for f in result["follow_ups"] if f["status"] == "ask_provider")
    full = submitted({**answers, unsure: "not_sure"})
    add_user(app, "sam@provider.example", "sales", "Sam Seller")
    sales = app.test_client()
    assert sign_in(sales, "sam@provider.example").status_code == 302
    url = f"/sales/assessments/{assessment_id(app, full)}/provider-answers/{asked}"
    assert sales.post(url, data=answer_form(bank, asked)).status_code == 302
    paths = {name: pdf_of(app, token) for name, token in (("example", plain), ("full", full))}
    for path in paths.values():
        (tmp / path.name).write_bytes(path.read_bytes())  # a copy a later test cannot delete
    yield SimpleNamespace(**{name: tmp / path.name for name, path in paths.items()})
    with app.app_context():
        db.engine.dispose()


def pdfua_findings(path) -> list[str]:
    """What pdfua reports at warning level or worse, one line each."""
    report = validate(str(path))
    return [
        f"{f.rule_id} {f.severity.name} {f.location.describe()}: {f.message}"
        for f in report.findings
        if f.severity in (Severity.ERROR, Severity.WARNING)
    ]


def test_the_example_report_passes_pdfua(reports):
    assert pdfua_findings(reports.example) == []


def test_a_report_with_every_status_a_written_answer_and_a_deal_breaker_passes_pdfua(reports):
    text = text_of(reports.full.read_bytes())
    for shown in (*STATUSES, "Deal-breaker", "Written answer from Sam Seller"):
        assert shown in text, shown
    assert pdfua_findings(reports.full) == []


def blocks(path) -> list[tuple[str, int]]:
    """The tagged PDF's blocks in reading order (headings, paragraphs, tables, lists...),
    each with the number of the page it starts on. WeasyPrint tags each page's part of an
    element apart, so a block that runs on is listed again on its next page."""
    with pikepdf.open(path) as pdf:
        pages = {page.objgen: number for number, page in enumerate(pdf.pages, 1)}
        found: list[tuple[str, int]] = []

        def walk(element) -> None:
            kids = element.get("/K")
            for kid in kids if isinstance(kids, pikepdf.Array) else [kids]:
                if not isinstance(kid, pikepdf.Dictionary) or kid.get("/Type") != "/StructElem":
                    continue
                if str(kid.S) in CONTAINERS:
                    walk(kid)
                else:
                    found.append((str(kid.S), pages[kid.Pg.objgen]))

        walk(pdf.Root.StructTreeRoot)
        return found


def headings_left_at_the_foot(found: list[tuple[str, int]]) -> list[tuple[int, str, int]]:
    """Headings whose content starts on a later page: the paragraphs after one (up to three,
    its intro) and the table or list they introduce must start on the heading's page."""
    left = []
    for i, (role, page) in enumerate(found):
        if role not in HEADINGS:
            continue
        end = i + 1
        while end < len(found) and found[end][0] == "/P" and end - i <= 3:
            end += 1
        following = found[i + 1 : end]
        if end < len(found) and found[end][0] in ("/Table", "/L"):
            following.append(found[end])
        if any(start != page for _, start in following):
            left.append((i, role, page))
    return left


def test_headings_left_at_the_foot_of_a_page_are_found():
    assert headings_left_at_the_foot([("/H1", 3), ("/P", 3), ("/Table", 4)]) == [(0, "/H1", 3)]
    assert headings_left_at_the_foot([("/H2", 3), ("/P", 4)]) == [(0, "/H2", 3)]
    # A heading with its paragraph, then the next heading on a new page: nothing left.
    assert headings_left_at_the_foot([("/H2", 3), ("/P", 3), ("/H2", 4), ("/Table", 4)]) == []


@pytest.mark.parametrize("name", ["example", "full"])
def test_no_heading_is_left_at_the_foot_of_a_page(reports, name):
    found = blocks(getattr(reports, name))
    assert found and headings_left_at_the_foot(found) == []


def lowest_text(page) -> float:
    """How far down the page its lowest line of body text is, from 0 (top) to 1 (bottom of
    the text area: A4 less 17 mm at the top and 20 mm at the foot, where the footer is)."""
    top, foot = 48.2, 56.7  # points
    height = float(page.mediabox.height)
    lines: list[float] = []

    def visit(text, cm, tm, font, size):
        y = tm[5] * cm[3] + cm[5]
        if text.strip() and y > foot:
            lines.append(y)

    page.extract_text(visitor_text=visit)
    return (height - top - min(lines)) / (height - top - foot) if lines else 0.0


@pytest.mark.parametrize("name", ["example", "full"])
def test_no_page_before_the_method_is_left_mostly_empty(reports, name):
    """The section chart shares its page, and so do the frameworks and the parts: only the
    cover and the page before the method (which starts a page) may end early."""
    reader = PdfReader(BytesIO(getattr(reports, name).read_bytes()))
    texts = [" ".join(page.extract_text().split()) for page in reader.pages]
    method = next(n for n, t in enumerate(texts) if t.startswith("How this result was worked out"))
    filled = {n + 1: round(lowest_text(reader.pages[n]), 2) for n in range(1, method - 1)}
    assert filled and all(share > 0.5 for share in filled.values()), filled


def test_a_single_choice_not_documented_prints_its_requirement_once(reports):
    text = text_of(reports.example.read_bytes())
    assert "Requirement: Inside the United Kingdom" in text
    assert "Not found in the source: Inside the United Kingdom" not in text
    # A multiple choice whose every option is unknown does not list them twice either.
    assert "Not found in the source: An ISO/IEC 27001 certificate" not in text
