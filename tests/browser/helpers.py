"""Steps that several browser journeys share, written as a buyer or a salesperson acts:
by labels, roles and visible text."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.conftest import screenshot, token_of


def group(page, prompt: str):
    """A radio or checkbox question, found by its legend."""
    return page.get_by_role("group", name=prompt, exact=True)


def must_have(page, prompt: str):
    """The must-have box of a question: its label names the question for screen readers
    (Chromium puts a space before the visually hidden part, hence the pattern)."""
    name = re.compile(rf"^This is a must-have for us ?: {re.escape(prompt)}$")
    return page.get_by_role("checkbox", name=name)


def start(page, server, company="Acme Ltd", name="Ann Buyer", email="ann@acme.example"):
    """Fill the start page and land on the first section; returns the buyer's token."""
    page.goto(server.url + "/")
    page.get_by_label("Company or organisation").fill(company)
    page.get_by_label("Your name").fill(name)
    page.get_by_label("Work email address").fill(email)
    page.get_by_label("I agree").check()
    page.get_by_role("button", name="Start now").click()
    expect(page).to_have_title(re.compile("Section 1 of"))
    return token_of(page.url)


# --- the small bank (tests/browser/small_bank.yaml) ------------------------------------

ENCRYPTION = "Must your data be encrypted at rest?"
LOCATION = "Must your data stay in particular countries?"
REGION = "Where must your data be kept?"
CERTIFICATIONS = "Which certifications must the provider hold?"
UPTIME = "What monthly uptime must be guaranteed?"
EU_STAFF = "Must support staff who can reach your data work in the EU?"
NOTES = "Anything else the provider should know?"


def answer_basics(page):
    """Section 1 of the small bank: encryption yes, no location rule, ISO 27001."""
    expect(page).to_have_title(re.compile("The basics – Section 1 of 2"))
    group(page, ENCRYPTION).get_by_label("Yes").check()
    group(page, LOCATION).get_by_label("No", exact=True).check()
    group(page, CERTIFICATIONS).get_by_label("ISO 27001").check()
    page.get_by_role("button", name="Save and continue").click()


def answer_operations(page, uptime="99.95", *, uptime_must_have=False, notes=""):
    expect(page).to_have_title(re.compile("Operations – Section 2 of 2"))
    page.get_by_label(UPTIME, exact=True).fill(uptime)
    if uptime_must_have:
        must_have(page, UPTIME).check()
    if notes:
        page.get_by_label(NOTES, exact=True).fill(notes)
    page.get_by_role("button", name="Save and continue").click()
    expect(page.get_by_role("heading", name="Check your answers before you submit")).to_be_visible()


def submit(page):
    page.get_by_role("button", name="Submit and see your result").click()
    expect(page.get_by_role("heading", name=re.compile("^Your result: "))).to_be_visible()


def submitted_assessment(page, server, company, *, uptime_must_have=False) -> str:
    """A buyer completes and submits the small bank; returns their token."""
    token = start(page, server, company=company)
    answer_basics(page)
    answer_operations(page, uptime_must_have=uptime_must_have, notes="Single sign-on, please.")
    submit(page)
    return token


def score_panel(page):
    return page.get_by_role("region", name="Verdict")


# --- the sales workspace ---------------------------------------------------------------


def sign_in(page, server, email: str, password: str):
    page.goto(server.url + "/sales/login")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Assessments", level=1)).to_be_visible()


def fits_a_phone(page, name: str) -> None:
    """The page at 320 px is no wider than the screen; screenshots at 320 and 1280 px."""
    page.set_viewport_size({"width": 320, "height": 640})
    width = page.evaluate("document.documentElement.scrollWidth")
    screenshot(page, name)
    page.set_viewport_size({"width": 1280, "height": 900})
    screenshot(page, name)
    assert width <= 320, f"{name} is {width} px wide on a 320 px screen"
