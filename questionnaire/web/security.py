"""Response headers and error pages shared by every part of the app."""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path
from typing import TypedDict, cast

from flask import Flask, current_app, render_template, request, url_for
from flask.json.provider import DefaultJSONProvider
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException, NotFound

from questionnaire.store.db import db
from questionnaire.store.operations import DatabaseBusy, Deleted, is_lock_timeout
from questionnaire.web import problems

log = logging.getLogger(__name__)
BUSY_RETRY_SECONDS = 5

REFERRER_POLICY = "same-origin"

CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

HEADERS = {
    "Content-Security-Policy": CSP,
    # Buyer tokens live in URLs: no other site is ever told a page's address. Our own
    # pages do send it, as Flask-WTF's CSRF check needs a same-origin Referer on every
    # HTTPS form post (WTF_CSRF_SSL_STRICT); under no-referrer each post behind the TLS
    # proxy was refused as "expired". See README, "Sessions".
    "Referrer-Policy": REFERRER_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), interest-cohort=()",
}

ERROR_TITLES = {
    400: "Something in that request was not right",
    403: "You do not have access to this page",
    404: "Page not found",
    405: "That action is not allowed here",
    409: "This assessment can no longer be changed",
    413: "That was too much data to send",
    415: "That kind of data is not accepted here",
    429: "Too many attempts",
    500: "Sorry, something went wrong on our side",
    503: "The questionnaire is temporarily unavailable",
}


_HEADERS_BY_KEY = {name.lower(): (name, value) for name, value in HEADERS.items()}


# Pages and PDFs behind a secret link (/a/<token>, /v/<token>, and the e-mailed way to
# make a new one, /new-link/<signed>): a link that leaks (pasted into a public ticket, say)
# must not put a buyer's answers in a search engine.
SECRET_LINK_PREFIXES = ("/a/", "/v/", "/new-link/")
NO_INDEX = "noindex, nofollow"

HSTS = "max-age=31536000"  # a year; not includeSubDomains: other hosts are not ours to decide


def add_headers(response):
    # One pass over what the response already has, instead of a lookup per header.
    # .keys(): iterating Werkzeug's Headers itself gives (name, value) pairs.
    present = {name.lower() for name in response.headers.keys()}  # noqa: SIM118
    response.headers.extend(v for k, v in _HEADERS_BY_KEY.items() if k not in present)
    if request.is_secure:  # over plain HTTP browsers ignore it; behind a proxy see ProxyFix
        response.headers["Strict-Transport-Security"] = HSTS
    if request.path.startswith(SECRET_LINK_PREFIXES):
        response.headers["X-Robots-Tag"] = NO_INDEX
    if request.endpoint == "static":
        if "v" in request.args and response.status_code == 200:
            # asset_url() names the file's content in ?v=, so this URL never changes meaning.
            response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
    elif request.endpoint and "cache-control" not in present:
        # Pages hold buyer answers or staff data: never keep them in shared caches.
        response.headers["Cache-Control"] = "no-store"
    return response


def asset_urls(app: Flask):
    """asset_url(filename): the static file's URL with a hash of its content, so browsers
    may cache it for a year and a deployment with a new stylesheet is seen at once. Worked
    out once per file; a page draws three of them."""
    urls: dict[str, str] = {}

    def asset_url(filename: str) -> str:
        url = urls.get(filename)
        if url is None:
            content = (
                Path(cast(str, app.static_folder)) / filename
            ).read_bytes()  # create_app sets it
            digest = hashlib.sha256(content).hexdigest()[:12]
            url = urls[filename] = url_for("static", filename=filename, v=digest)
        return url

    return asset_url


def csrf_field() -> Markup:
    """A form's hidden CSRF field, with no id: a page may hold several forms, and an id
    names one element on a page."""
    return Markup('<input name="csrf_token" type="hidden" value="{}">').format(generate_csrf())


def public_url(endpoint: str, **values) -> str:
    """An address for a message that leaves the app (an e-mail, a webhook): on PUBLIC_URL,
    never on the Host header of whoever caused it, which anyone can choose; the path alone
    where PUBLIC_URL is not set (config.check_mail requires it for e-mail)."""
    return current_app.config.get("PUBLIC_URL", "") + url_for(endpoint, **values)


class BoundedJSONProvider(DefaultJSONProvider):
    """Flask's JSON, where a request body nested too deeply for the parser (a few thousand
    brackets fit in MAX_CONTENT_LENGTH) is bad JSON, a 400 in the API's error format,
    rather than a RecursionError and a 500."""

    def loads(self, s, **kwargs):
        try:
            return super().loads(s, **kwargs)
        except RecursionError:
            raise ValueError("the JSON is nested too deeply") from None


class ErrorData(TypedDict):
    """templates/error.html's data: every error page's, this module's and the views' own."""

    title: str
    message: str | None  # what went wrong, in words; None: the title says it all
    code: int  # the HTTP status (404 adds how to find the page again)


def render_error(error: HTTPException):
    code = error.code or 500
    title = ERROR_TITLES.get(code, error.name)
    message = error.description if code not in (404, 500) else None
    if is_api():  # the CRM API answers in problem+json, errors included
        # Allow (405), WWW-Authenticate and the like; never the HTML content type.
        headers = {k: v for k, v in error.get_headers() if k.lower() != "content-type"}
        return problems.for_status(code, message, headers)
    data: ErrorData = {"title": title, "message": message, "code": code}
    return render_template("error.html", **data), code


def is_api() -> bool:
    return request.path.startswith("/api/")


def render_busy(error: Exception):
    """A write gave up waiting for a lock (DATABASE_LOCK_TIMEOUT): its transaction was
    rolled back whole, so the person can simply try again."""
    if isinstance(error, OperationalError):
        if not is_lock_timeout(error):
            raise error  # any other database failure is a 500, logged with its traceback
        db.session.rollback()
    log.warning("%s %s: the database stayed locked: %s", request.method, request.endpoint, error)
    retry = {"Retry-After": str(BUSY_RETRY_SECONDS)}
    if is_api():
        return problems.problem("busy", headers=retry)
    data: ErrorData = {
        "title": ERROR_TITLES[503],
        "message": "The database was busy, so nothing was saved. Please go back and try again "
        "in a moment.",
        "code": 503,
    }
    return render_template("error.html", **data), 503, retry


def init_app(app: Flask) -> None:
    app.json = BoundedJSONProvider(app)
    app.after_request(add_headers)
    app.add_template_global(asset_urls(app), "asset_url")
    app.add_template_global(csrf_field)
    app.jinja_env.globals["referrer_policy"] = REFERRER_POLICY  # the pages' <meta> says the same
    for code in ERROR_TITLES:
        app.register_error_handler(code, render_error)
    app.register_error_handler(DatabaseBusy, render_busy)
    # Deleted while being changed (the buyer's delete in another tab): gone, like any 404.
    app.register_error_handler(Deleted, lambda error: render_error(NotFound()))
    app.register_error_handler(OperationalError, render_busy)
