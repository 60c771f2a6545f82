"""A date question through the app: the buyer types a day, the result and the PDF word it,
and the provider answers it in writing, on the sales page and through the API. The date
type comes with no template of its own: its fields are the type's."""

from __future__ import annotations

import pytest

from questionnaire.store import followup
from questionnaire.store.db import db
from questionnaire.store.models import Assessment
from tests.conftest import bank_file
from tests.core.test_date import DATE_BANK
from tests.support import FAST, add_user, assessment_id, fetch, page, sign_in, text_of
from tests.web.test_api import bearer, new_token


@pytest.fixture
def bank_path(tmp_path):
    return bank_file(tmp_path, DATE_BANK)


@pytest.fixture
def app(make_app):
    return make_app(REPORT_WAIT_SECONDS=60, **FAST)


@pytest.fixture
def submitted(app, buyer):
    """A buyer who needs the ISO certificate valid to the end of 2027 (30 June documented:
    beyond the 30-day margin) and the SOC 2 report to cover mid-2027 (nothing documented)."""
    token = buyer.start(company="Harbour & Finch Ltd")
    data = {"iso_valid": "31 Dec 2027", "soc_valid": "2027-06-30", "must_have": ["iso_valid"]}
    response = buyer.step("certs", data)
    assert response.status_code == 302, page(response)
    assert buyer.submit().status_code == 302
    return assessment_id(app, token)


def test_the_step_page_draws_a_date_box_with_its_hint_and_not_sure(buyer):
    buyer.start()
    html = page(buyer.client.get(buyer.url("/step/certs")))
    assert 'class="input input-date" type="text" inputmode="text"' in html
    assert 'id="iso_valid-bounds">Enter a date, like 30 Nov 2026.</p>' in html
    assert 'name="not_sure" value="iso_valid"' in html
    assert "Leave blank if you have no requirement." in html


def test_a_day_that_is_not_one_is_refused_and_the_typed_text_kept(buyer):
    buyer.start()
    response = buyer.step("certs", {"iso_valid": "next spring"}, "save")
    assert response.status_code == 400
    html = page(response)
    assert "nter a date, like 30 Nov 2026" in html
    assert 'value="next spring"' in html


def test_the_answer_is_shown_back_as_people_write_a_day(buyer):
    buyer.start()
    assert buyer.step("certs", {"iso_valid": "2027-12-31"}, "save").status_code == 302
    assert 'value="31 Dec 2027"' in page(buyer.client.get(buyer.url("/step/certs")))


def test_the_result_and_the_pdf_word_the_days_and_the_shortfall(app, buyer, submitted):
    html = page(buyer.client.get(buyer.url("/result")))
    for words in ("31 Dec 2027", "30 Jun 2027", "184 days short", "Ask the provider"):
        assert words in html
    text = text_of(fetch(buyer.client, buyer.url("/report.pdf")).data)
    assert "31 Dec 2027" in text and "184 days short" in text


def test_a_salesperson_answers_with_a_day_and_the_revision_counts_it(app, buyer, submitted):
    add_user(app, "sam@provider.example", "sales", "Sam Seller")
    sales = app.test_client()
    assert sign_in(sales, "sam@provider.example").status_code == 302
    url = f"/sales/assessments/{submitted}/provider-answers/iso_valid"
    form = page(sales.get(url))
    assert '<label class="label" for="value-0">What date do you commit to?</label>' in form
    assert "On or after 31 Dec 2027" in form  # the buyer needs
    wrong = sales.post(url, data={"value": "soon", "statement": "Renewed."})
    assert wrong.status_code == 400 and "Enter a date, like 30 Nov 2026." in page(wrong)
    saved = sales.post(url, data={"value": "30 Jun 2028", "statement": "Renewed to 2028."})
    assert saved.status_code == 302, page(saved)
    with app.app_context():
        now = followup.current(db.session.get(Assessment, submitted))
        assert now.written["iso_valid"].value == "2028-06-30"
        assert next(q for q in now.result["questions"] if q["id"] == "iso_valid")["status"] == "met"
    assert 'value="30 Jun 2028"' in page(sales.get(url))  # the form shows what was given


def test_the_api_takes_and_gives_a_written_day_as_iso(app, submitted):
    token = new_token(app.test_cli_runner())
    client = app.test_client()
    detail = client.get(f"/api/v1/assessments/{submitted}", headers=bearer(token)).json
    asked = {f["question"]: f for f in detail["follow_ups"]}
    assert asked["soc_valid"]["type"] == "date" and asked["soc_valid"]["options"] == []
    url = f"/api/v1/assessments/{submitted}/provider-answers"
    body = {"question": "soc_valid", "value": "31/06/2027", "statement": "Covered."}
    refused = client.post(url, json=body, headers=bearer(token))
    assert refused.status_code == 422
    assert refused.json["errors"][0]["code"] == "invalid_date"
    given = client.post(url, json={**body, "value": "2027-12-31"}, headers=bearer(token))
    assert given.status_code == 201, given.json
    detail = client.get(f"/api/v1/assessments/{submitted}", headers=bearer(token)).json
    assert detail["written_answers"][0]["value"] == "2027-12-31"
    document = client.get("/api/v1/openapi.json").json
    described = document["components"]["schemas"]["WrittenAnswerOut"]["properties"]["value"]
    assert 'date: the day as "YYYY-MM-DD"' in described["description"]


def test_a_library_answer_takes_a_day_and_the_written_answer_page_offers_it(app, submitted):
    add_user(app, "sam@provider.example", "sales", "Sam Seller")
    sales = app.test_client()
    assert sign_in(sales, "sam@provider.example").status_code == 302
    form = page(sales.get("/sales/library/new?question=iso_valid"))
    assert "What date do you commit to?" in form and "Enter a date, like 30 Nov 2026." in form
    posted = {"question": "iso_valid", "statement": "Renewed to 2028.", "grade": "written"}
    refused = sales.post("/sales/library/new", data={**posted, "value": "2028-13-01"})
    assert refused.status_code == 400 and "Enter a date, like 30 Nov 2026." in page(refused)
    saved = sales.post("/sales/library/new", data={**posted, "value": "30 June 2028"})
    assert saved.status_code == 302, page(saved)
    assert "30 Jun 2028" in page(sales.get(saved.location))
    offered = page(sales.get(f"/sales/assessments/{submitted}/provider-answers/iso_valid"))
    assert "Meets what the buyer asked for: on or after 31 Dec 2027" in offered
