"""Webhooks: queued with the submission or revision they announce, signed, delivered off
the request path, retried with back-off after a failure, and shown to admins when failing."""

from __future__ import annotations

import base64
import hashlib
import hmac
import http.server
import threading
import time
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from questionnaire.config import ConfigError, webhook_settings
from questionnaire.notify import webhooks
from questionnaire.store import outbox
from questionnaire.store.db import db
from questionnaire.store.models import Assessment, OutboxMessage, utcnow
from questionnaire.web import api_schemas as schemas
from tests.support import FAST, add_user, assessment_id, page, sign_in

SECRET = "whsec_" + base64.b64encode(b"a-webhook-secret-32-bytes-long!!").decode()
OLD_SECRET = "whsec_" + base64.b64encode(b"the-secret-being-rotated-out-now").decode()


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


def verified(body: bytes, headers: dict, secret: str = SECRET) -> dict:
    """The payload as a receiver using the standardwebhooks package accepts it."""
    return Webhook(secret).verify(body, headers)


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
        version = db.session.get(Assessment, number).version
    (first, first_headers), (body, headers) = receiver.bodies
    assert first == body  # the same bytes each time, under the same id
    assert first_headers["webhook-id"] == headers["webhook-id"] == f"msg_{message.id}"
    payload = verified(body, headers)
    assert payload["type"] == "assessment.submitted"
    assert datetime.fromisoformat(payload["timestamp"]) <= utcnow()
    data = payload["data"]
    assert data["id"] == number and data["version"] == version and data["status"] == "submitted"
    assert data["result_revision"] == {"number": 0, "created_by": "submission"}
    with app.app_context():
        stored = db.session.get(Assessment, number).result
    assert data["state"] == stored["state"] and data["score_range"] == stored["score_range"]
    assert set(data["score_range"]) == {"low", "high"}  # fit/3 states a range
    assert data["sales_url"] == f"/sales/assessments/{number}"  # no PUBLIC_URL: the path
    schemas.AssessmentEvent.model_validate(payload)  # as the OpenAPI document describes it
    text = body.decode()
    assert buyer.token not in text and "Harbour" not in text and "ann@" not in text
    # The deprecated header still goes, for receivers not yet moved to the new scheme.
    legacy = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    assert headers["X-Trustcheck-Signature"] == f"sha256={legacy}"
    with pytest.raises(WebhookVerificationError):
        verified(body, {**headers, "webhook-id": "msg_999"})  # the id is signed too
    with pytest.raises(WebhookVerificationError):
        verified(body + b" ", headers)


def test_a_receiver_rejects_a_delivery_replayed_more_than_five_minutes_later(
    app, buyer, bank, example, receiver, monkeypatch
):
    receiver.fail = 0
    submit(app, buyer, bank, example)
    real = time.time
    # Sent six minutes ago: what an attacker replaying a captured delivery now holds.
    monkeypatch.setattr(webhooks.time, "time", lambda: real() - 6 * 60)
    with app.app_context():
        assert webhooks.deliver_due() == (1, 0)
    ((body, headers),) = receiver.bodies
    with pytest.raises(WebhookVerificationError, match="too old"):
        verified(body, headers)
    monkeypatch.setattr(webhooks.time, "time", lambda: real() - 4 * 60)
    with app.app_context():
        message = db.session.scalar(select(OutboxMessage))
        message.state, message.next_attempt_at = "pending", utcnow()
        db.session.commit()
        assert webhooks.deliver_due() == (1, 0)
    assert verified(*receiver.bodies[1])["type"] == "assessment.submitted"  # 4 minutes: fine


def test_during_a_rotation_both_secrets_verify(make_app, receiver, bank, example):
    from tests.conftest import Buyer

    app = make_app(
        WEBHOOK_URL=receiver.url,
        WEBHOOK_SECRET=SECRET,
        WEBHOOK_SECRET_PREVIOUS=OLD_SECRET,
        **FAST,
    )
    receiver.fail = 0
    submit(app, Buyer(app.test_client()), bank, example)
    with app.app_context():
        assert webhooks.deliver_due() == (1, 0)
    ((body, headers),) = receiver.bodies
    assert len(headers["webhook-signature"].split(" ")) == 2
    assert verified(body, headers, SECRET) == verified(body, headers, OLD_SECRET)
    stranger = "whsec_" + base64.b64encode(b"x" * 32).decode()
    with pytest.raises(WebhookVerificationError):
        verified(body, headers, stranger)


def answer_in_writing(app, bank, number: int) -> None:
    add_user(app, "sam@provider.example", "sales", "Sam Seller")
    sales = app.test_client()
    assert sign_in(sales, "sam@provider.example").status_code == 302
    with app.app_context():
        result = db.session.get(Assessment, number).result
    asked = next(f["id"] for f in result["follow_ups"] if f["status"] == "ask_provider")
    question = bank.question(asked)
    if question.type == "yesno":
        value = "yes"
    elif question.type == "number":
        value = str(question.settings.max)
    else:
        value = question.options[-1].key
    response = sales.post(
        f"/sales/assessments/{number}/provider-answers/{asked}",
        data={"value": value, "statement": "We do.", "reference": ""},
    )
    assert response.status_code == 302, page(response)


def test_a_written_answer_sends_one_answered_event_with_its_revision(
    make_app, receiver, bank, example
):
    from tests.conftest import Buyer

    app = make_app(
        WEBHOOK_URL=receiver.url, WEBHOOK_SECRET=SECRET, PUBLIC_URL="https://tc.example", **FAST
    )
    receiver.fail = 0
    buyer = Buyer(app.test_client())
    number = submit(app, buyer, bank, example)
    answer_in_writing(app, bank, number)
    with app.app_context():
        assert webhooks.deliver_due() == (2, 0)
    events = [verified(body, headers) for body, headers in receiver.bodies]
    assert [e["type"] for e in events] == ["assessment.submitted", "assessment.answered"]
    answered = events[1]["data"]
    assert answered["result_revision"] == {"number": 1, "created_by": "written_answer"}
    assert answered["revision"] == 1 and answered["version"] > events[0]["data"]["version"]
    assert answered["sales_url"] == f"https://tc.example/sales/assessments/{number}"
    for event in events:
        schemas.AssessmentEvent.model_validate(event)


def test_a_deletion_drops_pending_deliveries_and_sends_a_tombstone_instead(
    app, buyer, bank, example, receiver
):
    receiver.fail = 0
    number = submit(app, buyer, bank, example)
    assert buyer.client.post(buyer.url("/delete")).status_code == 302
    with app.app_context():
        states = dict(db.session.execute(select(OutboxMessage.event, OutboxMessage.state)).all())
        assert states == {"assessment.submitted": "dropped", "assessment.deleted": "pending"}
        assert webhooks.deliver_due() == (1, 0)
    ((body, headers),) = receiver.bodies  # only the deletion went
    event = verified(body, headers)
    assert event["type"] == "assessment.deleted"
    assert set(event["data"]) == {"id", "change", "version", "deleted_at"}
    assert event["data"]["id"] == number and event["data"]["change"] == "deleted"
    schemas.DeletionEvent.model_validate(event)


def test_resend_queues_again_what_went_since_a_time_but_nothing_of_a_deleted_assessment(
    app, runner, buyer, bank, example, receiver
):
    from tests.conftest import Buyer

    receiver.fail = 0
    kept = submit(app, buyer, bank, example)
    other = Buyer(app.test_client())
    submit(app, other, bank, example)
    with app.app_context():
        assert webhooks.deliver_due() == (2, 0)
    assert other.client.post(other.url("/delete")).status_code == 302
    with app.app_context():
        assert webhooks.deliver_due() == (1, 0)
    since = (utcnow() - timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M")
    result = runner.invoke(args=["webhooks", "resend", "--since", since])
    assert result.exit_code == 0 and "Queued 2 webhook(s)" in result.output, result.output
    with app.app_context():
        assert webhooks.deliver_due() == (2, 0)
    again = [verified(body, headers) for body, headers in receiver.bodies[3:]]
    assert sorted(e["type"] for e in again) == ["assessment.deleted", "assessment.submitted"]
    assert next(e for e in again if e["type"] == "assessment.submitted")["data"]["id"] == kept
    assert receiver.bodies[3][1]["webhook-id"] in {h["webhook-id"] for _, h in receiver.bodies[:3]}
    later = (utcnow() + timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M")
    assert "Queued 0" in runner.invoke(args=["webhooks", "resend", "--since", later]).output


def test_purge_deletes_delivered_webhooks_after_30_days(
    app, runner, buyer, bank, example, receiver
):
    receiver.fail = 0
    submit(app, buyer, bank, example)
    with app.app_context():
        assert webhooks.deliver_due() == (1, 0)
    result = runner.invoke(args=["purge"])
    assert "Deleted 0 delivered webhook(s)" in result.output, result.output
    with app.app_context():
        message = db.session.scalar(select(OutboxMessage))
        message.delivered_at = utcnow() - timedelta(days=31)
        db.session.commit()
    result = runner.invoke(args=["purge"])
    assert "Deleted 1 delivered webhook(s) older than 30 days" in result.output, result.output
    with app.app_context():
        assert db.session.scalar(select(OutboxMessage)) is None


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
    for bad in ("a-plain-secret-of-some-length", "whsec_short", "whsec_not base64!"):
        monkeypatch.setenv("WEBHOOK_SECRET", bad)
        with pytest.raises(ConfigError, match="WEBHOOK_SECRET must be whsec_"):
            webhook_settings()
    monkeypatch.setenv("WEBHOOK_SECRET", SECRET)
    monkeypatch.setenv("WEBHOOK_SECRET_PREVIOUS", "old-style")
    with pytest.raises(ConfigError, match="WEBHOOK_SECRET_PREVIOUS"):
        webhook_settings()
    with pytest.raises(webhooks.DeliveryError):
        webhooks.post(url, b"{}", {}, 1.0)


def test_new_secret_prints_a_secret_the_settings_and_the_verifier_accept(runner, monkeypatch):
    made = runner.invoke(args=["webhooks", "new-secret"]).output.strip()
    assert made.startswith("whsec_") and made != SECRET
    monkeypatch.setenv("WEBHOOK_URL", "https://crm.example/hook")
    monkeypatch.setenv("WEBHOOK_SECRET", made)
    assert webhook_settings()["WEBHOOK_SECRET"] == made
    Webhook(made)  # the verifier reads it too
