"""Webhooks: queued with the submission or revision they announce, signed, delivered off
the request path, retried with back-off after a failure, and shown to admins when failing."""

from __future__ import annotations

import hashlib
import hmac
import http.server
import json
import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from questionnaire.config import ConfigError, webhook_settings
from questionnaire.notify import webhooks
from questionnaire.store import outbox
from questionnaire.store.db import db
from questionnaire.store.models import OutboxMessage, utcnow
from tests.support import FAST, add_user, assessment_id, page, sign_in

SECRET = "a-webhook-secret-of-some-length"


class Receiver:
    """A loopback HTTP server that answers 500 to its first ``fail`` POSTs, then 204."""

    def __init__(self, fail: int = 1):
        self.bodies: list[tuple[bytes, dict]] = []
        self.fail = fail
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.bodies.append((body, dict(self.headers)))
                failing = len(receiver.bodies) <= receiver.fail
                self.send_response(500 if failing else 204)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/trustcheck?x=1"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    made = Receiver()
    yield made
    made.close()


@pytest.fixture
def app(make_app, receiver):
    return make_app(WEBHOOK_URL=receiver.url, WEBHOOK_SECRET=SECRET, **FAST)


def submit(app, buyer, bank, example) -> int:
    token = buyer.start(company="Harbour & Finch Ltd")
    buyer.answer_all(bank, example["answers"], example["must_have"])
    assert buyer.submit().status_code == 302
    return assessment_id(app, token)


def test_a_submission_reaches_the_listener_signed_and_is_retried_after_it_fails_once(
    app, buyer, bank, example, receiver
):
    number = submit(app, buyer, bank, example)
    assert receiver.bodies == []  # queued with the submission, not sent in its request
    with app.app_context():
        assert webhooks.deliver_due() == (0, 1)  # the listener fails the first time
        message = db.session.scalar(select(OutboxMessage))
        assert message.state == "pending" and "HTTP 500" in message.last_error
        assert message.next_attempt_at - utcnow() > timedelta(seconds=20)  # backed off
        assert webhooks.deliver_due() == (0, 0)  # not due yet
        message.next_attempt_at = utcnow()
        db.session.commit()
        assert webhooks.deliver_due() == (1, 0)
        assert db.session.get(OutboxMessage, message.id).state == "delivered"
    (first, _), (body, headers) = receiver.bodies
    assert first == body  # the same bytes each time
    expected = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    assert headers["X-Trustcheck-Signature"] == f"sha256={expected}"
    payload = json.loads(body)
    assert payload["event"] == "assessment.submitted" and payload["assessment_id"] == number
    assert set(payload) == {
        "event",
        "assessment_id",
        "revision",
        "score",
        "rating",
        "provisional",
        "sales_url",
    }
    assert payload["sales_url"] == f"/sales/assessments/{number}"  # no PUBLIC_URL: the path
    assert buyer.token not in body.decode()  # no secret link, no answers


def test_a_written_answer_sends_a_revision_event_linking_to_the_public_url(
    make_app, receiver, bank, example
):
    from tests.conftest import Buyer

    app = make_app(
        WEBHOOK_URL=receiver.url, WEBHOOK_SECRET=SECRET, PUBLIC_URL="https://tc.example", **FAST
    )
    receiver.fail = 0
    buyer = Buyer(app.test_client())
    number = submit(app, buyer, bank, example)
    add_user(app, "sam@provider.example", "sales", "Sam Seller")
    sales = app.test_client()
    assert sign_in(sales, "sam@provider.example").status_code == 302
    with app.app_context():
        from questionnaire.store.models import Assessment

        result = db.session.get(Assessment, number).result
    asked = next(f["id"] for f in result["follow_ups"] if f["status"] == "ask_provider")
    question = bank.question(asked)
    value = "yes" if question.type == "yesno" else str(question.max)
    response = sales.post(
        f"/sales/assessments/{number}/provider-answers/{asked}",
        data={"value": value, "statement": "We do.", "reference": ""},
    )
    assert response.status_code == 302, page(response)
    with app.app_context():
        assert webhooks.deliver_due() == (2, 0)
    events = [json.loads(body) for body, _ in receiver.bodies]
    assert [e["event"] for e in events] == ["assessment.submitted", "assessment.revised"]
    assert events[1]["revision"] == 1
    assert events[1]["sales_url"] == f"https://tc.example/sales/assessments/{number}"


def test_a_message_that_keeps_failing_gives_up_after_a_day_and_the_admin_page_shows_it(
    app, buyer, bank, example, receiver
):
    receiver.fail = 10**6
    submit(app, buyer, bank, example)
    with app.app_context():
        message = db.session.scalar(select(OutboxMessage))
        message.created_at = utcnow() - timedelta(hours=23, minutes=59, seconds=50)
        db.session.commit()
        assert webhooks.deliver_due() == (0, 1)
        assert db.session.get(OutboxMessage, message.id).state == "failed"
    add_user(app, "ada@provider.example", "admin", "Ada Admin")
    admin = app.test_client()
    assert sign_in(admin, "ada@provider.example").status_code == 302
    html = page(admin.get("/sales/admin/"))
    assert "Webhooks" in html and "HTTP 500" in html and "Gave up" in html


def test_back_off_doubles_up_to_two_hours():
    delays = [outbox.retry_delay(n) for n in (1, 2, 3, 10, 30)]
    assert delays[:3] == [timedelta(seconds=30), timedelta(seconds=60), timedelta(seconds=120)]
    assert delays[3:] == [timedelta(hours=2), timedelta(hours=2)]


def test_unset_webhooks_queue_nothing(make_app, bank, example):
    app = make_app(**FAST)
    from tests.conftest import Buyer

    submit(app, Buyer(app.test_client()), bank, example)
    with app.app_context():
        assert db.session.scalar(select(OutboxMessage)) is None


@pytest.mark.parametrize(
    "url", ["file:///etc/passwd", "gopher://127.0.0.1/", "ftp://example.com/", "http://"]
)
def test_only_http_urls_are_accepted_and_a_secret_is_required(monkeypatch, url):
    monkeypatch.setenv("WEBHOOK_URL", url)
    monkeypatch.setenv("WEBHOOK_SECRET", SECRET)
    with pytest.raises(ConfigError, match="WEBHOOK_URL"):
        webhook_settings()
    monkeypatch.setenv("WEBHOOK_URL", "https://crm.example/hook")
    monkeypatch.setenv("WEBHOOK_SECRET", "short")
    with pytest.raises(ConfigError, match="WEBHOOK_SECRET"):
        webhook_settings()
    with pytest.raises(webhooks.DeliveryError):
        webhooks.post(url, b"{}", {}, 1.0)
