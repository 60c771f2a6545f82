"""The sales workspace through Flask's test client: sign-in, roles, the list, downloads,
the CSV export, the access log and the admin pages."""

from __future__ import annotations

import csv
import hashlib
import io
import random
import re
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from questionnaire import services
from questionnaire.core.bank import parse_bank
from questionnaire.reports.document import report_filename
from questionnaire.reports.service import ReportError
from questionnaire.store import accounts, throttle
from questionnaire.store import operations as ops
from questionnaire.store.db import db
from questionnaire.store.models import AccessEvent, Assessment, LoginAttempt, User, utcnow
from questionnaire.web import auth
from tests.conftest import signed_in
from tests.support import (
    FAST,
    LOGIN,
    PASSWORD,
    add_user,
    assessment_id,
    fetch,
    page,
    redirects_to_sign_in,
    sign_in,
    stand_in,
)


@pytest.fixture
def app(make_app):
    return make_app(**FAST)


@pytest.fixture
def admin(app):
    """A signed-in admin's browser."""
    return signed_in(app, "alex@provider.example", "admin", "Alex Admin")


def submit_example(buyer, bank, example, company="Acme Ltd", email="ann@acme.example") -> str:
    token = buyer.start(company=company, email=email)
    buyer.answer_all(bank, example["answers"], example.get("must_have", []))
    assert buyer.submit().status_code == 302
    return token


# --- generated assessments ---------------------------------------------------------------

COMPANIES = ["Acme", "Globex", "Initech", "Umbrella", "Hooli", "Stark", "Wayne", "Tyrell"]


def add_assessments(app, count: int, seed: int = 0) -> list[dict]:
    """Rows straight into the table (the list reads only these columns); returns them."""
    rng = random.Random(seed)
    with app.app_context():
        bank = services.banks().current()
        older = parse_bank(
            bank.source.replace(f'version: "{bank.version}"', 'version: "2000.1"', 1), "old.yaml"
        )
        ops.ensure_snapshot(bank)
        ops.ensure_snapshot(older)
        labels = [r.label for r in bank.ratings]
        now = utcnow()
        made = []
        for n in range(count):
            use = older if rng.random() < 0.2 else bank
            submitted = rng.random() < 0.8
            company = f"{rng.choice(COMPANIES)} {rng.choice(['Ltd', 'GmbH', 'plc'])} {n}"
            name, email = f"Person {n}", f"p{n}@{company.split(maxsplit=1)[0].lower()}.example"
            when = now - timedelta(days=rng.randint(0, 40), minutes=rng.randint(0, 1439))
            score = rng.choice([None, *range(0, 101, 5)]) if submitted else None
            row = Assessment(
                token_hash=hashlib.sha256(f"{seed}-{n}".encode()).hexdigest(),
                status="submitted" if submitted else "draft",
                company=company,
                contact_name=name,
                email=email,
                search_text=ops.search_text(company, name, email),
                consent=True,
                consent_at=when,
                answers={},
                must_have=[],
                progress={},
                bank_sha256=use.sha256,
                bank_version=use.version,
                score=score,
                rating=rng.choice(labels) if submitted else None,
                deal_breakers=rng.choice([0, 0, 1, 2]) if submitted else 0,
                created_at=when - timedelta(hours=1),
                updated_at=when,
                submitted_at=when if submitted else None,
            )
            db.session.add(row)
            made.append(row)
        db.session.commit()
        return [
            {
                "id": a.id,
                "company": a.company,
                "search": a.search_text,
                "status": a.status,
                "when": a.submitted_at or a.updated_at,
                "score": a.score,
                "rating": a.rating,
                "deal_breakers": a.deal_breakers,
                "bank_version": a.bank_version,
            }
            for a in made
        ]


def listed_ids(client, **args) -> list[int]:
    """Every assessment id the list shows for these filters, following Next to the end."""
    ids: list[int] = []
    response = client.get("/sales/", query_string=args)
    for _ in range(100):
        assert response.status_code == 200, page(response)
        html = page(response)
        ids += [
            int(i) for i in re.findall(r'class="row-link" href="/sales/assessments/(\d+)[?"]', html)
        ]
        following = re.search(r'href="([^"]+)" rel="next"', html)
        if not following:
            return ids
        response = client.get(following.group(1).replace("&amp;", "&"))
    raise AssertionError("more pages than expected")


def newest_first(rows):
    return [r["id"] for r in sorted(rows, key=lambda r: (r["when"], r["id"]), reverse=True)]


# --- nothing without sign-in ----------------------------------------------------------------


def test_every_sales_route_redirects_to_sign_in_without_a_session(app, client):
    """Walks the URL map, so a route added later cannot slip through unguarded."""
    checked = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/sales") or rule.endpoint == "sales.auth.login":
            continue
        values = dict.fromkeys(rule.arguments, 1)  # "1" also fits a string argument
        with app.test_request_context():
            url = app.url_for(rule.endpoint, **values)
        for method in {"GET", "POST"} & rule.methods:
            response = client.open(url, method=method)
            assert redirects_to_sign_in(response), (method, url, response.status_code)
            checked.add(rule.endpoint)
    assert {
        "sales.assessments",
        "sales.export",
        "sales.assessment",
        "sales.pdf",
        "sales.answers_json",
        "sales.auth.logout",
        "sales.admin.index",
        "sales.admin.create_user",
        "sales.admin.disable_user",
        "sales.admin.reset_password",
        "sales.admin.access_log",
    } <= checked


def test_the_sign_in_page_remembers_where_you_were_going(app, client):
    add_user(app, "sam@provider.example")
    response = client.get("/sales/?q=acme")
    assert redirects_to_sign_in(response) and "next=" in response.location
    response = client.post(
        response.location, data={"email": "sam@provider.example", "password": PASSWORD}
    )
    assert response.status_code == 302 and response.location == "/sales/?q=acme"


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/sales/", "/a/token/result", "/\\evil"]
)
def test_sign_in_never_redirects_off_the_workspace(app, client, target):
    add_user(app, "sam@provider.example")
    response = client.post(
        LOGIN,
        query_string={"next": target},
        data={"email": "sam@provider.example", "password": PASSWORD},
    )
    assert response.status_code == 302 and response.location == "/sales/"


def test_sign_in_form_needs_its_csrf_token(make_app):
    app = make_app(WTF_CSRF_ENABLED=True, **FAST)
    add_user(app, "sam@provider.example")
    client = app.test_client()
    data = {"email": "sam@provider.example", "password": PASSWORD}
    assert client.post(LOGIN, data=data).status_code == 400
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page(client.get(LOGIN)))
    response = client.post(LOGIN, data={**data, "csrf_token": token.group(1)})
    assert response.status_code == 302


# --- sessions -----------------------------------------------------------------------------


def test_sign_in_starts_a_fresh_session_with_a_new_csrf_token(app, client):
    add_user(app, "sam@provider.example")
    with client.session_transaction() as session:
        session["planted"] = "by an attacker"
        session["csrf_token"] = "old-token"
    assert sign_in(client, "sam@provider.example").status_code == 302
    client.get("/sales/")
    with client.session_transaction() as session:
        assert "planted" not in session
        assert session.get("csrf_token") != "old-token"
        assert session["_user_id"].endswith(":1")


def test_session_cookie_is_httponly_lax_and_secure_over_https(app, client):
    add_user(app, "sam@provider.example")
    cookie = sign_in(client, "sam@provider.example").headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    secure_client = app.test_client()
    response = secure_client.post(
        LOGIN,
        data={"email": "sam@provider.example", "password": PASSWORD},
        base_url="https://localhost",
    )
    assert "Secure" in response.headers["Set-Cookie"]


def test_a_trusted_proxy_marks_the_cookie_secure_and_gives_the_client_address(make_app):
    app = make_app(TRUSTED_PROXY_HOPS=1, **FAST)
    add_user(app, "sam@provider.example")
    response = app.test_client().post(
        LOGIN,
        data={"email": "sam@provider.example", "password": "wrong-password-1"},
        headers={"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"},
    )
    assert response.status_code == 400
    with app.app_context():
        assert db.session.scalar(select(LoginAttempt.address)) == "203.0.113.9"


def test_forwarded_headers_are_ignored_without_a_trusted_proxy(app, client):
    client.post(
        LOGIN,
        data={"email": "x@provider.example", "password": "wrong-password-1"},
        headers={"X-Forwarded-For": "203.0.113.9"},
    )
    with app.app_context():
        assert db.session.scalar(select(LoginAttempt.address)) == "127.0.0.1"


def test_an_idle_session_expires(make_app):
    app = make_app(SALES_IDLE_MINUTES=5, **FAST)
    add_user(app, "sam@provider.example")
    client = app.test_client()
    sign_in(client, "sam@provider.example")
    with client.session_transaction() as session:
        session[auth.SEEN_KEY] -= 4 * 60  # four minutes ago: still signed in
    assert client.get("/sales/").status_code == 200
    with client.session_transaction() as session:
        session[auth.SEEN_KEY] -= 6 * 60
    response = client.get("/sales/")
    assert redirects_to_sign_in(response)
    assert "signed out after 5 minutes without activity" in page(client.get(response.location))
    assert redirects_to_sign_in(client.get("/sales/"))


def test_a_session_ends_after_its_absolute_lifetime_however_active(make_app):
    app = make_app(SALES_SESSION_HOURS=12, **FAST)
    add_user(app, "sam@provider.example")
    client = app.test_client()
    sign_in(client, "sam@provider.example")
    with client.session_transaction() as session:
        session[auth.STARTED_KEY] -= 11 * 3600  # signed in eleven hours ago, active since
    assert client.get("/sales/").status_code == 200
    with client.session_transaction() as session:
        session[auth.STARTED_KEY] -= 2 * 3600
    response = client.get("/sales/")
    assert redirects_to_sign_in(response)
    assert "a session lasts at most 12 hours" in page(client.get(response.location))
    assert sign_in(client, "sam@provider.example").status_code == 302  # a new one starts
    assert client.get("/sales/").status_code == 200


def test_a_password_an_admin_made_must_be_changed_at_first_sign_in(app, admin):
    created = admin.post(
        "/sales/admin/users",
        data={"email": "new@provider.example", "name": "Nia New", "role": "sales"},
    )
    given = re.search(r'id="new-password" type="text" value="([^"]+)"', page(created)).group(1)
    assert "asked to choose a password of their own" in page(created)
    newcomer = app.test_client()
    assert sign_in(newcomer, "new@provider.example", given).status_code == 302
    for url in ("/sales/", "/sales/admin/", "/sales/export.csv"):
        response = newcomer.get(url)
        assert response.status_code == 302 and response.location.endswith(CHANGE), url
    assert "Choose a password of your own" in page(newcomer.get(CHANGE))
    assert change(newcomer, current=given).status_code == 302
    assert newcomer.get("/sales/").status_code == 200
    # A reset in the browser is the same: the admin has seen that password too.
    with app.app_context():
        number = accounts.find_user("new@provider.example").id
    reset = admin.post(f"/sales/admin/users/{number}/reset-password")
    again = re.search(r'id="new-password" type="text" value="([^"]+)"', page(reset)).group(1)
    assert sign_in(newcomer, "new@provider.example", again).status_code == 302
    assert newcomer.get("/sales/").location.endswith(CHANGE)
    assert newcomer.post("/sales/logout").status_code == 302  # signing out stays open


def test_sign_out_is_a_post_and_voids_copies_of_the_cookie(app, sales):
    assert sales.get("/sales/logout").status_code == 405
    stolen = sales.get_cookie("session").value
    response = sales.post("/sales/logout")
    assert redirects_to_sign_in(response)
    assert "You have signed out" in page(sales.get(LOGIN))
    sales.set_cookie("session", stolen)  # a copy taken before sign-out
    assert redirects_to_sign_in(sales.get("/sales/"))


# --- sign-in failures and throttling ------------------------------------------------------


def test_a_wrong_password_and_an_unknown_account_read_the_same(app, client):
    add_user(app, "sam@provider.example")
    wrong = sign_in(client, "sam@provider.example", "not-the-password")
    unknown = sign_in(client, "nobody@provider.example", "not-the-password")
    assert wrong.status_code == unknown.status_code == 400
    message = "The email address or password is not right."
    assert message in page(wrong) and message in page(unknown)
    assert "not-the-password" not in page(wrong)


def test_the_password_is_never_logged(app, client, caplog):
    add_user(app, "sam@provider.example")
    with caplog.at_level("DEBUG"):
        sign_in(client, "sam@provider.example", "secret-typo-12345")
        sign_in(client, "sam@provider.example")
    assert "secret-typo-12345" not in caplog.text and PASSWORD not in caplog.text


def test_five_failures_from_an_address_pause_that_account_there_and_nowhere_else(app):
    add_user(app, "sam@provider.example")
    client = app.test_client()
    for _ in range(throttle.MAX_FAILURES):
        assert sign_in(client, "sam@provider.example", "wrong", "203.0.113.66").status_code == 400
    blocked = sign_in(client, "sam@provider.example", PASSWORD, "203.0.113.66")
    assert blocked.status_code == 429
    assert "Too many failed sign-in attempts from your network" in page(blocked)
    assert blocked.headers["Retry-After"] == "900"
    assert redirects_to_sign_in(client.get("/sales/"))
    # The owner, from their own network, is not stopped by someone else's guesses.
    assert (
        sign_in(app.test_client(), "sam@provider.example", PASSWORD, "10.0.0.5").status_code == 302
    )


def test_wrong_guesses_from_one_address_never_stop_the_owner_signing_in_from_another(app):
    """Before, five wrong passwords from anywhere paused the account for everyone."""
    add_user(app, "sam@provider.example")
    attacker = app.test_client()
    for _ in range(throttle.MAX_FAILURES * 4):
        assert sign_in(attacker, "sam@provider.example", "wrong", "203.0.113.66").status_code in (
            400,
            429,
        )
    owner = app.test_client()
    assert sign_in(owner, "sam@provider.example", PASSWORD, "198.51.100.10").status_code == 302


def test_guesses_from_many_addresses_slow_each_to_one_try_and_the_owner_still_gets_in(app):
    """The account-wide back-off: once an account fails from BACKOFF_ADDRESSES addresses
    within the hour, each address gets one failed try on it an hour, not five."""
    add_user(app, "sam@provider.example")
    client = app.test_client()
    for n in range(throttle.BACKOFF_ADDRESSES):
        assert sign_in(client, "sam@provider.example", "wrong", f"10.9.0.{n}").status_code == 400
    assert sign_in(client, "sam@provider.example", "wrong", "10.9.1.1").status_code == 400
    slowed = sign_in(client, "sam@provider.example", "wrong", "10.9.1.1")
    assert slowed.status_code == 429 and slowed.headers["Retry-After"] == "3600"
    # Before the back-off an address had five tries; and the owner's first try is checked.
    owner = app.test_client()
    assert sign_in(owner, "sam@provider.example", PASSWORD, "198.51.100.10").status_code == 302


def test_twenty_failures_from_an_address_pause_every_account_there(app, client):
    add_user(app, "sam@provider.example")
    for n in range(throttle.ADDRESS_FAILURES):
        sign_in(client, f"guess{n}@provider.example", "wrong", "192.0.2.7")
    assert sign_in(client, "sam@provider.example", PASSWORD, "192.0.2.7").status_code == 429
    assert sign_in(client, "sam@provider.example", PASSWORD, "192.0.2.8").status_code == 302


def test_an_administrators_password_reset_ends_the_pause(app, client):
    add_user(app, "sam@provider.example", name="Sam Seller")
    admin = signed_in(app, "ada@provider.example", "admin", "Ada Admin")
    for _ in range(throttle.MAX_FAILURES):
        sign_in(client, "sam@provider.example", "wrong", "10.0.0.5")
    assert sign_in(client, "sam@provider.example", PASSWORD, "10.0.0.5").status_code == 429
    with app.app_context():
        number = accounts.find_user("sam@provider.example").id
    response = admin.post(f"/sales/admin/users/{number}/reset-password")
    password = re.search(r'id="new-password" type="text" value="([^"]+)"', page(response)).group(1)
    assert sign_in(client, "sam@provider.example", password, "10.0.0.5").status_code == 302


def test_the_throttle_message_does_not_tell_whether_the_account_exists(app, client):
    add_user(app, "sam@provider.example")
    for email in ("sam@provider.example", "nobody@provider.example"):
        for _ in range(throttle.MAX_FAILURES):
            assert sign_in(client, email, "wrong", "198.51.100.2").status_code == 400
    known = sign_in(client, "sam@provider.example", "wrong", "198.51.100.2")
    unknown = sign_in(client, "nobody@provider.example", "wrong", "198.51.100.2")
    assert known.status_code == unknown.status_code == 429
    assert page(known).replace("sam@", "x@") == page(unknown).replace("nobody@", "x@")


def test_failures_older_than_the_window_no_longer_count(app, client):
    add_user(app, "sam@provider.example")
    with app.app_context():
        old = utcnow() - throttle.THROTTLE_WINDOW - timedelta(seconds=1)
        for _ in range(10):
            db.session.add(
                LoginAttempt(email="sam@provider.example", address="127.0.0.1", created_at=old)
            )
        db.session.commit()
    assert sign_in(client, "sam@provider.example").status_code == 302


def test_a_successful_sign_in_clears_the_count_of_its_address(app, client):
    add_user(app, "sam@provider.example")
    for _ in range(throttle.MAX_FAILURES - 1):
        sign_in(client, "sam@provider.example", "wrong", "10.1.0.1")
    assert sign_in(client, "sam@provider.example", PASSWORD, "10.1.0.1").status_code == 302
    other = client.application.test_client()
    for _ in range(throttle.MAX_FAILURES - 1):
        assert sign_in(other, "sam@provider.example", "wrong", "10.1.0.1").status_code == 400


def test_old_attempts_are_purged_when_someone_signs_in(app, client):
    with app.app_context():
        old = utcnow() - timedelta(days=2)
        db.session.add(LoginAttempt(email="a@b.example", address="1.2.3.4", created_at=old))
        db.session.commit()
    sign_in(client, "nobody@provider.example", "wrong")
    with app.app_context():
        assert db.session.scalar(select(func.count(LoginAttempt.id))) == 1


def test_a_disabled_user_cannot_sign_in(app, client, admin):
    user_id = add_user(app, "sam@provider.example")
    admin.post(f"/sales/admin/users/{user_id}/disable")
    response = sign_in(client, "sam@provider.example")
    assert response.status_code == 403
    assert "This account has been disabled" in page(response)
    assert redirects_to_sign_in(client.get("/sales/"))


def test_disabling_a_user_ends_their_open_session(app, sales, admin):
    assert sales.get("/sales/").status_code == 200
    with app.app_context():
        sam = db.session.scalar(select(User.id).where(User.email == "sam@provider.example"))
    response = admin.post(f"/sales/admin/users/{sam}/disable")
    assert response.status_code == 302
    assert redirects_to_sign_in(sales.get("/sales/"))
    admin.post(f"/sales/admin/users/{sam}/enable")
    assert sign_in(sales, "sam@provider.example").status_code == 302


def test_a_password_reset_ends_old_sessions_and_shows_the_new_password_once(app, sales, admin):
    with app.app_context():
        sam = db.session.scalar(select(User.id).where(User.email == "sam@provider.example"))
    response = admin.post(f"/sales/admin/users/{sam}/reset-password")
    assert response.status_code == 200  # no redirect: the password never passes through the session
    new = re.search(r'id="new-password" type="text" value="([^"]+)"', page(response)).group(1)
    assert new not in response.headers.get("Set-Cookie", "")
    assert redirects_to_sign_in(sales.get("/sales/"))
    assert sign_in(sales, "sam@provider.example", PASSWORD).status_code == 400
    assert sign_in(sales, "sam@provider.example", new).status_code == 302


# --- roles --------------------------------------------------------------------------------


def test_a_sales_user_cannot_use_admin_pages(app, sales):
    victim = add_user(app, "other@provider.example")
    assert sales.get("/sales/admin/").status_code == 403
    assert sales.get("/sales/admin/access-log").status_code == 403
    data = {"email": "new@provider.example", "name": "New", "role": "admin"}
    assert sales.post("/sales/admin/users", data=data).status_code == 403
    assert sales.post(f"/sales/admin/users/{victim}/disable").status_code == 403
    assert sales.post(f"/sales/admin/users/{victim}/reset-password").status_code == 403
    with app.app_context():
        assert db.session.scalar(select(func.count(User.id))) == 2
        assert db.session.get(User, victim).active
    assert "Admin</a>" not in page(sales.get("/sales/"))


def test_an_admin_creates_a_sales_user_who_can_sign_in(app, admin):
    response = admin.post(
        "/sales/admin/users",
        data={"email": "New.Person@Provider.example", "name": "New Person", "role": "sales"},
    )
    assert response.status_code == 200 and "Account created" in page(response)
    password = re.search(r'id="new-password" type="text" value="([^"]+)"', page(response)).group(1)
    client = app.test_client()
    assert sign_in(client, "new.person@provider.example", password).status_code == 302
    assert change(client, current=password).status_code == 302  # their own, first
    assert client.get("/sales/").status_code == 200
    assert client.get("/sales/admin/").status_code == 403


def test_creating_an_account_twice_or_with_a_bad_email_or_no_name_is_refused(app, admin):
    data = {"email": "alex@provider.example", "name": "Again", "role": "sales"}
    response = admin.post("/sales/admin/users", data=data)
    assert response.status_code == 400 and "There is already an account" in page(response)
    response = admin.post("/sales/admin/users", data={**data, "email": "not-an-email"})
    assert response.status_code == 400 and "correct format" in page(response)
    blank_name = {**data, "email": "blank@provider.example", "name": " \t "}
    response = admin.post("/sales/admin/users", data=blank_name)
    assert response.status_code == 400 and "Enter the person&#39;s name" in page(response)


def test_an_admin_cannot_lock_themselves_out(app, admin):
    with app.app_context():
        me = db.session.scalar(select(User.id).where(User.email == "alex@provider.example"))
    assert admin.post(f"/sales/admin/users/{me}/disable").status_code == 400
    assert admin.post(f"/sales/admin/users/{me}/reset-password").status_code == 400
    assert admin.get("/sales/admin/").status_code == 200


def test_admin_page_shows_the_bank_in_use(app, admin, bank):
    html = page(admin.get("/sales/admin/"))
    assert bank.version in html and bank.sha256 in html
    assert f"{len(bank.questions)} in {len(bank.sections)} sections" in html


def test_admin_page_shows_a_broken_bank_file_with_its_lines(app, admin, bank, bank_path):
    admin.get("/sales/admin/")  # the good bank is loaded first
    text = bank_path.read_text().replace("type: yesno", "type: checkbox", 1)
    bank_path.write_text(text)
    html = page(admin.get("/sales/admin/"))
    line = text[: text.index("type: checkbox")].count("\n") + 1
    assert f"{bank_path}:{line}: unknown type &#39;checkbox&#39;" in html
    assert f"still start on the last good version, {bank.version}" in html


# --- the list -----------------------------------------------------------------------------


def test_list_shows_submitted_assessments_newest_first_with_their_columns(app, sales):
    rows = add_assessments(app, 40)
    submitted = [r for r in rows if r["status"] == "submitted"]
    assert listed_ids(sales) == newest_first(submitted)
    html = page(sales.get("/sales/"))
    first = next(r for r in rows if r["id"] == newest_first(submitted)[0])
    assert first["company"] in html and f"{len(submitted)}</strong> submitted" in html
    for heading in ("Company", "Contact", "Submitted", "Score", "Rating", "Deal-breakers"):
        assert heading in html


def test_drafts_are_listed_on_request(app, sales):
    rows = add_assessments(app, 40)
    drafts = [r for r in rows if r["status"] == "draft"]
    assert listed_ids(sales, status="draft") == newest_first(drafts)


@pytest.mark.parametrize(
    "sort", ["newest", "oldest", "score_high", "score_low"], ids=lambda s: f"sort={s}"
)
def test_every_page_of_every_sort_shows_each_row_once_in_order(app, sales, sort):
    rows = [r for r in add_assessments(app, 300, seed=1) if r["status"] == "submitted"]
    keys = {
        "newest": (lambda r: (r["when"], r["id"]), True),
        "oldest": (lambda r: (r["when"], r["id"]), False),
        # "Not scored" ranks below every score, whichever way the list is sorted.
        "score_high": (lambda r: (r["score"] is not None, r["score"] or 0, r["id"]), True),
        "score_low": (lambda r: (r["score"] is not None, r["score"] or 0, r["id"]), False),
    }
    key, reverse = keys[sort]
    assert listed_ids(sales, sort=sort) == [r["id"] for r in sorted(rows, key=key, reverse=reverse)]


def test_filters_match_a_reference_computed_in_python(app, sales):
    rows = [r for r in add_assessments(app, 300, seed=2) if r["status"] == "submitted"]
    today = utcnow().date()
    week_ago = today - timedelta(days=7)
    cases = [
        ({"rating": "Strong fit"}, lambda r: r["rating"] == "Strong fit"),
        ({"deal_breakers": "yes"}, lambda r: r["deal_breakers"] > 0),
        ({"deal_breakers": "no"}, lambda r: r["deal_breakers"] == 0),
        ({"bank_version": "2000.1"}, lambda r: r["bank_version"] == "2000.1"),
        (
            {"date_from": week_ago.isoformat(), "date_to": today.isoformat()},
            lambda r: week_ago <= r["when"].date() <= today,
        ),
        (
            {"date_to": (today - timedelta(days=30)).isoformat()},
            lambda r: r["when"].date() <= today - timedelta(days=30),
        ),
        (
            {"deal_breakers": "yes", "date_from": week_ago.isoformat(), "q": "acme"},
            lambda r: (
                r["deal_breakers"] > 0 and r["when"].date() >= week_ago and "acme" in r["search"]
            ),
        ),
    ]
    for args, keep in cases:
        expected = newest_first([r for r in rows if keep(r)])
        assert expected, args  # each case must select something to prove anything
        assert listed_ids(sales, **args) == expected, args


@pytest.mark.parametrize("query", ["GLOBEX", "person 17", "p23@", "initech plc"])
def test_search_finds_company_name_or_email_in_any_case(app, sales, query):
    rows = [r for r in add_assessments(app, 120, seed=3) if r["status"] == "submitted"]
    expected = newest_first([r for r in rows if query.lower() in r["search"]])
    assert expected
    assert listed_ids(sales, q=query) == expected


def test_search_treats_wildcards_as_plain_characters(app, sales):
    add_assessments(app, 30)
    assert listed_ids(sales, q="%") == []
    assert listed_ids(sales, q="_") == []
    assert "No submitted assessments match your filters" in page(sales.get("/sales/?q=%25"))


def test_control_characters_in_a_search_or_a_sign_in_are_no_error(app, sales, client):
    """A NUL is a valid URL escape, but PostgreSQL refuses it in text."""
    add_assessments(app, 30)
    query = "q=nobody%00here&rating=Strong%00fit&bank_version=1%00&date_from=2026%00-01-01"
    response = sales.get(f"/sales/?{query}")
    assert response.status_code == 200
    assert "No submitted assessments match your filters" in page(response)
    assert fetch(sales, f"/sales/export.csv?{query.replace('%00-', '-')}").status_code == 200
    # The broken date is a form error: the export goes back to the list, exporting nothing.
    assert fetch(sales, f"/sales/export.csv?{query}").status_code == 302
    assert sales.get("/sales/admin/access-log?assessment=1%00").status_code in (200, 403)
    assert sign_in(client, "sam@provider\x00.example").status_code == 400  # no such person
    assert sign_in(client, "sam@provider.example\x00").status_code == 302  # end trimmed


def test_a_page_past_the_end_shows_the_last_page(app, sales):
    rows = [r for r in add_assessments(app, 80, seed=4) if r["status"] == "submitted"]
    html = page(sales.get("/sales/?page=999"))
    ids = [int(i) for i in re.findall(r'href="/sales/assessments/(\d+)[?"]', html)]
    assert ids == newest_first(rows)[(-(-len(rows) // 25) - 1) * 25 :]


def test_a_bad_date_is_shown_as_an_error_and_ignored(app, sales):
    add_assessments(app, 10)
    response = sales.get("/sales/?date_from=2026-02-30")
    html = page(response)
    assert response.status_code == 200
    assert "There is a problem" in html and "From date must be a real date" in html


def test_sales_pages_are_never_cached(sales):
    response = sales.get("/sales/")
    assert response.headers["Cache-Control"] == "no-store"
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]


# --- one assessment -----------------------------------------------------------------------


def test_assessment_page_shows_contact_details_and_the_result(app, sales, buyer, bank, example):
    token = submit_example(buyer, bank, example, company="Acme Ltd", email="ann@acme.example")
    html = page(sales.get(f"/sales/assessments/{assessment_id(app, token)}"))
    assert "Acme Ltd" in html and "Ann Buyer" in html and "mailto:ann@acme.example" in html
    assert "Download PDF report" in html
    assert "Download answers (JSON)" in html
    assert "What is open" in html and "Questions to put to the provider" in html
    assert "Not yet rated" in html  # the example's must-haves are not all settled
    assert token not in html  # the buyer's secret link is theirs alone
    # Staff read about the buyer; the buyer's own page speaks to them.
    assert "Buyer&#39;s requirement" in html and "Your requirement" not in html
    assert "Your requirement" in page(buyer.client.get(f"/a/{token}/result"))


def test_a_draft_shows_progress_and_offers_no_pdf(app, sales, buyer):
    token = buyer.start()
    number = assessment_id(app, token)
    html = page(sales.get(f"/sales/assessments/{number}"))
    assert "Draft assessment" in html and "Download PDF report" not in html
    assert sales.get(f"/sales/assessments/{number}/report.pdf").status_code == 409


def test_an_unknown_assessment_is_404(sales):
    assert sales.get("/sales/assessments/999999").status_code == 404


def test_answers_download_is_the_buyers_json(app, sales, buyer, bank, example):
    token = submit_example(buyer, bank, example)
    response = sales.get(f"/sales/assessments/{assessment_id(app, token)}/answers.json")
    assert response.mimetype == "application/json"
    assert "attachment" in response.headers["Content-Disposition"]
    assert (
        response.get_json()["answers"]
        == buyer.client.get(buyer.url("/answers.json")).get_json()["answers"]
    )


class FakeReports:
    """Stands in for the report service (issue 4) where a real render is beside the point;
    installed after the buyer submits, as only the download is under test."""

    wait_seconds = 8.0

    def __init__(self, path: Path | None, error: Exception | None = None):
        self.path, self.error, self.asked = path, error, []

    def wait(self, assessment, seconds):
        self.asked.append(assessment.id)
        if self.error:
            raise self.error
        return self.path


def test_pdf_download_comes_from_the_report_service(
    app, sales, buyer, bank, example, tmp_path, monkeypatch
):
    pdf = tmp_path / "r.pdf"
    pdf.write_bytes(b"%PDF-1.7 fake")
    fake = FakeReports(pdf)
    number = assessment_id(app, submit_example(buyer, bank, example, company="Acme Ltd"))
    stand_in(monkeypatch, app, services.Reports, fake)
    response = fetch(sales, f"/sales/assessments/{number}/report.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.get_data() == b"%PDF-1.7 fake" and fake.asked == [number]
    with app.app_context():
        expected = report_filename(db.session.get(Assessment, number))
    assert f"filename={expected}" in response.headers["Content-Disposition"]
    assert "no-store" in response.headers["Cache-Control"]


def test_a_failed_report_is_a_503_and_not_recorded(app, sales, buyer, bank, example, monkeypatch):
    number = assessment_id(app, submit_example(buyer, bank, example))
    stand_in(monkeypatch, app, services.Reports, FakeReports(None, ReportError("boom")))
    response = fetch(sales, f"/sales/assessments/{number}/report.pdf")
    assert response.status_code == 503 and "could not be made" in page(response)
    with app.app_context():
        assert (
            db.session.scalar(select(func.count(AccessEvent.id)).where(AccessEvent.action == "pdf"))
            == 0
        )


def test_pdf_download_renders_a_real_report(app, sales, buyer, bank, example):
    number = assessment_id(app, submit_example(buyer, bank, example, company="Acme Ltd"))
    response = fetch(sales, f"/sales/assessments/{number}/report.pdf")
    assert response.status_code == 200, page(response)
    assert response.get_data().startswith(b"%PDF")


# --- CSV ----------------------------------------------------------------------------------


def read_csv(response) -> list[dict]:
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))


def test_csv_export_streams_every_row_of_the_filter_not_just_a_page(app, sales):
    rows = add_assessments(app, 120, seed=5)
    expected = [r for r in rows if r["status"] == "submitted" and r["deal_breakers"] > 0]
    assert len(expected) > 25
    response = sales.get("/sales/export.csv?deal_breakers=yes")
    assert response.is_streamed and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    exported = read_csv(response)
    by_id = {r["id"]: r for r in rows}
    assert [int(line["Link"].rsplit("/", 1)[1]) for line in exported] == newest_first(expected)
    first = exported[0]
    source = by_id[int(first["Link"].rsplit("/", 1)[1])]
    assert first["Company"] == source["company"] and first["Status"] == "submitted"
    assert first["Link"].startswith("http://localhost/sales/assessments/")


def test_csv_export_is_named_for_the_utc_day_whatever_the_servers_time_zone(sales, monkeypatch):
    """UTC+14 and UTC-12 are 26 hours apart, so at any moment at least one of their local
    days differs from the UTC day: a name taken from the server's local day fails here."""
    try:
        for zone in ("Etc/GMT-14", "Etc/GMT+12"):
            monkeypatch.setenv("TZ", zone)
            time.tzset()
            before = datetime.now(UTC).date().isoformat()
            response = sales.get("/sales/export.csv?status=draft")
            response.get_data()  # let the stream finish inside its request
            after = datetime.now(UTC).date().isoformat()
            name = response.headers["Content-Disposition"].split('filename="', 1)[1]
            assert name.removesuffix('"') in {
                f"trustcheck-draft-{before}.csv",
                f"trustcheck-draft-{after}.csv",
            }
    finally:
        monkeypatch.undo()
        time.tzset()


def test_csv_export_neutralises_formulas_in_every_cell(app, sales, buyer):
    nasty = {"company": '=HYPERLINK("http://evil")', "name": "+1+1", "email": "@x.example"}
    buyer.start(company=nasty["company"], name=nasty["name"], email="buyer@example.com")
    with app.app_context():
        row = db.session.scalar(select(Assessment))
        row.email = "@SUM(A1)"  # the form refuses it; the export must not rely on that
        row.contact_name = "-2+3"
        db.session.commit()
    exported = read_csv(sales.get("/sales/export.csv?status=draft"))
    assert exported[0]["Company"] == '\'=HYPERLINK("http://evil")'
    assert exported[0]["Contact name"] == "'-2+3"
    assert exported[0]["Email"] == "'@SUM(A1)"
    for cell in exported[0].values():
        assert not cell.startswith(("=", "+", "-", "@", "\t", "\r"))


def test_an_empty_export_is_just_the_header(app, sales):
    exported = read_csv(sales.get("/sales/export.csv?q=nothing-matches"))
    assert exported == []


# --- the access log -----------------------------------------------------------------------


def events(app, action=None) -> list[tuple[int, str, str]]:
    with app.app_context():
        query = select(AccessEvent.assessment_id, AccessEvent.actor, AccessEvent.action)
        if action:
            query = query.where(AccessEvent.action == action)
        return [tuple(r) for r in db.session.execute(query.order_by(AccessEvent.id))]


def test_views_downloads_and_exports_are_recorded(
    app, sales, buyer, bank, example, monkeypatch, tmp_path
):
    pdf = tmp_path / "r.pdf"
    pdf.write_bytes(b"%PDF")
    number = assessment_id(app, submit_example(buyer, bank, example))
    stand_in(monkeypatch, app, services.Reports, FakeReports(pdf))
    sales.get(f"/sales/assessments/{number}")
    fetch(sales, f"/sales/assessments/{number}/report.pdf")
    sales.get(f"/sales/assessments/{number}/answers.json")
    sales.get("/sales/export.csv").get_data()
    sales.get("/sales/")  # the list itself is not an access to any one assessment
    actor = "Sam Seller (sales team)"
    assert events(app) == [
        (number, actor, "view"),
        (number, actor, "pdf"),
        (number, actor, "answers"),
        (number, actor, "export"),
    ]


def test_an_export_records_one_event_per_exported_assessment(app, sales):
    rows = add_assessments(app, 150, seed=6)
    exported = read_csv(sales.get("/sales/export.csv?bank_version=2000.1"))
    ids = {int(line["Link"].rsplit("/", 1)[1]) for line in exported}
    assert ids == {
        r["id"] for r in rows if r["status"] == "submitted" and r["bank_version"] == "2000.1"
    }
    recorded = events(app, "export")
    assert len(recorded) == len(ids) and {e[0] for e in recorded} == ids


def test_the_buyer_sees_who_accessed_their_answers_and_nobody_elses(app, sales, bank, example):
    from tests.conftest import Buyer

    ours, theirs = Buyer(app.test_client()), Buyer(app.test_client())
    our_id = assessment_id(app, submit_example(ours, bank, example, company="Ours Ltd"))
    submit_example(theirs, bank, example, company="Theirs Ltd", email="t@theirs.example")
    html = page(ours.client.get(ours.url("/result")))
    assert "Who has accessed your answers" in html and "Nobody at" in html
    sales.get(f"/sales/assessments/{our_id}")
    sales.get(f"/sales/assessments/{our_id}/answers.json")
    html = page(ours.client.get(ours.url("/result")))
    assert "Sam Seller (sales team)" in html
    assert "Viewed your answers and result" in html and "Downloaded your answers (JSON)" in html
    html = page(theirs.client.get(theirs.url("/result")))
    assert "Sam Seller" not in html and "Nobody at" in html


def nameless(app, email: str, role: str) -> int:
    """An account made before names were required: it has none."""
    number = add_user(app, email, role)
    with app.app_context():
        db.session.get(User, number).name = ""
        db.session.commit()
    return number


def test_a_nameless_account_is_shown_to_buyers_by_its_role(app, buyer, bank, example):
    nameless(app, "anon@provider.example", "admin")
    client = app.test_client()
    sign_in(client, "anon@provider.example")
    number = assessment_id(app, submit_example(buyer, bank, example))
    client.get(f"/sales/assessments/{number}")
    html = page(buyer.client.get(buyer.url("/result")))
    assert "An administrator" in html and "anon@provider.example" not in html


def test_admins_see_the_full_access_log(app, sales, admin):
    rows = add_assessments(app, 60, seed=7)
    sales.get("/sales/export.csv").get_data()
    exported = sum(r["status"] == "submitted" for r in rows)
    html = page(admin.get("/sales/admin/access-log"))
    assert f"{exported:,}</strong> events" in html and "Included it in a CSV export" in html
    assert "Sam Seller (sales team)" in html and 'rel="next"' in html
    one = rows[0]["id"]
    html = page(admin.get(f"/sales/admin/access-log?assessment={one}"))
    assert "Showing one assessment only" in html


# --- the whole journey (the "done when") ------------------------------------------


def test_sales_finds_last_weeks_deal_breakers_downloads_one_and_exports_the_buyer_sees_both(
    app, sales, buyer, bank, example, monkeypatch, tmp_path
):
    pdf = tmp_path / "r.pdf"
    pdf.write_bytes(b"%PDF")
    add_assessments(app, 60, seed=8)
    token = submit_example(buyer, bank, example, company="Dealbreaker Corp")
    stand_in(monkeypatch, app, services.Reports, FakeReports(pdf))
    number = assessment_id(app, token)
    week_ago = (utcnow() - timedelta(days=7)).date().isoformat()
    args = {"deal_breakers": "yes", "date_from": week_ago}
    assert number in listed_ids(sales, **args)
    assert fetch(sales, f"/sales/assessments/{number}/report.pdf").status_code == 200
    exported = read_csv(sales.get("/sales/export.csv", query_string=args))
    assert "Dealbreaker Corp" in [line["Company"] for line in exported]
    html = page(buyer.client.get(buyer.url("/result")))
    assert "Downloaded the PDF report" in html
    assert "Exported your contact details and result in a list (CSV)" in html


# --- commands -----------------------------------------------------------------------------


def test_users_create_checks_the_password_then_asks_for_it_again(app, runner):
    result = runner.invoke(
        args=["users", "create", "Ops@Provider.example", "--role", "admin", "--name", "Ops"],
        # Too short (refused at once), then a common one, then two that differ, then right.
        input=f"short\npassword1234\n{PASSWORD}\n{PASSWORD}x\n{PASSWORD}\n{PASSWORD}\n",
    )
    assert result.exit_code == 0, result.output
    assert "Use at least 12 characters. Try again." in result.output
    assert "This is a very common password. Try again." in result.output
    assert ".." not in result.output
    assert result.output.count("Repeat the password") == 2
    assert "The two passwords were not the same. Try again." in result.output
    assert "Created admin account ops@provider.example." in result.output
    assert PASSWORD not in result.output
    client = app.test_client()
    assert sign_in(client, "ops@provider.example").status_code == 302


@pytest.mark.parametrize("stand_in", ["Your Name", "your  own name"])
def test_users_create_refuses_a_stand_in_for_a_name_before_asking_for_a_password(
    app, runner, stand_in
):
    result = runner.invoke(
        args=["users", "create", "ada@provider.example", "--name", stand_in], input="\n"
    )
    assert result.exit_code == 1
    assert "stands for the person's own name" in result.output
    assert "Password" not in result.output


def test_users_create_can_generate_a_password_and_print_it_once(app, runner):
    result = runner.invoke(
        args=["users", "create", "s@provider.example", "--name", "Sal", "--generate-password"]
    )
    assert result.exit_code == 0, result.output
    password = re.search(r"shown once, store it now\): (\S+)", result.output).group(1)
    assert len(password) >= accounts.MIN_PASSWORD_LENGTH
    assert sign_in(app.test_client(), "s@provider.example", password).status_code == 302
    again = runner.invoke(
        args=["users", "create", "s@provider.example", "--name", "Sal", "--generate-password"]
    )
    assert again.exit_code == 1 and "already an account" in again.output


def test_an_account_needs_a_name_as_buyers_see_it(app, runner):
    """Before, an account made without --name showed its e-mail address to buyers as the
    author of its written answers."""
    result = runner.invoke(args=["users", "create", "s@provider.example", "--generate-password"])
    assert result.exit_code == 2 and "Missing option '--name'" in result.output
    blank = runner.invoke(
        args=["users", "create", "s@provider.example", "--name", " ", "--generate-password"]
    )
    assert blank.exit_code == 1 and "Enter the person's name" in blank.output
    with app.app_context():
        assert accounts.find_user("s@provider.example") is None


def test_users_disable_enable_and_reset_password(app, runner):
    add_user(app, "s@provider.example")
    assert runner.invoke(args=["users", "disable", "s@provider.example"]).exit_code == 0
    assert sign_in(app.test_client(), "s@provider.example").status_code == 403
    assert runner.invoke(args=["users", "enable", "s@provider.example"]).exit_code == 0
    result = runner.invoke(
        args=["users", "reset-password", "s@provider.example", "--generate-password"]
    )
    password = re.search(r"store it now\): (\S+)", result.output).group(1)
    assert sign_in(app.test_client(), "s@provider.example", password).status_code == 302
    listing = runner.invoke(args=["users", "list"]).output
    assert "s@provider.example\tsales\tactive" in listing
    assert runner.invoke(args=["users", "disable", "nobody@x.example"]).exit_code == 1


def test_the_last_admin_cannot_be_disabled(app, runner):
    add_user(app, "boss@provider.example", "admin")
    result = runner.invoke(args=["users", "disable", "boss@provider.example"])
    assert result.exit_code == 1 and "only active admin" in result.output


def test_users_check_says_how_to_create_the_first_account(app, runner):
    result = runner.invoke(args=["users", "check"])
    assert result.exit_code == 0
    assert "users create you@example.com --role admin" in result.output
    add_user(app, "boss@provider.example", "admin")
    assert runner.invoke(args=["users", "check"]).output == ""


# --- changing one's own password ----------------------------------------------------------

NEW_PASSWORD = "plum-lantern-orbit-tide"
CHANGE = "/sales/account/password"


def change(client, current=PASSWORD, new=NEW_PASSWORD, confirm=None):
    data = {"current": current, "new": new, "confirm": new if confirm is None else confirm}
    return client.post(CHANGE, data=data)


def test_a_person_changes_their_own_password(app, sales):
    other_device = app.test_client()
    assert sign_in(other_device, "sam@provider.example").status_code == 302
    assert "Change your password" in page(sales.get("/sales/"))  # linked from every page

    response = change(sales)
    assert response.status_code == 302 and response.location.endswith("/sales/")
    assert "Your password has been changed" in page(sales.get(response.location))
    assert sales.get("/sales/").status_code == 200  # this session carries on ...
    assert redirects_to_sign_in(other_device.get("/sales/"))  # ... the others end
    fresh = app.test_client()
    assert sign_in(fresh, "sam@provider.example", PASSWORD).status_code == 400
    assert sign_in(fresh, "sam@provider.example", NEW_PASSWORD).status_code == 302


@pytest.mark.parametrize(
    ("current", "new", "confirm", "message"),
    [
        ("wrong-password-here", NEW_PASSWORD, None, "Your current password is not right"),
        ("", NEW_PASSWORD, None, "Enter your current password"),
        (PASSWORD, "too-short", None, "Use 12 to 200 characters"),
        (PASSWORD, NEW_PASSWORD, "plum-lantern-orbit-tidy", "two new passwords are not the same"),
        (PASSWORD, PASSWORD, None, "different from your current one"),
    ],
)
def test_a_refused_change_says_why_and_keeps_the_old_password(
    app, sales, current, new, confirm, message
):
    response = change(sales, current, new, confirm)
    assert response.status_code == 400
    html = page(response)
    assert "There is a problem" in html and message in html
    assert NEW_PASSWORD not in html and PASSWORD not in html  # never echoed back
    assert sign_in(app.test_client(), "sam@provider.example", PASSWORD).status_code == 302


def test_wrong_current_passwords_count_towards_the_sign_in_throttle(app, sales):
    for _ in range(throttle.MAX_FAILURES):
        assert change(sales, current="wrong-password-here").status_code == 400
    response = change(sales)  # the right password, now too late
    assert response.status_code == 429 and "Too many wrong passwords" in page(response)
    assert sign_in(app.test_client(), "sam@provider.example", PASSWORD).status_code == 429
    elsewhere = sign_in(app.test_client(), "sam@provider.example", PASSWORD, "10.0.0.5")
    assert elsewhere.status_code == 302  # only the address that guessed waits
    with app.app_context():
        sam = accounts.find_user("sam@provider.example")
        assert accounts.password_matches(sam, PASSWORD)  # unchanged


def test_changing_a_password_needs_a_signed_in_session(client):
    assert redirects_to_sign_in(client.get(CHANGE))
    assert redirects_to_sign_in(change(client))


def test_csv_export_has_ids_iso_timestamps_revision_links_and_the_state(
    app, sales, buyer, submitted
):
    number, _ = submitted
    revised = buyer.client.post(buyer.url("/revise"))
    revision = assessment_id(app, re.search(r"/a/([^/]+)/check", revised.location).group(1))
    (original,) = read_csv(sales.get("/sales/export.csv"))
    assert original["Id"] == str(number) and original["Revised by"] == str(revision)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", original["Submitted"])
    with app.app_context():
        found = db.session.get(Assessment, number)
        assert original["State"] == found.state and found.state in ("rated", "provisional")
        stated = found.result["score_range"]
    assert (original["Score low"], original["Score high"]) == (
        f"{stated['low']:.1f}",
        f"{stated['high']:.1f}",
    )
    assert original["Result revision made by"] == "submission"
    (draft,) = read_csv(sales.get("/sales/export.csv?status=draft"))
    assert draft["Id"] == str(revision) and draft["Revision of"] == str(number)
    assert draft["State"] == "" and re.fullmatch(r"\d{4}-.*\+00:00", draft["Last change"])


def test_the_list_shows_each_results_state_and_a_score_range_where_there_is_one(
    app, sales, submitted
):
    number, _ = submitted
    with app.app_context():
        result = db.session.get(Assessment, number).result
    low, high = result["score_range"]["low"], result["score_range"]["high"]
    html = page(sales.get("/sales/"))
    assert ">State</th>" not in html  # the state is the Rating column's, to fit 1280 px
    assert f'data-label="Score">{low:.1f} to {high:.1f}</td>' in html
    assert (
        '<td data-label="Rating"><span><span class="muted">Not yet rated</span><br>'
        f'<span class="muted small">depending on {result["open_points"]} open points' in html
    )
    assert result["rating"] is None and "tag-" not in html.split('data-label="Rating"')[1][:200]
    with app.app_context():  # a result of fit/1 or fit/2: its state, and no range
        found = db.session.get(Assessment, number)
        found.state, found.summary = "rated", {**found.summary, "method": "fit/2"}
        found.rating = result["rating_range"]["high"]
        found.score_low = found.score_high = None
        db.session.commit()
    html = page(sales.get("/sales/"))
    assert 'data-label="Rating"><span><strong class="tag' in html and "depending on" not in html
    assert f'data-label="Score">{found.score:.1f}</td>' in html
