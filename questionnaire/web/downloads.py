"""PDF downloads: the buyer's here, and the helpers the read-only link (sharing.py) and
staff downloads (sales.py) share: the cached file, or a "being prepared" page that asks
again."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from io import BytesIO
from typing import TypedDict

from flask import (
    Blueprint,
    Response,
    abort,
    redirect,
    render_template,
    send_file,
    url_for,
)

from questionnaire import services
from questionnaire.reports.document import report_filename
from questionnaire.reports.service import ReportError
from questionnaire.store import followup
from questionnaire.store import operations as ops
from questionnaire.store.models import Assessment
from questionnaire.web.security import ErrorData

log = logging.getLogger(__name__)

bp = Blueprint("report", __name__)
RETRY_SECONDS = 5  # how soon the "being prepared" page asks again


@bp.get("/a/<token>/report.pdf")
def download(token: str):
    assessment = ops.find_by_token(token)
    if assessment is None:
        abort(404)
    if not assessment.submitted:
        return redirect(url_for("wizard.check", token=token))
    return buyer_pdf(
        assessment,
        again=url_for("report.download", token=token),
        back=(url_for("wizard.result", token=token), "Back to your result"),
    )


def buyer_pdf(
    assessment: Assessment,
    again: str,
    back: tuple[str, str],
    on_sent: Callable[[], None] | None = None,
):
    """The PDF through one of the buyer's links, or the "being prepared" page that asks
    ``again``; ``on_sent`` is called once the file is on its way (to record the access).
    The PDF shows the current result revision, which is then seen by the buyer (or someone
    they shared it with) and can no longer be edited."""
    with services.unit_of_work() as uow:
        followup.mark_seen(uow, assessment)
    try:
        pdf = ready_pdf(assessment)
    except ReportError as exc:
        log.error("report download for assessment %s failed: %s", assessment.id, exc)
        error: ErrorData = {
            "title": "Your PDF report could not be prepared",
            "message": "Something went wrong on our side while preparing the PDF. Your answers "
            "and result are safe: the result page and the JSON download still work. Please try "
            "again later.",
            "code": 503,
        }
        return render_template("error.html", **error), 503
    if pdf is None:
        return preparing_page("Your report is being prepared", again, back)
    if on_sent is not None:
        on_sent()
    return pdf_download(pdf, assessment)


def ready_pdf(assessment: Assessment) -> bytes | None:
    """The PDF if it is ready within REPORT_WAIT_SECONDS, else None. The wait is bounded
    for everyone, staff too: it holds a web worker, which gunicorn stops after 60 s.
    Raises ReportError if the report could not be drawn."""
    service = services.reports()
    path = service.wait(assessment, service.wait_seconds)
    if path is None:
        return None
    try:
        # Read whole (about 100 KB): nothing holds the file open, so it can be
        # replaced or deleted at any time.
        return path.read_bytes()
    except FileNotFoundError:
        return None  # replaced or discarded between the check and the read: ask again shortly


def pdf_download(pdf: bytes, assessment: Assessment):
    response = send_file(
        BytesIO(pdf),
        mimetype="application/pdf",
        as_attachment=True,
        download_name=report_filename(assessment),
    )
    response.headers["Cache-Control"] = "no-store"  # the buyer's answers: keep no copy
    return response


class PreparingData(TypedDict):
    """templates/report/preparing.html's data."""

    layout: str  # the template it extends: the buyer's base.html or the sales layout
    title: str
    url: str  # where "Try again now" and the Refresh header ask again
    back_url: str
    back_label: str
    seconds: int  # how soon the page asks again by itself


def preparing_page(title: str, url: str, back: tuple[str, str], layout: str = "base.html"):
    """Shown while the PDF is still being drawn; the Refresh header asks again by itself
    (no script needed, so it works under the page's CSP) and the link does it by hand."""
    data: PreparingData = {
        "layout": layout,
        "title": title,
        "url": url,
        "back_url": back[0],
        "back_label": back[1],
        "seconds": RETRY_SECONDS,
    }
    body = render_template("report/preparing.html", **data)
    headers = {"Retry-After": str(RETRY_SECONDS), "Refresh": f"{RETRY_SECONDS}; url={url}"}
    return body, 202, headers


def answers_download(assessment: Assessment, numbered: bool = False):
    """The answers JSON (see followup.export), as the buyer's and the staff's download;
    ``numbered``: the file name carries the assessment's TC- number (for staff)."""
    body = json.dumps(followup.export(assessment), indent=2, ensure_ascii=False)
    filename = ops.answers_filename(assessment, numbered=numbered)
    return Response(
        body,
        mimetype="application/json",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
