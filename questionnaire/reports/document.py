"""A report as a document: the plain data it prints for an assessment, its HTML (Jinja,
autoescaped, compacted for WeasyPrint), the key it is cached under and its file name.
The drawing, caching and queueing are service.py's."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from importlib.metadata import version as package_version
from pathlib import Path
from typing import cast

from flask import Flask

from questionnaire.core.bank import Bank
from questionnaire.core.report_context import report_context, report_id_of
from questionnaire.core.written import mark_written
from questionnaire.store import followup
from questionnaire.store import operations as ops
from questionnaire.store.models import Assessment

TEMPLATE = "report/report.html"


def report_filename(assessment: Assessment) -> str:
    """The download name, ``trustcheck-report-acme-ltd-2026-11-30.pdf``: ASCII, for every
    browser, and dated, so a buyer's downloads sort (see operations.file_stem)."""
    return f"trustcheck-report-{ops.file_stem(assessment)}.pdf"


def assessment_context(assessment: Assessment, bank: Bank) -> dict:
    """The report as it reads today (a source may have become old enough to flag), of the
    result in force: the submitted one, or its latest revision with written answers."""
    now = followup.current(assessment)
    context = report_context(
        bank,
        assessment.answers,
        assessment.must_have,
        now.result,
        company=assessment.company,
        contact=assessment.contact_name,
        submitted_at=assessment.submitted_time,
        report_id=report_id_of(assessment.id),
        today=datetime.now(UTC).date(),
    )
    # Written answers: a block of their own, so the cache key changes with each revision.
    mark_written(context["view"], bank, now.written, assessment.submitted_result)
    context["revision"] = now.revision
    return context


def cache_key(context: Mapping, template_version: str) -> str:
    text = json.dumps(context, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(f"{template_version}\n{text}".encode()).hexdigest()


def template_version(app: Flask) -> str:
    """The configured version plus a digest of the report's template and stylesheet files
    and the WeasyPrint version, so an edited template can never serve stale PDFs."""
    digest = hashlib.sha256()
    # create_app sets both folders (Flask types them as optional)
    files = sorted(Path(cast(str, app.template_folder), "report").glob("*.html"))
    files.append(Path(cast(str, app.static_folder), "report.css"))
    for path in files:
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    configured = app.config["REPORT_TEMPLATE_VERSION"]
    return f"{configured}+{digest.hexdigest()[:16]}+weasyprint-{package_version('weasyprint')}"


BETWEEN_TAGS = re.compile(r">\n\s*<")


def compact(html: str) -> str:
    """Drop the template's indentation between tags. WeasyPrint builds a box for every run
    of whitespace, and the report's layout time grows with the boxes. Only whitespace that
    holds a line break is dropped, and buyer text cannot contain ``<`` (it is escaped), so
    no printed text changes."""
    return BETWEEN_TAGS.sub("><", html)


def render_html(app: Flask, context: Mapping, generated_at: datetime) -> str:
    """The report as HTML, autoescaped like every template.

    Straight from the app's Jinja environment: no context processors, so the template
    sees exactly this plain data (no request, session or user) and needs no request.
    """
    html = app.jinja_env.get_template(TEMPLATE).render(
        **context,
        generated={
            "text": generated_at.strftime("%-d %B %Y, %H:%M UTC"),
            "iso": generated_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        },
    )
    return compact(html)
