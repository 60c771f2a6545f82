"""The server log never shows a buyer's token, whatever goes wrong (issue 14, item 12)."""

from __future__ import annotations

import socket

from tests.faults.conftest import wait_for
from tests.live import LiveServer

TOKEN = "SeCrEt" + "k" * 26  # shaped like a buyer's token


def test_a_body_that_never_arrives_leaves_no_token_in_the_server_log(tmp_path):
    """A client that sends its headers and then stalls holds the worker until gunicorn's
    timeout, which then logs the request (path and traceback) as an error."""
    with LiveServer(tmp_path, "logs", workers=1, WEB_TIMEOUT="2") as server:
        port = int(server.url.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port), timeout=30) as connection:
            connection.sendall(
                f"POST /a/{TOKEN}/step/security HTTP/1.1\r\nHost: localhost\r\n"
                "Content-Type: application/x-www-form-urlencoded\r\n"
                "Content-Length: 1000\r\n\r\nanswer=".encode()
            )
            wait_for(
                lambda: "Error handling request" in server.log.read_text(),
                30,
                "gunicorn to give up on the request",
            )
        wait_for(server.healthy, 30, "a new worker")
        log = server.log.read_text()
    assert "Error handling request /a/[token]/step/security" in log
    assert "Traceback" in log
    assert TOKEN not in log
