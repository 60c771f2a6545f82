"""The e-mails' words: each letter drawn from templates/mail/<name>.txt and .html with plain
data (the HTML autoescaped, like every page), its subject made one line."""

from __future__ import annotations

from flask import Flask

from questionnaire.core.summary import headline_words
from questionnaire.core.text import one_line
from questionnaire.notify.mailer import Letter

SUBJECT_NAME_LENGTH = 80
CAPPED_BY = {  # result["capped_by"], in words
    "deal_breaker": "a must-have that is not fully met",
    "provisional": "the result being provisional",  # fit/2
    "evidence": "too little of it resting on contract terms, audits or written answers",
}


def public_address(app: Flask, endpoint: str, **values) -> str:
    """A page's address for a letter written outside any request (a background thread):
    PUBLIC_URL, then the path, as web.security.public_url gives it in a request."""
    adapter = app.url_map.bind("localhost", script_name=app.config.get("APPLICATION_ROOT", "/"))
    return app.config.get("PUBLIC_URL", "") + adapter.build(endpoint, values)


def subject_name(company: str) -> str:
    """A company name fit for a Subject header: one line, not too long. (Flask-Mailman
    also refuses any header with a line break, should one ever get this far.)"""
    name = one_line(company)
    if len(name) > SUBJECT_NAME_LENGTH:
        name = name[: SUBJECT_NAME_LENGTH - 1].rstrip() + "…"
    return name or "your organisation"


def draw(app: Flask, name: str, to: tuple[str, ...], subject: str, **context) -> Letter:
    env = app.jinja_env
    context["subject"] = subject
    return Letter(
        to=to,
        subject=subject,
        text=env.get_template(f"mail/{name}.txt").render(**context),
        html=env.get_template(f"mail/{name}.html").render(**context),
    )


def outcome(result: dict, deal_breakers: int) -> dict:
    """What a letter says of a result: its headline (a rating, or "Not yet rated"), its
    score line (a range under fit/3) and the flags. fit/1 results have no "provisional"
    or "capped_by"; a result is called provisional only when it says so."""
    words = headline_words(result) if result else {"headline": "", "score_line": "", "state": ""}
    return {
        "headline": words["headline"],
        "score_line": words["score_line"],
        "state": words["state"],
        "rating": result.get("rating") or "",
        "provisional": result.get("provisional") is True and result.get("method") == "fit/2",
        # Only a rating is capped: a result not yet rated has none.
        "capped_by": CAPPED_BY.get(result.get("capped_by") or "") if result.get("rating") else None,
        "deal_breakers": deal_breakers,
    }


def resume_link(app: Flask, buyer: dict, link: str, expires: str) -> Letter:
    return draw(
        app,
        "resume_link",
        (buyer["email"],),
        f"Your Trustcheck link for {subject_name(buyer['company'])}",
        buyer=buyer,
        link=link,
        expires=expires,
    )


def confirmation(app: Flask, buyer: dict, result: dict, link: str) -> Letter:
    return draw(
        app,
        "confirmation",
        (buyer["email"],),
        f"Your Trustcheck result for {subject_name(buyer['company'])}",
        buyer=buyer,
        result=result,
        link=link,
    )


def sales_notice(app: Flask, to: tuple[str, ...], summary: dict, result: dict, link: str) -> Letter:
    """To the sales team: the company, the outcome and a link to the sales page; never the
    buyer's answers or their secret links."""
    return draw(
        app,
        "sales_notice",
        to,
        f"Assessment submitted: {subject_name(summary['company'])}, {result['headline'] or 'not rated'}",
        summary=summary,
        result=result,
        link=link,
    )


def answered(app: Flask, buyer: dict, result: dict, count: int, confirmed: bool) -> Letter:
    """To the buyer: the provider answered ``count`` of their questions in writing, and the
    result in force now. No link to the assessment: only the hash of the buyer's link is
    kept (``confirmed``: the confirmation e-mail, which holds the link in force, went); the
    start page, where a lost link can be replaced, instead."""
    return draw(
        app,
        "answered",
        (buyer["email"],),
        f"The provider answered {count} of your questions: {subject_name(buyer['company'])}",
        buyer=buyer,
        result=result,
        count=count,
        confirmed=confirmed,
        start=public_address(app, "wizard.start"),
    )


def new_link(app: Flask, to: str, assessments: list[dict], more: bool, until: str) -> Letter:
    """To an address someone typed on the start page: its assessments, each with a one-time
    link that makes a new resume link (``assessments``: reference, company, state, url;
    ``more``: older ones are left out), valid until ``until``."""
    return draw(
        app,
        "new_link",
        (to,),
        "Your Trustcheck assessments: make a new link",
        assessments=assessments,
        more=more,
        until=until,
        start=public_address(app, "wizard.start"),
    )
