"""A lost resume link: "Lost your link?" on the start page, the e-mail it sends, and the
signed "make a new link" address in it.

Every test sends through a real SMTP server on loopback (aiosmtpd, the ``smtp`` fixture).
"""

from __future__ import annotations

import re
import threading
from datetime import timedelta

import pytest
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import event, select, update

from questionnaire import services
from questionnaire.notify import answered
from questionnaire.store import mails, resume_links
from questionnaire.store.db import db
from questionnaire.store.models import (
    AccessEvent,
    Assessment,
    MailRecipient,
    SentMail,
    hash_token,
    utcnow,
)
from questionnaire.web import lost_link
from tests.conftest import stored_assessment
from tests.support import CSRF_FIELD, assessment_id, page

NEW_LINK = re.compile(r"https://trustcheck\.example(/new-link/[A-Za-z0-9_.-]+)")


@pytest.fixture
def app(make_app, smtp):
    app = make_app(**smtp.config())
    services.mail(app).retry_delays = (0.05, 0.05)
    return app


def settled(app) -> None:
    """Every address asked about has been looked up, and every letter dealt with."""
    assert services.lost_links(app).wait_until_idle(30)
    assert services.mail(app).wait_until_idle(30)


def ask(client, address: str, **kwargs):
    return client.post("/lost-link", data={"lost-email": address}, **kwargs)


def text_of(received) -> str:
    return received.part("plain").replace("\r\n", "\n")


def links_in(received) -> list[str]:
    """The paths of the "make a new link" addresses in a letter, checked alike in its text
    and its HTML."""
    text = NEW_LINK.findall(received.part("plain"))
    assert NEW_LINK.findall(received.part("html")) == text
    return text


def submit(buyer, bank, example, **start) -> str:
    token = buyer.start(**start)
    buyer.answer_all(bank, example["answers"], example["must_have"])
    assert buyer.submit().status_code == 302
    return token


def new_link_for(client, smtp, app, address: str) -> str:
    """Ask for the address's e-mail and return its first "make a new link" path."""
    before = len(smtp.received)
    assert ask(client, address).status_code == 302
    settled(app)
    assert len(smtp.received) == before + 1
    return links_in(smtp.received[-1])[0]


def make_new_link(client, path: str) -> str:
    """Confirm a "make a new link" address; the new token."""
    response = client.post(path)
    assert response.status_code == 303, page(response)
    return re.fullmatch(r"/a/([^/]+)/new-link", response.location).group(1)


# --- the form on the start page ----------------------------------------------------------------


def test_the_form_is_offered_only_when_email_is_on(make_app, client):
    without_mail = make_app().test_client()
    assert "Lost your link?" not in page(without_mail.get("/"))
    assert ask(without_mail, "ann@acme.example").status_code == 404
    start = page(client.get("/"))
    assert "Lost your link?" in start and 'action="/lost-link"' in start
    assert 'id="lost-email"' in start and 'id="email"' in start  # beside the start form's


def test_the_answer_is_the_same_whether_or_not_the_address_has_assessments(
    app, client, buyer, smtp
):
    buyer.start(email="ann@acme.example")
    answers = {}
    for address in ("ann@acme.example", "nobody@acme.example"):
        response = ask(client, address)
        shown = page(client.get(response.location))
        assert response.status_code == 302 and response.location == "/"
        answers[address] = shown.replace(address, "ADDRESS")
    assert answers["ann@acme.example"] == answers["nobody@acme.example"]
    assert (
        "If there are assessments for ADDRESS, we are sending a message"
        in answers["nobody@acme.example"]
    )
    settled(app)
    assert [r.recipients for r in smtp.received] == [["ann@acme.example"]]


def test_the_answer_is_given_before_anything_is_looked_up(app, client, buyer, smtp, monkeypatch):
    """The time of the answer cannot tell either: the request reads no assessment, and
    the lookup runs after it, on the thread."""
    buyer.start(email="ann@acme.example")
    requests = services.lost_links(app)
    monkeypatch.setattr(requests, "kick", lambda: None)  # the thread waits until told
    statements = []
    with app.app_context():
        engine = db.engine

    def seen(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", seen)
    try:
        assert ask(client, "ann@acme.example").status_code == 302
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert statements and not any("FROM assessments" in s for s in statements)
    assert requests.waiting.qsize() == 1 and smtp.received == []
    requests.work()
    settled(app)
    assert [r.recipients for r in smtp.received] == [["ann@acme.example"]]


def test_a_bad_address_is_shown_again_with_its_error_and_nothing_is_sent(app, client, smtp):
    for typed, error in [
        ("", "Enter your email address"),
        ("not an address", "Enter an email address in the correct format"),
        ("a" * 250 + "@x.example", "Field cannot be longer than 254 characters"),
        ("ännä@acme.example", "Enter an email address with no accents"),
    ]:
        response = ask(client, typed)
        shown = page(response)
        assert response.status_code == 400
        assert shown.startswith("<!doctype html>") and "<title>Error: " in shown
        assert error in shown and 'href="#lost-email"' in shown
    settled(app)
    assert smtp.received == []


# --- the e-mail ----------------------------------------------------------------------------


def test_the_email_lists_each_kept_assessment_of_the_address_and_changes_nothing(
    app, client, buyer, bank, example, smtp
):
    submitted = submit(buyer, bank, example, company="Harbour & Finch <Ltd>")
    smtp.wait_for(1)  # its confirmation
    draft = buyer.start(company="Acme Ltd", email="Ann@ACME.example")
    expired = buyer.start(company="Old Draft Ltd", email="ann@acme.example")
    other = buyer.start(company="Other Ltd", email="someone@acme.example")
    tagged = buyer.start(company="Tagged Ltd", email="ann+trust@acme.example")
    with app.app_context():
        db.session.execute(
            update(Assessment)
            .where(Assessment.token_hash == hash_token(expired))
            .values(updated_at=utcnow() - timedelta(days=app.config["DRAFT_RETENTION_DAYS"] + 1))
        )
        db.session.commit()
    assert ask(client, "  ANN@acme.EXAMPLE ").status_code == 302
    settled(app)
    letter = smtp.received[-1]
    # To the address as the newest of them was started with.
    assert letter.recipients == ["Ann@ACME.example"]
    assert letter.message["Subject"] == "Your Trustcheck assessments: make a new link"
    text = text_of(letter)
    newer, older = assessment_id(app, draft), assessment_id(app, submitted)
    assert f"TC-{newer:06d}, Acme Ltd\nDraft, last saved on " in text
    assert f"TC-{older:06d}, Harbour & Finch <Ltd>\nSubmitted on " in text
    assert text.index(f"TC-{newer:06d}") < text.index(f"TC-{older:06d}")
    html = letter.part("html")
    assert "Harbour &amp; Finch &lt;Ltd&gt;" in html and "<Ltd>" not in html
    for absent in ("Old Draft Ltd", "Other Ltd", "Tagged Ltd"):
        assert absent not in text
    assert len(links_in(letter)) == 2
    assert (
        "Each of these addresses works once, until" in text
        and "Read-only links you gave colleagues" in text
    )
    assert "https://trustcheck.example/\n" in text  # where to ask again
    # No resume link in it, and nothing changed: every link still opens its assessment.
    assert "/a/" not in text and "/a/" not in html
    for token in (submitted, draft, other, tagged):
        assert client.get(f"/a/{token}").status_code == 302
    with app.app_context():
        assert (
            db.session.scalar(select(AccessEvent.id).where(AccessEvent.action == "new_link"))
            is None
        )


def test_an_address_without_assessments_gets_no_email(app, client, buyer, smtp):
    token = buyer.start(email="ann@acme.example")
    assert client.post(f"/a/{token}/delete").status_code == 302
    assert ask(client, "ann@acme.example").status_code == 302
    settled(app)
    assert smtp.received == []
    with app.app_context():
        assert db.session.scalar(select(SentMail.id)) is None


def test_the_email_lists_the_newest_twenty_and_says_so(app, client, buyer, smtp):
    for n in range(lost_link.LISTED + 1):
        buyer.start(company=f"Company {n}")
    assert ask(client, "ann@acme.example").status_code == 302
    settled(app)
    text = text_of(smtp.received[-1])
    assert "Here are the 20 most recent:" in text and len(links_in(smtp.received[-1])) == 20
    assert "Company 20" in text and "Company 0\n" not in text


# --- making the new link -------------------------------------------------------------------


def test_opening_the_link_asks_first_and_confirming_replaces_the_old_link(app, client, buyer, smtp):
    old = buyer.start(email="ann@acme.example", company="Acme Ltd")
    number = assessment_id(app, old)
    path = new_link_for(client, smtp, app, "ann@acme.example")
    question = client.get(path)
    shown = page(question)
    assert question.status_code == 200
    assert f"Make a new link for TC-{number:06d}?" in shown
    assert "Your old link will stop working." in shown and "Acme Ltd" in shown
    assert question.headers["X-Robots-Tag"] == "noindex, nofollow"
    assert client.get(f"/a/{old}").status_code == 302  # opening it changed nothing

    before = stored_assessment(app, old)
    new = make_new_link(client, path)
    assert new != old and len(new) == len(old)  # 192 bits, as the start page's
    after = stored_assessment(app, new)
    # Only the link changed: not the draft's age, nor what the change feed announces.
    assert (after.updated_at, after.version, after.row_version) == (
        before.updated_at,
        before.version,
        before.row_version,
    )
    made = page(client.get(f"/a/{new}/new-link"))
    assert "Your new link is ready. The old link to" in made
    assert "Save your resume link now" in made
    assert f'value="http://localhost/a/{new}"' in made
    assert f'href="/a/{new}"' in made  # on to the assessment
    assert "We keep your draft until" in made
    assert client.get(f"/a/{old}").status_code == 404
    assert client.get(f"/a/{old}/overview").status_code == 404
    assert client.get(f"/a/{new}").status_code == 302
    assert stored_assessment(app, new).id == number
    access = page(client.get(f"/a/{new}/access"))
    assert "Someone with the e-mail we sent to your address" in access
    assert "A new resume link was made: the old one no longer works" in access


def test_a_submitted_assessment_keeps_its_read_only_link_and_says_why_it_is_hidden(
    app, client, buyer, bank, example, smtp
):
    old = submit(buyer, bank, example)
    smtp.wait_for(1)
    shared = client.post(f"/a/{old}/read-only-link", follow_redirects=True)
    read_only = re.search(
        r'id="read-only-link" type="text" value="http://localhost(/v/[^"]+)"', page(shared)
    ).group(1)
    path = new_link_for(client, smtp, app, "ann@acme.example")
    assert "a read-only link you gave colleagues keeps working" in page(client.get(path))
    new = make_new_link(client, path)
    made = page(client.get(f"/a/{new}/new-link"))
    assert "We keep this assessment until" in made and "after you submitted it" in made
    assert client.get(read_only).status_code == 200
    result = page(client.get(f"/a/{new}/result"))
    assert "before your resume link was replaced. It still works" in result
    assert read_only not in result
    # The confirmation e-mailed at submit holds the old link: the page no longer points to it.
    assert "We e-mailed a confirmation with your link" not in result
    assert "A new resume link was made" in result  # the access log on the result page


def test_the_signed_link_works_once(app, client, buyer, smtp):
    old = buyer.start(email="ann@acme.example")
    first = new_link_for(client, smtp, app, "ann@acme.example")
    second = new_link_for(client, smtp, app, "ann@acme.example")  # asked for twice
    new = make_new_link(client, first)
    for path in (first, second):  # the link they were made for has changed
        for method in ("GET", "POST"):
            refused = client.open(path, method=method)
            assert refused.status_code == 410
            assert "This link has already been used" in page(refused)
    assert client.get(f"/a/{new}").status_code == 302 and client.get(f"/a/{old}").status_code == 404
    with app.app_context():
        events = db.session.scalars(select(AccessEvent.action)).all()
    assert events == ["new_link"]


def test_two_presses_at_once_make_one_link(app, client, buyer, smtp):
    buyer.start(email="ann@acme.example")
    number = assessment_id(app, buyer.token)
    with app.app_context():
        old_hash = resume_links.one(number).token_hash
    barrier, made = threading.Barrier(4), []

    def press():
        with app.app_context():
            barrier.wait()
            try:
                with services.unit_of_work() as uow:
                    made.append(resume_links.replace(number, old_hash))
                    uow.commit()
            finally:
                db.session.remove()

    threads = [threading.Thread(target=press) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    tokens = [t for t in made if t is not None]
    assert len(made) == 4 and len(tokens) == 1
    assert stored_assessment(app, tokens[0]).id == number


def test_the_signed_link_expires_after_an_hour(app, client, buyer, smtp, monkeypatch):
    old = buyer.start(email="ann@acme.example")
    path = new_link_for(client, smtp, app, "ann@acme.example")
    sent = utcnow()
    monkeypatch.setattr(lost_link, "utcnow", lambda: sent + timedelta(minutes=59))
    assert client.get(path).status_code == 200
    monkeypatch.setattr(lost_link, "utcnow", lambda: sent + timedelta(minutes=61))
    for method in ("GET", "POST"):
        refused = client.open(path, method=method)
        assert refused.status_code == 410
        assert "This link has expired" in page(refused) and "works for 1 hour" in page(refused)
    assert client.get(f"/a/{old}").status_code == 302  # nothing changed


def test_a_link_we_did_not_sign_is_a_clear_page_never_an_error(app, client, buyer, smtp):
    buyer.start(email="ann@acme.example")
    path = new_link_for(client, smtp, app, "ann@acme.example")
    number = assessment_id(app, buyer.token)
    with app.app_context():
        found = resume_links.one(number)
    payload = [number, lost_link.fingerprint(found.token_hash)]
    other_salt = URLSafeTimedSerializer("test-secret", salt="cookie-session").dumps(payload)
    other_key = URLSafeTimedSerializer("another-secret", salt=lost_link.SALT).dumps(payload)
    first = len("/new-link/")
    forged = [
        path[:first] + ("A" if path[first] != "A" else "B") + path[first + 1 :],  # tampered
        "/new-link/" + other_salt,
        "/new-link/" + other_key,
        "/new-link/not-a-signature",
        "/new-link/" + "a" * 300,
    ]
    for url in forged:
        for method in ("GET", "POST"):
            refused = client.open(url, method=method)
            assert refused.status_code == 404, url
            assert "This link is not one we sent" in page(refused)
    assert client.get(f"/a/{buyer.token}").status_code == 302


def test_the_new_link_page_of_a_link_never_replaced_goes_to_the_assessment(app, client, buyer):
    token = buyer.start()
    response = client.get(f"/a/{token}/new-link")
    assert response.status_code == 302 and response.location.endswith(f"/a/{token}")


# --- limits --------------------------------------------------------------------------------


def test_one_address_gets_at_most_three_of_these_emails_an_hour_and_keeps_room_for_its_own(
    app, client, buyer, smtp
):
    token = buyer.start(email="ann@acme.example")
    answers = set()
    for spelling in (
        "ann@acme.example",
        "ANN@acme.example",
        "Ann@Acme.Example",
        "ann@acme.example",
    ):
        response = ask(client, spelling)
        answers.add((response.status_code, response.location))
    assert answers == {(302, "/")}  # the fourth is told the same
    settled(app)
    assert len(smtp.received) == mails.NEW_LINK_LIMIT
    # The buyer's own e-mails still go: a stranger asking used up only these three.
    assert client.post(f"/a/{token}/email-link").status_code == 302
    smtp.wait_for(mails.NEW_LINK_LIMIT + 1)
    settled(app)
    assert "Here is the link to your Trustcheck assessment" in smtp.received[-1].part("plain")
    # An hour later it may go again.
    with app.app_context():
        db.session.execute(
            update(MailRecipient).values(created_at=utcnow() - timedelta(minutes=61))
        )
        db.session.commit()
    assert ask(client, "ann@acme.example").status_code == 302
    settled(app)
    assert len(smtp.received) == mails.NEW_LINK_LIMIT + 2


def test_these_emails_count_against_the_address_limit_too(app, client, buyer, smtp):
    buyer.start(email="ann@acme.example")
    with app.app_context():
        now = utcnow()
        key = mails.recipient_key(app.secret_key, "ann@acme.example")
        for _ in range(mails.ADDRESS_LIMIT):  # ten e-mails went to the address this hour
            db.session.add(MailRecipient(key=key, purpose=mails.BUYER, created_at=now))
        db.session.commit()
    assert ask(client, "ann@acme.example").status_code == 302
    settled(app)
    assert smtp.received == []


def test_asking_counts_against_the_start_limit_of_the_network(make_app, smtp):
    app = make_app(**smtp.config(START_LIMIT_PER_HOUR=2))
    client = app.test_client()
    for address in ("a@x.example", "b@x.example"):
        assert ask(client, address).status_code == 302
    refused = ask(client, "c@x.example")
    assert refused.status_code == 429 and refused.headers["Retry-After"] == "3600"
    assert "Too many requests have come from your network" in page(refused)
    assert 'value="c@x.example"' in page(refused)  # what was typed is kept
    assert services.lost_links(app).wait_until_idle(30)
    # Starting counts against the same limit.
    start = client.post(
        "/", data={"company": "A", "name": "B", "email": "a@x.example", "consent": "y"}
    )
    assert start.status_code == 429


# --- CSRF ------------------------------------------------------------------------------------


def test_both_forms_need_their_csrf_token(make_app, smtp):
    app = make_app(WTF_CSRF_ENABLED=True, **smtp.config())
    client = app.test_client()
    start = page(client.get("/"))
    csrf = CSRF_FIELD.search(start).group(1)
    response = client.post(
        "/",
        data={
            "company": "Acme",
            "name": "Ann",
            "email": "ann@acme.example",
            "consent": "y",
            "csrf_token": csrf,
        },
    )
    old = re.search(r"/a/([^/]+)/", response.location).group(1)
    assert ask(client, "ann@acme.example").status_code == 400  # no token
    assert services.lost_links(app).wait_until_idle(30)
    assert smtp.received == []
    response = client.post(
        "/lost-link", data={"lost-email": "ann@acme.example", "csrf_token": csrf}
    )
    assert response.status_code == 302
    settled(app)
    path = links_in(smtp.received[-1])[0]
    assert client.post(path).status_code == 400  # no token: nothing changes
    assert client.get(f"/a/{old}").status_code == 302
    confirm = CSRF_FIELD.search(page(client.get(path))).group(1)
    assert client.post(path, data={"csrf_token": confirm}).status_code == 303
    assert client.get(f"/a/{old}").status_code == 404


# --- the pages and letters that hold the old link ------------------------------------------------


def test_after_a_new_link_no_page_or_letter_points_to_an_email_holding_the_old_one(
    app, client, buyer, bank, example, smtp
):
    old = buyer.start(email="ann@acme.example")
    assert client.post(f"/a/{old}/email-link").status_code == 302
    smtp.wait_for(1)
    settled(app)
    assert "We e-mailed your link to ann@acme.example" in page(client.get(f"/a/{old}/overview"))
    new = make_new_link(client, new_link_for(client, smtp, app, "ann@acme.example"))
    overview = page(client.get(f"/a/{new}/overview"))
    assert "We e-mailed your link" not in overview and "Email me this link" in overview
    # The answered e-mail no longer says the confirmation holds the link.
    submitted = submit(buyer, bank, example, email="bob@acme.example")
    smtp.wait_for(3)  # its confirmation
    settled(app)
    number = assessment_id(app, submitted)
    with app.app_context():
        text = answered.letter_for(app, db.session.get(Assessment, number), 1).text
    assert "also in the e-mail we sent when you submitted" in text
    made = make_new_link(client, new_link_for(client, smtp, app, "bob@acme.example"))
    with app.app_context():
        text = answered.letter_for(app, db.session.get(Assessment, number), 1).text
    assert "also in the e-mail we sent when you submitted" not in text
    assert made


def test_the_answered_email_sends_a_lost_link_to_the_start_page(app, buyer, bank, example, smtp):
    token = submit(buyer, bank, example)
    smtp.wait_for(1)
    with app.app_context():
        letter = answered.letter_for(app, db.session.get(Assessment, assessment_id(app, token)), 2)
    assert "open your assessment with the link you saved" in letter.text
    assert "Lost it? Ask for a new one on the start page, with this e-mail address:" in letter.text
    assert "\nhttps://trustcheck.example/\n" in letter.text
    assert 'href="https://trustcheck.example/"' in letter.html
    assert "/a/" not in letter.text and token not in letter.html
