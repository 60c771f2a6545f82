""" "Not sure" in real Chromium, with the page's script and without it, on a bank of every
scored type (tests/browser/not_sure_bank.yaml); the result's fit/2 parts, and "Show only
what needs attention" both ways. Checked with axe and at 320 px."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.helpers import fits_a_phone, group, must_have, score_panel, start, submit

LOCATION = "Must your data stay in particular countries?"
REGION = "Where must your data be kept?"
CERTIFICATIONS = "Which certifications must the provider hold?"
UPTIME = "What monthly uptime must be guaranteed?"
ENCRYPTION = "Must your data be encrypted at rest?"
EU_STAFF = "Must support staff who can reach your data work in the EU?"
CERTIFICATE = "Until when must the ISO 27001 certificate be valid?"


def not_sure_box(page, prompt: str):
    """A typed question's (number, date) "Not sure" box: its label names the question for screen readers
    (Chromium puts a space before the visually hidden part, hence the pattern)."""
    return page.get_by_role("checkbox", name=re.compile(rf"^Not sure ?: {re.escape(prompt)}$"))


def test_with_script_not_sure_excludes_the_other_answers_and_shows_what_it_guards(
    page, not_sure_server, checkers
):
    start(page, not_sure_server, company="Unsure Ltd")
    region = group(page, REGION)
    expect(region).to_be_hidden()
    group(page, LOCATION).get_by_label("Not sure").check()
    expect(region).to_be_visible()  # the buyer may yet need it: a "Not sure" shows it
    group(page, LOCATION).get_by_label("No", exact=True).check()
    expect(region).to_be_hidden()
    group(page, LOCATION).get_by_label("Not sure").check()
    region.get_by_label("In the EU").check()

    certifications = group(page, CERTIFICATIONS)
    iso, soc2 = certifications.get_by_label("ISO 27001"), certifications.get_by_label("SOC 2")
    unsure = certifications.get_by_label("Not sure")
    iso.check()
    soc2.check()
    unsure.check()
    expect(iso).not_to_be_checked()
    expect(soc2).not_to_be_checked()
    iso.check()
    expect(unsure).not_to_be_checked()
    unsure.check()

    uptime, box = page.get_by_label(UPTIME, exact=True), not_sure_box(page, UPTIME)
    uptime.fill("99.95")
    box.check()
    expect(uptime).to_have_value("")
    uptime.fill("99.9")
    expect(box).not_to_be_checked()
    box.check()
    must_have(page, UPTIME).check()  # a must-have on a "Not sure" answer
    day, day_unsure = page.get_by_label(CERTIFICATE, exact=True), not_sure_box(page, CERTIFICATE)
    expect(page.locator("#certificate_valid-bounds")).to_have_text(
        "Enter a date, like 30 Nov 2026."
    )
    day.fill("31 Dec 2027")
    day_unsure.check()
    expect(day).to_have_value("")
    day_unsure.uncheck()  # left blank: no requirement
    group(page, ENCRYPTION).get_by_label("Yes").check()
    checkers(page)
    fits_a_phone(page, "step-not-sure")
    page.get_by_role("button", name="Save and continue").click()

    expect(page).to_have_title(re.compile("^Support staff"))
    group(page, EU_STAFF).get_by_label("Not sure").check()  # shown: the region is the EU
    page.get_by_role("button", name="Save and continue").click()
    main = page.get_by_role("main")
    expect(main).to_contain_text(f"{LOCATION} Not sure")
    expect(main).to_contain_text(f"{CERTIFICATIONS} Not sure")
    expect(main).to_contain_text(f"{UPTIME} Not sure")
    submit(page)

    # encryption is the only requirement compared, and a must-have is "Not sure".
    expect(score_panel(page)).to_contain_text("Not yet rated")
    expect(score_panel(page)).to_contain_text("compared so far score 100.0 out of 100")
    expect(page.locator("#open")).to_contain_text("1 of 2 requirements compared")
    decide = page.get_by_role("region", name="Decide before you sign")
    for prompt in (LOCATION, CERTIFICATIONS, UPTIME, EU_STAFF):
        expect(decide).to_contain_text(prompt)
    unresolved = page.get_by_role("region", name="Must-haves to settle")
    expect(unresolved).to_contain_text(f"Decide internally: {UPTIME}")
    page.get_by_text("Frameworks: the stated requirements").click()  # folded
    expect(page.locator("#frameworks")).to_contain_text("2. Asset protection and resilience")
    checkers(page)
    fits_a_phone(page, "result-not-sure")

    # What needs no attention is folded; "open everything" opens every fold.
    met = page.locator("#outcome-encryption")
    expect(met).to_be_hidden()
    page.get_by_role("link", name="open everything").click()
    expect(met).to_be_visible()
    assert page.url.endswith("?show=all#requirements")


def test_without_script_not_sure_beside_another_answer_is_refused_keeping_both(
    no_script_page, not_sure_server
):
    page = no_script_page
    start(page, not_sure_server, company="No Script Unsure Ltd")
    group(page, LOCATION).get_by_label("Not sure").check()
    group(page, REGION).get_by_label("In the EU").check()
    group(page, CERTIFICATIONS).get_by_label("ISO 27001").check()
    group(page, CERTIFICATIONS).get_by_label("Not sure").check()
    page.get_by_label(UPTIME, exact=True).fill("99.95")
    not_sure_box(page, UPTIME).check()
    page.get_by_label(CERTIFICATE, exact=True).fill("next spring")
    group(page, ENCRYPTION).get_by_label("Not sure").check()
    page.get_by_role("button", name="Save and continue").click()

    expect(page).to_have_title(re.compile("^Error: Your needs"))
    summary = page.get_by_role("alert").filter(has_text="There is a problem")
    expect(summary).to_contain_text("Select “Not sure” or the options that apply, not both")
    expect(summary).to_contain_text("Enter a number or select “Not sure”, not both")
    expect(summary).to_contain_text("Enter a date, like 30 Nov 2026")
    expect(page.get_by_label(CERTIFICATE, exact=True)).to_have_value("next spring")
    expect(group(page, CERTIFICATIONS).get_by_label("ISO 27001")).to_be_checked()
    expect(group(page, CERTIFICATIONS).get_by_label("Not sure")).to_be_checked()
    expect(page.get_by_label(UPTIME, exact=True)).to_have_value("99.95")
    expect(not_sure_box(page, UPTIME)).to_be_checked()
    expect(group(page, ENCRYPTION).get_by_label("Not sure")).to_be_checked()
    fits_a_phone(page, "step-not-sure-error")  # axe needs script: see the next test

    group(page, CERTIFICATIONS).get_by_label("ISO 27001").uncheck()
    page.get_by_label(UPTIME, exact=True).fill("")
    page.get_by_label(CERTIFICATE, exact=True).fill("")
    page.get_by_role("button", name="Save and continue").click()
    expect(page).to_have_title(re.compile("^Support staff"))
    group(page, EU_STAFF).get_by_label("No", exact=True).check()
    page.get_by_role("button", name="Save and continue").click()
    expect(page.get_by_role("main")).to_contain_text(f"{UPTIME} Not sure")
    submit(page)

    # Nothing compared: no score, and every requirement is for the buyer to decide.
    expect(score_panel(page)).to_contain_text("Not yet rated")
    expect(score_panel(page)).to_contain_text("No stated requirement could be compared")
    expect(page.get_by_role("region", name="Decide before you sign")).to_contain_text(ENCRYPTION)
    # Without script, the folds are plain <details>: "open everything" reloads them open.
    expect(page.locator("#outcome-eu_staff")).to_be_hidden()  # "No": folded
    page.get_by_role("link", name="open everything").click()
    assert page.url.endswith("?show=all#requirements")
    expect(page.locator("#outcome-eu_staff")).to_be_visible()


def test_the_not_sure_error_page_passes_axe(page, not_sure_server, checkers):
    """The page a buyer without script gets, reached here by ticking the boxes behind the
    script's back (axe runs as a script, so it cannot check a page without one)."""
    start(page, not_sure_server, company="Axe Ltd")
    for selector in ("#certifications-0", "#certifications-not-sure", "#uptime-not-sure"):
        page.locator(selector).evaluate("box => { box.checked = true; }")
    page.get_by_label(UPTIME, exact=True).evaluate("input => { input.value = '99.9'; }")
    page.get_by_label(CERTIFICATE, exact=True).fill("2027-02-30")  # no such day
    page.get_by_role("button", name="Save and continue").click()
    expect(page).to_have_title(re.compile("^Error: Your needs"))
    expect(page.get_by_role("alert").filter(has_text="There is a problem")).to_contain_text(
        "Enter a number or select “Not sure”, not both"
    )
    checkers(page)
