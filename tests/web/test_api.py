"""The CRM API: bearer tokens from the CLI, the sales list's filters, written answers with
the same rules and events as the form, and an OpenAPI 3.1 document that schemathesis
checks the running app against."""

from __future__ import annotations

import re

import hypothesis
import pytest
import schemathesis
from schemathesis import GenerationMode
from schemathesis.config import SchemathesisConfig
from sqlalchemy import select

from questionnaire.store.db import db
from questionnaire.store.models import AccessEvent, ApiToken
from tests.support import FAST, add_user, page, sign_in


@pytest.fixture
def app(make_app):
    return make_app(**FAST)


def new_token(runner, name="Salesforce") -> str:
    result = runner.invoke(args=["api-tokens", "create", name])
    assert result.exit_code == 0, result.output
    return re.search(r"Token \(shown once, store it now\): (\S+)", result.output).group(1)


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def token(app) -> str:
    return new_token(app.test_cli_runner())


def test_the_cli_prints_a_token_once_and_stores_only_its_hash(app):
    runner = app.test_cli_runner()
    token = new_token(runner)
    assert len(token) >= 43  # 256 random bits, URL-safe base64
    with app.app_context():
        stored = db.session.scalar(select(ApiToken))
        assert token not in (stored.token_hash, stored.name)
    listed = runner.invoke(args=["api-tokens", "list"]).output
    assert "Salesforce\tactive" in listed and token not in listed
    assert runner.invoke(args=["api-tokens", "create", "Salesforce"]).exit_code != 0


def test_no_token_a_wrong_one_a_revoked_one_or_a_session_cookie_get_401_json(app, token):
    add_user(app, "sam@provider.example", "admin", "Sam Seller")
    staff = app.test_client()
    assert sign_in(staff, "sam@provider.example").status_code == 302
    for client, headers in (
        (app.test_client(), {}),
        (app.test_client(), bearer("not-a-token")),
        (app.test_client(), {"Authorization": f"Basic {token}"}),
        (staff, {}),  # a signed-in staff member's cookie alone
    ):
        response = client.get("/api/v1/assessments", headers=headers)
        assert response.status_code == 401 and response.is_json
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
        assert "set-cookie" not in {k.lower() for k in response.headers.keys()}
    assert app.test_client().get("/api/v1/assessments", headers=bearer(token)).status_code == 200
    runner = app.test_cli_runner()
    assert runner.invoke(args=["api-tokens", "revoke", "Salesforce"]).exit_code == 0
    assert app.test_client().get("/api/v1/assessments", headers=bearer(token)).status_code == 401
    assert "revoked" in runner.invoke(args=["api-tokens", "list"]).output


def test_every_read_is_an_access_event_the_buyer_sees(app, buyer, token, submitted):
    number, _ = submitted
    client = app.test_client()
    listed = client.get("/api/v1/assessments?q=harbour&per_page=5", headers=bearer(token)).json
    assert [i["id"] for i in listed["items"]] == [number] and listed["total"] == 1
    detail = client.get(f"/api/v1/assessments/{number}", headers=bearer(token)).json
    assert detail["contact"]["company"] == "Harbour & Finch Ltd"
    assert detail["stage"] == "new" and detail["owner"] is None
    assert detail["result"]["score"] == detail["score"]
    result = page(buyer.client.get(buyer.url("/result")))
    assert result.count("CRM integration Salesforce") == 2
    assert "Read your contact details and result in a list" in result


def test_pages_are_bounded_and_bad_filters_are_400_json(app, token, submitted):
    client = app.test_client()
    for query in (
        "per_page=101",
        "page=0",
        "sort=nope",
        "date_from=2026-13-01",
        "owner=x",
    ):
        response = client.get(f"/api/v1/assessments?{query}", headers=bearer(token))
        assert response.status_code == 400 and response.json["error"], query
    inverted = "date_from=2026-12-02&date_to=2026-12-01"
    response = client.get(f"/api/v1/assessments?{inverted}", headers=bearer(token))
    assert response.status_code == 200 and response.json["total"] == 0


def test_a_provider_answer_through_the_api_is_a_201_revision_and_an_event(
    app, buyer, bank, token, submitted
):
    number, asked = submitted
    client = app.test_client()
    url = f"/api/v1/assessments/{number}/provider-answers"
    question = bank.question(asked)
    value = {"yesno": True, "number": question.max}.get(question.type)
    if value is None:
        value = [question.options[-1].key]
    body = {"question": asked, "value": value, "statement": "In our contract.", "reference": "§4"}
    response = client.post(url, json=body, headers=bearer(token))
    assert response.status_code == 201, response.json
    assert response.json["revision"] == 1
    bad = client.post(url, json={**body, "question": "nope"}, headers=bearer(token))
    assert bad.status_code == 422 and "follow-ups" in bad.json["error"]
    wrong = client.post(url, json={**body, "value": {"a": 1}}, headers=bearer(token))
    assert wrong.status_code == 400
    assert client.post(url, json={**body, "extra": 1}, headers=bearer(token)).status_code == 400
    assert client.post(url, data="{", headers=bearer(token)).status_code == 400
    assert client.post(url, json=body).status_code == 401  # no CSRF, but a token is needed
    result = page(buyer.client.get(buyer.url("/result")))
    assert "Written answer from CRM integration Salesforce" in result
    with app.app_context():
        actors = db.session.scalars(
            select(AccessEvent.actor).where(AccessEvent.action == "answered")
        )
        assert list(actors) == ["CRM integration Salesforce"]


def test_the_openapi_document_is_3_1_and_needs_no_token(client):
    document = client.get("/api/v1/openapi.json").json
    assert document["openapi"] == "3.1.0"
    assert set(document["paths"]) == {
        "/api/v1/assessments",
        "/api/v1/assessments/{assessment_id}",
        "/api/v1/assessments/{assessment_id}/provider-answers",
        "/api/v1/library",
    }


# --- schemathesis against the running app (in-process WSGI), bounded in examples and time --


@pytest.fixture
def api_app(app, bank, example, token):
    """The app with a submitted assessment (id 1) and a token every case sends."""
    from tests.conftest import Buyer

    buyer = Buyer(app.test_client())
    buyer.start(company="Harbour & Finch Ltd")
    buyer.answer_all(bank, example["answers"], example["must_have"])
    assert buyer.submit().status_code == 302
    app.config["API_TEST_TOKEN"] = token
    return app


# A well-formed answer may still not fit the buyer's question (422): data the document
# allows, rightly refused.
CONFIG = SchemathesisConfig.from_dict(
    {"checks": {"positive_data_acceptance": {"expected-statuses": ["2xx", 401, 404, 409, 422]}}}
)


@pytest.mark.parametrize("mode", list(GenerationMode))
def test_the_api_keeps_to_its_openapi_document(api_app, mode):
    """Positive cases must get what the document promises; negative ones (data the document
    forbids) must be refused with a documented 4xx. No 5xx either way."""
    token = api_app.config["API_TEST_TOKEN"]
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", api_app, config=CONFIG)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 4
    # Each operation with any id, then with the submitted assessment's: most random ids
    # are no row (404), which would leave the answer rules untried.
    for operation, path in [(o, p) for o in operations for p in (None, {"assessment_id": 1})]:
        negate_only_the_id = mode == GenerationMode.NEGATIVE and operation.method == "get"
        if path and ("assessment_id" not in operation.path or negate_only_the_id):
            continue
        strategy = operation.as_strategy(mode, headers=bearer(token), path_parameters=path)

        @hypothesis.given(case=strategy)
        @hypothesis.settings(
            max_examples=30,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(hypothesis.HealthCheck),
        )
        def keeps_to_the_document(case):
            case.call_and_validate()

        keeps_to_the_document()
