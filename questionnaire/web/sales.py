"""The sales workspace under /sales: find assessments, open one, download, export (signing
in and passwords are web.auth's, a blueprint inside this one).

Every endpoint of this blueprint (and of those inside it: auth, admin, follow-up, library)
passes ``guard`` first, so a view added later is behind sign-in without anyone remembering
a decorator.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any, TypedDict
from urllib.parse import quote

from flask import (
    Blueprint,
    Flask,
    Response,
    abort,
    current_app,
    flash,
    has_request_context,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_login import current_user

from questionnaire import services
from questionnaire.core import progress
from questionnaire.core.presenter import score_text
from questionnaire.core.report_context import report_id_of
from questionnaire.core.scoring import METHOD
from questionnaire.core.summary import figure, plural
from questionnaire.current import the_app
from questionnaire.reports.service import ReportError
from questionnaire.store import access, listing, open_questions, public, revisions
from questionnaire.store import operations as ops
from questionnaire.store.db import db
from questionnaire.store.followup import STAGE_LABELS, owner_choices
from questionnaire.store.models import SUBMITTED, Assessment
from questionnaire.web import admin, auth, downloads, followup, jobs, library, queries, results
from questionnaire.web import export as csv_export
from questionnaire.web.extensions import login_manager
from questionnaire.web.queries import ListQuery

log = logging.getLogger(__name__)
bp = Blueprint("sales", __name__, url_prefix="/sales")
bp.register_blueprint(auth.bp)  # sign in and out, passwords: inside sales, behind its guard
bp.register_blueprint(admin.bp, url_prefix="/admin")  # inside sales: behind its guard too
bp.register_blueprint(followup.bp)  # written answers, owner, stage, notes: guarded too
bp.register_blueprint(library.bp)  # the answer library: guarded too


# --- guard -----------------------------------------------------------------------------


@bp.before_request
def guard():
    if request.endpoint == auth.LOGIN:
        return None
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    minutes = current_app.config["SALES_IDLE_MINUTES"]
    hours = current_app.config["SALES_SESSION_HOURS"]
    expired = None
    if auth.idle_expired(minutes):
        expired = f"You were signed out after {minutes} minutes without activity."
    elif auth.too_old(hours):
        expired = f"You were signed out: a session lasts at most {hours:g} hours."
    if expired:
        # Only this browser's session ends: other devices of the same person carry on.
        auth.end_session()
        flash(expired, "info")
        back = auth.safe_next(request.full_path) if request.method == "GET" else None
        return redirect(url_for(auth.LOGIN, next=back))
    auth.mark_seen()
    if current_user.must_change_password and request.endpoint not in auth.OWN_PASSWORD:
        flash(
            "Choose a password of your own before you go on: the one you signed in with was "
            "made by an administrator, who has seen it.",
            "info",
        )
        return redirect(url_for("sales.auth.change_password"))
    jobs.keep_running(the_app())
    return refuse_cross_site()


# Views that record an access event, with what the link would do, in words.
RECORDED = {
    "sales.assessment": ("an assessment", "Open the assessment"),
    "sales.pdf": ("an assessment's PDF report", "Download the PDF report"),
    "sales.answers_json": ("an assessment's answers", "Download the answers (JSON)"),
    "sales.export": ("an export of assessments", "Export the list (CSV)"),
}
# Browsers say where a request comes from; "none" is a typed address or a bookmark.
OWN_SITE = ("same-origin", "none")


class CrossSiteData(TypedDict):
    """templates/sales/cross_site.html's data."""

    what: str  # what the link leads to, in words (RECORDED)
    action: str  # the button's words
    target: str  # the address the other site linked to, to open from here


def refuse_cross_site():
    """Another site's link to a view that records access (the session cookie is sent with
    it) would make a buyer see events nobody chose: such links get a page with a button
    to open it from here instead. A CRM's link to an assessment still works, one click on."""
    if request.endpoint not in RECORDED:
        return None
    origin = request.headers.get("Sec-Fetch-Site")
    if origin is None or origin in OWN_SITE:
        return None
    what, action = RECORDED[request.endpoint]
    data: CrossSiteData = {
        "what": what,
        "action": action,
        "target": request.full_path.rstrip("?"),
    }
    return render_template("sales/cross_site.html", **data), 403


def record_access(assessment_id: int, action: str, after_save: bool = False) -> None:
    """The signed-in person's view or download, in the buyer's access list."""
    with services.unit_of_work() as uow:
        access.record(assessment_id, auth.signed_in_user(), action, after_save=after_save)
        uow.commit()


# --- the list and the export -----------------------------------------------------------


class ListRow(TypedDict):
    """A row of the list: an assessment's public dict (store.public) and, in words, what
    the page shows beside it."""

    item: dict[str, Any]
    score_text: str
    state_words: dict[str, Any] | None
    revision_of: dict[str, Any] | None  # the assessment it revises: id and name
    revised_later: dict[str, Any] | None  # its latest revision: id, name, how many
    in_library: int  # of its open questions, how many an answer of the library fits


class ListPage(TypedDict):
    """templates/sales/list.html's data."""

    filters: ListQuery
    page: listing.Page
    rows: list[ListRow]
    page_links: list[int | None]
    choices: dict[str, list[str]]
    statuses: dict[str, str]
    sorts: dict[str, str]
    deal_breaker_choices: dict[str, str]
    state_choices: dict[str, str]
    library_choices: dict[str, str]
    rating_rank: dict[str, str]
    errors: list[tuple[str, str, str]]
    owners: list[dict[str, Any]]
    stages: dict[str, str]


@bp.get("/")
def assessments():
    filters = queries.list_filters(request.args)
    page = listing.page_of(filters)
    ranks = rating_ranks()
    in_library = open_questions.library_counts([row["id"] for row in page.rows])
    links = public.Links.of(page.rows)
    items = public.assessment_dicts(page.rows, links)
    data: ListPage = {
        "filters": filters,
        "page": page,
        "rows": [
            list_row(item, public.result_facts(row), revised_later(links, item["id"]), in_library)
            for item, row in zip(items, page.rows, strict=True)
        ],
        "page_links": queries.page_numbers(page.number, page.pages),
        "choices": listing.choices(list(ranks), filters.rating),
        "statuses": queries.STATUS_LABELS,
        "sorts": queries.SORT_LABELS,
        "deal_breaker_choices": queries.DEAL_BREAKER_CHOICES,
        "state_choices": queries.STATE_CHOICES,
        "library_choices": queries.LIBRARY_CHOICES,
        "rating_rank": ranks,
        "errors": [(name, "", message) for name, message in filters.errors],
        "owners": owner_choices(),
        "stages": STAGE_LABELS,
    }
    return render_template("sales/list.html", **data)


TAG_OF_TONE = {"good": "met", "fair": "partly_met", "poor": "not_met"}  # the status tags' colours


def rating_ranks() -> dict[str, str]:
    """Tag colour per rating label of the current bank: best green, worst red."""
    try:
        bank = services.banks().current()
    except Exception:  # noqa: BLE001 - a broken bank must not break the list
        return {}
    return {r.label: TAG_OF_TONE[bank.rating_tone(r.label)] for r in bank.ratings}


def list_row(
    item: dict[str, Any], facts: dict[str, Any], revised: dict | None, in_library: dict[int, int]
) -> ListRow:
    """A list row: the assessment's public dict, its score and state in words, its links to
    other revisions and how many of its open questions a library answer fits."""
    original = item["revision_of"]
    submitted = item["status"] == SUBMITTED
    text, words = state_words(item, facts) if submitted else ("", None)
    return {
        "item": item,
        "score_text": text,
        "state_words": words,
        "revision_of": {"id": original, "name": report_id_of(original)} if original else None,
        "revised_later": revised,
        "in_library": in_library.get(item["id"], 0),
    }


def revised_later(links: public.Links, assessment_id: int) -> dict[str, Any] | None:
    """An assessment's latest revision, and how many there are, from the page's links."""
    later = links.revised_by.get(assessment_id)
    if not later:
        return None
    return {"id": later[-1], "name": report_id_of(later[-1]), "count": len(later)}


STATE_LABELS = {"rated": "Rated", "provisional": "Not yet rated", "not_rated": "Not rated"}


def state_words(item: dict[str, Any], facts: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """A submitted assessment's score and state in words, from its list columns: the
    Score column's text (a fit/3 range where the open points leave one, never a point the
    evidence cannot carry), and the Rating column's words (the state of a result that has
    no band, and what the range depends on)."""
    state = item["state"] or facts["state"]
    found = facts["score_range"] if facts["method"] == METHOD else None
    open_points = facts["open_points"] or 0
    text = score_text(item["score"])
    if found and figure(found["low"]) != figure(found["high"]):
        text = f"{figure(found['low'])} to {figure(found['high'])}"
    elif found:
        text = figure(found["low"])
    depending = f"depending on {plural(open_points, 'open point')}" if found and open_points else ""
    label = STATE_LABELS.get(state or "", "Not rated")
    return text, {"state": state, "label": label, "range": depending}


@bp.get("/export.csv")
def export():
    filters = queries.list_filters(request.args)
    if filters.errors:  # never a wider export than asked for: show the list and its errors
        args: dict[str, Any] = request.args.to_dict()
        return redirect(url_for("sales.assessments", **args))
    user = auth.signed_in_user()
    user_id, actor = user.id, access.actor_label(user)
    owners = public.owner_names()
    # url_for per row costs more than the rest of a row; build the links from one.
    link_base = url_for("sales.assessment", assessment_id=0, _external=True).removesuffix("0")

    def generate():
        yield csv_export.csv_text([], header=True)
        for batch in listing.batches(filters):
            # Recorded before the rows leave: a buyer may be told of an export that
            # failed part-way, never left unaware of one that reached the CRM.
            with services.unit_of_work() as uow:
                access.record_many([row["id"] for row in batch], user_id, actor, access.EXPORT)
                uow.commit()
            links = public.Links.of(batch)
            yield csv_export.csv_text(
                [
                    csv_export.csv_cells(
                        public.assessment_dict(row, owners, links),
                        public.result_facts(row),
                        f"{link_base}{row['id']}",
                    )
                    for row in batch
                ]
            )

    # The UTC day, as the list's date filters use: not the server's local one.
    filename = f"trustcheck-{filters.status}-{datetime.now(UTC).date().isoformat()}.csv"
    return Response(
        stream_with_context(generate()),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


# --- one assessment --------------------------------------------------------------------


class AssessmentPage(TypedDict):
    """templates/sales/assessment.html's data."""

    assessment: dict[str, Any]  # its public dict, with when consent was given
    view: dict[str, Any] | None  # the result in force, for a submitted one
    sections: list[dict[str, Any]]  # a draft's progress
    revision: dict[str, Any]  # the assessments it revises and is revised by
    follow: dict[str, Any]  # the follow-up panel (web.followup.panel)


@bp.get("/assessments/<id:assessment_id>")
def assessment(assessment_id: int):
    found = db.get_or_404(Assessment, assessment_id)
    bank = ops.bank_of(services.banks(), found)
    view = None
    sections = []
    if found.submitted:
        view = results.page_view(bank, found)
    else:
        states = progress.section_states(bank, found.answers, found.progress)
        sections = progress.section_rows(bank, states)
    record_access(found.id, access.VIEW, after_save=followup.after_save(found.id))
    data: AssessmentPage = {
        "assessment": details(found),
        "view": view,
        "sections": sections,
        "revision": revisions.links(found),
        "follow": followup.panel(found, bank),
    }
    return render_template("sales/assessment.html", **data)


def details(found: Assessment) -> dict[str, Any]:
    """What the page says of the assessment: its public dict, and when the buyer agreed to
    share it with the sales team."""
    (item,) = public.assessment_dicts([public.row_of(found)])
    return {**item, "consent_at": found.consent_at}


@bp.get("/assessments/<id:assessment_id>/report.pdf")
def pdf(assessment_id: int):
    found = db.get_or_404(Assessment, assessment_id)
    if not found.submitted:
        abort(409, "There is no report yet: the buyer has not submitted this assessment.")
    try:
        report = downloads.ready_pdf(found)  # waits as long as a buyer's download, no longer
    except ReportError:
        log.exception("PDF report for assessment %s failed", found.id)
        abort(503, "The PDF report could not be made just now. Please try again in a minute.")
    if report is None:
        return downloads.preparing_page(
            "The report is being prepared",
            url_for("sales.pdf", assessment_id=found.id),
            back=(url_for("sales.assessment", assessment_id=found.id), "Back to the assessment"),
            layout="sales/layout.html",
        )
    record_access(found.id, access.PDF)
    return downloads.pdf_download(report, found)


@bp.get("/assessments/<id:assessment_id>/answers.json")
def answers_json(assessment_id: int):
    found = db.get_or_404(Assessment, assessment_id)
    record_access(found.id, access.ANSWERS)
    return downloads.answers_download(found, numbered=True)


# --- wiring ----------------------------------------------------------------------------


def sales_context() -> dict:
    """Sales pages show who is signed in."""
    if has_request_context() and request.blueprint and request.blueprint.startswith("sales"):
        return {"current_user": current_user}
    return {}


def mailto(email: str) -> str:
    """A mailto: link to exactly this address: "?", "&" and the like are percent-encoded,
    so an address the validator let through cannot add a cc or a body."""
    return "mailto:" + quote(email, safe="@")


def init_app(app: Flask) -> None:
    app.add_template_filter(mailto, "mailto")
    followup.init_app(app)
    auth.init_app(app)
    app.register_blueprint(bp)
    app.context_processor(sales_context)
