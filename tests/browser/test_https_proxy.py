"""The production shape, for real: Chromium over https:// to Debian's nginx, configured from
docs/deploy.md's site file (deploy/nginx-site.conf) with a self-signed certificate made
here, in front of gunicorn with TRUSTED_PROXY_HOPS=1.

A buyer starts, goes through every step, submits, reads the result, downloads the PDF,
shares a read-only link and revises; a salesperson signs in, finds the assessment, opens
it, downloads its PDF and answers and exports the list. Every form post is checked by
Flask-WTF as on HTTPS in production (a same-origin Referer, the CSRF token), the session
cookie must be Secure, and nginx's access log must hold no buyer's token. Where nginx or
openssl cannot start, the test fails and says why: it never skips.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path
from types import SimpleNamespace

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from tests.browser.conftest import SMALL_BANK
from tests.browser.helpers import (
    answer_basics,
    answer_operations,
    score_panel,
    sign_in,
    start,
    submit,
)
from tests.live import NGINX_SITE, LiveServer, NginxProxy


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """gunicorn behind nginx with TLS; ``site.url`` is nginx's https:// address."""
    tmp = tmp_path_factory.mktemp("https")
    gunicorn = LiveServer(
        tmp,
        "https",
        SMALL_BANK,
        workers=1,
        WEB_THREADS="4",
        TRUSTED_PROXY_HOPS="1",
        SESSION_COOKIE_SECURE="1",
        REPORT_WAIT_SECONDS="30",  # a loaded machine may take a while over the first PDF
    )
    with gunicorn as app:
        try:
            proxy = NginxProxy(tmp, app.env["BIND"])
            proxy.start()
        except (RuntimeError, OSError) as exc:
            pytest.fail(f"nginx could not be started in front of the app: {exc}", pytrace=False)
        try:
            yield SimpleNamespace(url=proxy.url, app=app, proxy=proxy)
        finally:
            proxy.stop()


@pytest.fixture
def https_context(browser):
    """New browser contexts that accept the test's self-signed certificate."""
    contexts = []

    def new():
        context = browser.new_context(
            ignore_https_errors=True, viewport={"width": 1280, "height": 900}, locale="en-GB"
        )
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context

    yield new
    for context in contexts:
        context.close()


def pdf_text(download) -> str:
    return "\n".join(p.extract_text() for p in PdfReader(download.value.path()).pages)


def test_buyer_and_salesperson_journeys_over_https_through_nginx(site, https_context):
    buyer = https_context().new_page()
    first = buyer.goto(site.url + "/")
    assert first.headers["strict-transport-security"] == "max-age=31536000"  # the app saw https
    assert first.headers["referrer-policy"] == "same-origin"

    # Start, both steps (each a form post with its CSRF token and a same-origin Referer),
    # the check page and submit.
    token = start(buyer, site, company="Proxied Traders Ltd", email="ann@proxied.example")
    answer_basics(buyer)
    answer_operations(buyer, uptime_must_have=True, notes="Single sign-on, please.")
    submit(buyer)
    expect(score_panel(buyer)).to_contain_text("62.5 / 100")
    cookies = buyer.context.cookies()
    assert cookies and all(c["secure"] and c["httpOnly"] for c in cookies), cookies

    with buyer.expect_download(timeout=120_000) as buyer_pdf:
        buyer.get_by_role("link", name="Download PDF report").click(timeout=120_000)
    assert "Proxied Traders Ltd" in pdf_text(buyer_pdf)

    # A read-only link for a colleague: the result and its PDF, through nginx too.
    buyer.get_by_role("button", name="Create a read-only link").click()
    link = buyer.get_by_label("Read-only link", exact=True).input_value()
    assert re.fullmatch(rf"{re.escape(site.url)}/v/[A-Za-z0-9_-]{{32}}", link), link
    colleague = https_context().new_page()
    colleague.goto(link)
    expect(colleague.get_by_role("heading", name="Result: Proxied Traders Ltd")).to_be_visible()
    with colleague.expect_download(timeout=120_000) as shared_pdf:
        colleague.get_by_role("link", name="Download PDF report").click(timeout=120_000)
    assert "Proxied Traders Ltd" in pdf_text(shared_pdf)

    # Revise: a new draft on its own link, its check page.
    result_url = buyer.url
    buyer.get_by_role("button", name="Revise your answers").click()
    expect(
        buyer.get_by_role("heading", name="Check your answers before you submit")
    ).to_be_visible()
    revision_token = re.search(r"/a/([^/]+)/check", buyer.url).group(1)
    assert revision_token != token

    # The salesperson: sign in, the list, the assessment, its PDF and answers, the CSV.
    out = site.app.flask(
        "users", "create", "sam@provider.example", "--name", "Sam Seller", "--generate-password"
    )
    password = re.search(r"store it now\): (\S+)", out).group(1)
    seller = https_context().new_page()
    sign_in(seller, site, "sam@provider.example", password)
    seller.get_by_label("Search").fill("proxied")
    seller.get_by_role("button", name="Apply filters").click()
    seller.get_by_role("table").get_by_role("link", name="Proxied Traders Ltd").click()
    expect(seller.get_by_role("heading", name="Proxied Traders Ltd", level=1)).to_be_visible()
    expect(score_panel(seller)).to_contain_text("62.5 / 100")
    with seller.expect_download(timeout=120_000) as seller_pdf:
        seller.get_by_role("link", name="Download PDF report").click(timeout=120_000)
    assert "Proxied Traders Ltd" in pdf_text(seller_pdf)
    with seller.expect_download() as answers:
        seller.get_by_role("link", name="Download answers (JSON)").click()
    assert '"company": "Proxied Traders Ltd"' in Path(answers.value.path()).read_text()
    seller.go_back()
    with seller.expect_download() as export:
        seller.get_by_role("link", name=re.compile(r"^Export .* to CSV$")).click()
    with Path(export.value.path()).open(newline="", encoding="utf-8-sig") as rows:
        exported = list(csv.DictReader(rows))
    assert [row["Company"] for row in exported] == ["Proxied Traders Ltd"]
    assert all(row["Link"].startswith(site.url + "/sales/") for row in exported)

    # The buyer's page lists those accesses: every step above reached the app as itself.
    buyer.goto(result_url)
    accesses = buyer.get_by_role("region", name="Who has accessed your answers")
    expect(accesses).to_contain_text("Sam Seller (sales team)")
    expect(accesses).to_contain_text("Someone with your read-only link")

    # nginx logged every request, by HTTP/2, with each token cut out of its path.
    log = site.proxy.access_log.read_text()
    assert '"GET /a/[token]/result HTTP/2.0" 200' in log
    assert '"GET /v/[token] HTTP/2.0" 200' in log
    assert '"POST /sales/login HTTP/2.0" 302' in log
    read_only_token = link.rsplit("/", 1)[1]
    for secret in (token, revision_token, read_only_token):
        assert secret not in log
    # No form refused and nothing failed. nginx writes 499 for a request the browser gave up
    # (a read still in flight when the page moved on, seen once on a busy machine): that is
    # allowed of a GET only, never of a form's POST.
    requests = re.findall(r'"(\w+) (\S+) HTTP/2\.0" (\d{3}) ', log)
    failed = [
        r for r in requests if r[2] not in {"200", "202", "302"} and r[:3:2] != ("GET", "499")
    ]
    assert requests and not failed, failed
    assert site.app.log_errors() == []


def test_the_site_file_tested_here_is_the_one_docs_deploy_md_shows():
    deploy = (Path(__file__).resolve().parents[2] / "docs" / "deploy.md").read_text()
    shown = re.search(r"```nginx\n(.*?)```", deploy, re.S).group(1)
    assert shown == NGINX_SITE.read_text()
