"""The buyer's wizard through Flask's test client."""

from __future__ import annotations

import json
import re

import pytest
from markupsafe import escape
from sqlalchemy import select

from questionnaire.core import answers as answers_mod
from questionnaire.core.scoring import score
from questionnaire.store.db import db
from questionnaire.store.models import Assessment, hash_token
from tests.conftest import SHIPPED_BANK
from tests.support import page


def stored(app, token) -> Assessment:
    with app.app_context():
        row = db.session.scalar(
            select(Assessment).where(Assessment.token_hash == hash_token(token))
        )
        db.session.expunge(row) if row else None
        return row


# --- start -------------------------------------------------------------------------------


def test_start_page_says_what_how_long_and_what_is_stored(client, bank):
    html = page(client.get("/"))
    assert bank.title in html
    for section in bank.sections:
        assert section.title in html
    assert f"{len(bank.questions)} short questions" in html
    assert "minutes" in html and "90 days" in html and "sales team" in html


@pytest.mark.parametrize("blank", ["", "   ", "\t\x00 "])
def test_start_needs_company_name_email_and_consent(client, blank):
    response = client.post("/", data={"company": blank, "name": blank, "email": "not-an-email"})
    html = page(response)
    assert response.status_code == 400
    assert "There is a problem" in html
    for message in (
        "Enter your company or organisation",
        "Enter your name",
        "Enter an email address in the correct format",
        "You need to agree to share the result",
    ):
        assert message in html
    assert 'href="#company"' in html and 'value="not-an-email"' in html
    with client.application.app_context():
        assert db.session.scalar(select(db.func.count(Assessment.id))) == 0


def test_start_creates_a_draft_and_stores_only_the_token_hash(app, buyer):
    token = buyer.start()
    assert len(token) >= 22  # >= 128 bits in URL-safe base64
    row = stored(app, token)
    assert row.status == "draft" and row.company == "Acme Ltd" and row.consent
    assert row.token_hash == hash_token(token) and token not in row.token_hash


def test_first_step_shows_the_resume_link_with_a_copy_button(client, buyer):
    buyer.start()
    html = page(client.get(buyer.url("/step/security?new=1")))
    assert f"http://localhost/a/{buyer.token}" in html
    assert "Copy link" in html and "Save your resume link now" in html


# --- steps -------------------------------------------------------------------------------


def test_step_has_a_field_per_question_named_by_id_and_title_names_the_step(client, buyer, bank):
    buyer.start()
    html = page(client.get(buyer.url("/step/privacy")))
    step = f"Section 2 of {len(bank.sections)}"
    assert f"<title>Privacy by design – {step} – Trustcheck</title>" in html
    assert step in html
    for q in bank.section("privacy").questions:
        if q.show_if is None:
            assert f'name="{q.id}"' in html
    assert 'name="must_have"' in html
    # The provider's commitments are not shown while answering.
    for q in bank.section("privacy").questions:
        if q.commitment:
            assert q.commitment.statement not in html


def test_number_field_shows_unit_and_bounds(client, buyer):
    buyer.start()
    html = page(client.get(buyer.url("/step/transparency")))
    assert 'name="min_uptime"' in html and 'inputmode="decimal"' in html
    assert "Enter a number from 90 to 100 (%)" in html


def test_next_with_a_missing_answer_shows_summary_and_inline_error_and_keeps_input(
    app, buyer, bank
):
    buyer.start()
    data = buyer.section_data(
        bank, "security", {"encryption_at_rest": "yes"}, ["encryption_at_rest"]
    )
    response = buyer.step("security", data)
    html = page(response)
    assert response.status_code == 400
    assert "<title>Error: Built-in security" in html
    assert 'href="#encryption_in_transit-0"' in html
    assert 'id="encryption_in_transit-error"' in html
    assert re.search(
        r'id="encryption_at_rest-0"[^>]*checked|checked[^>]*id="encryption_at_rest-0"', html
    )
    assert re.search(r'value="encryption_at_rest"[^>]*checked', html)
    assert "Your other answers on this page have been saved" in html
    row = stored(app, buyer.token)  # what was answered is kept; the section is not complete
    assert row.answers["encryption_at_rest"] == "yes" and "encryption_in_transit" not in row.answers
    assert row.must_have == ["encryption_at_rest"] and row.progress == {"security": "visited"}


def test_next_saves_the_section_and_goes_on(app, buyer, bank, example):
    buyer.start()
    data = buyer.section_data(bank, "security", example["answers"], example["must_have"])
    response = buyer.step("security", data)
    assert response.status_code == 302 and response.location.endswith("/step/privacy")
    row = stored(app, buyer.token)
    assert row.progress == {"security": "complete"}
    assert row.answers["encryption_at_rest"] == example["answers"]["encryption_at_rest"]


def test_back_saves_unvalidated_input_and_shows_it_again(app, client, buyer, bank):
    buyer.start()
    response = buyer.step(
        "privacy", {"data_ownership": "yes", "must_have": ["data_ownership"]}, "back"
    )
    assert response.status_code == 302 and response.location.endswith("/step/security")
    row = stored(app, buyer.token)
    # An unticked multi is saved as "none of these", which states no requirement.
    assert row.answers == {"sensitive_data": [], "data_ownership": "yes"}
    assert row.must_have == ["data_ownership"]
    assert row.progress == {"privacy": "visited"}
    html = page(client.get(buyer.url("/step/privacy")))
    assert re.search(r'id="data_ownership-0"[^>]*checked|checked[^>]*id="data_ownership-0"', html)


def test_back_from_the_first_section_goes_to_the_overview(buyer):
    buyer.start()
    response = buyer.step("security", {}, "back")
    assert response.location.endswith(f"/a/{buyer.token}/overview")


def test_overview_lists_each_section_state(client, buyer, bank, example):
    buyer.start()
    buyer.step("security", buyer.section_data(bank, "security", example["answers"]))
    buyer.step("privacy", {"data_ownership": "yes"}, "save")
    html = page(client.get(buyer.url("/overview")))
    states = re.findall(r'class="tag tag-(\w+)"', html)
    assert states == ["complete", "in_progress"] + ["not_started"] * (len(bank.sections) - 2)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("min_uptime", "lots", "Enter a percentage, like 99.9"),
        ("breach_notification_hours", "soon", "Enter a number of hours, like 4"),
        ("maintenance_hours", "NaN", "Enter a number of hours, like 4"),
        ("min_uptime", "101", "101 is above the maximum 100"),
        ("min_uptime", "89.5", "89.5 is below the minimum 90"),
        ("min_uptime", "1e999999999", "at most 15 digits before the decimal point"),
        ("min_uptime", "9" * 5000, "at most 15 digits before the decimal point"),
        ("support_phone", "martian_hours", "is not an option"),
        ("incident_analysis", "maybe", 'expected "yes" or "no"'),
        ("security_notes", "x" * 2001, "the limit is 2,000"),
    ],
)
def test_bad_values_are_rejected_with_a_message_and_not_saved(
    app, buyer, bank, field, value, message
):
    buyer.start()
    section = bank.question(field).section_id
    for action in ("next", "back", "save"):
        response = buyer.step(section, {field: value}, action)
        assert response.status_code == 400
        assert message.lower() in page(response).replace("&#34;", '"').lower()
    assert field not in stored(app, buyer.token).answers


def test_control_characters_become_spaces_and_names_stay_on_one_line(app, buyer):
    """Pasted text can carry characters that print as nothing; PostgreSQL refuses NUL."""
    buyer.start(company=" Acme\x00 Ltd\t\n", name="Ann\x0bBuyer")
    row = stored(app, buyer.token)
    assert (row.company, row.contact_name) == ("Acme Ltd", "Ann Buyer")
    notes = "one\x00two\r\nthree\x0cfour\rfive\x7f"
    assert buyer.step("security", {"security_notes": notes}, "save").status_code == 302
    assert stored(app, buyer.token).answers["security_notes"] == "one two\nthree four\nfive"


def test_unknown_fields_are_ignored_and_bad_must_haves_rejected(app, buyer):
    buyer.start()
    assert (
        buyer.step("privacy", {"data_ownership": "yes", "is_admin": "1"}, "save").status_code == 302
    )
    response = buyer.step(
        "privacy", {"data_ownership": "yes", "must_have": ["encryption_at_rest"]}, "save"
    )
    assert response.status_code == 400
    assert stored(app, buyer.token).must_have == []


# --- conditions --------------------------------------------------------------------------


def test_conditional_question_on_a_later_page_appears_and_disappears(client, buyer, bank):
    buyer.start()
    hipaa = bank.question("hipaa_baa")
    assert hipaa.section_id == "compliance" and "sensitive_data" in hipaa.show_if.references()
    buyer.step("privacy", {"sensitive_data": "health"}, "save")
    assert 'name="hipaa_baa"' in page(client.get(buyer.url("/step/compliance")))
    buyer.step("privacy", {"sensitive_data": "personal"}, "save")
    assert 'name="hipaa_baa"' not in page(client.get(buyer.url("/step/compliance")))


def test_an_answer_whose_question_becomes_hidden_is_dropped(app, buyer):
    buyer.start()
    buyer.step("privacy", {"sensitive_data": "health"}, "save")
    buyer.step("compliance", {"hipaa_baa": "yes", "must_have": ["hipaa_baa"]}, "save")
    assert stored(app, buyer.token).answers["hipaa_baa"] == "yes"
    buyer.step("privacy", {"sensitive_data": "personal"}, "save")
    row = stored(app, buyer.token)
    assert "hipaa_baa" not in row.answers and "hipaa_baa" not in row.must_have


def test_same_page_condition_is_decided_by_the_posted_answer(app, client, buyer):
    buyer.start()
    html = page(client.get(buyer.url("/step/transparency")))
    # data_regions depends on data_location_needed on the same page: rendered, with its rule.
    assert 'id="question-data_regions"' in html and "data-show-if=" in html
    assert "Answer this only if you answered “Yes”" in html
    buyer.step("transparency", {"data_location_needed": "no", "data_regions": "eu"}, "save")
    assert "data_regions" not in stored(app, buyer.token).answers
    buyer.step("transparency", {"data_location_needed": "yes", "data_regions": "eu"}, "save")
    assert stored(app, buyer.token).answers["data_regions"] == "eu"


# --- resume ------------------------------------------------------------------------------


def test_resume_link_in_a_fresh_client_lands_on_the_first_unfinished_section(
    app, buyer, bank, example
):
    buyer.start()
    buyer.step("security", buyer.section_data(bank, "security", example["answers"]))
    buyer.step("privacy", {"data_ownership": "yes"}, "save")
    other = app.test_client()
    response = other.get(f"/a/{buyer.token}")
    assert response.status_code == 302 and response.location.endswith("/step/privacy")
    assert "Privacy by design" in page(other.get(response.location))


def test_wrong_or_guessed_tokens_are_404(client, buyer):
    buyer.start()
    for token in ("nope", buyer.token[:-1] + ("A" if buyer.token[-1] != "A" else "B"), "x" * 200):
        for path in (
            "",
            "/overview",
            "/step/security",
            "/check",
            "/result",
            "/answers.json",
            "/delete",
        ):
            assert client.get(f"/a/{token}{path}").status_code == 404


def test_another_buyers_token_cannot_change_this_assessment(app, client, buyer):
    buyer.start()
    response = client.post("/a/" + "A" * 32 + "/step/security", data={"encryption_at_rest": "yes"})
    assert response.status_code == 404
    assert stored(app, buyer.token).answers == {}


def test_unknown_section_is_404(client, buyer):
    buyer.start()
    assert client.get(buyer.url("/step/nope")).status_code == 404


# --- check, submit, result ---------------------------------------------------------------


def test_full_walk_scores_exactly_as_the_core_does_on_the_same_answers(
    app, client, buyer, bank, example
):
    buyer.start()
    buyer.answer_all(bank, example["answers"], example["must_have"])
    assert "Check your answers before you submit" in page(client.get(buyer.url("/check")))
    response = buyer.submit()
    assert response.status_code == 302 and response.location.endswith("/result")
    expected = score(bank, example["answers"], example["must_have"])
    row = stored(app, buyer.token)
    assert row.status == "submitted" and row.submitted_at is not None
    assert row.score == expected.score and row.rating == expected.rating
    assert row.result == json.loads(json.dumps(expected.to_dict()))
    html = page(client.get(buyer.url("/result")))
    assert expected.state == "provisional" and expected.rating is None
    low, high = expected.score_range
    assert (
        f"Score between {low:.1f} and {high:.1f}, depending on {expected.open_points} open points"
        in html
    )
    assert f"compared so far score {expected.score:.1f} out of 100" in html
    assert "Deal-breakers" in html
    first_commitment = next(
        q for q in bank.questions if q.commitment and q.id in example["answers"]
    )
    assert first_commitment.commitment.statement.replace("'", "&#39;") in html
    assert first_commitment.commitment.source in html
    for follow_up in expected.follow_ups:
        assert escape(follow_up.text) in html


def test_check_page_shows_every_visible_answer_with_a_change_link(client, buyer, bank, example):
    buyer.start()
    buyer.answer_all(bank, example["answers"], example["must_have"])
    html = page(client.get(buyer.url("/check")))
    shown = [
        q for q in bank.questions if q.id in answers_mod.check(bank, example["answers"]).values
    ]
    for q in shown:
        assert f"#question-{q.id}" in html
    assert f"/step/privacy?return=check#question-{shown[0].id}" in html or "return=check" in html


def test_change_from_check_returns_to_check(buyer, bank, example):
    buyer.start()
    buyer.answer_all(bank, example["answers"])
    data = buyer.section_data(bank, "privacy", example["answers"])
    response = buyer.client.post(
        buyer.url("/step/privacy?return=check"), data={**data, "action": "next"}
    )
    assert response.location.endswith("/check")


def test_submit_refuses_an_unfinished_assessment(app, buyer):
    buyer.start()
    response = buyer.submit()
    assert response.status_code == 302 and response.location.endswith("/check")
    assert stored(app, buyer.token).status == "draft"


def test_a_submitted_assessment_is_immutable(app, buyer, bank, example):
    buyer.start()
    buyer.answer_all(bank, example["answers"])
    buyer.submit()
    before = stored(app, buyer.token)
    response = buyer.step("security", {"encryption_at_rest": "no"})
    assert response.status_code == 400 and "can no longer be changed" in page(response)
    assert buyer.submit().status_code == 400
    after = stored(app, buyer.token)
    assert after.answers == before.answers and after.result == before.result
    assert buyer.client.get(buyer.url("/step/security")).location.endswith("/result")


def test_json_export_round_trips_through_the_assess_command(
    app, runner, buyer, bank, example, tmp_path
):
    buyer.start()
    buyer.answer_all(bank, example["answers"], example["must_have"])
    buyer.submit()
    response = buyer.client.get(buyer.url("/answers.json"))
    assert response.mimetype == "application/json"
    assert "attachment" in response.headers["Content-Disposition"]
    exported = response.get_json()
    assert exported["buyer"]["company"] == "Acme Ltd" and exported["status"] == "submitted"
    path = tmp_path / "export.json"
    path.write_text(json.dumps(exported))
    result = runner.invoke(args=["assess", str(path), "--bank", str(SHIPPED_BANK)])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == exported["result"]


def test_delete_asks_first_then_removes_the_assessment(app, client, buyer):
    buyer.start()
    confirm = page(client.get(buyer.url("/delete")))
    assert "Are you sure" in confirm
    response = client.post(buyer.url("/delete"))
    assert response.status_code == 302
    assert "have been deleted" in page(client.get(response.location))
    assert stored(app, buyer.token) is None
    assert client.get(buyer.url("/overview")).status_code == 404


# --- versions ----------------------------------------------------------------------------


def test_a_bank_edit_mid_draft_leaves_the_draft_on_its_version(
    app, client, buyer, bank_path, bank, example
):
    buyer.start()
    buyer.step("security", buyer.section_data(bank, "security", example["answers"]))
    prompt = bank.question("encryption_at_rest").prompt
    edited = bank_path.read_text().replace(f'version: "{bank.version}"', 'version: "9999.1.1"')
    edited = edited.replace(prompt, "Is encryption at rest required?")
    bank_path.write_text(edited)
    html = page(client.get(buyer.url("/step/security")))
    assert prompt.replace("'", "&#39;") in html  # the draft's own version
    newcomer = type(buyer)(app.test_client())
    newcomer.start(company="Newco")
    assert "Is encryption at rest required?" in page(
        newcomer.client.get(newcomer.url("/step/security"))
    )
    buyer.answer_all(bank, example["answers"])
    buyer.submit()
    row = stored(app, buyer.token)
    assert row.bank_version == bank.version and row.result["bank_version"] == bank.version
    assert stored(app, newcomer.token).bank_version == "9999.1.1"


def test_a_broken_bank_file_keeps_the_last_good_bank_serving(app, client, bank_path, caplog):
    assert client.get("/").status_code == 200
    bank_path.write_text(bank_path.read_text().replace("type: yesno", "type: yesnoo", 1))
    response = client.get("/")
    assert response.status_code == 200 and "Top questions to ask a cloud provider" in page(response)
    registry = app.extensions["banks"]
    assert registry.last_error is not None
    assert any("unknown type 'yesnoo'" in str(p) for p in registry.last_error.problems)
    assert "unknown type 'yesnoo'" in caplog.text


# --- CSRF and headers --------------------------------------------------------------------


@pytest.fixture
def csrf_client(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    return app, app.test_client()


def csrf_token(html: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)


def test_csrf_is_enforced_and_an_expired_token_keeps_the_input(csrf_client):
    app, client = csrf_client
    start = page(client.get("/"))
    token_value = csrf_token(start)
    data = {"company": "Acme", "name": "Ann", "email": "ann@acme.example", "consent": "y"}
    refused = client.post("/", data=data)
    assert refused.status_code == 400 and 'value="Acme"' in page(refused)
    response = client.post("/", data={**data, "csrf_token": token_value})
    assert response.status_code == 302
    step_url = response.location.split("?")[0]
    response = client.post(step_url, data={"encryption_at_rest": "yes", "action": "next"})
    html = page(response)
    assert response.status_code == 400 and "nothing was saved yet" in html
    assert re.search(
        r'id="encryption_at_rest-0"[^>]*checked|checked[^>]*id="encryption_at_rest-0"', html
    )
    with app.app_context():
        assert db.session.scalar(select(Assessment)).answers == {}
    response = client.post(
        step_url,
        data={"encryption_at_rest": "yes", "action": "save", "csrf_token": csrf_token(html)},
    )
    assert response.status_code == 302


def test_security_headers_on_pages_and_errors(client):
    for path in ("/", "/a/nope", "/static/style.css"):
        response = client.get(path)
        response.close()
        csp = response.headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
        assert "unsafe-inline" not in csp
        assert response.headers["Referrer-Policy"] == "no-referrer"
        assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_no_inline_script_in_pages(client, buyer):
    buyer.start()
    for path in ("/", buyer.url("/step/security"), buyer.url("/overview"), buyer.url("/check")):
        html = page(client.get(path))
        assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html) == []
        assert " onclick=" not in html and ' style="' not in html


def test_oversized_request_is_rejected(client, buyer):
    buyer.start()
    response = buyer.step("security", {"security_notes": "x" * 300_000})
    assert response.status_code == 413


def test_static_files_are_named_by_their_content_and_cached_for_a_year(client):
    html = page(client.get("/"))
    css = re.search(r'href="(/static/style\.css\?v=[0-9a-f]{12})"', html).group(1)
    response = client.get(css)
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    response.close()
    plain = client.get("/static/style.css")
    assert "immutable" not in plain.headers.get("Cache-Control", "")
    plain.close()


def test_start_page_inputs_carry_only_valid_spellcheck_values(client):
    """Names are not dictionary words: spellcheck is off on every field, and never the
    invalid "None" that a None attribute renders as."""
    html = page(client.get("/"))
    fields = re.findall(r'<input[^>]*id="(company|name|email)"[^>]*>', html)
    assert sorted(fields) == ["company", "email", "name"]
    for tag in re.findall(r'<input[^>]*id="(?:company|name|email)"[^>]*>', html):
        assert 'spellcheck="false"' in tag, tag
    assert 'spellcheck="None"' not in html
