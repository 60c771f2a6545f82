"""The wizard's "Not sure" and the fit/3 result page through the test client: "Not sure"
posted for every scored type (the pages without script) and its errors; the result page's
verdict, what is open, folds and "?show=all", frameworks, jump list, evidence grades,
sources flagged when old; and results stored under fit/1 and fit/2, shown as stored."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from questionnaire import services
from questionnaire.core.evidence import years_before
from tests.conftest import bank_file, stored_assessment
from tests.support import (
    FAST,
    SMALL_BANK,
    add_user,
    fetch,
    page,
    sign_in,
    store_fit1_assessment,
    store_fit2_assessment,
    text_of,
)

TODAY = datetime.now(UTC).date()
# The unit tests' small bank, with `personal` scored (so it offers "Not sure" and, answered
# so, shows the question it guards), framework tags, and a source captured a year ago.
WEB_BANK = (
    SMALL_BANK.replace("        weight: 0\n", "        weight: 1\n", 1)
    .replace("as_of: 2025-09-01", f"as_of: {years_before(TODAY, 1).isoformat()}")
    .replace(
        "        follow_up: How are keys managed?\n",
        '        follow_up: How are keys managed?\n        frameworks: {ncsc: ["2"], ccm: [CEK]}\n',
    )
    .replace(
        "        better: higher\n",
        '        better: higher\n        frameworks: {ncsc: ["2", "5"], ccm: [BCR]}\n',
    )
)
ALL_MET = {
    "personal": "no",
    "encrypt": "yes",
    "smime": "no",
    "certs": ["iso27001"],
    "uptime": 99.5,
    "breach_hours": None,
}


@pytest.fixture
def bank_path(tmp_path) -> Path:
    return bank_file(tmp_path, WEB_BANK)


@pytest.fixture
def bank(app):
    return services.banks(app).current()


def submitted(buyer, bank, answers, must_have=()) -> str:
    buyer.start()
    buyer.answer_all(bank, {k: v for k, v in answers.items() if v is not None}, must_have)
    response = buyer.submit()
    assert response.status_code == 302 and response.location.endswith("/result")
    return buyer.token


def checked(html: str, input_id: str) -> bool:
    tag = re.search(rf'<input[^>]*id="{re.escape(input_id)}"[^>]*>', html)
    assert tag, input_id
    return " checked" in tag.group(0)


# --- "Not sure" in the wizard -------------------------------------------------------------


def test_every_scored_question_offers_not_sure_and_unscored_ones_do_not(client, buyer):
    buyer.start()
    first = page(client.get(buyer.url("/step/sec")))
    for qid in ("personal", "encrypt", "smime"):  # yesno: a third radio
        assert re.search(rf'id="{qid}-not-sure" name="{qid}" value="not_sure"', first), qid
    # region too: its condition looks at personal, on this page, so the script shows it;
    # without script its hint says when to answer it, "Not sure" included.
    assert first.count(">Not sure</label>") == 4
    assert (
        "Answer this only if you answered “Yes” or “Not sure” to “Will you keep personal data"
        in first
    )
    second = page(client.get(buyer.url("/step/ops")))
    assert re.search(r'id="certs-not-sure" name="certs" value="not_sure" data-exclusive', second)
    for qid in ("uptime", "breach_hours"):  # number: a box beside the field
        assert f'name="not_sure" value="{qid}" id="{qid}-not-sure"' in second
    assert 'value="notes"' not in second  # text is never scored: no "Not sure"


def test_not_sure_is_saved_for_every_type_and_shown_as_not_sure(app, client, buyer, bank):
    buyer.start()
    answers = {
        "personal": "not_sure",  # guards region: shown, so region's answer is kept
        "encrypt": "not_sure",
        "smime": "yes",
        "region": "not_sure",
        "certs": "not_sure",
        "uptime": "not_sure",
        "breach_hours": 24,
    }
    buyer.answer_all(bank, answers, ["encrypt", "uptime"])
    assessment = stored_assessment(app, buyer.token)
    assert assessment.answers == answers
    assert sorted(assessment.must_have) == ["encrypt", "uptime"]  # must-haves on "Not sure"
    check = page(client.get(buyer.url("/check")))
    assert check.count("Not sure") == 5
    first, second = (page(client.get(buyer.url(f"/step/{s}"))) for s in ("sec", "ops"))
    assert all(checked(first, f"{q}-not-sure") for q in ("personal", "encrypt", "region"))
    assert checked(second, "certs-not-sure") and checked(second, "uptime-not-sure")
    assert not checked(second, "breach_hours-not-sure")
    exported = client.get(buyer.url("/answers.json")).get_json()
    assert exported["answers"]["certs"] == "not_sure" and exported["answers"]["uptime"] == (
        "not_sure"
    )


def test_not_sure_with_options_ticked_is_refused_keeping_what_was_ticked(app, buyer):
    buyer.start()
    response = buyer.step("ops", {"certs": ["iso27001", "not_sure"], "uptime": "99.9"})
    html = page(response)
    assert response.status_code == 400
    assert "Select “Not sure” or the options that apply, not both" in html
    assert 'href="#certs-0"' in html and 'id="certs-error"' in html
    assert checked(html, "certs-0") and checked(html, "certs-not-sure")
    assert 'value="99.9"' in html
    # The valid uptime is kept (issue 14: one refused answer loses no other); certs is not.
    assert stored_assessment(app, buyer.token).answers == {"uptime": 99.9}


def test_a_number_with_not_sure_ticked_is_refused_keeping_both(app, buyer, bank):
    buyer.start()
    response = buyer.step("ops", {"uptime": "99.95", "not_sure": ["uptime"]})
    html = page(response)
    assert response.status_code == 400
    assert "Enter a number or select “Not sure”, not both" in html
    assert 'value="99.95"' in html and checked(html, "uptime-not-sure")
    # Only the other question of the page, left empty (no requirement), was saved.
    assert stored_assessment(app, buyer.token).answers == {"certs": []}


def test_a_required_question_left_blank_asks_for_not_sure_too(buyer):
    buyer.start()
    html = page(buyer.step("sec", {"personal": "no", "smime": "no"}))
    assert "Select Yes, No or Not sure" in html


def test_a_not_sure_box_for_a_question_not_on_the_page_changes_nothing(app, buyer, bank):
    buyer.start()
    response = buyer.step(
        "sec",
        {"personal": "no", "encrypt": "yes", "smime": "no"}
        | {"not_sure": ["uptime", "notes", "nonsense"]},
    )
    assert response.status_code == 302
    assert stored_assessment(app, buyer.token).answers == {
        "personal": "no",
        "encrypt": "yes",
        "smime": "no",
    }


# --- the result page ------------------------------------------------------------------------


def test_a_result_not_yet_rated_leads_with_its_range_and_what_is_open(client, buyer, bank):
    answers = {**ALL_MET, "encrypt": "not_sure", "breach_hours": 24, "smime": "yes"}
    token = submitted(buyer, bank, answers, ["encrypt", "breach_hours"])
    html = page(client.get(f"/a/{token}/result"))
    verdict = html[html.index('id="verdict"') : html.index('id="open"')]
    assert "Not yet rated" in verdict and "(provisional)" not in html
    assert "Score between " in verdict and ", depending on 2 open points." in verdict
    assert "rated no higher than" not in html.lower()
    # stated: encrypt (not sure: a decision, not a requirement), smime, certs, uptime and
    # breach_hours (not in the source: ask); compared: smime, certs, uptime.
    assert "3 of 4 requirements compared with a documented commitment" in html
    assert "1 answer is “Not sure”: a decision pending on the buyer&#39;s side." in html
    assert "Why it is not yet rated" in html
    assert "1 must-have is not found in the source: ask the provider." in html
    assert "1 must-have is answered “Not sure”." in html
    unresolved = html[html.index('id="unresolved"') : html.index('id="decide"')]
    assert "Ask the provider: Within how many hours must a breach be reported to you?" in (
        unresolved
    )
    assert "Decide internally: Must data be encrypted at rest?" in unresolved
    decide = html[html.index('id="decide"') : html.index('id="follow-ups"')]
    assert "Decide before you sign" in decide and "Must data be encrypted at rest?" in decide
    assert "marked as a must-have is met" not in html
    # The decision comes first: verdict, what is open, questions, then the detail.
    order = [
        html.index(f'id="{part}"')
        for part in ("verdict", "open", "follow-ups", "requirements", "method")
    ]
    assert order == sorted(order)


def test_every_must_have_met_sentence_appears_only_when_true(client, buyer, bank, app):
    met = submitted(buyer, bank, ALL_MET, ["encrypt", "uptime"])
    html = page(client.get(f"/a/{met}/result"))
    assert "Every requirement you marked as a must-have is met, on evidence strong enough" in html
    assert "Strong fit" in html and "100.0" in html and "with nothing left open" in html
    other = type(buyer)(app.test_client())
    unresolved = submitted(
        other, bank, {**ALL_MET, "breach_hours": 24}, ["encrypt", "breach_hours"]
    )
    assert "marked as a must-have is met" not in page(other.client.get(f"/a/{unresolved}/result"))
    third = type(buyer)(app.test_client())
    dropped = submitted(third, bank, ALL_MET, ["encrypt", "smime"])  # smime: "No"
    html = page(third.client.get(f"/a/{dropped}/result"))
    assert "marked as a must-have is met" not in html
    assert "Marked must-have, but you stated no requirement" in html


def test_a_must_have_met_on_the_public_word_is_to_confirm_in_the_contract(client, buyer, bank):
    token = submitted(buyer, bank, {**ALL_MET, "personal": "yes", "region": "eu"}, ["region"])
    html = page(client.get(f"/a/{token}/result"))
    assert "Not yet rated" in html
    assert "Met on the provider&#39;s public word: confirm it in the contract" in html
    card = html[html.index('id="outcome-region"') :].split("</article>", 1)[0]
    assert "Public statement" in card and "Met" in card
    follow_ups = html[html.index('id="follow-ups"') : html.index('id="requirements"')]
    assert "Where must data live?" in follow_ups and "Confirm in the contract" in follow_ups


def test_frameworks_part_counts_stated_requirements_by_principle(client, buyer, bank):
    token = submitted(buyer, bank, {**ALL_MET, "uptime": 99.99})
    html = page(client.get(f"/a/{token}/result"))
    frameworks = html[html.index('id="frameworks"') : html.index('id="method"')]
    assert "NCSC Cloud Security Principles" in frameworks
    assert "CSA Cloud Controls Matrix v4 domains" in frameworks
    rows = {
        re.sub(r"<[^>]+>", "", m.group(1)): re.findall(r'<td class="num[^>]*>(\S+?)<', m.group(2))
        for m in re.finditer(r'<th scope="row">(.*?)</th>(.*?)</tr>', frameworks)
    }
    # encrypt met (2, CEK); uptime 99.99 not met (2, 5, BCR): met, partly, not met, ask, not sure
    assert rows["2. Asset protection and resilience"] == ["1", "–", "1", "–", "–"]
    assert rows["5. Operational security"] == ["–", "–", "1", "–", "–"]
    cek, bcr = (
        "CEK – Cryptography, Encryption &amp; Key Management",
        "BCR – Business Continuity Management and Operational Resilience",
    )
    assert rows[cek][0] == "1" and rows[bcr] == ["–", "–", "1", "–", "–"]


def test_the_jump_list_links_to_each_part_on_the_page(client, buyer, bank):
    token = submitted(buyer, bank, {**ALL_MET, "encrypt": "not_sure", "smime": "yes"}, ["smime"])
    html = page(client.get(f"/a/{token}/result"))
    nav = re.search(r'<nav class="contents" aria-label="On this page">(.*?)</nav>', html, re.S)
    targets = re.findall(r'href="#([^"]+)"', nav.group(1))
    assert targets[:3] == ["open", "follow-ups", "share"]
    for target in targets:
        assert f'id="{target}"' in html, target


def test_what_needs_no_attention_is_folded_and_show_all_opens_it(client, buyer, bank):
    token = submitted(buyer, bank, {**ALL_MET, "uptime": 99.99, "breach_hours": 24})
    url = f"/a/{token}/result"
    folded = page(client.get(url))
    assert 'href="?show=all#requirements"' in folded
    shown = folded[folded.index('id="requirements"') :]
    # Not met is shown; asked is folded with the questions listed above; met is folded.
    before_folds = {
        section.split("<details", 1)[0].count("<article")
        for section in shown.split('class="result-section"')[1:]
    }
    assert re.search(
        r'<details class="folded">\s*<summary>Met, not required or context: \d+', shown
    )
    assert re.search(
        r'<details class="folded">\s*<summary>Open, and listed above: 1 question', shown
    )
    assert before_folds == {0, 1}  # uptime shown unfolded in its part
    opened = page(client.get(url + "?show=all"))
    assert '<details class="folded" open>' in opened and 'href="?show=all' not in opened
    assert '<details class="folded" open>' not in page(client.get(url + "?show=<script>"))


def test_quotes_say_where_and_when_and_an_old_source_is_flagged(
    app, client, buyer, bank, bank_path
):
    fresh = submitted(buyer, bank, ALL_MET)
    html = page(client.get(f"/a/{fresh}/result"))
    captured = years_before(TODAY, 1)
    assert f'captured <time datetime="{captured.isoformat()}">' in html
    assert '<a href="https://trust.example.com/" rel="noopener noreferrer">Trust page</a>' in html
    assert "may be out of date" not in html
    old = years_before(TODAY, 3) - timedelta(days=1)
    older = WEB_BANK.replace(captured.isoformat(), old.isoformat())
    bank_path.write_text(older.replace('version: "1.0"', 'version: "1.1"'))  # a new bank
    other = type(buyer)(app.test_client())
    stale = submitted(other, services.banks(app).current(), ALL_MET)
    html = page(other.client.get(f"/a/{stale}/result"))
    assert html.count('</time> — <strong class="stale">may be out of date</strong>') >= 3
    assert "confirm with the provider" not in html  # summary and quotes: the flag alone


# --- a result stored under fit/1 -------------------------------------------------------------


def test_a_fit1_result_still_displays_as_fit1_to_the_buyer(app, client):
    token = store_fit1_assessment(app)
    response = client.get(f"/a/{token}/result")
    html = page(response)
    assert response.status_code == 200
    assert "33.3" in html and "Significant gaps" in html  # as stored, not scored again
    assert "Method fit/1, the method in use when this assessment was submitted" in html
    for part in ("Decide before you sign", "Must-haves to settle", "provisional", "Frameworks"):
        assert part not in html, part
    assert "Not yet rated" not in html and "Score between" not in html
    assert "requirements compared with a documented commitment" not in html
    assert "capture date not recorded" in html
    # encrypt is met but breach_hours was "ask the provider": not every must-have is met.
    assert "marked as a must-have is met" not in html
    assert ">Not sure<" not in html
    assert stored_assessment(app, token).result["method"] == "fit/1"


def test_a_fit1_result_still_displays_on_the_sales_page_and_in_its_pdf(make_app):
    app = make_app(**FAST)
    token = store_fit1_assessment(app, company="Oldco Ltd")
    add_user(app, "sam@provider.example")
    sales = app.test_client()
    sign_in(sales, "sam@provider.example")
    with app.app_context():
        assessment_id = stored_assessment(app, token).id
    html = page(sales.get(f"/sales/assessments/{assessment_id}"))
    assert "Oldco Ltd" in html and "33.3" in html and "Method fit/1" in html
    assert "Decide before you sign" not in html and "Frameworks" not in html
    response = fetch(app.test_client(), f"/a/{token}/report.pdf")
    assert response.status_code == 200
    text = text_of(response.get_data())
    assert "fit/1" in text and "Oldco Ltd" in text and "33.3" in text
    assert "Decide before you sign" not in text and "Frameworks" not in text
    assert "Every requirement Oldco Ltd marked as a must-have is met" not in text
    assert "capture date not recorded" in text


def test_a_fit2_result_still_displays_as_stored_with_its_provisional_cap(app, client):
    token = store_fit2_assessment(app)
    html = page(client.get(f"/a/{token}/result"))
    assert "100.0" in html and "Fit with gaps" in html and "(provisional)" in html
    assert "rated no higher than “Fit with gaps”" in html  # fit/2's own rule, in its words
    assert "method fit/2, the method in use when it was submitted" in html
    assert "Not yet rated" not in html and "Score between" not in html
    assert stored_assessment(app, token).result["method"] == "fit/2"


# --- the wizard around fit/3 -----------------------------------------------------------------


def test_the_check_page_warns_of_a_must_have_on_an_answer_stating_no_requirement(
    client, buyer, bank
):
    buyer.start()
    buyer.answer_all(bank, {**ALL_MET, "breach_hours": None}, ["smime", "encrypt"])
    html = page(client.get(buyer.url("/check")))
    warning = html[html.index('id="must-have-warning"') :].split("</div>", 1)[0]
    assert "1 must-have with no requirement" in warning
    assert "Do you need S/MIME?" in warning and "Must data be encrypted" not in warning
    assert "#question-smime" in warning


def test_the_start_page_says_what_the_source_covers(client, bank_path):
    bank_path.write_text(
        WEB_BANK.replace(
            'url: "https://trust.example.com/",',
            'url: "https://trust.example.com/", scope: "Only the Business plans, bought directly.",',
        )
    )
    html = page(client.get("/"))
    assert "What the source covers:</strong> Only the Business plans, bought directly." in html
    assert "committed to in writing" not in html


def test_a_retired_option_is_offered_only_to_a_buyer_who_already_chose_it(
    app, client, buyer, bank_path
):
    bank_path.write_text(
        WEB_BANK.replace(
            "{key: ch, label: In Switzerland}", "{key: ch, label: In Switzerland, retired: true}"
        )
    )
    buyer.start()
    fresh = page(client.get(buyer.url("/step/sec")))
    assert "In Switzerland" not in fresh and "In the EU" in fresh
    # A draft that holds it (saved before it was retired) still shows it, chosen.
    with app.app_context():
        from questionnaire.store.db import db
        from questionnaire.store.models import Assessment

        row = db.session.get(Assessment, stored_assessment(app, buyer.token).id)
        row.answers = {"personal": "yes", "region": "ch"}
        db.session.commit()
    kept = page(client.get(buyer.url("/step/sec")))
    assert "In Switzerland" in kept and checked(kept, "region-4")


def test_a_gate_that_offers_not_sure_shows_what_it_guards(app, client, buyer, bank_path):
    gated = SMALL_BANK.replace(
        "        weight: 0\n", "        weight: 0\n        not_sure: true\n", 1
    )
    bank_path.write_text(gated)
    buyer.start()
    html = page(client.get(buyer.url("/step/sec")))
    assert re.search(r'id="personal-not-sure" name="personal" value="not_sure"', html)
    response = buyer.step(
        "sec", {"personal": "not_sure", "encrypt": "yes", "smime": "no", "region": "eu"}
    )
    assert response.status_code == 302
    assert stored_assessment(app, buyer.token).answers["region"] == "eu"  # shown, so kept
