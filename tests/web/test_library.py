"""The answer library in the sales workspace: answers kept with every change, offered on
the written-answer page in the buyer's terms, applied to every open assessment after a
preview, "needs review" on a bank that asks the question differently, the list's filters
and the API."""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import select

from questionnaire import services
from questionnaire.core.scoring import score
from questionnaire.core.written import answerable
from questionnaire.store import library, open_questions
from questionnaire.store import operations as ops
from questionnaire.store.db import db
from questionnaire.store.models import (
    AccessEvent,
    Assessment,
    LibraryAnswer,
    LibraryJob,
    ResultRevision,
)
from tests.conftest import Buyer
from tests.support import FAST, assessment_id, page, store_fit2_assessment

DAYS = "deletion_after_exit"  # a number of days, 1 to 365, lower is better
HOURS = "breach_notification_hours"  # a must-have of the example buyer, nothing documented


@pytest.fixture
def app(make_app):
    return make_app(**FAST)


def new_answer(
    sales,
    question=DAYS,
    value="14",
    statement="We delete every copy within 14 days.",
    reference="DPA clause 9.1",
    grade="contract",
):
    response = sales.post(
        "/sales/library/new",
        data={
            "question": question,
            "value": value,
            "statement": statement,
            "reference": reference,
            "grade": grade,
        },
    )
    assert response.status_code == 302, page(response)
    return int(response.location.rsplit("/", 1)[1])


def submitted_buyer(app, bank, example, company, **changes) -> int:
    buyer = Buyer(app.test_client())
    buyer.start(company=company, email=f"{company.split()[0].lower()}@buyer.example")
    answers = {**example["answers"], **changes}
    buyer.answer_all(bank, answers, example["must_have"])
    assert buyer.submit().status_code == 302
    return assessment_id(app, buyer.token)


def run_jobs(app) -> None:
    with app.app_context(), services.unit_of_work() as uow:
        while (job_id := library.claim()) is not None:
            uow.commit()  # claimed, as web.jobs.JobRunner does
            library.run(uow, services.banks(), job_id)


def test_answers_are_created_changed_and_retired_with_every_change_kept(app, sales):
    assert "No answers yet" in page(sales.get("/sales/library/"))
    chooser = page(sales.get("/sales/library/new"))
    assert "Which question does it answer?" in chooser and DAYS in chooser
    form = page(sales.get(f"/sales/library/new?question={DAYS}"))
    assert "a number of days" in form and "1 day to 365 days" in form and "99.9" not in form
    refused = sales.post(
        "/sales/library/new",
        data={
            "question": DAYS,
            "value": "14",
            "statement": "x",
            "reference": "",
            "grade": "contract",
        },
    )
    assert refused.status_code == 400 and "needs its reference" in page(refused)
    number = new_answer(sales)
    shown = page(sales.get(f"/sales/library/{number}"))
    assert "14 days" in shown and "Contract" in shown and "In use" in shown
    with app.app_context():
        version = db.session.get(LibraryAnswer, number).bank_version
    assert f"Fits bank versions</dt><dd>{version}" in shown
    changed = sales.post(
        f"/sales/library/{number}/edit",
        data={
            "number": "1",
            "value": "10",
            "statement": "Within 10 days.",
            "reference": "DPA 9.1",
            "grade": "written",
        },
    )
    assert changed.status_code == 302
    stale = sales.post(
        f"/sales/library/{number}/edit",
        data={
            "number": "1",
            "value": "7",
            "statement": "Seven.",
            "reference": "",
            "grade": "written",
        },
    )
    assert stale.status_code == 400 and "Someone changed this answer" in page(stale)
    assert sales.post(f"/sales/library/{number}/retire", data={"number": "2"}).status_code == 302
    assert "No answers yet in use" in page(sales.get("/sales/library/"))
    assert "Retired" in page(sales.get("/sales/library/?show=all"))
    history = page(sales.get(f"/sales/library/{number}"))
    for words in ("Created", "Changed", "Retired", "Sam Seller (sales team)", "10 days", "14 days"):
        assert words in history, words
    assert (
        sales.post(
            f"/sales/library/{number}/retire", data={"number": "3", "restore": "1"}
        ).status_code
        == 302
    )
    with app.app_context():
        answer = db.session.get(LibraryAnswer, number)
        assert answer.retired_at is None and answer.number == 4 and answer.value == 10


def test_the_written_answer_page_offers_the_library_in_the_buyers_terms(app, sales, bank, example):
    number = submitted_buyer(app, bank, example, "Harbour Ltd")
    url = f"/sales/assessments/{number}/provider-answers/{DAYS}"
    plain = page(sales.get(url))
    # The buyer's requirement, and a hint in the question's own unit and range.
    assert "At most 30 days" in plain and "From the answer library" not in plain
    assert "1 day to 365 days" in plain and "like 99.9" not in plain
    assert "Must-have" not in plain.split("<h2")[0]  # deletion is not one of theirs
    must = page(sales.get(f"/sales/assessments/{number}/provider-answers/{HOURS}"))
    assert "Must-have" in must and "hours" in must
    meets = new_answer(sales, value="14")
    short = new_answer(
        sales, value="60", statement="Within 60 days.", reference="", grade="written"
    )
    offered = page(sales.get(url))
    assert "From the answer library" in offered
    assert "Meets what the buyer asked for: at most 30 days" in offered
    assert "Falls short of what the buyer asked for: at most 30 days" in offered
    used = page(sales.get(f"{url}?use={meets}"))
    assert 'value="14"' in used and "We delete every copy within 14 days." in used
    assert f'name="library_id" value="{meets}"' in used
    saved = sales.post(
        url,
        data={
            "value": "14",
            "statement": "We delete every copy within 14 days.",
            "reference": "DPA clause 9.1",
            "grade": "contract",
            "library_id": str(meets),
        },
    )
    assert saved.status_code == 302
    with app.app_context():
        revision = db.session.scalar(select(ResultRevision))
        (written,) = revision.written
        assert written["library_answer_id"] == meets and written["grade"] == "contract"
        assert written["author"] == "Sam Seller"
        item = next(q for q in revision.result["questions"] if q["id"] == DAYS)
        assert item["status"] == "met" and item["evidence"] == "contract"
    # Changed before saving: the writer's own answer; the library answer stays as it was.
    other = submitted_buyer(app, bank, example, "Quay Ltd")
    sales.post(
        f"/sales/assessments/{other}/provider-answers/{DAYS}",
        data={
            "value": "14",
            "statement": "Within 14 days, backups too.",
            "reference": "DPA clause 9.1",
            "grade": "contract",
            "library_id": str(meets),
        },
    )
    with app.app_context():
        revision = db.session.scalar(
            select(ResultRevision).where(ResultRevision.assessment_id == other)
        )
        assert "library_answer_id" not in revision.written[0]
        assert (
            db.session.get(LibraryAnswer, meets).statement == "We delete every copy within 14 days."
        )
        assert db.session.get(LibraryAnswer, short).number == 1


def test_open_questions_are_grouped_by_what_unblocks_the_deal(app, sales, bank, example):
    number = submitted_buyer(app, bank, example, "Harbour Ltd")
    new_answer(sales, question=HOURS, value="24", statement="Within 24 hours.", reference="DPA 7")
    html = page(sales.get(f"/sales/assessments/{number}"))
    unresolved = html.index("Must-haves not yet settled")
    rest = html.index("The other questions, by weight")
    assert unresolved < html.index(bank.question(HOURS).prompt) < rest
    assert "Buyer needs: At most 24 hours" in html  # the example asks for 24 hours
    assert re.search(r"written answers?</strong> would rate it", html)
    assert "Lifts provisional: 1 of" in html
    assert html.count("Library answer</strong>") == 1


def test_apply_previews_then_writes_only_what_was_confirmed(app, sales, bank, example):
    ids = [submitted_buyer(app, bank, example, f"Buyer{n} Ltd") for n in range(2)]
    strict = submitted_buyer(app, bank, example, "Strict Ltd", **{DAYS: 7})
    # Submitted under fit/2 on this bank (as if before fit/3): it gets a fit/3 revision.
    old = submitted_buyer(app, bank, example, "Oldco Ltd")
    with app.app_context():
        found = db.session.get(Assessment, old)
        found.result = {**found.result, "method": "fit/2"}
        db.session.commit()
    # Submitted under fit/2 on the bank before this one, which asks the question with
    # another range (0 to 365 days): the answer is not offered there.
    other = assessment_id(app, store_fit2_assessment(app, "Older Ltd"))
    with app.app_context():
        found = db.session.get(Assessment, other)
        open_questions.opened(other, ops.bank_of(services.banks(), found), answerable(found.result))
        db.session.commit()
    number = new_answer(sales, value="14")
    assert "4 submitted assessments have this question open" in page(
        sales.get(f"/sales/library/{number}")
    )
    started = sales.post(f"/sales/library/{number}/apply")
    assert started.status_code == 302
    job_url = started.location
    assert "Working out what each result would become" in page(sales.get(job_url))
    run_jobs(app)
    preview = page(sales.get(job_url))
    assert "It meets what these buyers asked for (3)" in preview
    assert "It falls short of what these buyers asked for (1)" in preview
    assert "Strict Ltd" in preview and "At most 7 days" in preview
    assert "Submitted under fit/2" in preview and "count as public statements" in preview
    assert "Not yet rated" in preview  # the range each would have
    with app.app_context():
        assert db.session.scalar(select(ResultRevision.id)) is None  # nothing written yet
    assert sales.post(job_url + "/confirm", data={}).status_code == 302
    run_jobs(app)
    done = page(sales.get(job_url))
    assert "Written to 3 assessments" in done
    with app.app_context():
        revised = {r.assessment_id: r for r in db.session.scalars(select(ResultRevision))}
        assert set(revised) == {*ids, old}  # never the buyer it falls short of, nor Older
        assert revised[old].result["method"] == "fit/3"
        for revision in revised.values():
            assert revision.written[-1]["library_answer_id"] == number
            assert revision.author == "Sam Seller (sales team)"
        assert db.session.get(Assessment, strict).result_revision == 0
        answered = db.session.scalars(
            select(AccessEvent.assessment_id).where(AccessEvent.action == "answered")
        ).all()
        assert sorted(answered) == sorted([*ids, old])
        job = db.session.scalar(select(LibraryJob))
        assert job.state == "applied" and job.done == 3
    assert "written to 3 assessments" in page(sales.get(f"/sales/library/{number}"))
    assert sales.post(job_url + "/confirm", data={"include_short": "1"}).status_code == 409


def test_a_bank_that_asks_differently_marks_the_answer_for_review(
    app, sales, bank, bank_path, example
):
    before = submitted_buyer(app, bank, example, "Early Ltd")
    number = new_answer(sales, value="14")
    text = bank_path.read_text()
    version = re.search(r'^version: "([^"]+)"', text, re.M).group(1)
    changed = text.replace(f'version: "{version}"', 'version: "2099.1.1"', 1)
    start = changed.index(f"id: {DAYS}")
    changed = changed[:start] + changed[start:].replace("max: 365", "max: 180", 1)
    bank_path.write_text(changed)
    shown = page(sales.get(f"/sales/library/{number}"))
    assert "Needs review" in shown and "2099.1.1" in shown
    assert sales.post(f"/sales/library/{number}/apply").status_code == 409
    # Still offered on the assessment started before: its bank asks as the answer knew.
    assert "From the answer library" in page(
        sales.get(f"/sales/assessments/{before}/provider-answers/{DAYS}")
    )
    reviewed = sales.post(
        f"/sales/library/{number}/edit",
        data={
            "number": "1",
            "value": "14",
            "statement": "Within 14 days.",
            "reference": "DPA 9",
            "grade": "contract",
        },
    )
    assert reviewed.status_code == 302
    shown = page(sales.get(f"/sales/library/{number}"))
    assert "In use" in shown and "2099.1.1" in shown
    assert "From the answer library" not in page(
        sales.get(f"/sales/assessments/{before}/provider-answers/{DAYS}")
    )


def test_the_list_shows_state_range_owner_and_filters_by_them(app, sales, bank, example):
    provisional = submitted_buyer(app, bank, example, "Provisional Ltd")
    listed = page(sales.get("/sales/"))
    expected = score(bank, example["answers"], example["must_have"])
    low, high = expected.score_range
    assert "Not yet rated" in listed and f"{low:.1f} to {high:.1f}</td>" in listed
    assert "No owner yet" in listed
    assert "Provisional Ltd" in page(sales.get("/sales/?state=provisional"))
    assert "Provisional Ltd" not in page(sales.get("/sales/?state=rated"))
    assert "Provisional Ltd" not in page(sales.get("/sales/?library=yes"))
    new_answer(sales, value="14")
    listed = page(sales.get("/sales/?library=yes"))
    assert "Provisional Ltd" in listed and "1 in the library" in listed
    sales.post(
        f"/sales/assessments/{provisional}/provider-answers/{DAYS}",
        data={"value": "14", "statement": "Within 14 days.", "reference": "", "grade": "written"},
    )
    assert "Provisional Ltd" not in page(sales.get("/sales/?library=yes"))


def test_the_api_lists_the_library_filters_and_gives_an_answer_by_id(
    app, runner, bank, example, sales
):
    number = submitted_buyer(app, bank, example, "Api Ltd")
    answer = new_answer(sales, value="14")
    out = runner.invoke(args=["api-tokens", "create", "Hub"]).output
    token = re.search(r"Token \(shown once, store it now\): (\S+)", out).group(1)
    client = app.test_client()
    auth = {"Authorization": f"Bearer {token}"}
    listed = client.get("/api/v1/library", headers=auth).get_json()
    assert listed["items"][0]["fits"] == [bank.version]
    assert [
        (a["id"], a["question"], a["value"], a["grade"], a["needs_review"]) for a in listed["items"]
    ] == [(answer, DAYS, 14, "contract", False)]
    found = client.get("/api/v1/assessments?state=provisional&library=yes", headers=auth).get_json()
    assert [i["id"] for i in found["items"]] == [number]
    assert client.get("/api/v1/assessments?state=maybe", headers=auth).status_code == 400
    both = client.post(
        f"/api/v1/assessments/{number}/provider-answers",
        json={"question": DAYS, "library_answer_id": answer, "value": 3, "statement": "x"},
        headers=auth,
    )
    assert both.status_code == 422  # a body that does not fit the schema (problem+json)
    wrong = client.post(
        f"/api/v1/assessments/{number}/provider-answers",
        json={"question": HOURS, "library_answer_id": answer},
        headers=auth,
    )
    assert wrong.status_code == 422 and "another question" in wrong.get_json()["detail"]
    given = client.post(
        f"/api/v1/assessments/{number}/provider-answers",
        json={"question": DAYS, "library_answer_id": answer},
        headers=auth,
    )
    assert given.status_code == 201, given.get_json()
    detail = client.get(f"/api/v1/assessments/{number}", headers=auth).get_json()
    (written,) = detail["written_answers"]
    assert written["statement"] == "We delete every copy within 14 days."
    assert written["author"] == "CRM integration Hub"
    with app.app_context():
        stored = db.session.scalar(select(ResultRevision)).written[0]
        assert stored["library_answer_id"] == answer and stored["grade"] == "contract"
    document = client.get("/api/v1/openapi.json").get_json()
    assert "/api/v1/library" in document["paths"]


def test_staff_views_are_one_row_per_person_and_action_in_ten_minutes(app, sales, bank, example):
    buyer = Buyer(app.test_client())
    buyer.start(company="Logged Ltd")
    buyer.answer_all(bank, example["answers"], example["must_have"])
    buyer.submit()
    number = assessment_id(app, buyer.token)
    base = f"/sales/assessments/{number}"
    assert sales.get(base).status_code == 200
    assert sales.get(base).status_code == 200  # a reload
    followed = sales.post(
        f"{base}/follow-up", data={"owner": "", "stage": "in_discussion"}, follow_redirects=True
    )
    assert followed.status_code == 200
    sales.post(f"{base}/notes", data={"note": "Call them on Friday."}, follow_redirects=True)
    sales.post(
        f"{base}/provider-answers/{DAYS}",
        data={"value": "14", "statement": "Within 14 days.", "reference": "", "grade": "written"},
        follow_redirects=True,
    )
    with app.app_context():
        actions = db.session.scalars(
            select(AccessEvent.action).where(AccessEvent.assessment_id == number)
        ).all()
    assert sorted(actions) == ["answered", "view"]
    result = page(buyer.client.get(buyer.url("/result")))
    log = result[result.index("Who has accessed your answers") :]
    assert log.count("Viewed your answers and result") == 1
    assert log.count("Answered one of your questions in writing") == 1
    assert "Call them on Friday" not in result and "In discussion" not in result


def test_the_library_exports_as_commitments_an_editor_can_paste(app, sales, runner):
    new_answer(sales, value="14")
    new_answer(
        sales, question=HOURS, value="24", statement="Within a day.", reference="", grade="written"
    )
    out = runner.invoke(args=["library", "export"]).output
    assert "source's own" in out and "no reference" in out
    import yaml

    (entry,) = yaml.safe_load(out)
    assert entry["question"] == DAYS
    assert entry["commitment"]["value"] == 14
    assert entry["commitment"]["source"] == "DPA clause 9.1"
    assert entry["commitment"]["evidence"] == "contract"
    assert json.dumps(entry["commitment"]["as_of"], default=str)


def test_the_buyer_is_told_at_once_and_later_answers_go_together(make_app, smtp, bank, example):
    from datetime import timedelta

    from questionnaire.store.models import AnswerNotice, utcnow
    from questionnaire.store.notices import GATHER
    from tests.conftest import signed_in

    app = make_app(**FAST, **smtp.config())
    sales = signed_in(app, "sam@provider.example", "sales", "Sam Seller")
    number = submitted_buyer(app, bank, example, "Mail Ltd")
    smtp.wait_for(1)  # the buyer's confirmation
    base = f"/sales/assessments/{number}/provider-answers"
    form = {"statement": "In writing.", "reference": "", "grade": "written"}
    assert sales.post(f"{base}/{DAYS}", data={**form, "value": "14"}).status_code == 302
    letter = smtp.wait_for(2)[1]
    assert letter.recipients == ["mail@buyer.example"]
    assert letter.message["Subject"] == "The provider answered 1 of your questions: Mail Ltd"
    text = letter.part("plain")
    assert f"TC-{number:06d}" in text and "Mail Ltd" in text
    assert "Not yet rated" in text and "between" in text
    # No link to the assessment: the start page, where a lost link is replaced, instead.
    assert re.findall(r"https?://\S+", text) == ["https://trustcheck.example/"]
    assert "/a/" not in letter.part("html").replace("</a>", "")
    assert "the link you saved" in text and "also in the e-mail we sent when you submitted" in text
    assert "Lost it? Ask for a new one on the start page" in text
    # Two more answers within ten minutes: one later letter, not two.
    assert sales.post(f"{base}/{HOURS}", data={**form, "value": "24"}).status_code == 302
    assert sales.post(f"{base}/min_uptime", data={**form, "value": "99.99"}).status_code == 302
    with app.app_context():
        notice = db.session.get(AnswerNotice, number)
        assert sorted(notice.pending) == sorted([HOURS, "min_uptime"])
        assert notice.due_at == notice.last_sent_at + GATHER
        # Ten minutes pass.
        notice.due_at = notice.last_sent_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
    services.answer_notices(app).kick()
    later = smtp.wait_for(3)[2]
    assert later.message["Subject"] == "The provider answered 2 of your questions: Mail Ltd"
    assert services.mail(app).wait_until_idle(15)
    with app.app_context():
        assert db.session.get(AnswerNotice, number).pending == []
    assert len(smtp.received) == 3


def test_a_row_changed_during_a_batch_is_written_again_on_its_own(
    app, sales, bank, example, monkeypatch
):
    from sqlalchemy import text

    from questionnaire.store import followup

    ids = [submitted_buyer(app, bank, example, f"Race{n} Ltd") for n in range(3)]
    number = new_answer(sales, value="14")
    job_url = sales.post(f"/sales/library/{number}/apply").location
    run_jobs(app)
    assert sales.post(job_url + "/confirm", data={}).status_code == 302
    original = followup.count_answer
    raced = []

    def racing(uow, a, *args, **kwargs):
        if not raced:  # someone saves this assessment while the batch is being written
            raced.append(a.id)
            db.session.execute(
                text("UPDATE assessments SET row_version = row_version + 1 WHERE id = :id"),
                {"id": a.id},
            )
        return original(uow, a, *args, **kwargs)

    monkeypatch.setattr(followup, "count_answer", racing)
    alone = []
    one_by_one = library._one_by_one
    monkeypatch.setattr(
        library,
        "_one_by_one",
        lambda uow, items, *rest: alone.extend(items) or one_by_one(uow, items, *rest),
    )
    run_jobs(app)
    assert raced and len(alone) == 3  # the batch rolled back whole, then each on its own
    with app.app_context():
        revisions = db.session.scalars(select(ResultRevision)).all()
        assert sorted(r.assessment_id for r in revisions) == sorted(ids)  # each once
        assert all(r.number == 1 for r in revisions)
        for assessment_id in ids:
            assert DAYS not in open_questions.of(assessment_id)
            stored = db.session.get(Assessment, assessment_id)
            assert stored.result_revision == 1
            assert stored.open_follow_ups == len(answerable(stored.result)) - 1
        job = db.session.scalar(select(LibraryJob))
        assert job.state == "applied" and job.done == 3


def test_a_change_number_out_of_range_is_refused_not_a_server_error(app, sales):
    number = new_answer(sales)
    for junk in ("9" * 25, "-1", "x", ""):
        edited = sales.post(
            f"/sales/library/{number}/edit",
            data={
                "number": junk,
                "value": "7",
                "statement": "s",
                "reference": "",
                "grade": "written",
            },
        )
        assert edited.status_code == 400, junk
        assert (
            sales.post(f"/sales/library/{number}/retire", data={"number": junk}).status_code == 409
        )
    with app.app_context():
        assert db.session.get(LibraryAnswer, number).number == 1
