"""The answer library in real Chromium, the whole loop: a salesperson writes one answer
for a must-have the source is silent on, previews and applies it to three buyers at once;
each buyer gets one e-mail and sees the answer, its evidence grade and its author in a new
result revision. On the way: the written-answer hint speaks of days, and an assessment
opened, changed and answered within ten minutes is two rows of its buyer's access log."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.conftest import token_of
from tests.browser.helpers import fits_a_phone, must_have
from tests.support import wait_until

BREACH = "Within how many hours must the provider tell you about a breach?"
DELETION = "Within how many days of leaving must every copy of your data be deleted?"
ENCRYPTION = "Must your data be encrypted at rest?"
SUBJECT = "The provider answered 1 of your questions: "


def submit(page, server, company: str, email: str, breach: str = "24") -> str:
    """A buyer answers the one section (the breach notice a must-have when asked for) and
    submits; returns their token."""
    page.goto(server.url + "/")
    page.get_by_label("Company or organisation").fill(company)
    page.get_by_label("Your name").fill("Ann Buyer")
    page.get_by_label("Work email address").fill(email)
    page.get_by_label("I agree").check()
    page.get_by_role("button", name="Start now").click()
    token = token_of(page.url)
    page.get_by_role("group", name=ENCRYPTION, exact=True).get_by_label("Yes").check()
    page.get_by_label(BREACH, exact=True).fill(breach)
    if breach:
        must_have(page, BREACH).check()
    page.get_by_label(DELETION, exact=True).fill("30")
    page.get_by_role("button", name="Save and continue").click()
    page.get_by_role("button", name="Submit and see your result").click()
    expect(page.get_by_role("heading", name=re.compile("^Your result: "))).to_be_visible()
    return token


def sign_in_seller(page, server) -> None:
    out = server.flask(
        "users",
        "create",
        "sally@provider.example",
        "--role",
        "sales",
        "--name",
        "Sally Seller",
        "--generate-password",
    )
    password = re.search(r"Password \(shown once, store it now\): (\S+)", out).group(1)
    page.goto(server.url + "/sales/login")
    page.get_by_label("Email address").fill("sally@provider.example")
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Assessments", level=1)).to_be_visible()


def test_one_library_answer_reaches_three_buyers_with_one_email_each(
    browser, library_server, mailbox, axe_source, checkers
):
    server = library_server
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    context.add_init_script(script=axe_source)
    context.set_default_timeout(15_000)
    page = context.new_page()
    try:
        buyers = {
            f"Fjord {n} Ltd": submit(page, server, f"Fjord {n} Ltd", f"buyer{n}@fjord.example")
            for n in range(3)
        }
        quiet = submit(page, server, "Quiet Ltd", "quiet@fjord.example", breach="")
        context.clear_cookies()
        seller = page
        sign_in_seller(seller, server)

        # Opened, changed and answered within ten minutes: one view, one answer.
        seller.get_by_label("Search").fill("quiet")
        seller.get_by_role("button", name="Apply filters").click()
        seller.get_by_role("link", name="Quiet Ltd").click()
        panel = seller.get_by_role("region", name=re.compile("^Follow-up"))
        panel.get_by_label("Stage").select_option(label="In discussion")
        panel.get_by_role("button", name="Save owner and stage").click()
        expect(seller.get_by_text("Owner and stage saved.")).to_be_visible()
        panel.get_by_role("link", name=re.compile(re.escape(DELETION))).click()
        hint = seller.locator("#value-hint")
        expect(hint).to_contain_text("a number of days")
        expect(hint).to_contain_text("0 days to 365 days")
        expect(hint).not_to_contain_text("99.9")
        expect(seller.get_by_text("At most 30 days")).to_be_visible()
        checkers(seller)
        seller.get_by_label(re.compile("What figure do you commit")).fill("30")
        seller.get_by_label("Your statement").fill("We delete every copy within 30 days.")
        seller.get_by_role("button", name="Save written answer").click()
        expect(seller.get_by_text("Written answer saved")).to_be_visible()

        # The open must-have, first on each of the three buyers' pages.
        seller.get_by_role("link", name="Back to assessments").click()
        seller.get_by_label("Search").fill("")
        seller.get_by_role("button", name="Apply filters").click()
        seller.get_by_role("link", name="Fjord 0 Ltd").click()
        first_group = seller.locator(".followup-panel h4").first
        expect(first_group).to_contain_text("Must-haves not yet settled")
        expect(seller.locator(".open-list").first).to_contain_text("Buyer needs: At most 24 hours")

        # The library answer.
        seller.get_by_role("link", name="Answer library").click()
        checkers(seller)
        seller.get_by_role("link", name="Add an answer").click()
        checkers(seller)
        seller.get_by_label("Which question does it answer?").select_option(label=BREACH)
        seller.get_by_role("button", name="Continue").click()
        expect(seller.locator("#value-hint")).to_contain_text("1 hour to 720 hours")
        checkers(seller)
        seller.get_by_label(re.compile("What figure do you commit")).fill("12")
        seller.get_by_label("Your statement").fill("We tell you of a breach within 12 hours.")
        seller.get_by_label("Reference (optional)").fill("DPA clause 7.2")
        seller.get_by_label("Contract").check()
        seller.get_by_role("button", name="Save library answer").click()
        expect(seller.get_by_text("Library answer saved")).to_be_visible()
        expect(
            seller.get_by_text("3 submitted assessments have this question open")
        ).to_be_visible()
        checkers(seller)
        fits_a_phone(seller, "library-answer")
        answer_page = seller.url

        # Offered first on a buyer's written-answer page, in that buyer's terms.
        seller.goto(f"{server.url}/sales/")
        seller.get_by_role("link", name="Fjord 1 Ltd").click()
        fits_a_phone(seller, "sales-assessment-open-questions")
        must_haves = seller.locator(".open-list").first
        must_haves.get_by_role("link", name=re.compile(re.escape(BREACH))).click()
        offers = seller.get_by_role("region", name="From the answer library")
        expect(offers).to_contain_text("Meets what the buyer asked for: at most 24 hours")
        checkers(seller)
        fits_a_phone(seller, "written-answer-offers")
        seller.goto(answer_page)

        # The preview first, then the writing.
        seller.get_by_role("button", name="Apply to every open assessment that asks this").click()
        meets = seller.get_by_role(
            "heading", name=re.compile(r"It meets what these buyers asked for \(3\)")
        )
        expect(meets).to_be_visible(timeout=60_000)
        for company in buyers:
            row = seller.get_by_role("row").filter(has_text=company)
            expect(row).to_contain_text("Not yet rated")  # now
            expect(row).to_contain_text("At most 24 hours")
        checkers(seller)
        fits_a_phone(seller, "library-preview")
        seller.get_by_role("button", name=re.compile("^Write it to 3 assessments")).click()
        expect(seller.get_by_text(re.compile("Written to 3 assessments"))).to_be_visible(
            timeout=60_000
        )
        checkers(seller)

        # One e-mail each, within a minute.
        expected = {f"buyer{n}@fjord.example" for n in range(3)}

        def answered_mail():
            return [m for m in mailbox.received if m.message["Subject"].startswith(SUBJECT)]

        def everyone_told() -> bool:
            return {r for m in answered_mail() for r in m.recipients} >= expected

        assert wait_until(everyone_told, 60), [m.message["Subject"] for m in mailbox.received]
        for address in expected:
            (letter,) = [m for m in answered_mail() if m.recipients == [address]]
            assert "Fjord" in letter.message["Subject"]
            plain = letter.part("plain")  # no link to the assessment, only the start page
            assert "/a/" not in plain and f"{server.url}/" in plain

        # Each buyer's result: the revision with the answer, its grade and its author.
        buyer_page = context.new_page()
        for token in buyers.values():
            buyer_page.goto(f"{server.url}/a/{token}/result")
            card = buyer_page.locator("#outcome-breach_hours")
            expect(card).to_contain_text("Written answer from Sally Seller")
            expect(card).to_contain_text("We tell you of a breach within 12 hours.")
            expect(card).to_contain_text("DPA clause 7.2")
            expect(card.locator(".tag-evidence")).to_have_text("Contract")
        checkers(buyer_page)

        # Quiet Ltd's buyer: one view and one answer in the access log.
        buyer_page.goto(f"{server.url}/a/{quiet}/result")
        log = buyer_page.get_by_role("region", name="Who has accessed your answers")
        expect(log).to_contain_text("Answered one of your questions in writing")
        rows = log.locator("tbody tr")
        expect(rows).to_have_count(2)
        expect(rows.filter(has_text="Viewed your answers and result")).to_have_count(1)
        expect(rows.filter(has_text="Answered one of your questions in writing")).to_have_count(1)
    finally:
        context.close()
