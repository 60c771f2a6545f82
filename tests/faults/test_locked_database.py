"""A locked database is waited for, then retried or refused cleanly, never half-saved.

Another connection holds the lock a save needs: on SQLite the database's write lock
(BEGIN IMMEDIATE), on PostgreSQL the assessment's row (SELECT ... FOR UPDATE) or, for a
new assessment, the table. A save waits up to DATABASE_LOCK_TIMEOUT (SQLite's busy
timeout, PostgreSQL's lock_timeout); past it the buyer sees the page again with what
they typed and a 503, and nothing of the page is stored.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from contextlib import contextmanager

import pytest
from sqlalchemy import create_engine, func, select, text

from questionnaire import services
from questionnaire.store.db import db
from questionnaire.store.models import Assessment
from tests.conftest import Buyer, stored_assessment

NOTES = "Typed while the database was locked: <keep> this & that."


class HeldLock:
    def __init__(self, release):
        self._release = release
        self._once = threading.Lock()
        self.released = False

    def release(self) -> None:
        with self._once:
            if not self.released:
                self.released = True
                self._release()


@contextmanager
def held_lock(app, assessment_id: int | None = None):
    """Another session holds the lock that writing ``assessment_id`` (or, with None, adding
    an assessment) needs, until ``release()`` or the end of the block."""
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    if uri.startswith("sqlite"):
        connection = sqlite3.connect(
            uri.removeprefix("sqlite:///"), isolation_level=None, check_same_thread=False
        )
        connection.execute("BEGIN IMMEDIATE")  # the one write lock of the database
        lock = HeldLock(lambda: connection.execute("ROLLBACK"))
        try:
            yield lock
        finally:
            lock.release()
            connection.close()
        return
    engine = create_engine(uri)
    connection = engine.connect()
    transaction = connection.begin()
    if assessment_id is None:  # blocks INSERT, UPDATE and DELETE; reads go on
        connection.execute(text("LOCK TABLE assessments IN SHARE MODE"))
    else:
        connection.execute(
            text("SELECT id FROM assessments WHERE id = :id FOR UPDATE"), {"id": assessment_id}
        )
    lock = HeldLock(transaction.rollback)
    try:
        yield lock
    finally:
        lock.release()
        connection.close()
        engine.dispose()


def timed(call):
    started = time.monotonic()
    response = call()
    return response, time.monotonic() - started


@pytest.fixture
def impatient(make_app):
    """The app with a one-second lock timeout, so a stuck lock is found out quickly."""
    return make_app(DATABASE_LOCK_TIMEOUT=1)


def test_every_connection_gets_the_lock_timeout(impatient):
    with impatient.app_context():
        if db.engine.dialect.name == "sqlite":
            assert db.session.execute(text("PRAGMA busy_timeout")).scalar() == 1000
        else:
            assert db.session.execute(text("SHOW lock_timeout")).scalar() == "1s"


def test_a_save_waits_for_a_lock_held_elsewhere_then_succeeds(app, buyer, bank, example):
    token = buyer.start()
    data = buyer.section_data(bank, "security", {**example["answers"], "security_notes": NOTES})
    with held_lock(app, stored_assessment(app, token).id) as lock:
        threading.Timer(1.5, lock.release).start()
        response, seconds = timed(lambda: buyer.step("security", data))
        assert lock.released
    assert response.status_code == 302, response.get_data(as_text=True)
    assert seconds >= 1.4  # it waited for the lock instead of failing
    row = stored_assessment(app, token)
    assert row.answers["security_notes"] == NOTES
    assert row.progress == {"security": "complete"}


def test_a_lock_past_the_timeout_shows_the_page_again_as_typed_and_saves_nothing(
    impatient, bank, example
):
    buyer = Buyer(impatient.test_client())
    token = buyer.start()
    data = buyer.section_data(bank, "security", {**example["answers"], "security_notes": NOTES})
    with held_lock(impatient, stored_assessment(impatient, token).id):
        response, seconds = timed(lambda: buyer.step("security", data))
    html = response.get_data(as_text=True)
    assert response.status_code == 503
    assert "The database was busy, so this page was not saved yet" in html
    assert "Typed while the database was locked: &lt;keep&gt; this &amp; that." in html
    assert 'name="user_sign_in" value="second_factor" checked' in html
    assert seconds < 5  # bounded: about one lock timeout, not a hung worker
    row = stored_assessment(impatient, token)
    assert row.answers == {} and row.progress == {}  # nothing half-saved
    again = buyer.step("security", data)  # the buyer presses the button again
    assert again.status_code == 302 and again.location.endswith("/step/privacy")
    assert stored_assessment(impatient, token).answers["security_notes"] == NOTES


def test_submit_and_start_past_the_timeout_get_a_clear_page_and_change_nothing(
    impatient, bank, example
):
    buyer = Buyer(impatient.test_client())
    token = buyer.start()
    buyer.answer_all(bank, example["answers"], example["must_have"])
    with held_lock(impatient, stored_assessment(impatient, token).id):
        response = buyer.submit()
    assert response.status_code == 503 and response.headers["Retry-After"] == "5"
    assert "nothing was saved" in response.get_data(as_text=True)
    assert stored_assessment(impatient, token).status == "draft"

    with impatient.app_context():
        count = db.session.scalar(select(func.count(Assessment.id)))
    newcomer = Buyer(impatient.test_client())
    with held_lock(impatient):
        response = newcomer.client.post(
            "/",
            data={"company": "Later Ltd", "name": "L", "email": "l@later.example", "consent": "y"},
        )
    assert response.status_code == 503
    assert "The database was busy, so nothing was saved" in response.get_data(as_text=True)
    with impatient.app_context():
        assert db.session.scalar(select(func.count(Assessment.id))) == count

    assert buyer.submit().status_code == 302  # once the lock is gone, both work
    assert stored_assessment(impatient, token).status == "submitted"
    newcomer.start(company="Later Ltd")


@contextmanager
def tokens_locked(app):
    """Another session holds what the API's bookkeeping writes need: SQLite's write lock,
    or on PostgreSQL the token rows (the touch, the rate count and the read records all
    write or reference them)."""
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    if uri.startswith("sqlite"):
        with held_lock(app):
            yield
        return
    engine = create_engine(uri)
    with engine.connect() as connection, connection.begin():
        connection.execute(text("SELECT id FROM api_tokens FOR UPDATE"))
        yield
    engine.dispose()


def test_api_reads_answer_while_their_bookkeeping_cannot_be_written(impatient, bank, example):
    """Issue 25: a CRM's reads failed (an HTML 503) while the database was locked, because
    each read wrote the buyer's access record. Now the token's last use, the rate count
    and the access records are written if they can be, and the read answers regardless."""
    from questionnaire.store import apitokens
    from questionnaire.store.models import AccessEvent

    buyer = Buyer(impatient.test_client())
    buyer.start(company="Locked Out Ltd")
    with impatient.app_context(), services.unit_of_work() as uow:
        token = apitokens.create("Hub")
        uow.commit()
        number = db.session.scalar(select(Assessment.id))
    client = impatient.test_client()
    auth = {"Authorization": f"Bearer {token}"}
    with tokens_locked(impatient):
        for url in (
            "/api/v1/assessments?status=draft",
            "/api/v1/changes",
            f"/api/v1/assessments/{number}",
        ):
            response = client.get(url, headers=auth)
            assert response.status_code == 200 and response.is_json, (url, response.status_code)
    with impatient.app_context():
        assert db.session.scalar(select(func.count(AccessEvent.id))) == 0
    assert client.get(f"/api/v1/assessments/{number}", headers=auth).status_code == 200
    with impatient.app_context():  # unlocked: recorded again
        assert db.session.scalar(select(func.count(AccessEvent.id))) == 1
