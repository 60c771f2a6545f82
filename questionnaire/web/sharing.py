"""What a buyer does with a submitted result: revise it, and share it read-only.

- "Revise your answers" starts a new draft from the submitted assessment (store.revisions)
  and opens its check-answers page; the submitted one stays exactly as it was.
- "Create a read-only link" makes a second secret link, /v/<token>, that shows the result
  and its PDF and nothing else. Its views and downloads are in the buyer's access list.

Every page under /v/ is a GET: there is nothing a read-only link can change.
"""

from __future__ import annotations

from typing import Any, TypedDict

from flask import Blueprint, abort, flash, redirect, render_template, url_for

from questionnaire import services
from questionnaire.core.bank import Bank
from questionnaire.core.report_context import report_id_of
from questionnaire.store import access, followup, read_only, revisions
from questionnaire.store import operations as ops
from questionnaire.store.models import Assessment
from questionnaire.web import results, wizard
from questionnaire.web.downloads import buyer_pdf

bp = Blueprint("sharing", __name__)

REVISIONS_LIMITED = (
    "Too many assessments have been started from your network in the last hour, revisions "
    "included. Your submitted assessment is unchanged: please try again later."
)


def submitted_or_400(token: str) -> Assessment:
    assessment, _ = wizard.load(token)
    if not assessment.submitted:
        abort(400, "Only a submitted assessment can be revised or shared.")
    return assessment


@bp.post("/a/<token>/revise")
def revise(token: str):
    original = submitted_or_400(token)
    bank = wizard.current_bank_or_503()
    with services.unit_of_work() as uow:
        if not wizard.may_start(uow):  # each revision is a new assessment: the limit counts it
            flash(REVISIONS_LIMITED, "error")
            return redirect(url_for("wizard.result", token=token))
        revision, new_token, _ = revisions.revise(services.banks(), original, bank)
        uow.commit()
    flash(
        f"Your answers are copied into a new draft, {report_id_of(revision.id)}. Change what "
        f"you need, then submit it. Your submitted assessment, {report_id_of(original.id)}, "
        "stays as it was.",
        "success",
    )
    return redirect(url_for("wizard.check", token=new_token))


@bp.post("/a/<token>/read-only-link")
def create_link(token: str):
    assessment = submitted_or_400(token)
    replaced = read_only.current(assessment, token) is not None
    with services.unit_of_work() as uow:
        read_only.create(assessment, token)
        uow.commit()
    flash(
        "Your new read-only link is below. The old one no longer works."
        if replaced
        else "Your read-only link is below. Anyone you give it to can see your result and "
        "download the PDF report, and nothing else.",
        "success",
    )
    return redirect(url_for("wizard.result", token=token, _anchor="read-only"))


@bp.post("/a/<token>/read-only-link/revoke")
def revoke_link(token: str):
    assessment = submitted_or_400(token)
    with services.unit_of_work() as uow:
        revoked = read_only.revoke(assessment)
        uow.commit()
    if revoked:
        flash("Your read-only link has been switched off: it no longer opens anything.", "success")
    return redirect(url_for("wizard.result", token=token, _anchor="read-only"))


# --- what the buyer's pages show ---------------------------------------------------------


def buyer_panel(assessment: Assessment, token: str) -> dict:
    """For the buyer's result page: the read-only link, if there is one (the revisions
    are revision_notice's)."""
    link = read_only.current(assessment, token)
    if link is not None and link["token"] is not None:
        link = {**link, "url": url_for("sharing.view", token=link["token"], _external=True)}
    elif link is not None:  # made under the buyer's earlier resume link: not shown again
        link = {**link, "url": None}
    return {"read_only": link}


def revision_notice(assessment: Assessment, token: str, with_link: bool = False) -> dict | None:
    """For the pages of a revision or a revised assessment: the other ones, and for a
    revision still a draft, the earlier answers left behind and (``with_link``: on pages
    without the resume-link box) its own resume link."""
    links = revisions.links(assessment)
    if links["revision_of"] is None and not links["revised_by"]:
        return None
    draft = links["revision_of"] is not None and not assessment.submitted
    return {
        **links,
        "left_behind": revisions.left_behind(services.banks(), assessment) if draft else [],
        "resume_link": wizard.resume_url(token) if draft and with_link else None,
    }


# --- the read-only pages ------------------------------------------------------------------


def shared_or_404(token: str) -> Assessment:
    assessment = read_only.find(token)
    if assessment is None:
        abort(404)
    return assessment


class SharedData(TypedDict):
    """templates/shared.html's data: the result as the read-only link shows it."""

    bank: Bank
    token: str
    view: dict[str, Any]  # the result in force in words (results.page_view)
    assessment: dict[str, Any]  # company, submitted_at
    revised: bool  # the buyer has made a revision of it since


@bp.get("/v/<token>")
def view(token: str):
    assessment = shared_or_404(token)
    bank = ops.bank_of(services.banks(), assessment)
    with services.unit_of_work() as uow:
        access.record_read_only(assessment.id, access.VIEW)
        followup.mark_seen(uow, assessment)  # shown through the buyer's link: seen, as on theirs
        uow.commit()
    data: SharedData = {
        "bank": bank,
        "token": token,
        "view": results.page_view(bank, assessment),
        "assessment": {"company": assessment.company, "submitted_at": assessment.submitted_at},
        "revised": bool(revisions.links(assessment)["revised_by"]),
    }
    return render_template("shared.html", **data)


@bp.get("/v/<token>/report.pdf")
def pdf(token: str):
    assessment = shared_or_404(token)
    return buyer_pdf(
        assessment,
        again=url_for("sharing.pdf", token=token),
        back=(url_for("sharing.view", token=token), "Back to the result"),
        on_sent=lambda: record_read_only(assessment.id, access.PDF),
    )


def record_read_only(assessment_id: int, action: str) -> None:
    with services.unit_of_work() as uow:
        access.record_read_only(assessment_id, action)
        uow.commit()


def init_app(app) -> None:
    app.register_blueprint(bp)
