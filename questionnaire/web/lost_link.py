"""A buyer who lost their resume link makes a new one ("Lost your link?" on the start page).

Only the hash of a resume link is kept, so a lost link cannot be sent again. Instead:
1. The start page's form takes an e-mail address and always answers the same, whether or
   not any assessment names it. Nothing is looked up while the page waits: a thread of
   this process does that afterwards, so neither the words nor the time of the answer
   tell a stranger whether the address has assessments.
2. That thread e-mails the address its assessments (store.resume_links.for_address), each
   with a "make a new link" address: signed (itsdangerous, SECRET_KEY, a salt of its own),
   valid for an hour, bound to the assessment and to the hash of its link now, so it stops
   working once used or once the link changes. Asking changes no link: a stranger typing
   someone's address breaks nothing.
3. That address shows a confirmation; confirming (a CSRF-checked POST) makes the new link
   (store.resume_links.replace), which the buyer's access log records, and shows it.

Asking needs e-mail (MAIL_SERVER): without it the form is not shown and is a 404. Each
request counts against the start page's limit per network (START_LIMIT_PER_HOUR), and
each e-mail against the limits per address (store.mails: NEW_LINK_LIMIT, ADDRESS_LIMIT).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import queue
from datetime import datetime, timedelta
from typing import Any, TypedDict

from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    url_for,
)
from itsdangerous import BadData, SignatureExpired, TimestampSigner, URLSafeTimedSerializer

from questionnaire import services
from questionnaire.core.bank import Bank
from questionnaire.core.report_context import report_id_of
from questionnaire.notify import letters
from questionnaire.notify.background import Loop, wait_until_done
from questionnaire.store import mails, resume_links, throttle
from questionnaire.store import operations as ops
from questionnaire.store.models import MAX_ROW_ID, utcnow
from questionnaire.web import wizard
from questionnaire.web.forms import LOST_PREFIX, ConfirmForm, LostLinkForm, StartForm

log = logging.getLogger(__name__)
bp = Blueprint("lost_link", __name__)

SALT = "trustcheck.new-resume-link"  # signatures made for this and nothing else
LIFETIME = timedelta(hours=1)
MAX_SIGNED = 200  # characters of a signed value in a URL (ours are about 80)
FINGERPRINT_LENGTH = 32  # hex characters of the link's hash, hashed again, in the payload
LISTED = 20  # assessments one e-mail lists at most, the newest
WAITING = 100  # addresses waiting for the thread in one process; past this one is dropped

ASKED = (
    "If there are assessments for {address}, we are sending a message to that address with "
    "a way to make a new link to each. It should arrive in a few minutes. We send at most "
    f"{mails.NEW_LINK_LIMIT} of these messages to one address an hour: if none arrives, look "
    "in your spam or junk folder, and check that this is the address you started with."
)
ASKS_LIMITED = (
    "Too many requests have come from your network in the last hour. Please try again later."
)


class Refused(Exception):
    """A "make a new link" address that cannot be used: ``reason`` is "expired" (older than
    LIFETIME), "used" (the link it was for has changed, or the assessment is gone) or
    "bad" (not one we made)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


# --- the signed address ----------------------------------------------------------------


class _Signer(TimestampSigner):
    """Signs with the app's clock (models.utcnow), which tests can move on an hour."""

    def get_timestamp(self) -> int:
        return int(utcnow().timestamp())


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT, signer=_Signer)


def fingerprint(token_hash: str) -> str:
    """What the signed address carries of the link's hash: enough to tell it changed."""
    return hashlib.sha256(b"new-link\0" + token_hash.encode()).hexdigest()[:FINGERPRINT_LENGTH]


def sign(found: resume_links.Found) -> str:
    return _serializer().dumps([found.id, fingerprint(found.token_hash)])


def current(signed: str) -> resume_links.Found:
    """The assessment a signed address is for, if it may still make a new link; else
    Refused."""
    if len(signed) > MAX_SIGNED:
        raise Refused("bad")
    try:
        payload = _serializer().loads(signed, max_age=int(LIFETIME.total_seconds()))
    except SignatureExpired:
        raise Refused("expired") from None
    except BadData:
        raise Refused("bad") from None
    match payload:
        case [int(number), str(seen)] if 1 <= number <= MAX_ROW_ID:
            found = resume_links.one(number)
        case _:  # signed by us, so never: unless the secret key is out
            raise Refused("bad")
    if found is None or not hmac.compare_digest(fingerprint(found.token_hash), seen):
        raise Refused("used")
    return found


def state_words(found: resume_links.Found) -> str:
    day = found.at.strftime("%-d %B %Y")
    return f"Submitted on {day}" if found.submitted else f"Draft, last saved on {day}"


# --- looking up and e-mailing, off the request path -----------------------------------------


def send_links(app: Flask, address: str) -> None:
    """E-mail the address its assessments, each with a signed "make a new link" address;
    nothing when it has none. Needs an app context."""
    sender = services.mail(app)
    found = resume_links.for_address(address, LISTED + 1, services.store_settings(app))
    if sender is None or not found:
        return
    listed = found[:LISTED]
    until = (utcnow() + LIFETIME).strftime("%H:%M UTC on %-d %B %Y")
    assessments = [
        {
            "reference": report_id_of(f.id),
            "company": f.company,
            "state": state_words(f),
            "url": letters.public_address(app, "lost_link.confirm", signed=sign(f)),
        }
        for f in listed
    ]
    # To the address the newest assessment was started with: each listed one names it,
    # in some letter case.
    letter = letters.new_link(app, listed[0].email, assessments, len(found) > LISTED, until)
    try:
        sender.send(listed[0].id, mails.NEW_LINK, letter)
    except mails.TooMany:
        # Whoever asked was told nothing either way: the limit is the address owner's shield.
        log.info("no new-link e-mail for assessment %s: its address is at a limit", listed[0].id)


class Requests(Loop):
    """Addresses asked about on the start page, looked up and e-mailed one by one."""

    name = "lost-links"
    idle_seconds = 600.0

    def __init__(self, app: Flask):
        super().__init__(app)
        self.waiting: queue.Queue[str] = queue.Queue(maxsize=WAITING)

    def ask(self, address: str) -> None:
        try:
            self.waiting.put_nowait(address)
        except queue.Full:
            log.error("a lost-link request was dropped: %d already waiting", WAITING)
            return
        self.kick()

    def work(self) -> None:
        while True:
            try:
                address = self.waiting.get_nowait()
            except queue.Empty:
                return
            try:
                with self.app.app_context():
                    send_links(self.app, address)
            except Exception:  # noqa: BLE001 - one address's failure must not stop the rest
                log.exception("the new-link e-mail for a lost-link request failed")
            finally:
                self.waiting.task_done()

    def wait_until_idle(self, seconds: float) -> bool:
        """Whether every address asked about was dealt with within ``seconds`` (tests)."""
        return wait_until_done(self.waiting, seconds)


# --- pages ------------------------------------------------------------------------------


@bp.post("/lost-link")
def ask():
    requests = services.lost_links()
    if requests is None:
        abort(404)
    bank = wizard.current_bank_or_503()
    form = LostLinkForm(prefix=LOST_PREFIX)
    start = StartForm(formdata=None)
    if not form.validate_on_submit():
        return wizard.start_page(bank, start, 400, lost=form)
    with services.unit_of_work() as uow:
        allowed = wizard.may_start(uow)  # commits the request's count
    if not allowed:
        seconds = int(throttle.START_WINDOW.total_seconds())
        page = wizard.start_page(bank, start, 429, lost=form, lost_refusal=ASKS_LIMITED)
        return *page, {"Retry-After": str(seconds)}
    address = (form.email.data or "").strip()
    requests.ask(address)
    flash(ASKED.format(address=address), "success")
    return redirect(url_for("wizard.start"))


REFUSALS = {  # (status, title, what happened)
    "expired": (
        410,
        "This link has expired",
        f"A link to make a new resume link works for {int(LIFETIME.total_seconds() // 3600)} "
        "hour after we send it.",
    ),
    "used": (
        410,
        "This link has already been used",
        "A new resume link was made with it already, or the assessment's link has changed "
        "since we sent it, or the assessment has been deleted. Each link works once.",
    ),
    "bad": (404, "This link is not one we sent", "Check that you copied all of it."),
}


class NewLinkData(TypedDict):
    """templates/new_link.html's data: the question, or why the address cannot be used."""

    refused: dict[str, str] | None  # the refusal's title and message; None: ask
    form: ConfirmForm | None
    assessment: dict[str, Any] | None  # reference, company, state in words, submitted


def refused_page(reason: str):
    status, title, message = REFUSALS[reason]
    data: NewLinkData = {
        "refused": {"title": title, "message": message},
        "form": None,
        "assessment": None,
    }
    return render_template("new_link.html", **data), status


@bp.route("/new-link/<signed>", methods=["GET", "POST"])
def confirm(signed: str):
    """Make a new link for the assessment, once confirmed (POST); never on a GET, which
    mail programs and link checkers may fetch on their own."""
    try:
        found = current(signed)
    except Refused as refused:
        return refused_page(refused.reason)
    form = ConfirmForm()
    if form.validate_on_submit():
        with services.unit_of_work() as uow:
            token = resume_links.replace(found.id, found.token_hash)
            uow.commit()
        if token is None:  # another press of the button, or another e-mail, went first
            return refused_page("used")
        return redirect(url_for("lost_link.made", token=token), 303)
    data: NewLinkData = {
        "refused": None,
        "form": form,
        "assessment": {
            "reference": report_id_of(found.id),
            "company": found.company,
            "state": state_words(found),
            "submitted": found.submitted,
        },
    }
    return render_template("new_link.html", **data)


class NewLinkMadeData(TypedDict):
    """templates/new_link_made.html's data."""

    bank: Bank
    token: str
    reference: str  # its TC- number
    company: str
    replaced: datetime  # when the new link was made
    resume_link: str
    expires: datetime
    submitted: bool
    days: int  # how long it is kept after the buyer's last change or submission


@bp.get("/a/<token>/new-link")
def made(token: str):
    """The new link, to save; then on to the assessment."""
    assessment, bank = wizard.load(token)
    replaced = resume_links.replaced_at(assessment.id)
    if replaced is None:
        return redirect(url_for("wizard.resume", token=token))
    config = current_app.config
    data: NewLinkMadeData = {
        "bank": bank,
        "token": token,
        "reference": report_id_of(assessment.id),
        "company": assessment.company,
        "replaced": replaced,
        "resume_link": wizard.resume_url(token),
        "expires": ops.expiry(assessment, services.store_settings()),
        "submitted": assessment.submitted,
        "days": config[
            "SUBMITTED_RETENTION_DAYS" if assessment.submitted else "DRAFT_RETENTION_DAYS"
        ],
    }
    return render_template("new_link_made.html", **data)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    if services.mail(app) is not None:
        services.provide(app, services.LostLinks, Requests(app))
