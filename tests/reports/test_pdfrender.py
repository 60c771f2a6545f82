"""The render process on a WeasyPrint release its patches were not written for: each patch
to WeasyPrint's internals is left out, the web process logs which, and plain WeasyPrint
still draws the whole report."""

from __future__ import annotations

import logging
import sys
from io import BytesIO
from pathlib import Path

import pikepdf
import pytest

from questionnaire import services
from questionnaire.reports import pdfrender
from questionnaire.reports.document import render_html
from questionnaire.reports.workers import SCRIPT, RenderProcess
from questionnaire.store.db import db
from questionnaire.store.models import utcnow
from tests.conftest import Buyer, bank_file, stored_assessment
from tests.live import RENDER_SECONDS
from tests.reports.test_report import REPORT_BANK, submit
from tests.support import text_of

# Runs pdfrender.py as the worker does, with WeasyPrint claiming another version first.
AS_VERSION = """import runpy, sys, weasyprint
weasyprint.__version__ = sys.argv[1]
sys.argv = sys.argv[2:]
runpy.run_path(sys.argv[0], run_name="__main__")
"""


class RenderProcessOn(RenderProcess):
    def __init__(self, static_dir: str, version: str):
        super().__init__(static_dir, memory_mb=0)
        self.version = version

    def command(self) -> list[str]:
        return [
            sys.executable,
            "-I",
            "-c",
            AS_VERSION,
            self.version,
            str(SCRIPT),
            self.static_dir,
            "0",
        ]


@pytest.fixture
def bank_path(tmp_path) -> Path:
    return bank_file(tmp_path, REPORT_BANK)


@pytest.fixture
def report_html(app) -> str:
    """A whole report of the small bank, as the web process sends it to a worker."""
    token = submit(Buyer(app.test_client()), services.banks(app).current())
    service = services.reports(app)
    with app.app_context():
        context = service.job(db.session.merge(stored_assessment(app, token))).context
    return render_html(app, context, utcnow())


def header_scopes(pdf: bytes) -> list[str | None]:
    """The /Scope of each table header cell in the PDF's tag tree (None: it has none)."""
    scopes = []
    with pikepdf.open(BytesIO(pdf)) as document:
        for obj in document.objects:
            if isinstance(obj, pikepdf.Dictionary) and obj.get("/S") == "/TH":
                attributes = obj.get("/A")
                scope = attributes.get("/Scope") if attributes is not None else None
                scopes.append(str(scope) if scope is not None else None)
    return scopes


def test_each_patch_is_made_only_on_the_release_line_it_was_written_for(monkeypatch):
    # This test run's WeasyPrint is the one they were written for: every patch is made.
    assert pdfrender.WEASYPRINT_VERSION.startswith("70.")
    assert pdfrender.OPEN_ARRAYS and pdfrender.SCOPED_UA and pdfrender.XML_PARSING
    assert pdfrender.TABLE_SCOPES and pdfrender.SKIPPED == []
    skipped: list[str] = []
    monkeypatch.setattr(pdfrender, "SKIPPED", skipped)
    assert pdfrender.written_for(70, "a patch", "a cost", version="70.0")
    assert pdfrender.written_for(70, "a patch", "a cost", version="70.2")
    assert skipped == []
    assert not pdfrender.written_for(70, "a patch", "a cost", version="71.0")
    assert not pdfrender.written_for(70, "a patch", "a cost", version="7.0")
    assert skipped[0] == (
        "WeasyPrint 71.0 is not the 70.x that a patch was written for: it is left out, and "
        "plain WeasyPrint draws reports (a cost)"
    )


def test_on_an_unknown_release_plain_weasyprint_draws_the_report_and_the_log_says_why(
    app, report_html, caplog
):
    patched = services.reports(app).pool.render(report_html, RENDER_SECONDS).pdf
    unknown = RenderProcessOn(app.static_folder, "71.0")
    try:
        with caplog.at_level(logging.WARNING, logger="questionnaire.reports.workers"):
            unknown.ensure_ready()
        plain = unknown.render(report_html, RENDER_SECONDS)
    finally:
        unknown.stop()
    said = [r.getMessage() for r in caplog.records if "WeasyPrint 71.0" in r.getMessage()]
    assert len(said) == 4, said
    for patch in ("font subsetting", "scoped UA", "XML parsing", "/Scope finisher"):
        assert any(patch in line for line in said), patch
    assert plain.pdf.startswith(b"%PDF-") and plain.log == []
    assert text_of(plain.pdf) == text_of(patched)  # the same report, word for word
    # What only the /Scope finisher adds is missing: the sign the patches were left out.
    assert header_scopes(patched) and None not in header_scopes(patched)
    assert set(header_scopes(plain.pdf)) == {None}
