"""Real-browser fixtures: the app served by gunicorn on loopback, driven by Debian's Chromium.

Each server runs in its own process with a throw-away database (SQLite, or a fresh
PostgreSQL database when DATABASE_URL names a server) migrated with Alembic, as a
real deployment is. Tests find elements by labels and roles, as a person would.
"""

from __future__ import annotations

import json
import os
import re
import weakref
from pathlib import Path

import pytest

from tests.live import HtmlChecker, LiveServer

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
VNU = ROOT / ".cache" / "node" / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
ARTIFACTS = ROOT / "test-artifacts" / "screenshots"
AXE_REPORTS = ROOT / "test-artifacts" / "axe"
HTML_REPORTS = ROOT / "test-artifacts" / "html"
SMALL_BANK = Path(__file__).with_name("small_bank.yaml")
NOT_SURE_BANK = Path(__file__).with_name("not_sure_bank.yaml")
LIBRARY_BANK = Path(__file__).with_name("library_bank.yaml")


@pytest.fixture(scope="session")
def browser_tmp(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("browser")


def _serve(name: str, bank: Path, tmp: Path, **env: str):
    # One gunicorn worker with threads: the journeys run one at a time, and each extra
    # worker process (with its PDF renderer) costs start-up time on a 2-core machine.
    with LiveServer(tmp, name, bank, workers=1, WEB_THREADS="4", **env) as server:
        yield server


@pytest.fixture(scope="session")
def server(browser_tmp):
    """The app with the shipped question bank."""
    yield from _serve("shipped", ROOT / "questions.yaml", browser_tmp)


@pytest.fixture(scope="session")
def small_server(browser_tmp):
    """The app with a small bank: quick journeys that still use every question type.

    Set up so that rare pages can be reached on purpose: PDFs are drawn at the first
    download and the download does not wait for them (so it shows "being prepared"), and
    one proxy hop is trusted, so a test can sign in from an address of its own with
    X-Forwarded-For and be throttled without locking every other test out of loopback.
    """
    yield from _serve(
        "small",
        SMALL_BANK,
        browser_tmp,
        REPORT_PRERENDER="0",
        REPORT_WAIT_SECONDS="0",
        TRUSTED_PROXY_HOPS="1",
    )


@pytest.fixture(scope="session")
def not_sure_server(browser_tmp):
    """The app with a one-page bank of every scored type and a same-page condition on a
    scored question: "Not sure" with the page's script and without it."""
    yield from _serve("not_sure", NOT_SURE_BANK, browser_tmp)


@pytest.fixture(scope="session")
def mailbox():
    """A real SMTP server on loopback that keeps every message the mail server sends."""
    from tests.support import MailCatcher

    with MailCatcher() as catcher:
        yield catcher


@pytest.fixture(scope="session")
def mail_server(browser_tmp, mailbox):
    """The small bank with e-mail on, sending to ``mailbox``; the sales team is told too."""
    yield from _serve(
        "mail",
        SMALL_BANK,
        browser_tmp,
        REPORT_PRERENDER="0",
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=str(mailbox.port),
        MAIL_DEFAULT_SENDER="Trustcheck <trustcheck@provider.example>",
        SALES_NOTIFY_EMAILS="sales@provider.example",
    )


@pytest.fixture(scope="session")
def library_server(browser_tmp, mailbox):
    """A one-section bank with a figure the source is silent on, e-mail on (to ``mailbox``):
    the answer library's journey."""
    yield from _serve(
        "library",
        LIBRARY_BANK,
        browser_tmp,
        REPORT_PRERENDER="0",
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=str(mailbox.port),
        MAIL_DEFAULT_SENDER="Trustcheck <trustcheck@provider.example>",
    )


@pytest.fixture(scope="session")
def admin(small_server) -> dict:
    """An admin account on the small server, made with the CLI as an operator would."""
    email = "ada@provider.example"
    out = small_server.flask(
        "users", "create", email, "--role", "admin", "--name", "Ada Admin", "--generate-password"
    )
    password = re.search(r"Password \(shown once, store it now\): (\S+)", out).group(1)
    return {"email": email, "password": password, "name": "Ada Admin"}


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


# The last HTML document each tab was sent, as the server wrote it (before any script ran):
# what the Nu Html Checker reads.
DOCUMENTS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def remember_document(response) -> None:
    request = response.request
    if (
        request.resource_type == "document"
        and request.frame.parent_frame is None
        and response.headers.get("content-type", "").startswith("text/html")
    ):
        DOCUMENTS[request.frame.page] = response


class RecordingBrowser:
    """The browser, each of whose contexts remembers the HTML its tabs were sent."""

    def __init__(self, browser):
        self._browser = browser

    def new_context(self, **options):
        context = self._browser.new_context(**options)
        context.on("response", remember_document)
        return context

    def __getattr__(self, name):
        return getattr(self._browser, name)


@pytest.fixture(scope="session")
def browser(playwright_instance):
    browser = playwright_instance.chromium.launch(
        executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
    )
    yield RecordingBrowser(browser)
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


@pytest.fixture
def no_script_page(browser):
    """A page in a browser with JavaScript off, as some buyers' browsers are."""
    context = browser.new_context(
        java_script_enabled=False, viewport={"width": 1280, "height": 900}
    )
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


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
    """axe-core's violations on the current page (WCAG 2.2 AA rules and best practice)."""
    results = page.evaluate(
        """async () => await axe.run(document, {
            runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice']},
            resultTypes: ['violations']
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
    ]


@pytest.fixture(scope="session")
def html_checker(tmp_path_factory):
    """The Nu Html Checker, one JVM for the session (for each pytest-xdist worker)."""
    if not VNU.exists():
        pytest.fail(
            f"The Nu Html Checker is missing at {VNU}. `make test` installs it from the npm "
            "registry (npm install --prefix .cache/node vnu-jar).",
            pytrace=False,
        )
    with HtmlChecker(VNU, tmp_path_factory.mktemp("vnu")) as checker:
        yield checker


def page_html(page) -> str:
    """The HTML the server sent for the page the tab shows (its live DOM if none was seen)."""
    response = DOCUMENTS.get(page)
    return response.text() if response is not None else page.content()


@pytest.fixture
def checkers(html_checker):
    """``checkers(page)``: the outside checkers on the page as it is now. axe-core: no
    serious or critical violation; the Nu Html Checker: no error in the HTML the server
    sent. Every finding, of any impact, and the HTML are also written to
    test-artifacts/axe/ and test-artifacts/html/ to be read."""

    def check(page) -> None:
        name = re.sub(r"[^a-z0-9]+", "-", page.title().lower()).strip("-")[:80] or "untitled"
        violations = run_axe(page)
        AXE_REPORTS.mkdir(parents=True, exist_ok=True)
        (AXE_REPORTS / f"{name}.json").write_text(
            json.dumps({"url": page.url, "violations": violations}, indent=2)
        )
        html = page_html(page)
        errors = html_checker.errors(html)
        HTML_REPORTS.mkdir(parents=True, exist_ok=True)
        (HTML_REPORTS / f"{name}.html").write_text(html)
        (HTML_REPORTS / f"{name}.json").write_text(
            json.dumps({"url": page.url, "errors": errors}, indent=2)
        )
        serious = [v for v in violations if v["impact"] in ("serious", "critical")]
        assert serious == [], json.dumps(serious, indent=2)
        assert errors == [], f"the Nu Html Checker on {page.url}:\n" + "\n".join(errors)

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
