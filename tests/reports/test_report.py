"""The PDF report: what it prints, what it refuses to fetch, how it is cached and served."""

from __future__ import annotations

import json
import re
import subprocess
import threading
from io import BytesIO
from pathlib import Path
from types import SimpleNamespace
from xml.etree import ElementTree

import pytest
import tinyhtml5
from pypdf import PdfReader

from questionnaire import services
from questionnaire.app import create_app
from questionnaire.core.report_context import report_context
from questionnaire.core.scoring import score
from questionnaire.reports.document import render_html
from questionnaire.reports.service import ReportError
from questionnaire.store.db import db
from questionnaire.store.models import utcnow
from tests import factories
from tests.conftest import Buyer, bank_file, stored_assessment
from tests.live import QUEUE_MODE, RENDER_SECONDS
from tests.support import (
    SMALL_BANK,
    Listener,
    RenderSpy,
    embedded_files,
    squash,
    text_of,
    wait_until,
)

# The small bank of the unit tests, with the uptime question marked as availability (so
# the report prints the downtime each figure allows) and room for long notes.
REPORT_BANK = re.sub(
    r"( +)better: higher\n", r"\g<0>\1availability: true\n", SMALL_BANK, count=1
).replace("max_length: 200", "max_length: 1000")
ANSWERS = {
    "personal": "yes",
    "encrypt": "yes",
    "smime": "yes",
    "region": "ch",
    "certs": ["iso27001", "fedramp"],
    "uptime": 99.95,
    "breach_hours": 24,
    "notes": "Line one of our notes.\nLine two: keep <this> & that verbatim.",
}
MUST_HAVE = ["smime", "uptime"]


@pytest.fixture
def bank_path(tmp_path) -> Path:
    return bank_file(tmp_path, REPORT_BANK)


@pytest.fixture
def report_bank(app):
    return services.banks(app).current()


@pytest.fixture(scope="module")
def example(tmp_path_factory):
    """One report of ANSWERS, drawn once for the tests that only read it."""
    tmp = tmp_path_factory.mktemp("example")
    (tmp / "questions.yaml").write_text(REPORT_BANK)
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "WTF_CSRF_ENABLED": False,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp / 'test.db'}",
            "QUESTIONS_PATH": str(tmp / "questions.yaml"),
            "REPORTS_DIR": str(tmp / "reports"),
            "SERVER_NAME": "localhost",
        }
    )
    with app.app_context():
        db.create_all()
    bank = services.banks(app).current()
    token = submit(Buyer(app.test_client()), bank)
    yield SimpleNamespace(
        app=app,
        bank=bank,
        assessment=stored_assessment(app, token),
        pdf=pdf_of(app, token).read_bytes(),
    )
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def service(app):
    return services.reports(app)


@pytest.fixture
def renders(app) -> RenderSpy:
    return RenderSpy(app)


def submit(buyer, bank, answers=ANSWERS, must_have=MUST_HAVE, company="Acme Ltd") -> str:
    buyer.start(company=company)
    buyer.answer_all(bank, answers, must_have)
    response = buyer.submit()
    assert response.status_code == 302 and response.location.endswith("/result")
    return buyer.token


def pdf_of(app, token) -> Path:
    with app.app_context():
        assessment = db.session.merge(stored_assessment(app, token))
        return services.reports(app).pdf_path(assessment)


def flat(text: str) -> str:
    return " ".join(text.split())


# --- what the report prints ---------------------------------------------------------------


def test_report_prints_company_score_rating_sections_deal_breakers_follow_ups_and_notes(example):
    assessment, report_bank = example.assessment, example.bank
    text = text_of(example.pdf)

    result = assessment.result
    assert "Acme Ltd" in text and "Ann Buyer" in text
    low, high = result["score_range"]["low"], result["score_range"]["high"]
    assert result["state"] == "provisional" and result["rating"] is None
    assert "Not yet rated" in text and f"Score between {low:.1f} and {high:.1f}" in text
    assert f"compared so far score {result['score']:.1f} out of 100" in text
    assert "Once settled, it would be rated “Significant gaps”." in text  # smime caps it
    for section in report_bank.sections:
        assert section.title in text
    assert result["deal_breakers"] == ["smime"]  # uptime is a near miss: to negotiate
    assert (
        "Near miss, negotiate: 0.05 percentage points short: about 21.6 more minutes of "
        "downtime allowed in a 30-day month." in text
    )
    for qid in result["deal_breakers"]:
        assert report_bank.question(qid).prompt in text
    assert len(result["follow_ups"]) == 5
    for follow_up in result["follow_ups"]:
        assert flat(follow_up["question"]) in text
    assert flat(ANSWERS["notes"]) in text  # the buyer's notes, escaped markup and all
    assert "Encryption at rest" in text and "Source: Trust page" not in text  # quoted once
    assert "Every commitment in this part is quoted from: Trust page" in text
    assert "up to 21.6 minutes of downtime a month" in text  # 99.95% in a 30-day month
    assert "up to 43.2 minutes of downtime a month" in text  # the provider's 99.9%
    assert "fit/3" in text and report_bank.sha256 in text
    assert "How this result was worked out" in text and "Questions to ask the provider" in text
    assert re.search(r"Trustcheck report TC-\d{6} · page 1 of \d+", text)


def test_every_page_has_the_report_id_and_page_x_of_y(example):
    reader = PdfReader(BytesIO(example.pdf))
    report_id = f"TC-{example.assessment.id:06d}"
    pages = len(reader.pages)
    for number, page in enumerate(reader.pages, 1):
        footer = re.search(
            r"Trustcheck report (\S+) · (?:.* · )?page (\d+) of (\d+)", flat(page.extract_text())
        )
        assert footer and footer.groups() == (report_id, str(number), str(pages))


def test_report_is_tagged_with_language_title_author_and_subject(example):
    reader = PdfReader(BytesIO(example.pdf))
    root = reader.trailer["/Root"]
    assert root["/Lang"] == "en-GB"
    assert bool(root["/MarkInfo"]["/Marked"]) and "/StructTreeRoot" in root
    meta = reader.metadata
    assert meta.title == "Due-diligence report: Example Cloud for Acme Ltd"
    assert meta.author == "Trustcheck"
    assert "Acme Ltd" in meta.subject and "fit/3" in meta.subject
    assert embedded_files(example.pdf) == []


def report_with(example, company: str, contact: str, notes: str) -> dict:
    assessment = example.assessment
    return report_context(
        example.bank,
        {**assessment.answers, "notes": notes},  # unscored: the stored result still holds
        assessment.must_have,
        assessment.result,
        company=company,
        contact=contact,
        submitted_at=assessment.submitted_at,
        report_id="TC-000001",
        today=utcnow().date(),
    )


def tree(root) -> list[tuple]:
    """Every element in document order, as what the layout reads from it. (HTML parsers
    keep ``xmlns`` as an attribute, XML parsers turn it into the tag's namespace.)"""
    return [
        (
            e.tag,
            {k: v for k, v in e.attrib.items() if not k.endswith("}xmlns")},
            e.text or "",
            e.tail or "",
        )
        for e in root.iter()
    ]


HOSTILE_TEXT = [
    ("Acme Ltd", "Ann Buyer", ANSWERS["notes"]),
    (
        'Acme "Co" & <Sons>\t\'quoted\' ]]> <!ENTITY x "y"> &amp; &#0;',
        "Zoë Ångström 名前\n<b>",
        "Line one\r\nLine two <![CDATA[x]]> <!-- c --> <?pi?> &lt; \u00a0 \U0001f512 end",
    ),
]


@pytest.mark.parametrize(("company", "contact", "notes"), HOSTILE_TEXT)
def test_report_markup_reads_the_same_to_html_and_xml_parsers(example, company, contact, notes):
    """The render process parses a report with expat when it is well-formed XML and with
    WeasyPrint's HTML5 parser otherwise (pdfrender.ReportHTML): right only while the
    template writes markup both read into the same tree, whatever the buyer typed."""
    html = render_html(example.app, report_with(example, company, contact, notes), utcnow())
    as_html = tree(tinyhtml5.parse(html, namespace_html_elements=False))
    as_xml = tree(ElementTree.fromstring(html))
    assert as_xml == as_html
    assert len(as_xml) > 300


def test_a_report_that_is_not_xml_is_drawn_from_the_html_parse(example, service):
    """A character XML forbids sends the report to the HTML5 parser. Buyers' text is
    cleaned of them (text.clean_text), but an editor's YAML may still hold one, written
    as an escape: here a form feed in the notes."""
    notes = "Before the break\x0cafter the break"
    html = render_html(example.app, report_with(example, "Acme Ltd", "Ann", notes), utcnow())
    with pytest.raises(ElementTree.ParseError):
        ElementTree.fromstring(html)
    pdf = service.pool.render(html, timeout=RENDER_SECONDS).pdf
    # poppler's reading of the text (pypdf's is thrown by the form feed's glyph)
    text = flat(
        subprocess.run(
            ["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True
        ).stdout.decode()
    )
    assert "Before the break" in text and "after the break" in text
    assert "How this result was worked out" in text


def test_a_report_declaring_entities_is_not_expanded_by_the_xml_parser(service):
    """defusedxml refuses the declaration and the HTML5 parser, which expands no entities,
    draws it: an entity (or a billion of them) never reaches the PDF."""
    html = (
        '<!DOCTYPE html [<!ENTITY secret "EXPANDED-BY-EXPAT">]>'
        '<html lang="en"><head><title>t</title></head><body><p>Before &secret; after</p>'
        "</body></html>"
    )
    pdf = service.pool.render(html, timeout=RENDER_SECONDS).pdf
    text = flat(
        subprocess.run(
            ["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True
        ).stdout.decode()
    )
    assert "Before" in text and "after" in text and "EXPANDED-BY-EXPAT" not in text


def test_page_count_grows_with_the_bank(example, service):
    bank = factories.load(factories.random_bank_dict(30, n_sections=3, seed=3))
    answers, must = factories.random_answers(bank, seed=3)
    context = report_context(
        bank,
        answers,
        must,
        score(bank, answers, must).to_dict(),
        company="Acme Ltd",
        contact="Ann Buyer",
        submitted_at=utcnow(),
        report_id="TC-TEST",
        today=utcnow().date(),
    )
    bigger = PdfReader(BytesIO(service.render_bytes(context)))
    assert len(bigger.pages) > len(PdfReader(BytesIO(example.pdf)).pages)


# --- safety -------------------------------------------------------------------------------


def hostile_strings(port: int, secret_file: Path) -> list[str]:
    return [
        f'<img src="http://127.0.0.1:{port}/x">',
        '<link rel="attachment" href="file:///etc/hostname">',
        f'<link rel="attachment" href="{secret_file.as_uri()}">',
        f"<style>@import url(http://127.0.0.1:{port}/y)</style>",
        "url(file:///etc/passwd)",
    ]


def test_hostile_answers_print_as_text_fetch_nothing_and_attach_nothing(
    app, client, buyer, report_bank, tmp_path
):
    secret = tmp_path / "secret.txt"
    secret.write_text("SECRET-7f3a9c")
    with Listener() as listener:
        hostile = hostile_strings(listener.port, secret)
        token = submit(
            buyer,
            report_bank,
            answers={**ANSWERS, "notes": "\n".join(hostile)},
            company=hostile[0],
        )
        response = client.get(f"/a/{token}/report.pdf")
        assert response.status_code == 200
        pdf = response.get_data()
    assert listener.requests == []
    assert embedded_files(pdf) == []
    text = text_of(pdf)
    squashed = squash(text)  # long unbroken strings wrap anywhere: compare without spaces
    for literal in hostile:
        assert squash(literal) in squashed
    assert "SECRET-7f3a9c" not in text
    hostname = Path("/etc/hostname").read_text().strip() if Path("/etc/hostname").exists() else ""
    if len(hostname) >= 4:
        assert hostname not in text
    assert "root:x:0:0" not in text


def test_raw_markup_that_slipped_past_escaping_still_fetches_nothing(service, tmp_path):
    """Defence in depth: the worker's URL fetcher refuses the network and the disk even
    for markup the template did not escape."""
    secret = tmp_path / "secret.txt"
    secret.write_text("SECRET-7f3a9c")
    with Listener() as listener:
        html = (
            "<!doctype html><html lang=en><head><title>t</title>"
            f'<link rel="stylesheet" href="http://127.0.0.1:{listener.port}/a.css">'
            f'<link rel="attachment" href="{secret.as_uri()}">'
            f"<style>@import url(http://127.0.0.1:{listener.port}/y.css);"
            f"body {{ background: url(file:///etc/passwd) }}</style></head><body>"
            f'<img src="http://127.0.0.1:{listener.port}/x.png">'
            '<img src="../../../../etc/hostname">'
            f'<a rel="attachment" href="{secret.as_uri()}">file</a>'
            '<img src="data:image/svg+xml,%3Csvg xmlns=%22http://www.w3.org/2000/svg%22/%3E">'
            "</body></html>"
        )
        rendered = service.pool.render(html, timeout=RENDER_SECONDS)
    assert listener.requests == []
    assert embedded_files(rendered.pdf) == []
    assert b"SECRET-7f3a9c" not in rendered.pdf
    refused = " ".join(rendered.refused)
    assert f"127.0.0.1:{listener.port}/a.css" in refused and "etc/passwd" in refused
    assert "data:" not in refused  # data: URLs are the one thing allowed besides static/


# --- cache --------------------------------------------------------------------------------


def test_download_is_the_cached_file_read_again_without_rendering(
    app, client, buyer, report_bank, renders
):
    token = submit(buyer, report_bank, company="Acme Ltd (UK)")
    first = pdf_of(app, token).read_bytes()
    again = pdf_of(app, token).read_bytes()
    download = client.get(f"/a/{token}/report.pdf")
    assert download.status_code == 200 and download.mimetype == "application/pdf"
    submitted = stored_assessment(app, token).submitted_at.date().isoformat()
    assert download.headers["Content-Disposition"] == (
        f"attachment; filename=trustcheck-report-acme-ltd-uk-{submitted}.pdf"
    )
    assert download.headers["Cache-Control"] == "no-store"
    assert first.startswith(b"%PDF-") and first == again == download.get_data()
    assert renders.count == 1


def test_parallel_requests_for_one_report_render_it_once(app, buyer, report_bank, service, renders):
    token = submit(buyer, report_bank)
    barrier = threading.Barrier(3)
    bodies: list[bytes] = []

    def download():
        client = app.test_client()
        barrier.wait()
        response = client.get(f"/a/{token}/report.pdf")
        bodies.append(response.get_data() if response.status_code == 200 else b"")

    threads = [threading.Thread(target=download) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert renders.count == 1
    assert len(bodies) == 3 and bodies[0].startswith(b"%PDF") and len(set(bodies)) == 1
    assert [p.name for p in service.directory.iterdir() if p.suffix != ".pdf"] == []


def test_a_new_template_version_renders_again_and_drops_the_old_file(
    app, make_app, buyer, report_bank
):
    token = submit(buyer, report_bank)
    old = pdf_of(app, token)
    newer = make_app(create_tables=False, REPORT_TEMPLATE_VERSION="2")
    renders = RenderSpy(newer)
    new = pdf_of(newer, token)
    assert new != old and new.is_file() and not old.exists()
    assert renders.count == 1


def test_the_key_covers_what_is_printed(app, buyer, report_bank, service):
    token = submit(buyer, report_bank)
    with app.app_context():
        assessment = db.session.merge(stored_assessment(app, token))
        before = service.job(assessment).key
        assessment.company = "Another Ltd"
        assert service.job(assessment).key != before
        db.session.rollback()


# --- the buyer's download -----------------------------------------------------------------


def test_download_not_ready_says_so_and_asks_again_without_script(app, client, buyer, report_bank):
    app.config["REPORT_WAIT_SECONDS"] = 0
    services.reports(app).wait_seconds = 0
    token = submit(buyer, report_bank)
    response = client.get(f"/a/{token}/report.pdf")
    html = response.get_data(as_text=True)
    assert response.status_code == 202
    assert "Your report is being prepared" in html and "<script>" not in html
    assert response.headers["Retry-After"] == "5"
    assert response.headers["Refresh"] == f"5; url=/a/{token}/report.pdf"
    assert f'href="/a/{token}/report.pdf"' in html
    pdf_of(app, token)  # let the render finish
    assert client.get(f"/a/{token}/report.pdf").status_code == 200


def test_download_with_a_wrong_token_is_404(client):
    assert client.get("/a/not-a-real-token/report.pdf").status_code == 404


def test_download_of_a_draft_goes_to_check_answers(client, buyer, renders):
    token = buyer.start()
    response = client.get(f"/a/{token}/report.pdf")
    assert response.status_code == 302 and response.location.endswith(f"/a/{token}/check")
    assert renders.count == 0


def test_unwritable_reports_dir_gives_a_clear_page_and_the_rest_keeps_working(
    app, make_app, client, buyer, report_bank, tmp_path
):
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    token = submit(buyer, report_bank)
    broken = make_app(create_tables=False, REPORTS_DIR=str(blocker / "reports"))
    response = broken.test_client().get(f"/a/{token}/report.pdf")
    assert response.status_code == 503
    assert "Your PDF report could not be prepared" in response.get_data(as_text=True)
    assert broken.test_client().get(f"/a/{token}/result").status_code == 200
    assert broken.test_client().get(f"/a/{token}/answers.json").status_code == 200


def test_result_page_has_a_download_pdf_button(client, buyer, report_bank):
    token = submit(buyer, report_bank)
    html = client.get(f"/a/{token}/result").get_data(as_text=True)
    assert f'<a class="button" href="/a/{token}/report.pdf">Download PDF report</a>' in html


def test_purge_also_deletes_the_pdfs_of_assessments_that_are_gone(app, runner, buyer, service):
    buyer.start()
    kept_id = stored_assessment(app, buyer.token).id
    service.directory.mkdir(parents=True)
    kept = service.directory / f"{kept_id}-{'a' * 64}.pdf"
    gone = service.directory / f"{kept_id + 1}-{'b' * 64}.pdf"
    for path in (kept, gone, service.directory / ".gitkeep"):
        path.write_bytes(b"%PDF-")
    result = runner.invoke(args=["purge"])
    assert result.exit_code == 0, result.output
    assert "Deleted 1 PDF report(s) of assessments that no longer exist." in result.output
    assert kept.exists() and not gone.exists() and (service.directory / ".gitkeep").exists()


# --- rendering at submit, deleting -----------------------------------------------------


def test_submit_renders_in_the_background_and_delete_removes_the_pdf(
    app, client, buyer, report_bank, service, renders
):
    service.prerender = True
    token = submit(buyer, report_bank)
    with app.app_context():
        path = service.job(db.session.merge(stored_assessment(app, token))).path
    assert wait_until(path.is_file)  # saved a moment after it is counted as drawn
    assert renders.count == 1
    assert client.get(f"/a/{token}/report.pdf").status_code == 200
    assert renders.count == 1  # the download was a file read
    assert len(list(service.directory.glob("*.pdf"))) == 1
    assert client.post(f"/a/{token}/delete").status_code == 302
    assert list(service.directory.iterdir()) == []


@pytest.mark.skipif(
    QUEUE_MODE,
    reason="in-process bookkeeping; with a queue the row decides (tests/reports/test_queue.py)",
)
def test_a_pdf_drawn_while_its_assessment_is_deleted_does_not_stay(
    app, buyer, report_bank, service
):
    service.prerender = True
    token = submit(buyer, report_bank)
    with app.app_context():
        service.discard(stored_assessment(app, token).id)
    assert wait_until(lambda: not service._inflight)
    assert list(service.directory.glob("*.pdf")) == []


# --- command line -----------------------------------------------------------------------


def test_report_command_writes_the_pdf_of_an_assessment(example, tmp_path):
    out = tmp_path / "out.pdf"
    runner = example.app.test_cli_runner()
    result = runner.invoke(args=["report", str(example.assessment.id), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert f"Wrote the report of assessment {example.assessment.id} to {out}" in result.output
    assert out.read_bytes() == example.pdf  # the cached file, not drawn again


def test_report_command_explains_a_missing_or_draft_assessment(runner, buyer, tmp_path):
    out = str(tmp_path / "out.pdf")
    result = runner.invoke(args=["report", "999", "-o", out])
    assert result.exit_code == 1 and "there is no assessment 999" in result.output
    buyer.start()
    result = runner.invoke(args=["report", "1", "-o", out])
    assert result.exit_code == 1 and "is a draft" in result.output
    assert not Path(out).exists()


def test_assess_writes_a_pdf_for_an_answers_file(runner, bank_path, tmp_path):
    answers = tmp_path / "answers.json"
    answers.write_text(json.dumps({"answers": ANSWERS, "must_have": MUST_HAVE}))
    out = tmp_path / "out.pdf"
    args = ["assess", str(answers), "--bank", str(bank_path), "--pdf", str(out)]
    result = runner.invoke(args=[*args, "--company", "Acme Ltd"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["state"] == "provisional"  # JSON as before
    text = text_of(out.read_bytes())
    assert "Acme Ltd" in text and "TC-FILE-" in text and flat(ANSWERS["notes"]) in text


def test_assess_company_needs_pdf(runner, bank_path, tmp_path):
    answers = tmp_path / "answers.json"
    answers.write_text(json.dumps({"answers": ANSWERS, "must_have": []}))
    result = runner.invoke(args=["assess", str(answers), "--company", "Acme Ltd"])
    assert result.exit_code == 2 and "give --pdf too" in result.output


# --- time limit (last: it replaces the shared render worker) ---------------------------


def test_a_render_past_its_time_limit_is_stopped_and_not_retried_at_once(
    app, buyer, report_bank, service, renders
):
    token = submit(buyer, report_bank)
    service.timeout = 0.01
    with pytest.raises(ReportError, match="longer than 0.01 seconds"):
        pdf_of(app, token)
    tried = renders.tried
    with pytest.raises(ReportError, match="longer than"):
        pdf_of(app, token)  # remembered for REPORT_RETRY_SECONDS: no second attempt
    assert renders.tried == tried
    service.timeout, service.retry_seconds = RENDER_SECONDS, 0.0
    assert pdf_of(app, token).read_bytes().startswith(b"%PDF")  # a fresh worker took over
