"""Follow-up in the sales workspace: written answers make result revisions the buyer sees;
owner, stage and internal notes stay with the sales team."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from questionnaire.store.db import db
from questionnaire.store.models import Assessment, ResultRevision, User
from tests.support import FAST, add_user, fetch, page, sign_in, text_of


@pytest.fixture
def app(make_app):
    return make_app(REPORT_WAIT_SECONDS=60, **FAST)


@pytest.fixture
def sales(app):
    add_user(app, "sam@provider.example", "sales", "Sam Seller")
    client = app.test_client()
    assert sign_in(client, "sam@provider.example").status_code == 302
    return client


def answer_form(bank, question_id, statement="We encrypt with keys you hold."):
    question = bank.question(question_id)
    if question.type == "yesno":
        value = "yes"
    elif question.type == "number":
        value = str(question.settings.max or 1)
    else:
        value = [question.options[-1].key]
    return {"value": value, "statement": statement, "reference": "MSA clause 4.2"}


def test_a_written_answer_makes_a_revision_the_buyer_sees_marked_apart(
    app, sales, buyer, bank, submitted
):
    number, asked = submitted
    url = f"/sales/assessments/{number}/provider-answers/{asked}"
    assert sales.get(url).status_code == 200
    response = sales.post(url + "?q=harbour&stage=new", data=answer_form(bank, asked))
    assert response.status_code == 302, page(response)
    assert response.location.endswith(f"/sales/assessments/{number}?q=harbour&stage=new")
    result = page(buyer.client.get(buyer.url("/result")))
    assert "Written answer from Sam Seller" in result
    assert "not in Office 365 Trust Center" in result
    assert "MSA clause 4.2" in result
    assert "has answered 1 of your" in result
    assert "Answered one of your questions in writing" in result  # who has accessed
    with app.app_context():
        revision = db.session.scalar(select(ResultRevision))
        assert revision.number == 1 and revision.seen_at is not None
        stored = db.session.get(Assessment, number)
        assert stored.result_revision == 1 and stored.result["method"]  # the original stays
    exported = json.loads(page(buyer.client.get(buyer.url("/answers.json"))))
    assert exported["result_revision"] == 1 and exported["original_result"]
    pdf = fetch(buyer.client, buyer.url("/report.pdf"))
    text = text_of(pdf.data)
    assert "Written answer from Sam Seller" in text


def test_a_written_answer_by_an_account_without_a_name_shows_its_role_not_its_address(
    app, buyer, bank, submitted
):
    """Accounts made before names were required have none: buyers read the role."""
    number, asked = submitted
    staff = add_user(app, "anon@provider.example")
    with app.app_context():
        db.session.get(User, staff).name = ""
        db.session.commit()
    client = app.test_client()
    assert sign_in(client, "anon@provider.example").status_code == 302
    url = f"/sales/assessments/{number}/provider-answers/{asked}"
    assert client.post(url, data=answer_form(bank, asked)).status_code == 302
    result = page(buyer.client.get(buyer.url("/result")))
    assert "Written answer from a member of the sales team" in result
    assert "anon@provider.example" not in result


def test_an_unseen_answer_is_edited_a_seen_one_only_superseded(app, sales, buyer, bank, submitted):
    number, asked = submitted
    url = f"/sales/assessments/{number}/provider-answers/{asked}"
    assert sales.post(url, data=answer_form(bank, asked, "First words.")).status_code == 302
    assert sales.post(url, data=answer_form(bank, asked, "Better words.")).status_code == 302
    with app.app_context():
        revisions = db.session.scalars(select(ResultRevision)).all()
        assert [(r.number, r.written[0]["statement"]) for r in revisions] == [(1, "Better words.")]
    assert "Better words." in page(buyer.client.get(buyer.url("/result")))  # now seen
    assert "has seen the written answer" in page(sales.get(url))
    assert sales.post(url, data=answer_form(bank, asked, "Third words.")).status_code == 302
    with app.app_context():
        revisions = db.session.scalars(select(ResultRevision).order_by(ResultRevision.number))
        assert [(r.number, r.written[0]["statement"]) for r in revisions] == [
            (1, "Better words."),
            (2, "Third words."),
        ]
    html = page(sales.get(f"/sales/assessments/{number}"))
    assert "Result revisions" in html and "Original result" in html


def test_a_written_answer_must_fit_the_question_and_be_one_of_the_follow_ups(
    app, sales, bank, submitted
):
    number, asked = submitted
    url = f"/sales/assessments/{number}/provider-answers/{asked}"
    missing = sales.post(url, data={**answer_form(bank, asked), "statement": "  "})
    assert missing.status_code == 400 and "Write the statement" in page(missing)
    empty = sales.post(url, data={**answer_form(bank, asked), "value": ""})
    assert empty.status_code == 400 and "There is a problem" in page(empty)
    met = next(q.id for q in bank.questions if q.scored and q.id != asked)
    with app.app_context():
        outcomes = db.session.get(Assessment, number).result["follow_ups"]
    if met not in {f["id"] for f in outcomes}:
        assert sales.get(f"/sales/assessments/{number}/provider-answers/{met}").status_code == 404
    with app.app_context():
        assert db.session.scalar(select(ResultRevision)) is None


def test_owner_stage_and_notes_filter_the_list_and_back_returns_to_it(app, sales, submitted):
    number, _ = submitted
    with app.app_context():
        from questionnaire.store.models import User

        sam = db.session.scalar(select(User)).id
    query = f"q=harbour&owner={sam}&stage=in_discussion&sort=oldest&evil=https://x.example"
    response = sales.post(
        f"/sales/assessments/{number}/follow-up?{query}",
        data={"owner": str(sam), "stage": "in_discussion"},
    )
    assert response.status_code == 302
    assert "evil" not in response.location and "owner=" in response.location
    assert (
        sales.post(
            f"/sales/assessments/{number}/notes", data={"note": "Budget signed off in Q1"}
        ).status_code
        == 302
    )
    html = page(sales.get(response.location))
    assert "Budget signed off in Q1" in html
    back = f'href="/sales/?q=harbour&amp;owner={sam}&amp;stage=in_discussion&amp;sort=oldest"'
    assert back in html
    listed = page(sales.get(f"/sales/?owner={sam}&stage=in_discussion"))
    assert "Harbour &amp; Finch Ltd" in listed
    assert "Harbour" not in page(sales.get("/sales/?owner=none"))
    assert "Harbour" not in page(sales.get("/sales/?stage=won"))
    bad = sales.post(f"/sales/assessments/{number}/follow-up", data={"stage": "bribed"})
    assert bad.status_code == 400


PLANTED = "PLANTED-NOTE-7f3a Do not tell the buyer: discount to 40%"


def test_internal_notes_owner_and_stage_never_reach_anything_the_buyer_sees(
    app, sales, buyer, bank, submitted
):
    """Every buyer route of the URL map, the PDF, the answers JSON and the access list."""
    number, asked = submitted
    add_user(app, "olive@provider.example", "sales", "Olive Owner-Secret")
    with app.app_context():
        from questionnaire.store.models import User

        olive = db.session.scalar(select(User).where(User.name == "Olive Owner-Secret")).id
    sales.post(f"/sales/assessments/{number}/notes", data={"note": PLANTED})
    sales.post(f"/sales/assessments/{number}/follow-up", data={"owner": olive, "stage": "lost"})
    sales.post(
        f"/sales/assessments/{number}/provider-answers/{asked}", data=answer_form(bank, asked)
    )
    assert PLANTED in page(sales.get(f"/sales/assessments/{number}"))  # control: it is there
    seen = []
    for rule in app.url_map.iter_rules():
        if "token" not in rule.arguments or "GET" not in rule.methods:
            continue
        with app.test_request_context():
            url = app.url_for(rule.endpoint, token=buyer.token, section_id=bank.sections[0].id)
        response = fetch(buyer.client, url)
        body = response.data
        text = text_of(body) if body.startswith(b"%PDF") else body.decode()
        for secret in (PLANTED, "Olive Owner-Secret", "Lost", '"stage"', '"owner'):
            assert secret not in text, (rule.endpoint, secret)
        seen.append(rule.endpoint)
    assert {"wizard.result", "report.download", "wizard.answers_json"} <= set(seen)


def test_the_access_log_filters_by_who_what_when_and_which(app, sales, submitted):
    number, asked = submitted
    add_user(app, "ada@provider.example", "admin", "Ada Admin")
    admin = app.test_client()
    assert sign_in(admin, "ada@provider.example").status_code == 302
    sales.get(f"/sales/assessments/{number}")
    admin.get(f"/sales/assessments/{number}")
    log = "/sales/admin/access-log"
    assert "Sam Seller" in page(admin.get(f"{log}?who=sam"))
    assert "Sam Seller" not in page(admin.get(f"{log}?who=ada"))
    assert "Sam Seller" not in page(admin.get(f"{log}?action=pdf"))
    assert "Sam Seller" not in page(admin.get(f"{log}?date_to=1 Jan 2020"))
    assert "Sam Seller" in page(admin.get(f"{log}?date_from=2020-01-01&assessment={number}"))
    bad = page(admin.get(f"{log}?date_from=31 Feb 2026"))
    assert "From date must be a real date, like 30 Nov 2026" in bad


def test_a_revision_made_while_the_buyer_opens_the_result_is_marked_seen_too(
    app, sales, buyer, bank, submitted, monkeypatch
):
    """Staff answer again in the instant between the buyer's view marking revision 1 seen
    and reading what to show: the page shows revision 2, so revision 2 is seen too and can
    no longer be edited under the buyer's eyes."""
    number, asked = submitted
    url = f"/sales/assessments/{number}/provider-answers/{asked}"
    assert sales.post(url, data=answer_form(bank, asked, "First words.")).status_code == 302
    refresh = db.session.refresh
    made = []

    def a_revision_made_meanwhile(instance, *args, **kwargs):
        if not made:  # another connection, as another process would be
            with db.engine.begin() as connection:
                first = connection.execute(select(ResultRevision.__table__)).one()
                connection.execute(
                    ResultRevision.__table__.insert().values(
                        assessment_id=number,
                        number=2,
                        result=first.result,
                        written=[{**first.written[0], "statement": "Meanwhile words."}],
                        author="Sam Seller",
                    )
                )
                connection.execute(
                    Assessment.__table__.update()
                    .where(Assessment.id == number)
                    .values(result_revision=2)
                )
            made.append(2)
        return refresh(instance, *args, **kwargs)

    monkeypatch.setattr(db.session, "refresh", a_revision_made_meanwhile)
    assert buyer.client.get(buyer.url("/result")).status_code == 200
    monkeypatch.undo()
    assert made == [2]
    with app.app_context():
        seen = db.session.execute(
            select(ResultRevision.number, ResultRevision.seen_at).order_by(ResultRevision.number)
        ).all()
        assert [(n, at is not None) for n, at in seen] == [(1, True), (2, True)]
    assert sales.post(url, data=answer_form(bank, asked, "Later words.")).status_code == 302
    with app.app_context():
        statements = db.session.scalars(
            select(ResultRevision.written).order_by(ResultRevision.number)
        ).all()
        assert [w[0]["statement"] for w in statements] == [
            "First words.",
            "Meanwhile words.",
            "Later words.",
        ]
