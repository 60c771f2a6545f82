"""The provider's sales team in real Chromium: find, open, download, export; and the buyer
sees each of those on their result page."""

from __future__ import annotations

import csv
import re
from pathlib import Path

from playwright.sync_api import expect
from pypdf import PdfReader

from tests.browser.helpers import score_panel, sign_in, submitted_assessment


def test_salesperson_finds_opens_downloads_and_exports_and_the_buyer_sees_each_access(
    browser, small_server, admin
):
    contexts = [browser.new_context(viewport={"width": 1280, "height": 900}) for _ in range(3)]
    buyer, boss, seller = (c.new_page() for c in contexts)
    try:
        token = submitted_assessment(
            buyer, small_server, "Northwind Traders", uptime_must_have=True
        )
        submitted_assessment(buyer, small_server, "Northwind Logistics")  # a fit: filtered out
        expect(buyer.get_by_role("region", name="Who has accessed your answers")).to_contain_text(
            "Nobody at Example Cloud has opened or downloaded your answers yet."
        )

        # An administrator adds the salesperson; the password is shown once, to pass on.
        sign_in(boss, small_server, admin["email"], admin["password"])
        boss.get_by_role("link", name="Admin").click()
        new_account = boss.get_by_role("region", name="Add an account")
        new_account.get_by_label("Full name").fill("Sam Seller")
        new_account.get_by_label("Email address").fill("sam@provider.example")
        new_account.get_by_label(re.compile("^Sales:")).check()
        new_account.get_by_role("button", name="Create account").click()
        expect(boss.get_by_role("heading", name="Account created")).to_be_visible()
        password = boss.get_by_label("New password", exact=True).input_value()

        # A password the admin has seen: Sam must choose one of their own before going on.
        seller.goto(small_server.url + "/sales/login")
        seller.get_by_label("Email address").fill("sam@provider.example")
        seller.get_by_label("Password").fill(password)
        seller.get_by_role("button", name="Sign in").click()
        expect(seller.get_by_role("heading", name="Change your password")).to_be_visible()
        expect(seller.get_by_role("status").first).to_contain_text("Choose a password of your own")
        seller.get_by_label("Current password").fill(password)
        seller.get_by_label("New password", exact=True).fill("plum-lantern-orbit-tide")
        seller.get_by_label("New password again").fill("plum-lantern-orbit-tide")
        seller.get_by_role("button", name="Change password").click()
        expect(seller.get_by_role("heading", name="Assessments", level=1)).to_be_visible()
        seller.get_by_label("Search").fill("northwind")
        seller.get_by_label("Rating").select_option("Significant gaps")
        seller.get_by_role("button", name="Apply filters").click()
        expect(seller.get_by_role("status")).to_have_text(
            re.compile(r"^\s*1 submitted assessment matches your filters\.\s*$")
        )
        table = seller.get_by_role("table")
        expect(table.get_by_role("link")).to_have_count(3)  # two sort links and the row
        filtered_list = seller.url

        table.get_by_role("link", name="Northwind Traders").click()
        expect(seller.get_by_role("heading", name="Northwind Traders", level=1)).to_be_visible()
        expect(score_panel(seller)).to_contain_text("score 62.5 out of 100")
        expect(seller.get_by_role("region", name="Deal-breakers")).to_contain_text(
            "What monthly uptime must be guaranteed?"
        )
        # Drawn on demand here: staff get the buyers' "being prepared" page, which asks
        # again by itself, and the download starts when the PDF is ready.
        seller.get_by_role("link", name="Download PDF report").click()
        expect(seller.get_by_role("heading", name="The report is being prepared")).to_be_visible()
        with seller.expect_download(timeout=120_000) as pdf:
            pass
        text = "\n".join(p.extract_text() for p in PdfReader(pdf.value.path()).pages)
        assert "Northwind Traders" in text and "62.5" in text

        seller.goto(filtered_list)
        with seller.expect_download() as export:
            seller.get_by_role("link", name="Export 1 to CSV").click()
        with Path(export.value.path()).open(newline="", encoding="utf-8-sig") as rows:
            exported = list(csv.DictReader(rows))
        assert [row["Company"] for row in exported] == ["Northwind Traders"]

        # The buyer's result page now lists the three accesses, newest first, by name.
        buyer.goto(f"{small_server.url}/a/{token}/result")
        log = buyer.get_by_role("region", name="Who has accessed your answers")
        rows = log.get_by_role("row")
        expect(rows).to_have_count(4)  # the header and three events
        expect(rows.nth(1)).to_contain_text("Sam Seller (sales team)")
        expect(rows.nth(1)).to_contain_text("Exported your contact details and result in a list")
        expect(rows.nth(2)).to_contain_text("Downloaded the PDF report")
        expect(rows.nth(3)).to_contain_text("Viewed your answers and result")
    finally:
        for context in contexts:
            context.close()
