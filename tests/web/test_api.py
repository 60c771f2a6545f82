"""The CRM API: bearer tokens from the CLI, the sales list's filters, written answers with
the same rules and events as the form, and an OpenAPI 3.1 document that schemathesis
checks the running app against."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from unittest.mock import ANY

import hypothesis
import pytest
import schemathesis
from schemathesis import GenerationMode
from schemathesis.config import SchemathesisConfig
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from questionnaire import services
from questionnaire.core.written import answerable
from questionnaire.store import access
from questionnaire.store import followup as followup_store
from questionnaire.store import operations as ops
from questionnaire.store.db import db
from questionnaire.store.models import AccessEvent, ApiToken, Assessment, ResultRevision, utcnow
from questionnaire.store.operations import DatabaseBusy
from tests.support import FAST, add_user, assessment_id, page, sign_in


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


PROBLEM = "application/problem+json"


def problem_of(response, status: int, slug: str) -> dict:
    """The response is the problem ``slug`` with ``status``, as problem+json."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == PROBLEM, response.mimetype
    body = response.json
    assert body["type"] == f"/api/v1/problems/{slug}" and body["status"] == status, body
    return body


def test_the_cli_prints_a_token_once_and_stores_only_its_hash(app):
    runner = app.test_cli_runner()
    token = new_token(runner)
    assert len(token) >= 43  # 256 random bits, URL-safe base64
    with app.app_context():
        stored = db.session.scalar(select(ApiToken))
        assert token not in (stored.token_hash, stored.name)
        assert stored.scopes == "read write" and stored.expires_at is None
    listed = runner.invoke(args=["api-tokens", "list"]).output
    assert "Salesforce\tactive\tread write" in listed and token not in listed
    assert runner.invoke(args=["api-tokens", "create", "Salesforce"]).exit_code != 0


def test_no_token_a_wrong_one_a_revoked_one_or_a_session_cookie_get_401_problems(app, token):
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
        problem_of(response, 401, "unauthorized")
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
        # .keys(): iterating Werkzeug's Headers itself gives (name, value) pairs.
        assert "set-cookie" not in {k.lower() for k in response.headers.keys()}  # noqa: SIM118
    assert app.test_client().get("/api/v1/assessments", headers=bearer(token)).status_code == 200
    runner = app.test_cli_runner()
    assert runner.invoke(args=["api-tokens", "revoke", "Salesforce"]).exit_code == 0
    problem_of(
        app.test_client().get("/api/v1/assessments", headers=bearer(token)), 401, "unauthorized"
    )
    assert "revoked" in runner.invoke(args=["api-tokens", "list"]).output


def test_a_read_only_token_reads_but_cannot_write_and_an_expired_token_is_refused(app, submitted):
    number, _ = submitted
    runner = app.test_cli_runner()
    made = runner.invoke(args=["api-tokens", "create", "Reader", "--scope", "read"])
    assert made.exit_code == 0, made.output
    reader = re.search(r"store it now\): (\S+)", made.output).group(1)
    client = app.test_client()
    assert client.get(f"/api/v1/assessments/{number}", headers=bearer(reader)).status_code == 200
    refused = client.patch(
        f"/api/v1/assessments/{number}", json={"stage": "won"}, headers=bearer(reader)
    )
    assert "write" in problem_of(refused, 403, "insufficient-scope")["detail"]
    soon = runner.invoke(args=["api-tokens", "create", "Brief", "--expires", "2999-01-01"])
    brief = re.search(r"store it now\): (\S+)", soon.output).group(1)
    assert client.get("/api/v1/assessments", headers=bearer(brief)).status_code == 200
    with app.app_context():
        row = db.session.scalar(select(ApiToken).where(ApiToken.name == "Brief"))
        row.expires_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
    problem_of(client.get("/api/v1/assessments", headers=bearer(brief)), 401, "unauthorized")
    assert runner.invoke(args=["api-tokens", "create", "X", "--scope", "admin"]).exit_code != 0
    past = runner.invoke(args=["api-tokens", "create", "Y", "--expires", "2000-01-01"])
    assert past.exit_code != 0 and "future" in past.output


def api_events(app) -> list[tuple[int, str, str]]:
    with app.app_context():
        rows = db.session.execute(
            select(AccessEvent.assessment_id, AccessEvent.actor, AccessEvent.action)
            .where(AccessEvent.api_token_id.is_not(None))
            .order_by(AccessEvent.id)
        )
        return [tuple(r) for r in rows]


def age_api_events(app, by: timedelta) -> None:
    with app.app_context():
        for event in db.session.scalars(select(AccessEvent)):
            event.created_at -= by
        db.session.commit()


def test_reads_are_recorded_once_per_token_and_assessment_an_hour_or_a_day(
    app, buyer, token, submitted
):
    number, _ = submitted
    client = app.test_client()
    for _ in range(3):  # an eager CRM: the list, the feed and the detail, again and again
        listed = client.get("/api/v1/assessments?q=harbour&per_page=5", headers=bearer(token))
        assert [i["id"] for i in listed.json["items"]] == [number]
        assert client.get("/api/v1/changes", headers=bearer(token)).status_code == 200
        detail = client.get(f"/api/v1/assessments/{number}", headers=bearer(token)).json
    assert detail["contact"]["company"] == "Harbour & Finch Ltd"
    assert detail["stage"] == "new" and detail["owner"] is None
    assert detail["result"]["score"] == detail["score"]
    actor = "CRM integration Salesforce"
    assert api_events(app) == [(number, actor, "listed"), (number, actor, "looked")]
    result = page(buyer.client.get(buyer.url("/result")))
    assert result.count(actor) == 2
    assert "Looked at your assessment" in result
    assert "Copied your contact details and result into their CRM" in result

    age_api_events(app, timedelta(hours=1, minutes=1))  # a view an hour on counts again
    client.get(f"/api/v1/assessments/{number}", headers=bearer(token))
    client.get("/api/v1/changes", headers=bearer(token))
    assert [a for _, _, a in api_events(app)] == ["listed", "looked", "looked"]
    age_api_events(app, timedelta(days=1))  # and a list read a day on
    client.get("/api/v1/assessments", headers=bearer(token))
    assert [a for _, _, a in api_events(app)] == ["listed", "looked", "looked", "listed"]
    other = new_token(app.test_cli_runner(), "Hubspot")  # each token for itself
    client.get(f"/api/v1/assessments/{number}", headers=bearer(other))
    assert api_events(app)[-1] == (number, "CRM integration Hubspot", "looked")


def test_a_read_succeeds_when_its_access_event_cannot_be_written(
    app, token, submitted, monkeypatch
):
    number, _ = submitted

    def locked(*args, **kwargs):
        raise OperationalError("INSERT", {}, Exception("database is locked"))

    monkeypatch.setattr(access, "record_api_reads", locked)
    client = app.test_client()
    for url in ("/api/v1/assessments", "/api/v1/changes", f"/api/v1/assessments/{number}"):
        response = client.get(url, headers=bearer(token))
        assert response.status_code == 200 and response.is_json, url
    assert api_events(app) == []


def test_a_busy_database_is_a_json_503_with_retry_after(app, token, submitted, monkeypatch):
    number, _ = submitted

    def busy(*args, **kwargs):
        raise DatabaseBusy("locked")

    monkeypatch.setattr(followup_store, "set_owner_and_stage", busy)
    response = app.test_client().patch(
        f"/api/v1/assessments/{number}", json={"stage": "won"}, headers=bearer(token)
    )
    problem_of(response, 503, "busy")
    assert int(response.headers["Retry-After"]) > 0


def test_pages_are_bounded_past_the_end_empty_and_bad_parameters_are_400_naming_them(
    app, token, submitted
):
    client = app.test_client()
    for query in ("per_page=101", "page=0", "sort=nope", "date_from=2026-13-01", "owner=x"):
        response = client.get(f"/api/v1/assessments?{query}", headers=bearer(token))
        body = problem_of(response, 400, "invalid-request")
        assert body["errors"][0]["field"] == query.split("=")[0], query
    unknown = client.get("/api/v1/assessments?per_page=5&colour=red", headers=bearer(token))
    assert "'colour'" in problem_of(unknown, 400, "unknown-parameter")["detail"]
    twice = client.get("/api/v1/assessments?page=1&page=2", headers=bearer(token))
    assert "'page'" in problem_of(twice, 400, "repeated-parameter")["detail"]
    assert problem_of(
        client.get(f"/api/v1/assessments/{submitted[0]}?x=1", headers=bearer(token)),
        400,
        "unknown-parameter",
    )
    inverted = "date_from=2026-12-02&date_to=2026-12-01"
    response = client.get(f"/api/v1/assessments?{inverted}", headers=bearer(token))
    assert response.status_code == 200 and response.json["total"] == 0
    last = client.get("/api/v1/assessments?page=1", headers=bearer(token)).json
    assert last["pages"] == 1 and len(last["items"]) == 1
    past = client.get("/api/v1/assessments?page=2", headers=bearer(token)).json
    assert past["items"] == [] and past["page"] == 2 and past["total"] == 1


def test_the_detail_sends_its_version_as_an_etag_and_304s_until_it_changes(app, token, submitted):
    number, _ = submitted
    client = app.test_client()
    url = f"/api/v1/assessments/{number}"
    first = client.get(url, headers=bearer(token))
    etag = first.headers["ETag"]
    assert etag == f'"{first.json["version"]}"'
    same = client.get(url, headers={**bearer(token), "If-None-Match": etag})
    assert same.status_code == 304 and same.data == b"" and same.headers["ETag"] == etag
    weak = client.get(url, headers={**bearer(token), "If-None-Match": f'"0", W/{etag}'})
    assert weak.status_code == 304
    staff = add_user(app, "owner@provider.example", "sales", "Olive Owner")
    for change in ({"owner": staff}, {"stage": "in_discussion"}, {"owner": None}):
        changed = client.patch(url, json=change, headers=bearer(token))
        assert changed.status_code == 200, changed.json
        assert changed.headers["ETag"] != etag
        stale = client.get(url, headers={**bearer(token), "If-None-Match": etag})
        assert stale.status_code == 200 and stale.json["version"] > int(etag.strip('"'))
        etag = stale.headers["ETag"]
    assert stale.json["owner"] is None and stale.json["stage"] == "in_discussion"


def test_patch_sets_owner_and_stage_and_a_draft_keeps_its_retention(app, buyer, token):
    draft_token = buyer.start(company="Drafty Ltd")
    number = assessment_id(app, draft_token)
    with app.app_context():
        draft = db.session.get(Assessment, number)
        draft.updated_at = utcnow() - timedelta(days=80)
        db.session.commit()
        before = ops.expiry(draft, services.store_settings())
    staff = add_user(app, "owner@provider.example", "sales", "Olive Owner")
    client = app.test_client()
    url = f"/api/v1/assessments/{number}"
    done = client.patch(url, json={"owner": staff, "stage": "won"}, headers=bearer(token))
    assert done.status_code == 200, done.json
    assert (done.json["owner_id"], done.json["owner"], done.json["stage"]) == (
        staff,
        "Olive Owner",
        "won",
    )
    with app.app_context():
        settings = services.store_settings()
        assert ops.expiry(db.session.get(Assessment, number), settings) == before  # not extended
    bad = client.patch(url, json={"owner": 999999, "stage": "nope"}, headers=bearer(token))
    fields = {e["field"]: e["code"] for e in problem_of(bad, 422, "validation-failed")["errors"]}
    assert fields == {"stage": "literal_error"}
    nobody = client.patch(url, json={"owner": 999999}, headers=bearer(token))
    assert problem_of(nobody, 422, "validation-failed")["errors"][0]["field"] == "owner"
    assert problem_of(
        client.patch(url, json={"colour": "red"}, headers=bearer(token)), 422, "validation-failed"
    )["errors"][0] == {"field": "colour", "code": "extra_forbidden", "message": ANY}
    as_text = client.patch(
        url, data='{"stage": "lost"}', headers={**bearer(token), "Content-Type": "text/plain"}
    )
    problem_of(as_text, 415, "unsupported-media-type")
    problem_of(
        client.patch("/api/v1/assessments/999999", json={}, headers=bearer(token)), 404, "not-found"
    )


def test_a_wrong_method_is_a_405_that_says_what_is_allowed(app, token, submitted):
    response = app.test_client().delete(
        f"/api/v1/assessments/{submitted[0]}", headers=bearer(token)
    )
    problem_of(response, 405, "method-not-allowed")
    assert set(response.headers["Allow"].replace(" ", "").split(",")) >= {"GET", "PATCH"}
    problem_of(
        app.test_client().get("/api/v1/nothing-here", headers=bearer(token)), 404, "not-found"
    )


def test_requests_past_the_rate_limit_get_429_with_retry_after(app, token):
    app.config["API_RATE_LIMIT"] = 3
    client = app.test_client()
    statuses = [client.get("/api/v1/changes", headers=bearer(token)).status_code for _ in range(4)]
    # Four requests can straddle a minute's end, where the count starts again.
    if statuses != [200, 200, 200, 429]:
        statuses = [
            client.get("/api/v1/changes", headers=bearer(token)).status_code for _ in range(4)
        ]
    assert statuses == [200, 200, 200, 429]
    limited = client.get("/api/v1/changes", headers=bearer(token))
    assert (
        1 <= int(problem_of(limited, 429, "rate-limited") and limited.headers["Retry-After"]) <= 60
    )
    other = new_token(app.test_cli_runner(), "Other")  # counted per token
    assert client.get("/api/v1/changes", headers=bearer(other)).status_code == 200


def answer_body(bank, asked: str) -> dict:
    question = bank.question(asked)
    if question.type == "yesno":
        value = True
    elif question.type == "number":
        value = question.settings.max
    else:
        value = [question.options[-1].key]
    return {"question": asked, "value": value, "statement": "In our contract.", "reference": "§4"}


def test_a_provider_answer_through_the_api_is_a_201_revision_and_an_event(
    app, buyer, bank, token, submitted
):
    number, asked = submitted
    client = app.test_client()
    url = f"/api/v1/assessments/{number}/provider-answers"
    body = answer_body(bank, asked)
    response = client.post(url, json=body, headers=bearer(token))
    assert response.status_code == 201, response.json
    assert response.json["revision"] == 1
    bad = client.post(url, json={**body, "question": "nope"}, headers=bearer(token))
    assert problem_of(bad, 422, "validation-failed")["errors"] == [
        {"field": "question", "code": "not_a_follow_up", "message": ANY}
    ]
    wrong = client.post(url, json={**body, "value": {"a": 1}}, headers=bearer(token))
    errors = problem_of(wrong, 422, "validation-failed")["errors"]
    assert errors and all(e["field"].startswith("value") and e["code"] for e in errors)
    extra = client.post(url, json={**body, "extra": 1}, headers=bearer(token))
    assert problem_of(extra, 422, "validation-failed")["errors"][0]["code"] == "extra_forbidden"
    malformed = client.post(
        url, data="{", headers={**bearer(token), "Content-Type": "application/json"}
    )
    problem_of(malformed, 400, "malformed-json")
    problem_of(
        client.post(url, data=json.dumps(body), headers=bearer(token)),
        415,
        "unsupported-media-type",
    )
    problem_of(client.post(url, json=body), 401, "unauthorized")  # no CSRF, but a token
    detail = client.get(f"/api/v1/assessments/{number}", headers=bearer(token)).json
    assert detail["result_revision"] == {"number": 1, "created_by": "written_answer"}
    result = page(buyer.client.get(buyer.url("/result")))
    assert "Written answer from CRM integration Salesforce" in result
    with app.app_context():
        actors = db.session.scalars(
            select(AccessEvent.actor).where(AccessEvent.action == "answered")
        )
        assert list(actors) == ["CRM integration Salesforce"]


def written_state(app, number: int) -> tuple:
    with app.app_context():
        found = db.session.get(Assessment, number)
        revisions = db.session.scalar(
            select(func.count(ResultRevision.id)).where(ResultRevision.assessment_id == number)
        )
        events = db.session.scalar(select(func.count(AccessEvent.id)))
        return found.version, found.result_revision, found.updated_at, revisions, events


def test_a_retry_with_the_same_idempotency_key_returns_the_first_response_and_writes_nothing(
    app, bank, token, submitted
):
    number, asked = submitted
    client = app.test_client()
    url = f"/api/v1/assessments/{number}/provider-answers"
    body = answer_body(bank, asked)
    keyed = {**bearer(token), "Idempotency-Key": "crm-42"}
    first = client.post(url, json=body, headers=keyed)
    assert first.status_code == 201
    after_first = written_state(app, number)
    again = client.post(url, json=body, headers=keyed)
    assert again.status_code == 201 and again.json == first.json
    assert written_state(app, number) == after_first
    other = client.post(url, json={**body, "statement": "Changed."}, headers=keyed)
    assert (
        problem_of(other, 422, "idempotency-key-reused")["errors"][0]["field"] == "Idempotency-Key"
    )
    assert written_state(app, number) == after_first
    fresh = client.post(url, json=body, headers={**keyed, "Idempotency-Key": "crm-43"})
    assert fresh.status_code == 201  # a new key is a new answer (edits the unseen revision)
    assert written_state(app, number)[0] > after_first[0]
    too_long = client.post(url, json=body, headers={**keyed, "Idempotency-Key": "k" * 256})
    problem_of(too_long, 400, "invalid-request")


def test_the_detail_lists_each_follow_up_with_what_an_answer_must_be(
    app, bank, token, submitted, example
):
    number, asked = submitted
    detail = app.test_client().get(f"/api/v1/assessments/{number}", headers=bearer(token)).json
    by_id = {f["question"]: f for f in detail["follow_ups"]}
    with app.app_context():
        result = db.session.get(Assessment, number).result
    assert list(by_id) == answerable(result)
    for qid, item in by_id.items():
        question = bank.question(qid)
        assert item["type"] == question.type and item["prompt"] == question.prompt
        assert item["must_have"] == (qid in example["must_have"])
        terms = question.settings if question.type == "number" else None
        assert (item["unit"], item["min"], item["max"]) == (
            (terms.unit, terms.min, terms.max) if terms else ("", None, None)
        )
        expected = [{"key": o.key, "label": o.label} for o in question.options]
        assert item["options"] == (expected if question.type in ("choice", "multi") else [])
        assert item["answered"] is False
    kinds = {f["type"] for f in by_id.values()}
    assert len(kinds) > 1, kinds  # the example asks about more than one type of question
    assert any(f["must_have"] for f in by_id.values())


def test_revisions_are_linked_both_ways_and_the_original_gets_a_new_version(
    app, client, buyer, token, submitted
):
    number, _ = submitted
    api = app.test_client()
    before = api.get(f"/api/v1/assessments/{number}", headers=bearer(token)).json
    assert before["revision_of"] is None and before["revised_by"] == []
    revised = client.post(buyer.url("/revise"))
    assert revised.status_code == 302
    new_token_ = re.search(r"/a/([^/]+)/check", revised.location).group(1)
    revision = assessment_id(app, new_token_)
    after = api.get(f"/api/v1/assessments/{number}", headers=bearer(token)).json
    assert after["revised_by"] == [revision] and after["version"] > before["version"]
    draft = api.get(f"/api/v1/assessments/{revision}", headers=bearer(token)).json
    assert draft["revision_of"] == number and draft["result_revision"] is None
    assert draft["state"] is None and draft["status"] == "draft"
    assert before["result_revision"] == {"number": 0, "created_by": "submission"}
    assert before["state"] in ("rated", "provisional", "not_rated")


def test_the_openapi_document_is_3_1_with_the_feed_and_the_webhooks_and_needs_no_token(client):
    document = client.get("/api/v1/openapi.json").json
    assert document["openapi"] == "3.1.0"
    assert set(document["paths"]) == {
        "/api/v1/assessments",
        "/api/v1/changes",
        "/api/v1/assessments/{assessment_id}",
        "/api/v1/assessments/{assessment_id}/provider-answers",
        "/api/v1/library",
    }
    assert set(document["webhooks"]) == {
        "assessment.submitted",
        "assessment.answered",
        "assessment.revised",
        "assessment.deleted",
    }
    problem = document["components"]["schemas"]["Problem"]
    assert "/api/v1/problems/cursor-expired" in problem["properties"]["type"]["enum"]


# --- schemathesis against the running app (in-process WSGI), bounded in examples and time --


@pytest.fixture
def api_app(app, bank, example, token):
    """The app with a submitted assessment (id 1), a draft revising it, a token every case
    sends, and a cursor of the change feed; no rate limit (cases come fast)."""
    from tests.conftest import Buyer

    buyer = Buyer(app.test_client())
    buyer.start(company="Harbour & Finch Ltd")
    buyer.answer_all(bank, example["answers"], example["must_have"])
    assert buyer.submit().status_code == 302
    assert buyer.client.post(buyer.url("/revise")).status_code == 302
    app.config["API_TEST_TOKEN"] = token
    app.config["API_RATE_LIMIT"] = 0
    feed = app.test_client().get("/api/v1/changes", headers=bearer(token)).json
    app.config["API_TEST_CURSOR"] = feed["next_cursor"]
    return app


# A well-formed answer may still not fit the buyer's question (422), a well-formed owner
# may be nobody's id (422), a string of the right length is rarely a cursor the feed gave
# out (400): data the document allows, rightly refused.
def config(token: str) -> SchemathesisConfig:
    return SchemathesisConfig.from_dict(
        {**CONFIG, "auth": {"openapi": {"bearer": {"bearer": token}}}}
    )


CONFIG = {
    "checks": {"positive_data_acceptance": {"expected-statuses": ["2xx", 304, 401, 404, 409, 422]}},
    "operations": [
        {
            "include-path": "/api/v1/changes",
            "checks": {"positive_data_acceptance": {"expected-statuses": ["2xx", 400]}},
        }
    ],
}


@pytest.mark.parametrize("mode", list(GenerationMode))
def test_the_api_keeps_to_its_openapi_document(api_app, mode):
    """Positive cases must get what the document promises; negative ones (data the document
    forbids) must be refused with a documented 4xx. No 5xx either way."""
    token = api_app.config["API_TEST_TOKEN"]
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", api_app, config=config(token))
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 6
    # Each operation with any id, then with the submitted assessment's (most random ids are
    # no row: 404, which would leave the rules untried); the feed from a real cursor too.
    runs = []
    for operation in operations:
        runs.append((operation, None, None))
        if "assessment_id" in operation.path:
            runs.append((operation, {"assessment_id": 1}, None))
        elif operation.path.endswith("/changes") and mode == GenerationMode.POSITIVE:
            runs.append((operation, None, {"after": api_app.config["API_TEST_CURSOR"]}))
    for operation, path, query in runs:
        if path and mode == GenerationMode.NEGATIVE and operation.method == "get":
            continue  # only the id could be negated, and it is fixed
        strategy = operation.as_strategy(mode, path_parameters=path, query=query)

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


def test_admins_make_list_and_revoke_tokens_on_the_admin_page(app, submitted):
    from tests.conftest import signed_in

    number, _ = submitted
    admin = signed_in(app, "ada@provider.example", "admin", "Ada Admin")
    assert "No API tokens yet" in page(admin.get("/sales/admin/tokens"))
    made = admin.post(
        "/sales/admin/tokens", data={"name": "Hubspot", "scope": "read", "expires": "2999-12-31"}
    )
    html = page(made)
    assert made.status_code == 200 and 'buyers see its reads as "CRM integration Hubspot"' in html
    token = re.search(r'id="new-token" type="text" value="([^"]+)"', html).group(1)
    client = app.test_client()
    assert client.get(f"/api/v1/assessments/{number}", headers=bearer(token)).status_code == 200
    refused = client.patch(f"/api/v1/assessments/{number}", json={}, headers=bearer(token))
    problem_of(refused, 403, "insufficient-scope")
    listed = page(admin.get("/sales/admin/tokens"))
    assert "Hubspot" in listed and "Read only" in listed and "Active" in listed
    assert token not in listed
    past = admin.post(
        "/sales/admin/tokens", data={"name": "Old", "scope": "read", "expires": "2001-01-01"}
    )
    assert past.status_code == 400 and "must be in the future" in page(past)
    twice = admin.post("/sales/admin/tokens", data={"name": "Hubspot", "scope": "read write"})
    assert twice.status_code == 400 and "already a token named" in page(twice)
    with app.app_context():
        token_id = db.session.scalar(select(ApiToken.id).where(ApiToken.name == "Hubspot"))
    revoked = admin.post(f"/sales/admin/tokens/{token_id}/revoke")
    assert revoked.status_code == 302
    assert "Revoked" in page(admin.get("/sales/admin/tokens"))
    problem_of(client.get("/api/v1/assessments", headers=bearer(token)), 401, "unauthorized")
    seller = signed_in(app, "sam@provider.example", "sales", "Sam Seller")
    assert seller.get("/sales/admin/tokens").status_code == 403
    assert seller.post("/sales/admin/tokens", data={"name": "Sneaky"}).status_code == 403


@pytest.mark.parametrize(("opener", "depth"), [("[", 100_000), ('{"a":', 40_000)])
def test_json_nested_deeply_is_a_400_in_the_apis_error_format(app, token, submitted, opener, depth):
    """Before, the parser's RecursionError was a 500. (As deep as fits in the body limit.)"""
    number, _ = submitted
    closer = "]" if opener == "[" else "}"
    body = opener * depth + "1" + closer * depth
    response = app.test_client().post(
        f"/api/v1/assessments/{number}/provider-answers",
        data=body,
        headers={**bearer(token), "Content-Type": "application/json"},
    )
    problem_of(response, 400, "malformed-json")
