"""Every page type, as a person meets it: axe-core finds no serious or critical problem at
1280 px, nothing scrolls sideways on a 320 px phone, and screenshots of both are saved to
test-artifacts/screenshots/ to be looked at."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import screenshot
from tests.browser.helpers import (
    answer_basics,
    answer_operations,
    sign_in,
    start,
    submitted_assessment,
)


@dataclass
class Site:
    """Assessments in each state, and a signed-in admin, made once for all page types."""

    url: str
    submitted: str  # buyer tokens
    ready: str  # a draft with every section answered
    blank: str  # a draft just started
    submitted_id: int
    draft_id: int
    admin_cookies: list


@pytest.fixture(scope="module")
def site(browser, small_server, admin) -> Site:
    context = browser.new_context()
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        submitted = submitted_assessment(
            page, small_server, "Fabrikam Pharmaceuticals (Europe) Ltd", uptime_must_have=True
        )
        ready = start(page, small_server, company="Tailspin Toys Ltd")
        answer_basics(page)
        answer_operations(page, "99.99", uptime_must_have=True, notes="Our auditors visit yearly.")
        blank = start(page, small_server, company="Wide World Importers")

        sign_in(page, small_server, admin["email"], admin["password"])
        page.get_by_label("Show").select_option("Drafts")
        page.get_by_role("button", name="Apply filters").click()
        draft_id = link_id(page.get_by_role("link", name="Tailspin Toys Ltd"))
        page.goto(small_server.url + "/sales/")
        submitted_link = page.get_by_role("link", name="Fabrikam Pharmaceuticals (Europe) Ltd")
        submitted_id = link_id(submitted_link)
        submitted_link.click()  # the buyer's result page then lists this view
        expect(page.get_by_role("heading", level=1)).to_have_text(
            "Fabrikam Pharmaceuticals (Europe) Ltd"
        )
        return Site(
            url=small_server.url,
            submitted=submitted,
            ready=ready,
            blank=blank,
            submitted_id=submitted_id,
            draft_id=draft_id,
            admin_cookies=context.cookies(),
        )
    finally:
        context.close()


def link_id(link) -> int:
    return int(re.search(r"/assessments/(\d+)(?:\?|$)", link.get_attribute("href")).group(1))


def heading(page, name) -> None:
    expect(page.get_by_role("heading", name=name, level=1)).to_be_visible()


def problem(page) -> None:
    expect(page.get_by_role("alert").filter(has_text="There is a problem")).to_be_visible()


# --- how to reach each page type ---------------------------------------------------------


def start_page(page, site):
    page.goto(site.url + "/")
    heading(page, "Quick cloud check")


def start_page_with_errors(page, site):
    start_page(page, site)
    page.get_by_role("button", name="Start now").click()
    problem(page)


def first_step_with_resume_link(page, site):
    page.goto(f"{site.url}/a/{site.blank}/step/basics?new=1")
    heading(page, "The basics")
    expect(page.get_by_role("heading", name="Save your resume link now")).to_be_visible()


def step_with_number_and_text(page, site):
    page.goto(f"{site.url}/a/{site.ready}/step/operations")
    heading(page, "Operations")


def step_with_errors(page, site):
    page.goto(f"{site.url}/a/{site.blank}/step/basics")
    page.get_by_role("button", name="Save and continue").click()
    problem(page)


def overview(page, site):
    page.goto(f"{site.url}/a/{site.blank}/overview")
    heading(page, "Your assessment")


def check_answers(page, site):
    page.goto(f"{site.url}/a/{site.ready}/check")
    heading(page, "Check your answers before you submit")
    expect(page.get_by_role("button", name="Submit and see your result")).to_be_visible()


def check_answers_unfinished(page, site):
    page.goto(f"{site.url}/a/{site.blank}/check")
    expect(page.get_by_role("alert")).to_contain_text("Some sections still need answers")


def result(page, site):
    page.goto(f"{site.url}/a/{site.submitted}/result")
    heading(page, "Your result: Fabrikam Pharmaceuticals (Europe) Ltd")
    expect(page.get_by_role("region", name="Who has accessed your answers")).to_contain_text(
        "Ada Admin (administrator)"
    )


def delete_confirmation(page, site):
    page.goto(f"{site.url}/a/{site.blank}/delete")
    heading(page, "Are you sure you want to delete your assessment?")


def not_found(page, site):
    page.goto(f"{site.url}/a/no-such-link")
    heading(page, "Page not found")


def report_being_prepared(page, site):
    # A fresh assessment: its PDF is not drawn yet, and this server does not wait for it.
    token = submitted_assessment(page, site, f"Prepared {uuid.uuid4().hex[:6]} Ltd")
    page.goto(f"{site.url}/a/{token}/report.pdf")
    heading(page, "Your report is being prepared")


def sales_sign_in(page, site):
    page.goto(site.url + "/sales/login")
    heading(page, "Sign in to the sales workspace")


def sales_sign_in_with_errors(page, site):
    sales_sign_in(page, site)
    page.get_by_role("button", name="Sign in").click()
    problem(page)


def sales_sign_in_throttled(page, site):
    # From an address of its own (the server trusts one proxy hop), so only it is paused.
    page.set_extra_http_headers({"X-Forwarded-For": "198.51.100.23"})
    sales_sign_in(page, site)
    paused = page.get_by_role("alert").filter(has_text="Too many failed sign-in attempts")
    for _ in range(6):
        page.get_by_label("Email address").fill("nobody@provider.example")
        page.get_by_label("Password").fill("not the password at all")
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("alert")).to_be_visible()
        if paused.count():
            return
    expect(paused).to_be_visible()


def sales_list(page, site):
    page.goto(site.url + "/sales/")
    heading(page, "Assessments")
    expect(page.get_by_role("link", name="Fabrikam Pharmaceuticals (Europe) Ltd")).to_be_visible()


def sales_list_no_results(page, site):
    page.goto(site.url + "/sales/?q=no+such+buyer")
    expect(page.get_by_role("status")).to_have_text(
        re.compile(r"No submitted assessments match your filters")
    )


def sales_list_drafts(page, site):
    page.goto(site.url + "/sales/?status=draft")
    expect(page.get_by_role("link", name="Tailspin Toys Ltd")).to_be_visible()


def sales_assessment_submitted(page, site):
    page.goto(f"{site.url}/sales/assessments/{site.submitted_id}")
    heading(page, "Fabrikam Pharmaceuticals (Europe) Ltd")
    expect(page.get_by_role("region", name="Deal-breakers")).to_be_visible()


def sales_assessment_draft(page, site):
    page.goto(f"{site.url}/sales/assessments/{site.draft_id}")
    heading(page, "Tailspin Toys Ltd")
    expect(page.get_by_role("heading", name="Progress")).to_be_visible()


def sales_link_from_another_site(page, site):
    target = f"{site.url}/sales/assessments/{site.submitted_id}"
    page.goto(f"data:text/html,<title>A CRM</title><a href='{target}'>Fabrikam</a>")
    page.get_by_role("link", name="Fabrikam").click()
    heading(page, "Open this from the sales workspace")


def sales_not_found(page, site):
    page.goto(f"{site.url}/sales/assessments/999999")
    heading(page, "Page not found")


def admin_page(page, site):
    page.goto(site.url + "/sales/admin/")
    heading(page, "Admin")


def admin_account_created(page, site):
    admin_page(page, site)
    form = page.get_by_role("region", name="Add an account")
    form.get_by_label("Full name").fill("Kim Akerman-Lindqvist")
    form.get_by_label("Email address").fill(f"kim.{uuid.uuid4().hex[:8]}@provider.example")
    form.get_by_role("button", name="Create account").click()
    heading(page, "Account created")


def access_log(page, site):
    page.goto(site.url + "/sales/admin/access-log")
    heading(page, "Access log")
    expect(page.get_by_role("region", name="Access log")).to_contain_text("Ada Admin")


def api_tokens(page, site):
    """The admin's API token page; a token made there is shown once."""
    page.goto(site.url + "/sales/admin/tokens")
    heading(page, "API tokens")
    form = page.get_by_role("region", name="Make a token")
    form.get_by_label("Name").fill(f"CRM {uuid.uuid4().hex[:8]}")
    form.get_by_label("Read only").check()
    form.get_by_role("button", name="Make token").click()
    heading(page, "API token made")


def change_password_with_errors(page, site):
    """Reached from the footer of every sales page; sent empty, so nothing changes (the
    other pages' sessions depend on this password staying as it is)."""
    page.goto(site.url + "/sales/")
    page.get_by_role("link", name="Change your password").click()
    heading(page, "Change your password")
    page.get_by_role("button", name="Change password").click()
    problem(page)
    expect(page.get_by_label("New password", exact=True)).to_have_attribute(
        "autocomplete", "new-password"
    )


BUYER, STAFF = "buyer", "staff"  # who looks: nobody signed in, or a signed-in admin
PAGES = {
    "start": (BUYER, start_page),
    "start-errors": (BUYER, start_page_with_errors),
    "step": (BUYER, first_step_with_resume_link),
    "step-number-text": (BUYER, step_with_number_and_text),
    "step-errors": (BUYER, step_with_errors),
    "overview": (BUYER, overview),
    "check": (BUYER, check_answers),
    "check-unfinished": (BUYER, check_answers_unfinished),
    "result": (BUYER, result),
    "delete": (BUYER, delete_confirmation),
    "not-found": (BUYER, not_found),
    "report-preparing": (BUYER, report_being_prepared),
    "sales-login": (BUYER, sales_sign_in),
    "sales-login-errors": (BUYER, sales_sign_in_with_errors),
    "sales-login-throttled": (BUYER, sales_sign_in_throttled),
    "sales-list": (STAFF, sales_list),
    "sales-list-empty": (STAFF, sales_list_no_results),
    "sales-list-drafts": (STAFF, sales_list_drafts),
    "sales-assessment": (STAFF, sales_assessment_submitted),
    "sales-assessment-draft": (STAFF, sales_assessment_draft),
    "sales-cross-site": (STAFF, sales_link_from_another_site),
    "sales-not-found": (STAFF, sales_not_found),
    "admin": (STAFF, admin_page),
    "admin-account-created": (STAFF, admin_account_created),
    "access-log": (STAFF, access_log),
    "api-tokens": (STAFF, api_tokens),
    "change-password-errors": (STAFF, change_password_with_errors),
}


@pytest.fixture(scope="module")
def tabs(browser, axe_source, site):
    """A browser tab for each kind of visitor, shared by this module's tests: each test
    starts by loading its page, and a new tab costs more than the checks on it."""
    contexts, tabs = [], {}
    for who in (BUYER, STAFF):
        context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
        context.set_default_timeout(10_000)
        context.add_init_script(script=axe_source)
        if who == STAFF:
            context.add_cookies(site.admin_cookies)
        contexts.append(context)
        tabs[who] = context.new_page()
    yield tabs
    for context in contexts:
        context.close()


@pytest.mark.parametrize("kind", PAGES)
def test_page_passes_axe_and_fits_a_320px_screen(kind, tabs, site, checkers):
    who, visit = PAGES[kind]
    page = tabs[who]
    page.set_viewport_size({"width": 1280, "height": 900})
    try:
        visit(page, site)
        checkers(page)
        screenshot(page, kind)
        # The same page on a small phone: the layout reflows, nothing needs reloading.
        page.set_viewport_size({"width": 320, "height": 640})
        width = page.evaluate("document.documentElement.scrollWidth")
        screenshot(page, kind)
        assert width <= 320, f"{kind} is {width} px wide on a 320 px screen"
    finally:
        page.set_extra_http_headers({})
