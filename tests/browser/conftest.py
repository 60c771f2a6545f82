"""Real-browser fixtures: the app served by gunicorn on loopback, driven by Debian's Chromium.

Each server runs in its own process with a throw-away database (SQLite, or a fresh
PostgreSQL database when DATABASE_URL names a server) migrated with Alembic, as a
real deployment is. Tests find elements by labels and roles, as a person would.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
AXE = ROOT / ".cache" / "node" / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = ROOT / "test-artifacts" / "screenshots"
SMALL_BANK = Path(__file__).with_name("small_bank.yaml")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def python_bin(name: str) -> str:
    return str(Path(sys.executable).with_name(name))


@dataclass
class LiveServer:
    url: str
    env: dict
    process: subprocess.Popen
    log: Path

    def flask(self, *args: str, input: str | None = None) -> str:
        """Run a `flask --app questionnaire` command against this server's database."""
        result = subprocess.run(
            [python_bin("flask"), "--app", "questionnaire", *args],
            env=self.env,
            input=input,
            capture_output=True,
            text=True,
            check=True,
            cwd=ROOT,
        )
        return result.stdout


def _database_for(name: str, tmp: Path) -> tuple[str, object]:
    """A fresh database: a SQLite file, or a new PostgreSQL database beside DATABASE_URL's."""
    base = os.environ.get("DATABASE_URL", "")
    if not base.startswith(("postgres://", "postgresql")):
        return f"sqlite:///{tmp / f'{name}.db'}", None
    from questionnaire.config import from_environment

    admin_url = from_environment(str(tmp))["SQLALCHEMY_DATABASE_URI"]
    database = f"browser_{name}_{uuid.uuid4().hex[:8]}"
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{database}"'))

    def drop():
        with engine.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
        engine.dispose()

    return base.rsplit("/", 1)[0] + f"/{database}", drop


def start_server(name: str, bank: Path, tmp: Path) -> tuple[LiveServer, object]:
    port = free_port()
    database_url, drop = _database_for(name, tmp)
    bank_copy = tmp / f"{name}-questions.yaml"
    shutil.copy(bank, bank_copy)
    env = {
        **os.environ,
        "SECRET_KEY": f"browser-tests-{uuid.uuid4().hex}",
        "DATABASE_URL": database_url,
        "QUESTIONS_PATH": str(bank_copy),
        "REPORTS_DIR": str(tmp / f"{name}-reports"),
        "BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": "2",
    }
    subprocess.run(
        [python_bin("flask"), "--app", "questionnaire", "db", "upgrade"],
        env=env,
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    log = tmp / f"{name}-server.log"
    with log.open("w") as output:  # the child keeps its own copy of the descriptor
        process = subprocess.Popen(
            [python_bin("gunicorn"), "--config", "gunicorn.conf.py", "questionnaire:create_app()"],
            env=env,
            cwd=ROOT,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=1) as response:
                if response.status == 200:
                    break
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError(f"the test server did not start:\n{log.read_text()[-3000:]}")
        time.sleep(0.1)
    return LiveServer(url=url, env=env, process=process, log=log), drop


@pytest.fixture(scope="session")
def browser_tmp(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("browser")


def _serve(name: str, bank: Path, tmp: Path):
    server, drop = start_server(name, bank, tmp)
    yield server
    server.process.terminate()
    try:
        server.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.process.kill()
    if drop:
        drop()


@pytest.fixture(scope="session")
def server(browser_tmp):
    """The app with the shipped question bank."""
    yield from _serve("shipped", ROOT / "questions.yaml", browser_tmp)


@pytest.fixture(scope="session")
def small_server(browser_tmp):
    """The app with a small bank: quick journeys that still use every question type."""
    yield from _serve("small", SMALL_BANK, browser_tmp)


@pytest.fixture(scope="session")
def playwright_instance():
    if not CHROMIUM.exists():
        pytest.fail(
            f"Chromium was not found at {CHROMIUM}. Browser journeys need Debian's chromium "
            "package: run `make test` (it installs it) or `sudo apt-get install chromium`.",
            pytrace=False,
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def browser(playwright_instance):
    browser = playwright_instance.chromium.launch(
        executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
    )
    yield browser
    browser.close()


@pytest.fixture
def context(browser, axe_source):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    context.set_default_timeout(10_000)
    # Init scripts are added by the browser itself, so the pages' CSP (no inline script)
    # stays in force for everything else while axe is present to check them.
    context.add_init_script(script=axe_source)
    yield context
    context.close()


@pytest.fixture
def page(context):
    return context.new_page()


@pytest.fixture(scope="session")
def axe_source() -> str:
    if not AXE.exists():
        pytest.fail(
            f"axe-core is missing at {AXE}. `make test` installs it from the npm registry "
            "(npm install --prefix .cache/node axe-core).",
            pytrace=False,
        )
    return AXE.read_text()


def run_axe(page) -> list[dict]:
    """axe-core's serious and critical violations on the current page (WCAG 2.2 AA rules)."""
    results = page.evaluate(
        """async () => await axe.run(document, {
            runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice']}
        })"""
    )
    return [
        {
            "id": v["id"],
            "impact": v["impact"],
            "help": v["help"],
            "nodes": [n["target"] for n in v["nodes"]][:5],
        }
        for v in results["violations"]
        if v["impact"] in ("serious", "critical")
    ]


@pytest.fixture
def axe():
    def check(page) -> None:
        violations = run_axe(page)
        assert violations == [], json.dumps(violations, indent=2)

    return check


def screenshot(page, name: str) -> Path:
    """Save a full-page screenshot to the git-ignored test-artifacts folder, to look at."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    width = page.viewport_size["width"]
    path = ARTIFACTS / f"{name}-{width}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def token_of(url: str) -> str:
    return re.search(r"/a/([^/?#]+)", url).group(1)
