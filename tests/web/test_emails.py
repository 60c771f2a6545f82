"""E-mail: the resume link on request, the confirmation and the sales notice on submit.

Every test sends through a real SMTP server on loopback (aiosmtpd, the ``smtp`` fixture).
"""

from __future__ import annotations

import re
import socket
import threading
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from questionnaire import services
from questionnaire.config import ConfigError
from questionnaire.store import mails
from questionnaire.store.db import db
from questionnaire.store.models import Assessment, MailRecipient, SentMail, utcnow
from tests.conftest import Buyer, stored_assessment
from tests.support import assessment_id, page

SALES_TEAM = ("sales@provider.example", "lead@provider.example")


@pytest.fixture
def app(make_app, smtp):
    app = make_app(**smtp.config(SALES_NOTIFY_EMAILS=", ".join(SALES_TEAM)))
    services.mail(app).retry_delays = (0.05, 0.05)
    return app


def outcomes(app, token, kind) -> list[str]:
    """The recorded outcomes of an assessment's e-mails of one kind, once all are settled."""
    assert services.mail(app).wait_until_idle(20)
    with app.app_context():
        return list(
            db.session.scalars(
                select(SentMail.status)
                .where(SentMail.assessment_id == assessment_id(app, token), SentMail.kind == kind)
                .order_by(SentMail.id)
            )
        )


def link_in(text: str) -> str:
    return re.search(r"https://trustcheck\.example/a/[A-Za-z0-9_-]+", text).group(0)


# --- "Email me this link" -----------------------------------------------------------------


def test_email_me_this_link_sends_the_resume_link_to_the_address_given_at_the_start(
    app, client, buyer, smtp
):
    token = buyer.start(email="ann@acme.example")
    overview = page(client.get(buyer.url("/overview")))
    assert "Email me this link" in overview and "ann@acme.example" in overview
    # An address typed now is ignored: the form has no such field, and a forged one is dropped.
    response = client.post(buyer.url("/email-link"), data={"email": "eve@evil.example"})
    assert response.status_code == 302 and response.location.endswith(f"/a/{token}/overview")
    (received,) = smtp.wait_for(1)
    assert received.recipients == ["ann@acme.example"]
    assert received.message["To"] == "ann@acme.example"
    assert received.message["From"] == "Trustcheck <trustcheck@provider.example>"
    text, html = received.part("plain"), received.part("html")
    assert link_in(text) == f"https://trustcheck.example/a/{token}"
    assert f'href="https://trustcheck.example/a/{token}"' in html
    assert outcomes(app, token, mails.RESUME_LINK) == ["sent"]
    shown = page(client.get(buyer.url("/overview")))
    assert "We e-mailed your link to ann@acme.example on" in shown


def test_the_first_steps_save_your_link_box_offers_to_email_it_and_comes_back_there(
    app, client, buyer, smtp
):
    token = buyer.start(email="ann@acme.example")
    first = buyer.url("/step/security?new=1")
    banner = page(client.get(first))
    box = banner[banner.index("Save your resume link now") : banner.index("</section>")]
    assert "Email me this link" in box and "ann@acme.example" in box
    response = client.post(buyer.url("/email-link"), data={"back": "security"})
    assert response.status_code == 302 and response.location.endswith(first)
    assert smtp.wait_for(1)[0].recipients == ["ann@acme.example"]
    assert "We are sending your link to ann@acme.example" in page(client.get(first))
    # Only a section of the bank: anything else goes back to "Your assessment".
    response = client.post(buyer.url("/email-link"), data={"back": "//evil.example"})
    assert response.location.endswith(f"/a/{token}/overview")
    # Other step pages, without the banner, stay as they were: no e-mail button.
    assert "Email me this link" not in page(client.get(buyer.url("/step/security")))


def test_links_in_mail_come_from_public_url_not_the_request_host(app, client, buyer, smtp):
    token = buyer.start()
    client.post(buyer.url("/email-link"), headers={"Host": "evil.example"})
    (received,) = smtp.wait_for(1)
    assert "evil.example" not in received.message.as_string()
    assert link_in(received.part("plain")).endswith(token)


def test_the_link_is_emailed_at_most_three_times_an_hour(app, client, buyer, smtp):
    token = buyer.start()
    for _ in range(3):
        assert client.post(buyer.url("/email-link")).status_code == 302
    refused = client.post(buyer.url("/email-link"), follow_redirects=True)
    assert "e-mailed 3 times in the last hour" in page(refused)
    assert outcomes(app, token, mails.RESUME_LINK) == ["sent"] * 3
    assert len(smtp.wait_for(3)) == 3
    # An hour later it may go again.
    with app.app_context():
        db.session.execute(update(SentMail).values(created_at=utcnow() - timedelta(minutes=61)))
        db.session.commit()
    client.post(buyer.url("/email-link"))
    assert outcomes(app, token, mails.RESUME_LINK) == ["sent"] * 4


def test_the_hourly_limit_holds_when_many_ask_at_once(app, buyer):
    """Across web processes the limit lives in the database: six requests racing each
    other get three e-mails between them."""
    number = assessment_id(app, buyer.start())
    barrier, results = threading.Barrier(6), []

    def ask():
        with app.app_context():
            barrier.wait()
            try:
                with services.unit_of_work() as uow:
                    mails.record_to_buyer(app.secret_key, number, mails.RESUME_LINK)
                    uow.commit()
                results.append("recorded")
            except mails.TooMany:
                results.append("refused")
            finally:
                db.session.remove()

    threads = [threading.Thread(target=ask) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(results) == ["recorded"] * 3 + ["refused"] * 3


def test_the_limit_of_an_address_holds_when_many_assessments_ask_at_once(app, buyer):
    """Twelve assessments naming one address, each asking at the same moment: ten e-mails."""
    numbers = [assessment_id(app, buyer.start(email=f"victim+{n}@example.org")) for n in range(12)]
    barrier, results = threading.Barrier(len(numbers)), []

    def ask(number):
        with app.app_context():
            barrier.wait()
            try:
                with services.unit_of_work() as uow:
                    mails.record_to_buyer(app.secret_key, number, mails.RESUME_LINK)
                    uow.commit()
                results.append("recorded")
            except mails.TooMany:
                results.append("refused")
            finally:
                db.session.remove()

    threads = [threading.Thread(target=ask, args=(n,)) for n in numbers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(results) == ["recorded"] * mails.ADDRESS_LIMIT + ["refused"] * 2


def test_one_address_gets_at_most_ten_emails_an_hour_whatever_assessments_name_it(
    app, client, buyer, smtp
):
    """Anyone can start assessments with someone else's address and have the link sent:
    ten e-mails an hour reach that address, however many assessments ask."""
    spellings = ("victim@example.org", "Victim@Example.org", "victim+1@example.org")
    for n in range(mails.ADDRESS_LIMIT):
        buyer.start(company=f"Flood {n}", email=spellings[n % 3])
        assert client.post(buyer.url("/email-link")).status_code == 302
    token = buyer.start(company="Flood 10", email="VICTIM+again@example.org")
    refused = page(client.post(buyer.url("/email-link"), follow_redirects=True))
    assert "We cannot e-mail VICTIM+again@example.org again just now" in refused
    assert "reached the most e-mails we send to one address in an hour" in refused
    assert not re.search(r"\d{2}:\d{2} UTC|\b10\b", refused)  # nothing of what others sent
    assert outcomes(app, token, mails.RESUME_LINK) == []
    assert len(smtp.wait_for(mails.ADDRESS_LIMIT)) == mails.ADDRESS_LIMIT
    other = buyer.start(email="someone.else@example.org")  # other addresses are not held up
    client.post(buyer.url("/email-link"))
    assert outcomes(app, other, mails.RESUME_LINK) == ["sent"]


def test_deleting_the_assessments_does_not_reset_the_count_of_an_address(app, client, buyer, smtp):
    """The attack: start with a victim's address, "Email me this link" three times, delete,
    start again. The count of e-mails to the address outlives the assessments."""
    for n in range(4):
        token = buyer.start(company=f"Cycle {n}", email="victim@example.org")
        for _ in range(mails.RESUME_LINK_LIMIT):
            client.post(buyer.url("/email-link"))
        assert client.post(buyer.url("/delete")).status_code == 302
    assert len(smtp.wait_for(mails.ADDRESS_LIMIT)) == mails.ADDRESS_LIMIT
    assert services.mail(app).wait_until_idle(20)
    assert len(smtp.received) == mails.ADDRESS_LIMIT  # not 12
    with app.app_context():  # nothing personal is kept: only keyed hashes and times
        stored = db.session.scalars(select(MailRecipient.key)).all()
        assert len(stored) == mails.ADDRESS_LIMIT
        assert all(re.fullmatch("[0-9a-f]{64}", key) for key in stored)
        assert len(set(stored)) == 1 and db.session.scalar(select(SentMail.id)) is None
    assert token


def test_the_sales_team_gets_at_most_its_hourly_number_of_notices(make_app, smtp, bank, example):
    app = make_app(
        **smtp.config(SALES_NOTIFY_EMAILS="sales@provider.example", SALES_NOTICES_PER_HOUR=2)
    )
    for n in range(3):
        submit(
            Buyer(app.test_client()), bank, example, company=f"Burst {n}", email=f"b{n}@x.example"
        )
    assert services.mail(app).wait_until_idle(20)
    notices = [r for r in smtp.received if r.recipients == ["sales@provider.example"]]
    assert len(notices) == 2
    with app.app_context():
        kinds = db.session.scalars(select(SentMail.kind)).all()
    assert kinds.count(mails.SALES_NOTICE) == 2 and kinds.count(mails.CONFIRMATION) == 3


def test_a_confirmation_past_the_address_limit_is_not_sent_and_the_rest_goes_on(
    app, client, buyer, bank, example, smtp
):
    for n in range(mails.ADDRESS_LIMIT):
        buyer.start(company=f"Earlier {n}")
        assert client.post(buyer.url("/email-link")).status_code == 302
    assert len(smtp.wait_for(mails.ADDRESS_LIMIT)) == mails.ADDRESS_LIMIT
    token = submit(buyer, bank, example)
    assert stored_assessment(app, token).status == "submitted"
    assert outcomes(app, token, mails.CONFIRMATION) == []
    assert outcomes(app, token, mails.SALES_NOTICE) == ["sent"]  # the sales team still hears
    received = smtp.wait_for(mails.ADDRESS_LIMIT + 1)
    assert [r.recipients for r in received[mails.ADDRESS_LIMIT :]] == [list(SALES_TEAM)]


def test_a_mail_server_that_refuses_is_a_clear_message_and_nothing_is_lost(
    app, client, buyer, bank, example, smtp
):
    token = buyer.start()
    buyer.step("security", buyer.section_data(bank, "security", example["answers"]))
    smtp.refuse = True
    response = client.post(buyer.url("/email-link"), follow_redirects=True)
    assert response.status_code == 200
    assert "We are sending your link to ann@acme.example" in page(response)
    assert outcomes(app, token, mails.RESUME_LINK) == ["failed"]
    shown = page(client.get(buyer.url("/overview")))
    assert "We could not e-mail your link to ann@acme.example" in shown
    assert "Nothing you saved is lost" in shown
    with app.app_context():
        row = db.session.scalar(select(SentMail))
        assert "451" in row.error  # the reason, for operators
    assert stored_assessment(app, token).answers.keys() >= {"encryption_at_rest"}


def test_a_mail_server_that_never_answers_does_not_hold_up_the_page(make_app, buyer_factory):
    """The page returns while the sender is still waiting for the server's greeting (it
    waits up to MAIL_TIMEOUT, 30 s here, and none comes): the page never waited for it.
    How long the page takes is measured by `make bench` (email_link_silent_server_s)."""
    silent = socket.create_server(("127.0.0.1", 0))  # accepts, never says a word
    try:
        app = make_app(
            MAIL_SERVER="127.0.0.1",
            MAIL_PORT=silent.getsockname()[1],
            MAIL_TIMEOUT=30.0,
            MAIL_DEFAULT_SENDER="t@provider.example",
            PUBLIC_URL="https://trustcheck.example",
        )
        services.mail(app).retry_delays = ()
        buyer = buyer_factory(app)
        token = buyer.start()
        response = buyer.client.post(buyer.url("/email-link"))
        assert response.status_code == 302
        with app.app_context():
            assert mails.latest(assessment_id(app, token), mails.RESUME_LINK).status == "queued"
    finally:
        silent.close()  # the waiting connection is reset: the letter fails
    assert outcomes(app, token, mails.RESUME_LINK) == ["failed"]


def test_a_letter_lost_with_its_process_is_shown_as_not_sent(app, client, buyer):
    token = buyer.start()
    with app.app_context():
        db.session.add(
            SentMail(
                assessment_id=assessment_id(app, token),
                kind=mails.RESUME_LINK,
                status=mails.QUEUED,
                created_at=utcnow() - timedelta(minutes=30),
            )
        )
        db.session.commit()
    assert "We could not e-mail your link" in page(client.get(buyer.url("/overview")))


# --- on submit ----------------------------------------------------------------------------


def submit(buyer, bank, example, **start) -> str:
    token = buyer.start(**start)
    buyer.answer_all(bank, example["answers"], example["must_have"])
    assert buyer.submit().status_code == 302
    return token


def test_submitting_emails_the_buyer_their_result_and_the_sales_team_a_notice(
    app, client, buyer, bank, example, smtp
):
    token = submit(buyer, bank, example, company="Harbour & Finch <Ltd>")
    received = smtp.wait_for(2)
    by_kind = {tuple(r.recipients): r for r in received}
    stored = stored_assessment(app, token)
    confirmation = by_kind[("ann@acme.example",)]
    assert confirmation.message["Subject"] == "Your Trustcheck result for Harbour & Finch <Ltd>"
    text = confirmation.part("plain")
    low, high = stored.result["score_range"]["low"], stored.result["score_range"]["high"]
    assert stored.result["state"] == "provisional" and stored.rating is None
    assert "Result: Not yet rated\n" in text.replace("\r", "")
    assert f"Score: between {low:.1f} and {high:.1f}, depending on " in text
    assert "Rating" not in text and "None" not in text
    assert link_in(text) == f"https://trustcheck.example/a/{token}"
    html = confirmation.part("html")
    assert "Harbour &amp; Finch &lt;Ltd&gt;" in html and "<Ltd>" not in html

    notice = by_kind[SALES_TEAM]
    assert notice.message["To"] == ", ".join(SALES_TEAM)
    body = notice.part("plain")
    number = stored.id
    assert f"Assessment: TC-{number:06d}" in body
    assert f"https://trustcheck.example/sales/assessments/{number}" in body
    # Not yet rated: most of this buyer's needs are not in the source. No rating to cap.
    assert "Result: Not yet rated" in body and "Provisional" not in body
    assert "capped" not in body
    assert f"Deal-breakers: {stored.deal_breakers or 'none'}" in body
    # Never the buyer's answers or secret links.
    everything = notice.message.as_string()
    assert token not in everything and "/a/" not in everything and "/v/" not in everything
    assert "ann@acme.example" not in everything
    for question_id, value in example["answers"].items():
        if isinstance(value, str) and len(value) > 12:
            assert value not in everything, question_id
    result_page = page(client.get(buyer.url("/result")))
    assert "a confirmation with your link to ann@acme.example" in result_page


def test_the_sales_notice_carries_fit2_flags_only_when_the_result_has_them(app):
    from questionnaire.notify import letters

    with app.test_request_context():
        fit1 = letters.outcome({"method": "fit/1", "score": 80.0, "rating": "Fit with gaps"}, 0)
        fit2 = letters.outcome(
            {
                "method": "fit/2",
                "score": 90.0,
                "rating": "Fit with gaps",
                "provisional": True,
                "capped_by": "provisional",
            },
            0,
        )
        texts = [
            letters.sales_notice(
                app,
                SALES_TEAM,
                {"company": "Acme", "name": "TC-000001", "revision_of": None},
                r,
                "l",
            ).text
            for r in (fit1, fit2)
        ]
    assert "Provisional" not in texts[0] and "capped" not in texts[0]
    assert "Result: Fit with gaps" in texts[0] and "Score: 80.0 out of 100" in texts[0]
    assert "Provisional: yes" in texts[1]
    assert "Rating capped by the result being provisional" in texts[1]


def test_an_address_with_letters_outside_ascii_before_the_at_is_refused_at_the_start(client, smtp):
    response = client.post(
        "/", data={"company": "Ü Ltd", "name": "Ülla", "email": "üser@example.org", "consent": "y"}
    )
    assert response.status_code == 400
    assert "no accents or letters outside A to Z before the @" in page(response)
    accepted = client.post(  # a domain in Unicode is fine: it is sent in its ASCII form
        "/",
        data={"company": "Ü Ltd", "name": "Ülla", "email": "user@bücher.example", "consent": "y"},
    )
    assert accepted.status_code == 302


def test_a_stored_address_outside_ascii_is_never_mailed_with_a_broken_header(
    app, client, buyer, smtp
):
    """An assessment stored before the start page refused such addresses: no letter goes
    (Flask-Mailman would have sent To: =?utf-8?...?=@example.org), and the buyer is told."""
    token = buyer.start()
    with app.app_context():
        db.session.execute(update(Assessment).values(email="üser@example.org"))
        db.session.commit()
    client.post(buyer.url("/email-link"))
    assert outcomes(app, token, mails.RESUME_LINK) == ["failed"]
    with app.app_context():
        assert "outside ASCII" in db.session.scalar(select(SentMail.error))
    assert smtp.received == []
    assert "We could not e-mail your link" in page(client.get(buyer.url("/overview")))


def test_a_company_name_with_line_breaks_cannot_add_a_header(
    app, client, buyer, bank, example, smtp
):
    token = submit(buyer, bank, example)
    with app.app_context():  # as if stored before names were made one line
        db.session.execute(
            update(Assessment).values(company="Evil\r\nBcc: victim@elsewhere.example\r\nX-Evil: 1")
        )
        db.session.commit()
    assert "\n" in stored_assessment(app, token).company
    client.post(f"/a/{token}/email-link")
    received = smtp.wait_for(3)[-1]
    assert received.recipients == ["ann@acme.example"]
    assert received.message["Bcc"] is None and received.message["X-Evil"] is None
    assert received.message["Subject"] == (
        "Your Trustcheck link for Evil Bcc: victim@elsewhere.example X-Evil: 1"
    )


def test_a_submission_is_saved_even_if_its_mails_cannot_be_queued(
    app, client, buyer, bank, example, monkeypatch
):
    def broken(*args, **kwargs):
        raise RuntimeError("the mailer broke")

    monkeypatch.setattr(services.mail(app), "send", broken)
    token = submit(buyer, bank, example)
    assert stored_assessment(app, token).submitted
    assert client.get(f"/a/{token}/result").status_code == 200


# --- with MAIL_SERVER unset ---------------------------------------------------------------


def test_without_a_mail_server_nothing_about_email_is_shown(make_app, buyer_factory, bank, example):
    app = make_app()
    assert services.mail(app) is None
    buyer = buyer_factory(app)
    token = submit(buyer, bank, example)
    other = buyer.start()
    for url in (f"/a/{other}/overview", f"/a/{token}/result", f"/a/{other}/step/security?new=1"):
        html = page(buyer.client.get(url)).lower()
        assert "email me" not in html and "e-mail" not in html, url
    assert buyer.client.post(f"/a/{other}/email-link").status_code == 404


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"MAIL_DEFAULT_SENDER": ""}, "MAIL_DEFAULT_SENDER is needed"),
        ({"PUBLIC_URL": ""}, "PUBLIC_URL is needed"),
        ({"PUBLIC_URL": "trustcheck.example"}, "PUBLIC_URL is needed"),
        ({"MAIL_USE_TLS": True, "MAIL_USE_SSL": True}, "cannot both be set"),
        ({"MAIL_DEFAULT_SENDER": "not an address"}, "MAIL_DEFAULT_SENDER must hold"),
        ({"SALES_NOTIFY_EMAILS": "a@x.example, nope"}, "SALES_NOTIFY_EMAILS must hold"),
        ({"SALES_NOTIFY_EMAILS": "ünter@x.example"}, "SALES_NOTIFY_EMAILS must hold"),
        ({"MAIL_TIMEOUT": 600.0}, "MAIL_TIMEOUT must be"),
    ],
)
def test_mail_settings_that_cannot_work_stop_the_app_with_a_message(
    make_app, smtp, settings, message
):
    with pytest.raises(ConfigError, match=message):
        make_app(**smtp.config(**settings))


def test_mail_settings_come_from_the_environment(monkeypatch):
    from questionnaire import config

    monkeypatch.setenv("MAIL_SERVER", "smtp.provider.example")
    monkeypatch.setenv("MAIL_PORT", "587")
    monkeypatch.setenv("MAIL_USE_TLS", "1")
    monkeypatch.setenv("SALES_NOTIFY_EMAILS", "A@Provider.example,b@provider.example")
    monkeypatch.setenv("MAIL_DEFAULT_SENDER", "Trustcheck <t@provider.example>")
    monkeypatch.setenv("PUBLIC_URL", "https://trustcheck.example/")
    settings = config.check_mail(config.mail_settings())
    assert settings["MAIL_PORT"] == 587 and settings["MAIL_USE_TLS"] is True
    assert settings["SALES_NOTIFY_EMAILS"] == ("A@provider.example", "b@provider.example")
    assert settings["PUBLIC_URL"] == "https://trustcheck.example"
    monkeypatch.setenv("MAIL_PORT", "smtp")
    with pytest.raises(ConfigError, match="MAIL_PORT must be a whole number"):
        config.mail_settings()


@pytest.fixture
def buyer_factory():
    return lambda app: Buyer(app.test_client())
