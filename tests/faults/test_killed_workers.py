"""kill -9 of gunicorn workers mid-journey: nothing saved is lost, nothing is half-saved,
and the buyer can go on (a buyer's save is one transaction; gunicorn's arbiter replaces
a dead worker)."""

from __future__ import annotations

import http.client
import json
import os
import socket
import threading
import urllib.parse
from pathlib import Path

import pytest

from questionnaire.core.bank import load_bank
from tests.conftest import EXAMPLE_ANSWERS, SHIPPED_BANK
from tests.faults.conftest import (
    Browser,
    kill_workers,
    section_fields,
    stored_form,
    unexpected_log_errors,
    wait_for,
)
from tests.live import LiveServer

BANK = load_bank(SHIPPED_BANK)
EXAMPLE = json.loads(EXAMPLE_ANSWERS.read_text())
FIRST, SECOND, THIRD = (s.id for s in BANK.sections[:3])


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with LiveServer(tmp_path_factory.mktemp("killed"), "killed", workers=2) as live:
        yield live
        assert unexpected_log_errors(live) == []


def fields(section_id: str) -> list[tuple[str, str]]:
    return section_fields(BANK, section_id, EXAMPLE["answers"], EXAMPLE["must_have"])


def saved(browser: Browser, token: str) -> dict:
    exported = browser.json(f"/a/{token}/answers.json")
    return {"answers": exported["answers"], "must_have": sorted(exported["must_have"])}


def expected(*section_ids: str) -> dict:
    posted = {s: fields(s) for s in section_ids}
    answers = stored_form(BANK, posted)
    must = sorted(m for m in EXAMPLE["must_have"] if m in answers)
    return {"answers": answers, "must_have": must}


def test_saved_sections_survive_killed_workers_and_the_resume_link_goes_on(server):
    buyer = Browser(server.url)
    token = buyer.start()
    for section_id in (FIRST, SECOND):
        assert buyer.save(token, section_id, fields(section_id)).status == 302
    assert saved(buyer, token) == expected(FIRST, SECOND)

    kill_workers(server)

    elsewhere = Browser(server.url)  # the resume link, opened later in another browser
    reply = elsewhere.get(f"/a/{token}")
    assert reply.status == 302 and reply.location.endswith(f"/a/{token}/step/{THIRD}")
    assert saved(elsewhere, token) == expected(FIRST, SECOND)
    step = elsewhere.get(f"/a/{token}/step/{FIRST}")
    assert 'name="security_notes"' in step.text
    assert EXAMPLE["answers"]["security_notes"].replace("'", "&#39;") in step.text


def connection_owner(server, client: socket.socket) -> int | None:
    """The worker whose socket is the server end of ``client``'s connection (from /proc)."""
    server_port = int(server.url.rsplit(":", 1)[1])
    client_port = client.getsockname()[1]
    inode = None
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        cols = line.split()
        local, remote = int(cols[1].split(":")[1], 16), int(cols[2].split(":")[1], 16)
        if (local, remote) == (server_port, client_port):
            inode = cols[9]
    if inode is None:
        return None
    for pid in server.worker_pids():
        try:
            links = [os.readlink(f"/proc/{pid}/fd/{fd}") for fd in os.listdir(f"/proc/{pid}/fd")]
        except OSError:
            continue  # the worker ended meanwhile
        if f"socket:[{inode}]" in links:
            return pid
    return None


def test_a_worker_killed_while_reading_a_save_saves_nothing_and_the_retry_works(server):
    buyer = Browser(server.url)
    token = buyer.start()
    assert buyer.save(token, FIRST, fields(FIRST)).status == 302
    before = saved(buyer, token)
    path = f"/a/{token}/step/{SECOND}"
    form = [("csrf_token", buyer.get(path).csrf()), ("action", "next"), *fields(SECOND)]
    body = urllib.parse.urlencode(form).encode()
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {server.url.removeprefix('http://')}\r\n"
        f"Cookie: {buyer.cookie_header()}\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    ).encode()
    host, port = server.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=30) as client:
        client.sendall(head + body[: len(body) // 2])  # the rest never comes: a slow upload
        owner = wait_for(lambda: connection_owner(server, client), 10, "a worker to take it")
        kill_workers(server, [owner])
        try:
            answer = client.recv(65536)
        except ConnectionResetError:
            answer = b""
    assert answer == b""  # no response: the buyer's browser shows a connection error
    assert saved(buyer, token) == before  # not a single answer of the section was kept
    retry = buyer.post(path, form)  # pressing the button again sends the same form
    assert retry.status == 302 and retry.location.endswith(f"/a/{token}/step/{THIRD}")
    assert saved(buyer, token) == expected(FIRST, SECOND)


def version_fields(n: int) -> list[tuple[str, str]]:
    """The first section answered as "version n": every question's value depends on n, so a
    section stored half from one save and half from another cannot pass for a version."""
    fields: list[tuple[str, str]] = []
    for i, q in enumerate(BANK.section(FIRST).questions):
        keys = [key for key, _ in q.kind.choices(q)]
        if q.type == "yesno":
            fields.append((q.id, "yes" if (n >> i) & 1 else "no"))
        elif q.type == "choice":
            fields.append((q.id, keys[(n + i) % len(keys)]))
        elif q.type == "multi":
            fields += [(q.id, k) for j, k in enumerate(keys) if (n >> j) & 1]
        elif q.type == "text":
            fields.append((q.id, f"version {n}"))
    return fields


def test_saves_cut_off_by_killed_workers_are_all_or_nothing(server):
    buyer = Browser(server.url)
    token = buyer.start()
    path = f"/a/{token}/step/{FIRST}"
    csrf = buyer.get(path).csrf()
    lock = threading.Lock()
    outcomes = {"saved": 0, "cut": 0, "other": []}
    stop = threading.Event()

    def post(n: int) -> None:
        tab = Browser(server.url, jar=buyer.jar)  # the same buyer, saving from several tabs
        data = [("csrf_token", csrf), ("action", "next"), *version_fields(n)]
        try:
            reply = tab.post(path, data)
        except (OSError, http.client.HTTPException):  # the worker died with the request
            with lock:
                outcomes["cut"] += 1
            return
        with lock:
            if reply.status == 302:
                outcomes["saved"] += 1
            else:
                outcomes["other"].append(reply.status)

    def hammer(first: int) -> None:
        n = first
        while not stop.is_set():
            post(n)
            n += 1

    threads = [threading.Thread(target=hammer, args=(1000 * t,)) for t in range(1, 5)]
    for thread in threads:
        thread.start()
    try:
        for _ in range(5):
            seen = outcomes["saved"]
            wait_for(lambda seen=seen: outcomes["saved"] >= seen + 5, 60, "saves to go through")
            kill_workers(server)
            if outcomes["cut"] >= 2:
                break
    finally:
        stop.set()
        for thread in threads:
            thread.join(60)
    assert outcomes["other"] == []  # no 5xx, no refused form: a save worked or was cut off
    assert outcomes["cut"] >= 2, outcomes  # the kills did land on saves in flight

    answers = saved(buyer, token)["answers"]
    n = int(answers["security_notes"].removeprefix("version "))
    assert answers == stored_form(BANK, {FIRST: version_fields(n)})  # one whole save

    final = buyer.save(token, FIRST, version_fields(7))
    assert final.status == 302
    assert saved(buyer, token)["answers"] == stored_form(BANK, {FIRST: version_fields(7)})
