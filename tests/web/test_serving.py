"""Serving: the access log never shows a buyer's token; `make serve` warns when exposed."""

import runpy
from pathlib import Path
from types import SimpleNamespace

import pytest

from questionnaire.web.serving import redact

ROOT = Path(__file__).resolve().parents[2]


def test_tokens_in_paths_are_cut_out_of_log_lines():
    line = "GET /a/XAwkQvkEWxIXuxFPmHuVo7nMEjRECIu5/step/security?new=1 HTTP/1.1"
    assert redact(line) == "GET /a/[token]/step/security?new=1 HTTP/1.1"
    assert redact("GET /sales/assessments/12 HTTP/1.1") == "GET /sales/assessments/12 HTTP/1.1"
    shared = "GET /v/Yq3Zr9wQe1Lk2Jm4Np6Tt8Vx0Bc5Df7G/report.pdf HTTP/1.1"
    assert redact(shared) == "GET /v/[token]/report.pdf HTTP/1.1"


@pytest.mark.parametrize(
    ("binds", "hops", "warned"),
    [
        (["127.0.0.1:8000"], "0", False),
        (["[::1]:8000", "localhost:8000", "unix:/run/trustcheck.sock"], "0", False),
        (["0.0.0.0:8000"], "0", True),
        (["127.0.0.1:8000", "[::]:8000"], "", True),
        (["app.example.org:80"], "0", True),
        (["0.0.0.0:8000"], "1", False),
    ],
)
def test_make_serve_warns_when_reachable_from_other_machines_without_a_proxy(
    monkeypatch, binds, hops, warned
):
    """Issue 14, item 13: gunicorn.conf.py's on_starting hook, as `make serve` runs it."""
    monkeypatch.setenv("TRUSTED_PROXY_HOPS", hops)
    config = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    logged: list[str] = []
    server = SimpleNamespace(
        cfg=SimpleNamespace(bind=binds), log=SimpleNamespace(warning=logged.append)
    )
    config["on_starting"](server)
    if warned:
        assert len(logged) == 1 and "buffering reverse proxy" in logged[0]
        assert "TRUSTED_PROXY_HOPS" in logged[0] and "docs/deploy.md" in logged[0]
    else:
        assert logged == []
