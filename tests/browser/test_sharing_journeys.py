"""The buyer keeps control, in real Chromium: revise after submitting, a read-only link for
colleagues, and the resume link by e-mail (read from a real SMTP server on loopback).
With JavaScript on (axe-checked, and at 320 px) and off."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import screenshot
from tests.browser.helpers import (
    ENCRYPTION,
    answer_basics,
    answer_operations,
    fits_a_phone,
    group,
    score_panel,
    start,
    submit,
    submitted_assessment,
)


@pytest.fixture(params=["js", "no-js"])
def buyer_page(request, browser, axe_source):
    """A buyer's tab with JavaScript on (and axe loaded) or off."""
    scripted = request.param == "js"
    context = browser.new_context(
        java_script_enabled=scripted, viewport={"width": 1280, "height": 900}, locale="en-GB"
    )
    context.set_default_timeout(10_000)
    if scripted:
        context.add_init_script(script=axe_source)
    page = context.new_page()
    page.scripted = scripted
    yield page
    context.close()


def check_page(page, checkers, name: str) -> None:
    """axe and the 320 px check where the script runs; a screenshot either way."""
    if page.scripted:
        checkers(page)
        fits_a_phone(page, name)
    screenshot(page, f"{name}-{'js' if page.scripted else 'nojs'}")


def test_revise_a_submitted_assessment_and_keep_the_original(buyer_page, small_server, checkers):
    page = buyer_page
    token = submitted_assessment(page, small_server, "Revision Ltd")
    original = page.url
    expect(score_panel(page)).to_contain_text("score 62.5 out of 100")
    check_page(page, checkers, "result-with-share")

    page.get_by_role("button", name="Revise your answers").click()
    expect(page.get_by_role("heading", name="Check your answers before you submit")).to_be_visible()
    assert token not in page.url
    notice = page.locator(".revision-notice")
    expect(notice).to_contain_text(re.compile(r"Revision of TC-\d{6}"))
    expect(page.get_by_role("status").first).to_contain_text("Your answers are copied")
    check_page(page, checkers, "revision-check")

    # Change one answer, as on any check page, then submit the revision.
    page.get_by_role("link", name=re.compile("Change your answer to “What monthly uptime")).click()
    page.get_by_label("What monthly uptime must be guaranteed?", exact=True).fill("99.9")
    page.get_by_role("button", name="Save and return to check your answers").click()
    submit(page)
    expect(score_panel(page)).to_contain_text("score 100.0 out of 100")
    expect(page.locator(".revision-notice")).to_contain_text("Revision of TC-")

    page.goto(original)  # the original stays exactly as submitted, and names its revision
    expect(score_panel(page)).to_contain_text("score 62.5 out of 100")
    expect(page.locator(".revision-notice")).to_contain_text(
        re.compile(r"Revised later: TC-\d{6} \(submitted")
    )


def test_a_read_only_link_shows_the_result_and_pdf_and_can_be_switched_off(
    buyer_page, browser, small_server, checkers
):
    page = buyer_page
    submitted_assessment(page, small_server, "Shared Result Ltd")
    page.get_by_role("button", name="Create a read-only link").click()
    expect(page.get_by_role("status").first).to_contain_text("Your read-only link is below")
    field = page.get_by_label("Read-only link", exact=True)
    link = field.input_value()
    assert re.fullmatch(rf"{re.escape(small_server.url)}/v/[A-Za-z0-9_-]{{32}}", link)
    copy = page.get_by_role("button", name="Copy link")
    expect(copy).to_be_visible() if page.scripted else expect(copy).to_be_hidden()
    check_page(page, checkers, "result-read-only-link")

    colleague = browser.new_context(
        java_script_enabled=page.scripted, viewport={"width": 1280, "height": 900}
    )
    colleague.set_default_timeout(10_000)
    try:
        theirs = colleague.new_page()
        theirs.goto(link)
        expect(theirs.get_by_role("heading", name="Result: Shared Result Ltd")).to_be_visible()
        expect(score_panel(theirs)).to_contain_text("score 62.5 out of 100")
        for absent in ("Revise your answers", "Delete my assessment", "Download my answers (JSON)"):
            expect(theirs.get_by_text(absent)).to_have_count(0)
        expect(theirs.locator("form")).to_have_count(0)
        screenshot(theirs, f"read-only-view-{'js' if page.scripted else 'nojs'}")
        # PDFs are drawn at the first download here: "being prepared" asks again by itself.
        theirs.get_by_role("link", name="Download PDF report").click()
        with theirs.expect_download(timeout=120_000) as download:
            pass
        assert download.value.suggested_filename.startswith("trustcheck-report-shared-result-ltd-")

        page.reload()
        log = page.get_by_role("region", name="Who has accessed your answers")
        expect(log).to_contain_text("Someone with your read-only link")
        expect(log).to_contain_text("Downloaded the PDF report")

        page.get_by_role("button", name="Switch off the read-only link").click()
        expect(page.get_by_role("status").first).to_contain_text("switched off")
        expect(page.get_by_role("button", name="Create a read-only link")).to_be_visible()
        theirs.goto(link)
        expect(theirs.get_by_role("heading", name="Page not found")).to_be_visible()
    finally:
        colleague.close()


def test_the_read_only_page_passes_axe_and_fits_a_phone(page, browser, small_server, checkers):
    submitted_assessment(page, small_server, "Fabrikam Shared (Europe) Ltd")
    page.get_by_role("button", name="Create a read-only link").click()
    link = page.get_by_label("Read-only link", exact=True).input_value()
    page.goto(link)
    expect(page.get_by_role("heading", name=re.compile("^Result: "))).to_be_visible()
    checkers(page)
    fits_a_phone(page, "read-only-view")


# --- e-mail -------------------------------------------------------------------------------


def resume_link_in(message) -> str:
    text = message.get_body(preferencelist=("plain",)).get_content()
    return re.search(r"http://127\.0\.0\.1:\d+/a/[A-Za-z0-9_-]+", text).group(0)


@pytest.mark.parametrize("scripted", [True, False], ids=["js", "no-js"])
def test_buyer_emails_their_link_opens_it_elsewhere_and_submits(
    scripted, browser, axe_source, mail_server, mailbox, checkers
):
    context = browser.new_context(
        java_script_enabled=scripted, viewport={"width": 1280, "height": 900}, locale="en-GB"
    )
    context.set_default_timeout(10_000)
    context.add_init_script(script=axe_source)
    elsewhere = browser.new_context(java_script_enabled=scripted)  # another device
    elsewhere.set_default_timeout(10_000)
    company = f"Mailed {'Script' if scripted else 'NoScript'} Ltd"
    try:
        page = context.new_page()
        token = start(page, mail_server, company=company, email="ann@mailed.example")
        # Offered from the first moment too: in the first step's "Save your resume link now".
        banner = page.get_by_role("region", name="Save your resume link now")
        expect(banner.get_by_role("button", name="Email me this link")).to_be_visible()
        if scripted:
            checkers(page)
        answer_basics(page)
        page.get_by_role("button", name="Save and come back later").click()
        expect(page.get_by_role("heading", name="Your assessment")).to_be_visible()
        expect(page.get_by_text("We can also e-mail it to ann@mailed.example")).to_be_visible()
        seen = len(mailbox.received)
        page.get_by_role("button", name="Email me this link").click()
        expect(page.get_by_role("status").first).to_contain_text(
            "We are sending your link to ann@mailed.example"
        )
        if scripted:
            checkers(page)
            fits_a_phone(page, "overview-email-link")
        received = mailbox.wait_for(seen + 1)[seen]
        assert received.recipients == ["ann@mailed.example"]
        link = resume_link_in(received.message)
        assert link == f"{mail_server.url}/a/{token}"
        page.reload()
        expect(
            page.get_by_text(re.compile("We e-mailed your link to ann@mailed.example"))
        ).to_be_visible()

        other = elsewhere.new_page()
        other.goto(link)
        expect(other).to_have_title(re.compile("Operations – Section 2 of 2"))
        answer_operations(other, "99.9")
        expect(other.get_by_role("main")).to_contain_text("99.9%")
        submit(other)
        expect(score_panel(other)).to_contain_text("score 100.0 out of 100")

        # The confirmation to the buyer, and the notice to the sales team.
        messages = mailbox.wait_for(seen + 3)[seen + 1 :]
        by_recipient = {tuple(m.recipients): m.message for m in messages}
        confirmation = by_recipient[("ann@mailed.example",)]
        assert resume_link_in(confirmation) == link
        notice = by_recipient[("sales@provider.example",)]
        assert company in notice["Subject"] and token not in notice.as_string()
        other.reload()
        expect(other.get_by_text(re.compile("We e-mailed a confirmation"))).to_be_visible()
        if scripted:
            other.goto(link)
            expect(group(other, ENCRYPTION)).to_have_count(0)  # a result now, not a step
    finally:
        elsewhere.close()
        context.close()
