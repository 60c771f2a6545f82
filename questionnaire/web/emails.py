"""The buyer's e-mails: "Email me this link", and the letters sent when they submit.

Nothing here waits for the mail server: letters go to the app's Mailer (notify.mailer),
which sends them in the background and records how it went; pages show that record.
With MAIL_SERVER unset there is no Mailer, these routes are 404s and pages show nothing
about e-mail.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from flask import Blueprint, abort, current_app, flash, redirect, request, url_for

from questionnaire import services
from questionnaire.core.report_context import report_id_of
from questionnaire.notify import letters
from questionnaire.store import mails, resume_links
from questionnaire.store import operations as ops
from questionnaire.store.models import Assessment, utcnow
from questionnaire.web import followup, wizard
from questionnaire.web.security import public_url

log = logging.getLogger(__name__)
bp = Blueprint("emails", __name__)
STUCK = timedelta(minutes=10)  # a letter still queued after this was most likely lost


def buyer_of(assessment: Assessment) -> dict:
    return {
        "company": assessment.company,
        "name": assessment.contact_name,
        "email": assessment.email,
    }


def when(moment) -> str:
    return moment.strftime("%-d %B %Y at %H:%M UTC")


@bp.post("/a/<token>/email-link")
def email_link(token: str):
    """Send the resume link to the address given at the start: only ever that address."""
    sender = services.mail()
    if sender is None:
        abort(404)
    assessment, bank = wizard.load(token)
    # Back where the button was: "Your assessment", or the step whose banner offered it.
    section_id = request.form.get("back", "")
    if any(section.id == section_id for section in bank.sections):
        back = url_for("wizard.step", token=token, section_id=section_id, new=1)
    else:
        back = url_for("wizard.overview", token=token)
    letter = letters.resume_link(
        current_app,
        buyer_of(assessment),
        public_url("wizard.resume", token=token),
        ops.expiry(assessment, services.store_settings()).strftime("%-d %B %Y"),
    )
    try:
        sender.send(assessment.id, mails.RESUME_LINK, letter)
    except mails.TooMany as refused:
        # Only what this buyer did themselves is told in figures: e-mails that others had
        # sent to the address (from assessments of their own) are nobody's business here.
        flash(
            f"We cannot e-mail {assessment.email} again just now: it has reached the most "
            "e-mails we send to one address in an hour. Please copy the link from this page."
            if refused.to_address
            else f"Your link has been e-mailed {mails.RESUME_LINK_LIMIT} times in the last "
            "hour, which is as often as we send it. You can ask again after "
            f"{refused.retry_at.strftime('%H:%M UTC')}, or copy the link from this page.",
            "error",
        )
        return redirect(back)
    flash(
        f"We are sending your link to {assessment.email}. It should arrive in a few minutes.",
        "success",
    )
    return redirect(back)


def after_submit(assessment: Assessment, token: str) -> None:
    """The buyer's confirmation and the sales team's notice. Never raises: the buyer's
    submission is saved whatever happens to its e-mails."""
    sender = services.mail()
    if sender is None:
        return
    try:
        result = letters.outcome(assessment.result or {}, assessment.deal_breakers)
        confirmation = letters.confirmation(
            current_app, buyer_of(assessment), result, public_url("wizard.resume", token=token)
        )
        try:
            sender.send(assessment.id, mails.CONFIRMATION, confirmation)
        except mails.TooMany:
            log.warning(
                "no confirmation for assessment %s: its address has had as many e-mails "
                "this hour as one address gets",
                assessment.id,
            )
        team = current_app.config["SALES_NOTIFY_EMAILS"]
        if team:
            summary = {
                "company": assessment.company,
                "name": report_id_of(assessment.id),
                "revision_of": report_id_of(assessment.revision_of_id)
                if assessment.revision_of_id
                else None,
            }
            link = followup.sales_url(assessment.id)
            letter = letters.sales_notice(current_app, team, summary, result, link)
            try:
                sender.send(assessment.id, mails.SALES_NOTICE, letter)
            except mails.TooMany:
                log.warning(
                    "no sales notice for assessment %s: every SALES_NOTIFY_EMAILS address has "
                    "had SALES_NOTICES_PER_HOUR notices this hour",
                    assessment.id,
                )
    except Exception:  # noqa: BLE001 - see the docstring
        log.exception("the e-mails about assessment %s could not be queued", assessment.id)


def status(assessment: Assessment, kind: str) -> dict | None:
    """The newest e-mail of ``kind`` in words for the buyer's page; None when e-mail is
    off. ``state`` is "none", "sending", "sent" or "failed"."""
    if services.mail() is None:
        return None
    # Both kinds hold the buyer's link: one sent before it was last replaced holds a dead one.
    found = mails.latest(assessment.id, kind, since=resume_links.replaced_at(assessment.id))
    shown = {"email": assessment.email, "state": "none", "asked": None, "at": None}
    if found is None:
        return shown
    state = found.status
    if state == mails.QUEUED:
        state = "failed" if utcnow() - found.created_at > STUCK else "sending"
    at = found.finished_at or found.created_at
    return {**shown, "state": state, "asked": when(found.created_at), "at": when(at)}


def init_app(app) -> None:
    app.register_blueprint(bp)
