"""What a hostile tester broke (issue 14), each proved fixed through the app, on SQLite and
PostgreSQL. Live-server versions (two workers, real races) are in tests/faults/."""

from __future__ import annotations

import gc
import re
import threading
import time
import tracemalloc
from datetime import timedelta

import pytest
from sqlalchemy import delete, func, select

from questionnaire import services
from questionnaire.store import accounts, throttle
from questionnaire.store import operations as ops
from questionnaire.store.db import db
from questionnaire.store.models import (
    AccessEvent,
    Assessment,
    LoginAttempt,
    MailRecipient,
    StartAttempt,
    utcnow,
)
from tests.conftest import Buyer
from tests.conftest import stored_assessment as stored
from tests.support import (
    FAST,
    PASSWORD,
    add_user,
    assessment_id,
    fetch,
    page,
    sign_in,
    wait_until,
)

SEEN = re.compile(r'name="seen" type="hidden" value="([0-9a-f]+)"')


# --- item 1: nothing a stranger types is kept in memory ----------------------------------------


def test_many_different_invalid_values_leave_no_memory_behind(app, buyer, bank):
    buyer.start()
    assert buyer.step("transparency", {"min_uptime": "warm"}, "save").status_code == 400
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        # Each 200 KB and different, in a number, a choice and a multiple-choice question:
        # a cache keyed on them kept 16 MB.
        for n in range(40):
            field = ("min_uptime", "support_phone", "sensitive_data")[n % 3]
            section = bank.question(field).section_id
            response = buyer.step(section, {field: f"{n}x" + "y" * 200_000}, "save")
            assert response.status_code == 400
        gc.collect()
        grown = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert grown < 2_000_000


# --- item 7: one invalid answer keeps the valid ones ------------------------------------------


def test_save_for_later_with_one_invalid_number_keeps_every_valid_answer(app, buyer):
    buyer.start()
    assert buyer.step("transparency", {"min_uptime": "99.9"}, "save").status_code == 302
    posted = {
        "incident_analysis": "yes",
        "support_phone": "round_the_clock",
        "min_uptime": "thirty",
    }
    for action in ("save", "next"):
        response = buyer.step("transparency", posted, action)
        html = page(response)
        assert response.status_code == 400
        assert 'value="thirty"' in html and "Enter a percentage, like 99.9" in html
        assert "Your other answers on this page have been saved" in html
        row = stored(app, buyer.token)
        assert (
            row.answers["incident_analysis"] == "yes"
            and row.answers["support_phone"] == "round_the_clock"
        )
        assert row.answers["min_uptime"] == 99.9  # the refused value left the saved one alone
        assert row.progress == {"transparency": "visited"}


# --- item 4 and the two tabs: saves on a stale read --------------------------------------------


def test_a_submit_that_read_the_draft_before_another_tab_saved_freezes_that_save(
    app, buyer, bank, example
):
    buyer.start()
    buyer.answer_all(bank, example["answers"], example["must_have"])
    question = bank.question("encryption_at_rest")
    before = example["answers"][question.id]
    changed = "no" if before == "yes" else "yes"
    with app.app_context():
        submitting = ops.find_by_token(buyer.token)  # tab B has read the draft to submit it
        with app.app_context(), services.unit_of_work() as uow:  # tab A, its own session,
            saving = ops.find_by_token(buyer.token)  # saves a changed answer meanwhile
            ops.save_section(uow, saving, bank, "security", {question.id: changed}, set(), False)
        with services.unit_of_work() as uow:
            result = ops.submit(uow, submitting, bank)
        assert submitting.answers[question.id] == changed
    row = stored(app, buyer.token)
    assert row.status == "submitted" and row.answers[question.id] == changed
    assert row.result == result.to_dict()


def test_a_save_after_a_submit_it_raced_is_refused_and_changes_nothing(app, buyer, bank, example):
    buyer.start()
    buyer.answer_all(bank, example["answers"], example["must_have"])
    with app.app_context():
        saving = ops.find_by_token(buyer.token)  # tab A read the draft, then tab B submitted
        with app.app_context(), services.unit_of_work() as uow:
            ops.submit(uow, ops.find_by_token(buyer.token), bank)
        with pytest.raises(ops.AlreadySubmitted), services.unit_of_work() as uow:
            ops.save_section(
                uow, saving, bank, "security", {"encryption_at_rest": "no"}, set(), False
            )
    row = stored(app, buyer.token)
    assert row.answers["encryption_at_rest"] == example["answers"]["encryption_at_rest"]


def test_two_tabs_on_one_step_the_later_save_is_warned_and_can_then_save_over(app, client, buyer):
    buyer.start()
    first_tab = SEEN.search(page(client.get(buyer.url("/step/transparency")))).group(1)
    second_tab = SEEN.search(page(client.get(buyer.url("/step/transparency")))).group(1)
    saved = buyer.step("transparency", {"incident_analysis": "yes", "seen": second_tab}, "save")
    assert saved.status_code == 302
    response = buyer.step("transparency", {"incident_analysis": "no", "seen": first_tab}, "save")
    html = page(response)
    assert response.status_code == 409
    assert "changed in another tab or window" in html
    assert re.search(r'id="incident_analysis-1"[^>]*checked', html)  # what this tab typed
    assert stored(app, buyer.token).answers["incident_analysis"] == "yes"
    again = SEEN.search(html).group(1)
    assert (
        buyer.step("transparency", {"incident_analysis": "no", "seen": again}, "save").status_code
        == 302
    )
    assert stored(app, buyer.token).answers["incident_analysis"] == "no"


def test_a_save_in_another_tab_on_another_step_is_no_reason_to_warn(app, client, buyer):
    buyer.start()
    opened = SEEN.search(page(client.get(buyer.url("/step/transparency")))).group(1)
    assert buyer.step("privacy", {"data_ownership": "yes"}, "save").status_code == 302
    response = buyer.step("transparency", {"incident_analysis": "no", "seen": opened}, "save")
    assert response.status_code == 302
    assert stored(app, buyer.token).answers["incident_analysis"] == "no"


# --- item 5: a deleted buyer leaves nothing behind, and ids are never given twice ----------------


def test_a_deleted_assessments_id_is_never_given_to_the_next_one(app):
    first, second = Buyer(app.test_client()), Buyer(app.test_client())
    first.start(), second.start()
    deleted = assessment_id(app, second.token)
    assert second.client.post(second.url("/delete")).status_code == 302
    third = Buyer(app.test_client())
    third.start()
    assert assessment_id(app, third.token) > deleted


def test_a_pdf_drawn_while_another_process_deletes_its_assessment_does_not_stay(
    make_app, bank, example
):
    drawing = make_app(REPORT_PRERENDER=True)  # the worker the buyer submitted on
    deleting = make_app(create_tables=False)  # another worker, where their delete lands
    service = services.reports(drawing)
    started, go_on = threading.Event(), threading.Event()
    draw = service._draw

    def slow_draw(context):
        started.set()
        go_on.wait(30)
        return draw(context)

    service._draw = slow_draw
    buyer = Buyer(drawing.test_client())
    buyer.start()
    buyer.answer_all(bank, example["answers"], example["must_have"])
    assert buyer.submit().status_code == 302
    assert started.wait(30)
    assert deleting.test_client().post(buyer.url("/delete")).status_code == 302
    go_on.set()
    assert wait_until(lambda: not service._inflight)
    assert list(service.directory.glob("*.pdf")) == []


def test_purge_removes_the_pdf_of_an_assessment_deleted_behind_its_back(app, runner, bank, example):
    buyer = Buyer(app.test_client())
    buyer.start()
    buyer.answer_all(bank, example["answers"], example["must_have"])
    buyer.submit()
    service = services.reports(app)
    with app.app_context():
        assessment = ops.find_by_token(buyer.token)
        pdf = service.pdf_path(assessment)
        db.session.execute(delete(Assessment))  # rows gone without their files (a crash)
        db.session.commit()
    Buyer(app.test_client()).start()  # the next assessment must not take the deleted id
    result = runner.invoke(args=["purge"])
    assert "Deleted 1 PDF report(s) of assessments that no longer exist." in result.output
    assert not pdf.exists()


# --- item 8: starts per address, shared by every process ---------------------------------------


def test_starting_is_limited_per_address_across_processes_and_keeps_the_typed_form(make_app):
    one = make_app(START_LIMIT_PER_HOUR=3)
    other = make_app(create_tables=False, START_LIMIT_PER_HOUR=3)  # another web process
    form = {"company": "Acme <Ltd>", "name": "Ann", "email": "ann@acme.example", "consent": "y"}
    for app in (one, other, one):
        assert app.test_client().post("/", data=form).status_code == 302
    refused = other.test_client().post("/", data=form)
    html = page(refused)
    assert refused.status_code == 429 and refused.headers["Retry-After"] == "3600"
    assert "Too many assessments have been started from your network" in html
    assert 'value="Acme &lt;Ltd&gt;"' in html and 'value="ann@acme.example"' in html
    elsewhere = one.test_client().post("/", data=form, environ_base={"REMOTE_ADDR": "10.0.0.2"})
    assert elsewhere.status_code == 302
    with one.app_context():
        assert db.session.scalar(select(func.count(Assessment.id))) == 4


# --- item 9: the sign-in throttle cannot be raced ----------------------------------------------


def test_concurrent_wrong_passwords_get_no_more_checks_than_the_throttle_allows(
    make_app, monkeypatch
):
    app = make_app(**FAST)
    add_user(app, "ada@provider.example")
    checks = []
    check = accounts.check_credentials

    def slow_check(email, password):
        checks.append(password)
        time.sleep(0.2)  # scrypt takes about this long: every racer is past the throttle
        return check(email, password)

    monkeypatch.setattr(accounts, "check_credentials", slow_check)
    barrier = threading.Barrier(16)
    statuses: list[int] = []

    def guess(n: int) -> None:
        client = app.test_client()
        barrier.wait()
        response = client.post(
            "/sales/login",
            data={"email": "ada@provider.example", "password": f"guess-{n}"},
            environ_base={"REMOTE_ADDR": "10.0.1.1"},  # one guesser: the limit of a pair
        )
        statuses.append(response.status_code)

    threads = [threading.Thread(target=guess, args=(n,)) for n in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(checks) <= throttle.MAX_FAILURES
    assert sorted(set(statuses)) == [400, 429] and statuses.count(400) == len(checks)
    # Racers may all have been refused while they counted each other; what is left of the
    # allowance is there for guesses one at a time, and then even the right password waits.
    for n in range(throttle.MAX_FAILURES - len(checks)):
        guess = sign_in(app.test_client(), "ada@provider.example", f"later-{n}", "10.0.1.1")
        assert guess.status_code == 400
    assert (
        sign_in(app.test_client(), "ada@provider.example", PASSWORD, "10.0.1.1").status_code == 429
    )
    assert len(checks) == throttle.MAX_FAILURES


def test_purge_clears_sign_in_start_and_mail_counts_older_than_a_day(app, runner):
    with app.app_context():
        old = utcnow() - timedelta(days=2)
        db.session.add(LoginAttempt(email="x@example.com", address="1", created_at=old))
        db.session.add(StartAttempt(address="1", created_at=old))
        db.session.add(StartAttempt(address="1", created_at=utcnow()))
        db.session.add(MailRecipient(key="0" * 64, purpose="buyer", created_at=old))
        db.session.add(MailRecipient(key="0" * 64, purpose="buyer", created_at=utcnow()))
        db.session.commit()
    result = runner.invoke(args=["purge"])
    assert "Deleted 3 sign-in, start and e-mail count(s) older than a day." in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count(StartAttempt.id))) == 1
        assert db.session.scalar(select(func.count(MailRecipient.id))) == 1


# --- item 10: another site's links record nothing ------------------------------------------------


@pytest.fixture
def submitted(app, bank, example) -> int:
    buyer = Buyer(app.test_client())
    buyer.start(company="Linked Ltd")
    buyer.answer_all(bank, example["answers"], example["must_have"])
    assert buyer.submit().status_code == 302
    return assessment_id(app, buyer.token)


def events(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(AccessEvent.id)))


@pytest.mark.parametrize(
    "path",
    [
        "/sales/assessments/{}",
        "/sales/assessments/{}/report.pdf",
        "/sales/assessments/{}/answers.json",
        "/sales/export.csv",
    ],
)
def test_a_link_from_another_site_to_a_recorded_view_records_nothing_until_opened_here(
    app, sales, submitted, path
):
    url = path.format(submitted)
    for origin in ("cross-site", "same-site"):
        response = fetch(sales, url, headers={"Sec-Fetch-Site": origin})
        html = page(response)
        assert response.status_code == 403 and "You followed a link from another site" in html
        assert f'href="{url}"' in html
        assert events(app) == 0
    for origin in ("same-origin", "none", None):  # a click here, a bookmark, a script
        headers = {"Sec-Fetch-Site": origin} if origin else {}
        assert fetch(sales, url, headers=headers).status_code == 200
    # One row per person and action in ten minutes; each export is listed.
    assert events(app) == (3 if "export" in path else 1)


# --- item 11: dates out of range are a form error -------------------------------------------------


@pytest.mark.parametrize(
    "query", ["date_to=9999-12-31", "date_from=0001-01-01", "date_to=3000-01-01"]
)
def test_a_date_out_of_range_is_a_form_error_in_the_list_and_exports_nothing(
    app, sales, submitted, query
):
    response = sales.get(f"/sales/?{query}")
    assert response.status_code == 200
    assert "must be between 2000 and 2999" in page(response)
    export = fetch(sales, f"/sales/export.csv?{query}")
    assert export.status_code == 302 and export.location.endswith(f"/sales/?{query}")
    assert events(app) == 0


# --- info: HSTS on HTTPS ------------------------------------------------------------------------------


def test_https_responses_tell_browsers_to_stay_on_https(make_app):
    direct = make_app().test_client()
    assert "Strict-Transport-Security" not in direct.get("/").headers
    secure = direct.get("/", base_url="https://localhost")
    assert secure.headers["Strict-Transport-Security"] == "max-age=31536000"
    proxied = make_app(TRUSTED_PROXY_HOPS=1).test_client()
    behind = proxied.get("/", headers={"X-Forwarded-Proto": "https", "X-Forwarded-For": "1.2.3.4"})
    assert behind.headers["Strict-Transport-Security"] == "max-age=31536000"


# --- info: sales passwords that are easy to guess ------------------------------------------------


@pytest.mark.parametrize(
    ("password", "why"),
    [
        ("aaaaaaaaaaaa", "harder to guess"),
        ("password1234", "harder to guess"),
        ("qwertyuiopasdf", "harder to guess"),
        ("ada.lovelace@provider.example", "name or email address"),
        ("Lovelace@Provider1", "name or email address"),
        ("AdaLovelace2026!", "name or email address"),
    ],
)
def test_a_sales_password_that_is_common_or_made_from_the_name_or_email_is_refused(
    app, password, why
):
    with app.app_context(), services.unit_of_work() as uow:
        with pytest.raises(accounts.UserError, match=why):
            accounts.create_user(
                uow, "ada.lovelace@provider.example", "sales", password, "Ada Lovelace"
            )
        user = accounts.create_user(
            uow, "ada.lovelace@provider.example", "sales", "correct-horse-battery", "Ada Lovelace"
        )
        with pytest.raises(accounts.UserError, match=why):
            accounts.reset_password(uow, user, password)
        for _ in range(20):  # what --generate-password and the admin page hand out
            accounts.check_password_strength(accounts.generate_password(), user.email, user.name)


def test_changing_to_a_common_password_is_a_form_error(app, sales):
    form = {"current": PASSWORD, "new": "password1234", "confirm": "password1234"}
    response = sales.post("/sales/account/password", data=form)
    assert response.status_code == 400
    assert "Choose a password that is harder to guess" in page(response)
    assert sign_in(app.test_client(), "sam@provider.example").status_code == 302  # unchanged
