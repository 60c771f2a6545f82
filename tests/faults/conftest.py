"""Fault tests: real gunicorn servers (tests/live.py) and the app in-process, broken on purpose.

Every test here runs on SQLite and, with DATABASE_URL naming a server (scripts/with-postgres),
on PostgreSQL. Waits are polls with a deadline, never fixed sleeps.
"""

from __future__ import annotations

import http.cookiejar
import json
import os
import re
import signal
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from werkzeug.datastructures import MultiDict

from questionnaire.core.bank import Bank
from questionnaire.core.scoring import visible_answers

CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
REQUEST_TIMEOUT = 30


def wait_for(condition: Callable[[], Any], seconds: float = 30.0, what: str = "condition"):
    """Poll until ``condition()`` is truthy and return its value; fail after ``seconds``."""
    deadline = time.monotonic() + seconds
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {seconds:g} s waiting for {what}")
        time.sleep(0.05)


@dataclass
class Reply:
    status: int
    text: str
    location: str | None = None

    def csrf(self) -> str:
        found = CSRF.search(self.text)
        assert found, f"no CSRF token on the page (status {self.status}): {self.text[:300]}"
        return found.group(1)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Browser:
    """One person's browser over real HTTP: keeps cookies, does not follow redirects."""

    def __init__(self, base: str, jar: http.cookiejar.CookieJar | None = None):
        self.base = base
        self.jar = jar if jar is not None else http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect
        )

    def open(self, path: str, data: list[tuple[str, str]] | None = None) -> Reply:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        try:
            with self.opener.open(self.base + path, body, timeout=REQUEST_TIMEOUT) as response:
                return Reply(response.status, response.read().decode())
        except urllib.error.HTTPError as error:
            with error:
                text = error.read().decode(errors="replace")
            return Reply(error.code, text, error.headers.get("Location"))

    def get(self, path: str) -> Reply:
        return self.open(path)

    def post(self, path: str, data: list[tuple[str, str]]) -> Reply:
        return self.open(path, data)

    def json(self, path: str) -> dict:
        reply = self.get(path)
        assert reply.status == 200, (path, reply.status, reply.text[:300])
        return json.loads(reply.text)

    def cookie_header(self) -> str:
        return "; ".join(f"{c.name}={c.value}" for c in self.jar)

    def start(self, company: str = "Faulty Ltd") -> str:
        """Start an assessment from the start page; returns the secret token."""
        page = self.get("/")
        assert page.status == 200, page.text[:300]
        reply = self.post(
            "/",
            [
                ("company", company),
                ("name", "Fay Buyer"),
                ("email", "fay@faulty.example"),
                ("consent", "y"),
                ("csrf_token", page.csrf()),
            ],
        )
        assert reply.status == 302, (reply.status, reply.text[:300])
        return re.search(r"/a/([^/?]+)/", reply.location).group(1)

    def save(self, token: str, section_id: str, fields: list[tuple[str, str]]) -> Reply:
        """Open a step page and post ``fields`` with its CSRF token and the Next button."""
        page = self.get(f"/a/{token}/step/{section_id}")
        assert page.status == 200, (page.status, page.text[:300])
        return self.post(
            f"/a/{token}/step/{section_id}",
            [("csrf_token", page.csrf()), ("action", "next"), *fields],
        )

    def submit(self, token: str) -> Reply:
        """Submit from the check-answers page, as the button there does."""
        page = self.get(f"/a/{token}/check")
        assert page.status == 200, (page.status, page.text[:300])
        return self.post(f"/a/{token}/submit", [("csrf_token", page.csrf())])

    def sign_in(self, email: str, password: str) -> None:
        page = self.get("/sales/login")
        reply = self.post(
            "/sales/login",
            [("email", email), ("password", password), ("csrf_token", page.csrf())],
        )
        assert reply.status == 302, (reply.status, reply.text[:300])


def section_fields(bank: Bank, section_id: str, answers: dict, must_have=()) -> list:
    """A section's answers as a browser posts them."""
    fields: list[tuple[str, str]] = []
    for q in bank.section(section_id).questions:
        value = answers.get(q.id)
        if value is None:
            continue
        if isinstance(value, list):
            fields += [(q.id, v) for v in value]
        else:
            fields.append((q.id, str(value)))
        if q.id in must_have:
            fields.append(("must_have", q.id))
    return fields


def stored_form(bank: Bank, posted: dict[str, list[tuple[str, str]]]) -> dict:
    """What the server keeps for these posted sections: each field read by its question
    type, unanswered ones left out, hidden ones dropped."""
    values: dict = {}
    for section_id, fields in posted.items():
        form = MultiDict(fields)
        for q in bank.section(section_id).questions:
            value = q.kind.from_form(q, q.kind.form_data(q, form))
            if value is not None:
                values[q.id] = value
    return visible_answers(bank, values)


def kill_workers(server, pids: list[int] | None = None) -> list[int]:
    """SIGKILL gunicorn workers (all by default) and wait for the arbiter to replace them."""
    killed = pids if pids is not None else server.worker_pids()
    assert killed, "no workers to kill"
    for pid in killed:
        os.kill(pid, signal.SIGKILL)

    def replaced() -> bool:
        now = set(server.worker_pids())
        return len(now) == server.workers and not now & set(killed) and server.healthy()

    wait_for(replaced, 60, "gunicorn to replace the killed workers")
    return killed


def unexpected_log_errors(server) -> list[str]:
    """Errors in the server log other than gunicorn noting the workers we killed."""
    return [line for line in server.log_errors() if "was sent SIGKILL" not in line]
