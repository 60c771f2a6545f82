"""Revising a submitted assessment, and the read-only link to a result."""

from __future__ import annotations

import re
import shutil
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from questionnaire.store.db import db
from questionnaire.store.models import AccessEvent, Assessment, ReadOnlyLink, hash_token
from tests.conftest import SHIPPED_BANK, stored_assessment
from tests.support import FAST, add_user, assessment_id, fetch, page, sign_in


def submitted(buyer, bank, example, **start) -> str:
    token = buyer.start(**start)
    buyer.answer_all(bank, example["answers"], example["must_have"])
    assert buyer.submit().status_code == 302
    return token


def revise(client, token) -> str:
    response = client.post(f"/a/{token}/revise")
    assert response.status_code == 302, page(response)
    found = re.fullmatch(r".*/a/([^/]+)/check", response.location)
    assert found, response.location
    return found.group(1)


def snapshot(app, token) -> dict:
    row = stored_assessment(app, token)
    return {
        name: getattr(row, name)
        for name in ("status", "answers", "must_have", "result", "submitted_at", "row_version")
    }


# --- revise -------------------------------------------------------------------------------


def test_revise_makes_a_new_draft_with_the_same_answers_and_leaves_the_original_alone(
    app, client, buyer, bank, example
):
    token = submitted(buyer, bank, example)
    before = snapshot(app, token)
    result_page = page(client.get(f"/a/{token}/result"))
    assert "Revise your answers" in result_page

    new = revise(client, token)
    assert new != token
    check = client.get(f"/a/{new}/check", follow_redirects=True)
    html = page(check)
    original_id, revision_id = assessment_id(app, token), assessment_id(app, new)
    assert f"Revision of <strong>TC-{original_id:06d}</strong>" in html
    assert "Submit and see your result" in html  # nothing new in the bank: ready to submit
    assert f'value="http://localhost/a/{new}" readonly' in html  # its own link, to keep
    revision = stored_assessment(app, new)
    assert revision.status == "draft" and revision.revision_of_id == original_id
    assert revision.answers == before["answers"]
    assert revision.must_have == before["must_have"]
    assert snapshot(app, token) == before  # the original stays exactly as submitted

    html = page(client.get(f"/a/{token}/result"))
    assert f"Revised later: <strong>TC-{revision_id:06d}</strong> (a draft started" in html

    # Changing and submitting the revision changes nothing in the original.
    section = bank.sections[0]
    data = buyer.section_data(bank, section.id, {**example["answers"], "encryption_at_rest": "no"})
    assert client.post(f"/a/{new}/step/{section.id}", data=data).status_code == 302
    assert client.post(f"/a/{new}/submit").status_code == 302
    assert stored_assessment(app, new).answers["encryption_at_rest"] == "no"
    assert snapshot(app, token) == before
    html = page(client.get(f"/a/{token}/result"))
    assert f"TC-{revision_id:06d}</strong> (submitted" in html


def test_revise_uses_the_current_bank_and_names_the_answers_left_behind(
    app, client, buyer, bank, example
):
    token = submitted(buyer, bank, example)
    answered = example["answers"]
    assert "deletion_after_exit" in answered and "breach_notification_hours" in answered
    # The editor removes one question and narrows another's range.
    text = SHIPPED_BANK.read_text()
    text = text.replace("id: deletion_after_exit", "id: deletion_days_after_exit")
    text = text.replace('version: "', 'version: "edited-', 1)
    text = text.replace("        min: 1\n        max: 720\n", "        min: 1\n        max: 2\n")
    shutil.copy(SHIPPED_BANK, app.config["QUESTIONS_PATH"])
    with open(app.config["QUESTIONS_PATH"], "w") as f:
        f.write(text)

    new = revise(client, token)
    revision = stored_assessment(app, new)
    assert revision.bank_version.startswith("edited-")
    assert "deletion_after_exit" not in revision.answers
    assert "breach_notification_hours" not in revision.answers
    html = page(client.get(f"/a/{new}/check"))
    assert "These earlier answers were not copied" in html
    for question_id in ("deletion_after_exit", "breach_notification_hours"):
        assert bank.question(question_id).prompt in html
    # The privacy section has a question the buyer has not seen: it needs them again.
    assert "Some sections still need answers" in html
    assert stored_assessment(app, token).bank_version == bank.version


def test_revisions_count_against_the_start_limit_and_a_refusal_changes_nothing(
    app, client, buyer, bank, example
):
    token = submitted(buyer, bank, example)  # one start from this address
    app.config["START_LIMIT_PER_HOUR"] = 2
    before = snapshot(app, token)
    revise(client, token)  # the second
    refused = client.post(f"/a/{token}/revise")
    assert refused.status_code == 302 and refused.location.endswith(f"/a/{token}/result")
    html = page(client.get(refused.location))
    assert "revisions included. Your submitted assessment is unchanged" in html
    assert snapshot(app, token) == before
    with app.app_context():
        assert db.session.scalar(select(func.count(Assessment.id))) == 2
    elsewhere = client.post(f"/a/{token}/revise", environ_base={"REMOTE_ADDR": "10.0.0.9"})
    assert re.fullmatch(r".*/a/([^/]+)/check", elsewhere.location)


def test_a_draft_cannot_be_revised_or_shared(client, buyer):
    token = buyer.start()
    for path in ("/revise", "/read-only-link", "/read-only-link/revoke"):
        assert client.post(f"/a/{token}{path}").status_code == 400


def test_the_sales_list_shows_revisions_linked_to_their_original(
    make_app, bank, example, buyer_factory
):
    app = make_app(**FAST)
    add_user(app, "sam@provider.example", "sales", "Sam")
    buyer = buyer_factory(app)
    token = submitted(buyer, bank, example, company="Revised Ltd")
    new = revise(buyer.client, token)
    assert buyer.client.post(f"/a/{new}/submit").status_code == 302
    original_id, revision_id = assessment_id(app, token), assessment_id(app, new)
    sales = app.test_client()
    sign_in(sales, "sam@provider.example")
    listing = page(sales.get("/sales/"))
    assert f'href="/sales/assessments/{original_id}">TC-{original_id:06d}</a>' in listing
    assert f'href="/sales/assessments/{revision_id}">TC-{revision_id:06d}</a>' in listing
    one = page(sales.get(f"/sales/assessments/{revision_id}"))
    assert "Revision of" in one and f"TC-{original_id:06d}" in one
    other = page(sales.get(f"/sales/assessments/{original_id}"))
    assert "Revised later" in other and f"TC-{revision_id:06d}</a> (submitted)" in other


@pytest.fixture
def buyer_factory():
    from tests.conftest import Buyer

    return lambda app: Buyer(app.test_client())


# --- the read-only link -------------------------------------------------------------------


def read_only_link(client, token) -> str:
    response = client.post(f"/a/{token}/read-only-link", follow_redirects=True)
    assert response.status_code == 200
    found = re.search(
        r'id="read-only-link" type="text" value="http://localhost/v/([^"]+)"', page(response)
    )
    assert found, "the result page shows the new link"
    return found.group(1)


def access_events(app, token) -> list[tuple[str, str]]:
    with app.app_context():
        rows = db.session.execute(
            select(AccessEvent.actor, AccessEvent.action)
            .where(AccessEvent.assessment_id == assessment_id(app, token))
            .order_by(AccessEvent.id)
        )
        return [tuple(r) for r in rows]


def test_the_read_only_link_shows_the_result_and_the_pdf_and_is_listed_for_the_buyer(
    app, client, buyer, bank, example
):
    token = submitted(buyer, bank, example, company="Shared Ltd")
    shared = read_only_link(client, token)
    assert len(shared) >= 32 and shared != token  # 192 bits, base64
    with app.app_context():
        stored = db.session.scalar(select(ReadOnlyLink))
        assert stored.token_hash == hash_token(shared)
        assert shared not in {stored.token_hash, stored.nonce}

    colleague = app.test_client()  # another person: no cookies of the buyer's
    html = page(colleague.get(f"/v/{shared}"))
    assert "Result: Shared Ltd" in html and "read-only link" in html
    assert f'href="/v/{shared}/report.pdf"' in html
    for absent in (token, "/a/", "<form", "Delete", "Revise", "answers.json", "Who has accessed"):
        assert absent not in html, absent
    response = fetch(colleague, f"/v/{shared}/report.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert "trustcheck-report-shared-ltd-" in response.headers["Content-Disposition"]
    assert access_events(app, token) == [
        ("Someone with your read-only link", "view"),
        ("Someone with your read-only link", "pdf"),
    ]
    mine = page(client.get(f"/a/{token}/result"))
    assert "Someone with your read-only link" in mine
    assert "Downloaded the PDF report" in mine
    # The buyer's page shows the same link again later.
    assert f"/v/{shared}" in mine


def test_reloading_a_read_only_link_is_listed_once_per_ten_minutes(
    app, client, buyer, bank, example
):
    token = submitted(buyer, bank, example)
    shared = read_only_link(client, token)
    colleague = app.test_client()
    for _ in range(5):
        assert colleague.get(f"/v/{shared}").status_code == 200
    for _ in range(2):
        assert fetch(colleague, f"/v/{shared}/report.pdf").status_code == 200
    reader = ("Someone with your read-only link",)
    assert access_events(app, token) == [(*reader, "view"), (*reader, "pdf")]
    with app.app_context():  # eleven minutes later
        for event in db.session.scalars(select(AccessEvent)):
            event.created_at -= timedelta(minutes=11)
        db.session.commit()
    assert colleague.get(f"/v/{shared}").status_code == 200
    assert access_events(app, token) == [(*reader, "view"), (*reader, "pdf"), (*reader, "view")]


def test_a_revoked_link_is_a_404_and_a_new_one_is_different(app, client, buyer, bank, example):
    token = submitted(buyer, bank, example)
    first = read_only_link(client, token)
    second = read_only_link(client, token)  # "Make a new link instead"
    assert first != second
    colleague = app.test_client()
    assert colleague.get(f"/v/{first}").status_code == 404
    assert colleague.get(f"/v/{second}").status_code == 200
    response = client.post(f"/a/{token}/read-only-link/revoke", follow_redirects=True)
    assert "no longer opens anything" in page(response)
    assert "Create a read-only link" in page(response)
    for path in ("", "/report.pdf"):
        assert fetch(colleague, f"/v/{second}{path}").status_code == 404
    third = read_only_link(client, token)
    assert third not in (first, second)
    assert colleague.get(f"/v/{third}").status_code == 200


def test_deleting_a_revised_assessment_offers_its_revisions_and_says_what_goes(
    app, client, buyer, bank, example
):
    """Before, deleting left the revision (a full copy with the contact details) in the
    sales list and the API, while the page promised "every answer and your contact
    details"."""
    token = submitted(buyer, bank, example, company="Revised Ltd")
    first = revise(client, token)
    client.post(f"/a/{first}/submit")
    second = revise(client, first)  # a revision of the revision
    other = revise(client, token)
    original, ids = (
        assessment_id(app, token),
        {t: assessment_id(app, t) for t in (first, second, other)},
    )

    html = page(client.get(f"/a/{token}/delete"))
    assert f"submitted assessment TC-{original:06d} for good" in html
    assert "your contact details: your company, name and e-mail address" in html
    assert "the PDF report, and the read-only link if you made one" in html
    offered = re.findall(r'name="revision" value="(\d+)"', html)
    assert offered == [str(n) for n in sorted(ids.values())]
    assert f"Also delete TC-{ids[first]:06d} (submitted " in html
    assert f"Also delete TC-{ids[second]:06d} (a draft started " in html

    # Left unticked, a revision is kept, and says it is a revision of nothing now.
    response = client.post(
        f"/a/{token}/delete", data={"revision": [str(ids[first]), str(ids[second])]}
    )
    assert response.status_code == 302
    assert "and 2 of its revisions have been deleted" in page(client.get(response.location))
    for gone in (token, first, second):
        assert client.get(f"/a/{gone}/overview").status_code == 404
    assert stored_assessment(app, other).revision_of_id is None
    with app.app_context():
        assert db.session.scalar(select(func.count(Assessment.id))) == 1


def test_a_revision_is_deleted_alone_and_names_its_original_as_kept(
    app, client, buyer, bank, example
):
    token = submitted(buyer, bank, example)
    revision = revise(client, token)
    html = page(client.get(f"/a/{revision}/delete"))
    original = f"TC-{assessment_id(app, token):06d}"
    assert f"is a revision of {original}, which is not deleted" in html
    assert 'name="revision"' not in html
    assert (
        client.post(
            f"/a/{revision}/delete", data={"revision": str(assessment_id(app, token))}
        ).status_code
        == 302
    )
    assert client.get(f"/a/{token}/result").status_code == 200  # the original is never offered


def test_deleting_the_assessment_ends_its_read_only_link(app, client, buyer, bank, example):
    token = submitted(buyer, bank, example)
    shared = read_only_link(client, token)
    assert client.post(f"/a/{token}/delete").status_code == 302
    assert app.test_client().get(f"/v/{shared}").status_code == 404
    with app.app_context():
        assert db.session.scalar(select(func.count(ReadOnlyLink.id))) == 0


def test_the_read_only_token_opens_no_route_that_changes_anything(
    app, client, buyer, bank, example
):
    """Every POST route, and every route under /a/, with the read-only token where the
    buyer's goes: 404 (or 405 where a /v/ page refuses the method). Nothing changes."""
    token = submitted(buyer, bank, example)
    shared = read_only_link(client, token)
    with app.app_context():
        before = db.session.execute(select(Assessment)).scalars().all()
        before = [(a.id, a.status, a.answers, a.row_version) for a in before]
    colleague = app.test_client()
    tried = 0
    for rule in app.url_map.iter_rules():
        takes_token = "token" in rule.arguments
        if not (takes_token or "POST" in rule.methods):
            continue
        values = {
            "token": shared,
            "section_id": bank.sections[0].id,
            "user_id": 1,
            "assessment_id": 1,
            "token_id": 1,
            "question_id": bank.questions[0].id,
            "answer_id": 1,
            "job_id": 1,
            "signed": shared,  # where a signed "make a new link" value goes
        }
        with app.test_request_context():
            url = app.url_for(rule.endpoint, **{k: values[k] for k in rule.arguments})
        methods = rule.methods - {"HEAD", "OPTIONS"} if takes_token else {"POST"}
        for method in sorted(methods):
            response = fetch(colleague, url, method=method)
            tried += 1
            if rule.rule.startswith("/v/"):
                assert method == "GET", rule.rule  # nothing under /v/ takes a POST
                continue
            if not takes_token:  # staff and API routes: the read-only token is no sign-in
                assert response.status_code in (302, 400, 401, 404), (rule.rule, method)
                continue
            assert response.status_code == 404, (rule.rule, method, response.status_code)
        for path in ("", "/report.pdf"):
            if rule.rule.startswith("/v/"):
                assert fetch(colleague, f"/v/{shared}{path}", method="POST").status_code == 405
    assert tried > 20
    with app.app_context():
        after = db.session.execute(select(Assessment)).scalars().all()
        assert [(a.id, a.status, a.answers, a.row_version) for a in after] == before


def test_a_token_of_the_wrong_kind_opens_nothing(app, client, buyer, bank, example):
    token = submitted(buyer, bank, example)
    read_only_link(client, token)
    assert client.get(f"/v/{token}").status_code == 404  # the buyer's token is not a /v/ link
    assert client.get("/v/" + "x" * 65).status_code == 404


def test_downloads_are_named_with_the_submission_date(app, client, buyer, bank, example):
    token = submitted(buyer, bank, example, company="Acme Ltd")
    day = stored_assessment(app, token).submitted_at.date().isoformat()
    response = client.get(f"/a/{token}/answers.json")
    assert f'filename="trustcheck-acme-ltd-{day}.json"' in response.headers["Content-Disposition"]
    draft = buyer.start(company="Acme Ltd")
    response = client.get(f"/a/{draft}/answers.json")
    assert "trustcheck-acme-ltd-draft-" in response.headers["Content-Disposition"]


def test_the_result_lists_the_latest_ten_accesses_and_links_to_every_one(
    app, client, buyer, bank, example
):
    from questionnaire.store import access
    from questionnaire.store.db import db

    buyer.start()
    buyer.answer_all(bank, example["answers"], example["must_have"])
    buyer.submit()
    number = assessment_id(app, buyer.token)
    with app.app_context():
        for n in range(105):
            access.add_event(number, None, f"Reader {n:03d}", "view")
        db.session.commit()
    result = page(client.get(buyer.url("/result")))
    log = result[result.index('id="access-title"') :].split("</section>", 1)[0]
    assert log.count("<tr>") == 11  # a header row and the latest ten
    assert "Reader 104" in log and "Reader 094" not in log
    assert f'href="/a/{buyer.token}/access">See every access</a>' in log
    first = page(client.get(buyer.url("/access")))
    assert first.count("Reader ") == 100 and "Reader 104" in first and "Reader 004" not in first
    assert "105 in all, page 1 of 2" in first and "?page=2" in first
    second = page(client.get(buyer.url("/access?page=2")))
    assert "Reader 004" in second and "Reader 000" in second and "Reader 005" not in second
    assert client.get(buyer.url("/access?page=3")).status_code == 404
    assert client.get(buyer.url("/access?page=99999999999")).status_code == 200  # read as 1
    assert client.get("/a/not-a-token/access").status_code == 404
