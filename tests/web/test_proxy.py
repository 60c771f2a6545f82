"""Behind the TLS proxy of docs/deploy.md (TRUSTED_PROXY_HOPS=1, X-Forwarded-Proto: https),
with CSRF on as in production: forms work, tokens stay home, forged headers are ignored.

The browser's side is emulated here (which Referer it sends under the page's policy); the
real thing, nginx and Chromium over https://, is tests/browser/test_https_proxy.py.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest

from tests.support import CSRF_FIELD, FAST, add_user, page

HOST = "trustcheck.example"
ORIGIN = f"https://{HOST}"
PROXIED = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.7"}
START = {"company": "Proxy Ltd", "name": "Pat", "email": "pat@proxy.example", "consent": "y"}


def origin_of(url: str) -> tuple:
    parts = urlsplit(url)
    return parts.scheme, parts.hostname, parts.port


def referer_sent(policy: str, page_url: str, target_url: str) -> str | None:
    """The Referer a browser sends when a page at ``page_url`` posts a form to
    ``target_url``, under the page's Referrer-Policy (W3C Referrer Policy, section 8.3;
    both addresses https, so no downgrade)."""
    same = origin_of(page_url) == origin_of(target_url)
    page_origin = "{}://{}".format(*urlsplit(page_url)[:2]) + "/"
    stripped = page_url.split("#", maxsplit=1)[0]
    sent = {
        "no-referrer": None,
        "same-origin": stripped if same else None,
        "origin": page_origin,
        "strict-origin": page_origin,
        "origin-when-cross-origin": stripped if same else page_origin,
        "strict-origin-when-cross-origin": stripped if same else page_origin,
        "unsafe-url": stripped,
        "no-referrer-when-downgrade": stripped,
    }
    return sent[policy]


class ProxiedBrowser:
    """A browser reaching the app through the TLS proxy: it sends the Referer its page's
    policy allows, as Chromium does."""

    def __init__(self, client):
        self.client = client
        self.page_url: str | None = None
        self.policy: str | None = None

    def get(self, path: str, **headers):
        response = self.client.get(path, base_url=ORIGIN, headers={**PROXIED, **headers})
        if response.status_code == 200:
            self.page_url = ORIGIN + path
            self.policy = response.headers["Referrer-Policy"]
            self.csrf = CSRF_FIELD.search(page(response)).group(1)
        return response

    def post(self, path: str, data: dict, referer: str | None = "policy", **headers):
        if referer == "policy":
            referer = referer_sent(self.policy, self.page_url, ORIGIN + path)
        headers = {**PROXIED, **headers, **({"Referer": referer} if referer else {})}
        form = {"csrf_token": self.csrf, **data}
        return self.client.post(path, data=form, base_url=ORIGIN, headers=headers)


@pytest.fixture
def proxied_app(make_app):
    return make_app(TRUSTED_PROXY_HOPS=1, WTF_CSRF_ENABLED=True, SERVER_NAME=None, **FAST)


def test_behind_the_tls_proxy_a_buyer_starts_saves_a_step_and_a_salesperson_signs_in(
    proxied_app, bank
):
    """Under no-referrer the start went through, then the first step save was a 400
    "This page had expired", and so was every other form."""
    browser = ProxiedBrowser(proxied_app.test_client())
    browser.get("/")
    started = browser.post("/", START)
    assert started.status_code == 302
    step = urlsplit(started.location).path
    browser.get(step)
    first = bank.sections[0].questions[0]
    saved = browser.post(step, {first.id: "yes", "action": "save"})
    assert saved.status_code == 302, page(saved)

    add_user(proxied_app, "sam@provider.example", name="Sam Seller")
    staff = ProxiedBrowser(proxied_app.test_client())
    staff.get("/sales/login")
    signed_in = staff.post(
        "/sales/login", {"email": "sam@provider.example", "password": "correct-horse-battery"}
    )
    assert signed_in.status_code == 302 and signed_in.location.endswith("/sales/")
    cookie = signed_in.headers["Set-Cookie"]
    assert all(flag in cookie for flag in ("Secure", "HttpOnly", "SameSite=Lax"))


def test_the_csrf_checks_stay_whole_behind_the_proxy(proxied_app):
    browser = ProxiedBrowser(proxied_app.test_client())
    browser.get("/")
    step = urlsplit(browser.post("/", START).location).path
    browser.get(step)
    for referer in (None, "https://attacker.example/", "http://trustcheck.example/"):
        refused = browser.post(step, {"action": "save"}, referer=referer)
        assert refused.status_code == 400, referer
        assert "This page had expired" in page(refused)
    other = ProxiedBrowser(proxied_app.test_client())
    other.get("/")  # another session's token, with the right Referer: still refused
    forged = browser.post(step, {"action": "save", "csrf_token": other.csrf})
    assert forged.status_code == 400 and "This page had expired" in page(forged)


def test_no_page_tells_another_site_its_address(proxied_app):
    """Same-origin only: a buyer's link to the provider's Trust Center, or an e-mail link
    opened from the page, carries no Referer and so no token."""
    browser = ProxiedBrowser(proxied_app.test_client())
    response = browser.get("/")
    token_page = f"{ORIGIN}/a/some-secret-token/result"
    assert referer_sent(browser.policy, token_page, "https://www.microsoft.com/trust") is None
    assert referer_sent(browser.policy, token_page, "http://trustcheck.example/x") is None
    meta = re.search(r'<meta name="referrer" content="([^"]+)">', page(response))
    assert meta.group(1) == response.headers["Referrer-Policy"]  # the page says the same


def test_a_forwarded_host_is_not_believed(proxied_app):
    """deploy.md's nginx passes the browser's Host and sets no X-Forwarded-Host: one that
    arrives came from the client, and must not change the links the app makes."""
    forged = {"X-Forwarded-Host": "attacker.example"}
    browser = ProxiedBrowser(proxied_app.test_client())
    browser.get("/", **forged)
    started = browser.post("/", START, **forged)
    assert urlsplit(started.location).hostname in (None, HOST)
    step = browser.get(urlsplit(started.location).path, **forged)
    resume_link = re.search(r'https://[^/"]+/a/[^"<]+', page(step)).group(0)
    assert resume_link.startswith(f"{ORIGIN}/a/")


def test_secret_link_pages_ask_search_engines_not_to_index_them(app, client, buyer):
    token = buyer.start()
    for path in (f"/a/{token}", f"/a/{token}/overview", f"/a/{token}/answers.json", "/v/nope"):
        response = client.get(path)
        assert response.headers["X-Robots-Tag"] == "noindex, nofollow", path
    assert "X-Robots-Tag" not in client.get("/").headers
