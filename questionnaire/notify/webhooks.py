"""Webhooks: the outbox's messages POSTed to WEBHOOK_URL, signed, retried with back-off.

Each body is sent byte for byte as stored and signed on the Standard Webhooks scheme
(https://www.standardwebhooks.com): ``webhook-id`` (the message's, the same on every
attempt), ``webhook-timestamp`` (this attempt, Unix seconds) and ``webhook-signature``,
``v1,<base64 HMAC-SHA256 of "id.timestamp.body">`` under the ``whsec_`` secret, one per
secret while WEBHOOK_SECRET_PREVIOUS is set (a rotation). The old ``X-Trustcheck-Signature:
sha256=<hex HMAC of the body>`` is still sent for this release, deprecated.

A 2xx answer delivers it; anything else (another status, a refused or slow connection) is
tried again later, for up to 24 hours (store.outbox). Redirects are not followed. Sending
happens in a background thread per process (``kick``), or with REPORT_QUEUE_URL in a
`flask reports worker` (notify.webhook_queue), or from ``flask webhooks deliver``; never in
a page's request.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import http.client
import logging
import ssl
import time
from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from flask import Flask, current_app

from questionnaire import services
from questionnaire.notify.background import Loop
from questionnaire.store import outbox
from questionnaire.store.models import OutboxMessage, utcnow

if TYPE_CHECKING:
    from redis import Redis

log = logging.getLogger(__name__)
SCHEMES = ("http", "https")
MAX_RESPONSE = 4096  # read and dropped: the answer's status is all that counts
IDLE_WAIT = 60.0  # seconds the thread sleeps when nothing is due


class DeliveryError(Exception):
    """The receiver did not take the message; the text says why, for the admin page."""


SECRET_PREFIX = "whsec_"  # noqa: S105  the public prefix of generated secrets, not a secret


def legacy_signature(body: bytes, secret: str) -> str:
    """X-Trustcheck-Signature (deprecated): the HMAC of the body alone, under the secret's text."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def secret_key(secret: str) -> bytes:
    """The HMAC key of a ``whsec_<base64>`` secret (config.webhook_settings checks it)."""
    return base64.b64decode(secret.removeprefix(SECRET_PREFIX))


def signatures(message_id: str, timestamp: int, body: bytes, secrets: list[str]) -> str:
    """webhook-signature: ``v1,<base64>`` for each secret, space-separated."""
    signed = f"{message_id}.{timestamp}.".encode() + body
    return " ".join(
        "v1," + base64.b64encode(hmac.new(secret_key(s), signed, hashlib.sha256).digest()).decode()
        for s in secrets
    )


def headers_for(message_id: int, event: str, body: bytes, config, timestamp: int) -> dict[str, str]:
    secret = config["WEBHOOK_SECRET"]
    secrets = [secret] + (
        [config["WEBHOOK_SECRET_PREVIOUS"]] if config.get("WEBHOOK_SECRET_PREVIOUS") else []
    )
    webhook_id = f"msg_{message_id}"
    return {
        "Content-Type": "application/json",
        "User-Agent": "Trustcheck-Webhook/2",
        "webhook-id": webhook_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signatures(webhook_id, timestamp, body, secrets),
        # Deprecated: kept for this release so existing receivers go on working.
        "X-Trustcheck-Event": event,
        "X-Trustcheck-Delivery": str(message_id),
        "X-Trustcheck-Signature": legacy_signature(body, secret),
    }


def post(url: str, body: bytes, headers: dict[str, str], timeout: float) -> int:
    """POST once; returns the 2xx status or raises DeliveryError. ``timeout`` bounds the
    connection and each read."""
    parts = urlsplit(url)
    if parts.scheme not in SCHEMES or not parts.hostname:
        raise DeliveryError("WEBHOOK_URL must be an http or https URL")
    if parts.scheme == "https":
        connection: http.client.HTTPConnection = http.client.HTTPSConnection(
            parts.hostname, parts.port, timeout=timeout, context=ssl.create_default_context()
        )
    else:
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        connection.request("POST", target, body=body, headers=headers)
        response = connection.getresponse()
        response.read(MAX_RESPONSE)
    except (OSError, http.client.HTTPException) as exc:
        raise DeliveryError(f"{type(exc).__name__}: {exc}"[:200]) from None
    finally:
        connection.close()
    if not 200 <= response.status < 300:
        raise DeliveryError(f"HTTP {response.status} {response.reason}"[:200])
    return response.status


def attempt(message: OutboxMessage, config) -> bool:
    """POST a claimed message once and record the outcome, committed: whether it was
    delivered."""
    body = message.body.encode()
    headers = headers_for(message.id, message.event, body, config, int(time.time()))
    failure = None
    try:
        post(config["WEBHOOK_URL"], body, headers, config["WEBHOOK_TIMEOUT_SECONDS"])
    except DeliveryError as exc:
        log.warning("webhook %s (%s) failed: %s", message.id, message.event, exc)
        failure = str(exc)
    with services.unit_of_work() as uow:
        if failure is None:
            outbox.delivered(message)
        else:
            outbox.attempt_failed(message, failure)
        uow.commit()
    return failure is None


def deliver_due(limit: int = 100) -> tuple[int, int]:
    """Send what is due now; returns (delivered, failed attempts). Needs an app context."""
    config = current_app.config
    if not config.get("WEBHOOK_URL"):
        return 0, 0
    done = failed = 0
    for message_id in outbox.due(outbox.WEBHOOK, limit=limit):
        with services.unit_of_work() as uow:
            message = outbox.claim(message_id)
            uow.commit()  # the lease: no other process sends it meanwhile
        if message is None:
            continue  # another process took it
        if attempt(message, config):
            done += 1
        else:
            failed += 1
    return done, failed


class Courier(Loop):
    """One daemon thread per app and process (notify.background.Loop): wakes when kicked,
    or when the next retry is due."""

    name = "webhooks"
    idle_seconds = IDLE_WAIT

    def work(self) -> None:
        with self.app.app_context():
            deliver_due()

    def pause(self) -> float:
        try:
            with self.app.app_context():
                following = outbox.next_due(outbox.WEBHOOK)
        except Exception:
            log.exception("could not read the webhook outbox")
            return IDLE_WAIT
        if following is None:
            return IDLE_WAIT
        wait = (following - utcnow()) / timedelta(seconds=1)
        return min(max(wait, 0.5), IDLE_WAIT)


def kick(app: Flask | None = None) -> None:
    """Deliver soon, off the request path (when webhooks and the background are on)."""
    courier = services.webhooks(app)
    if courier is not None:
        courier.kick()


def init_app(app: Flask, queue: Callable[[], Redis] | None = None) -> None:
    """Deliver in the background: as RQ jobs when given the report queue's connection
    (REPORT_QUEUE_URL; notify.webhook_queue), else from a thread in this process."""
    background = app.config.get("WEBHOOK_BACKGROUND")
    if background is None:
        background = not app.testing  # tests deliver by calling deliver_due
    if not (app.config.get("WEBHOOK_URL") and background):
        return
    if queue is not None:
        # Imported only here, as for reports: RQ adds to every process's start-up.
        from questionnaire.notify.webhook_queue import QueueCourier

        services.provide(app, services.Webhooks, QueueCourier(app, queue))
    else:
        services.provide(app, services.Webhooks, Courier(app))
