"""The unit of work (store.unit_of_work): the caller's transaction, the one place that
commits. Store operations share it, and whatever was not committed is rolled back."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import func, select

from questionnaire import services
from questionnaire.store import access, accounts, followup, mails, read_only
from questionnaire.store import operations as ops
from questionnaire.store.db import db
from questionnaire.store.models import AccessEvent, Assessment, InternalNote, SentMail, User
from questionnaire.store.unit_of_work import NestedUnitOfWork, StoreSettings, UnitOfWork
from tests.support import FAST, PASSWORD, add_user

PACKAGE = Path(__file__).resolve().parents[2] / "questionnaire"


@pytest.fixture
def app(make_app):
    return make_app(**FAST)


def counts(app) -> dict[str, int]:
    """What another session (another request) sees."""
    with app.app_context():
        return {
            model.__name__: db.session.scalar(select(func.count()).select_from(model))
            for model in (Assessment, User, InternalNote, AccessEvent, SentMail)
        }


def test_two_store_operations_share_one_transaction(app, bank):
    with app.app_context(), services.unit_of_work() as uow:
        assessment, token = ops.start_assessment(bank, "Acme Ltd", "Ann", "ann@acme.example")
        user = accounts.create_user(uow, "sam@provider.example", "sales", PASSWORD, "Sam")
        followup.add_note(assessment.id, user, "Call them on Monday")
        access.record(assessment.id, user, access.VIEW)
        read_only.create(assessment, token)
        assert counts(app)["Assessment"] == 0  # nothing is seen before the commit...
        uow.commit()
    assert counts(app) == {  # ...and all of it at once after
        "Assessment": 1,
        "User": 1,
        "InternalNote": 1,
        "AccessEvent": 1,
        "SentMail": 0,
    }


def test_a_failure_rolls_back_every_operation_of_the_transaction(app, bank):
    with (  # noqa: PT012  the refusal comes from a transaction's several steps
        pytest.raises(RuntimeError, match="the second step failed"),
        app.app_context(),
        services.unit_of_work() as uow,
    ):
        assessment, _ = ops.start_assessment(bank, "Acme Ltd", "Ann", "ann@acme.example")
        user = accounts.create_user(uow, "sam@provider.example", "sales", PASSWORD, "Sam")
        followup.add_note(assessment.id, user, "Call them on Monday")
        raise RuntimeError("the second step failed")
    assert set(counts(app).values()) == {0}


def test_what_is_not_committed_is_rolled_back_when_the_unit_of_work_ends(app, bank):
    with app.app_context(), services.unit_of_work():
        ops.start_assessment(bank, "Acme Ltd", "Ann", "ann@acme.example")  # no commit
    with app.app_context():
        assert db.session.scalar(select(func.count(Assessment.id))) == 0
    assert counts(app)["Assessment"] == 0


def test_a_refusal_half_way_through_a_store_verb_leaves_nothing_behind(app, bank):
    """mails.record_to_buyer writes its row, then counts, then refuses: the caller's unit of
    work takes the row back with it."""
    with app.app_context(), services.unit_of_work() as uow:
        assessment, _ = ops.start_assessment(bank, "Acme Ltd", "Ann", "ann@acme.example")
        uow.commit()
    for _ in range(mails.RESUME_LINK_LIMIT):
        with app.app_context(), services.unit_of_work() as uow:
            mails.record_to_buyer("key", assessment.id, mails.RESUME_LINK)
            uow.commit()
    with (  # noqa: PT012  the refusal comes from a transaction's several steps
        pytest.raises(mails.TooMany),
        app.app_context(),
        services.unit_of_work() as uow,
    ):
        mails.record_to_buyer("key", assessment.id, mails.RESUME_LINK)
        uow.commit()
    assert counts(app)["SentMail"] == mails.RESUME_LINK_LIMIT


def test_units_of_work_do_not_nest(app):
    with (
        app.app_context(),
        services.unit_of_work(),
        pytest.raises(NestedUnitOfWork),
        services.unit_of_work(),  # the inner one refuses to open
    ):
        pass
    with app.app_context(), services.unit_of_work():
        pass  # the first one ended: a new one opens


def test_the_unit_of_work_carries_the_apps_settings_to_the_store(make_app):
    app = make_app(
        DATABASE_LOCK_TIMEOUT=3,
        WEBHOOK_URL="https://crm.example/hook",
        WEBHOOK_SECRET="whsec_" + "A" * 44,
        DRAFT_RETENTION_DAYS=5,
        **FAST,
    )
    with app.app_context():
        settings = services.unit_of_work().settings
    assert settings == StoreSettings(
        lock_timeout=3.0,
        webhooks=True,
        answer_notices=False,
        password_hash=FAST["PASSWORD_HASH"],
        draft_days=5,
        submitted_days=730,
    )


def test_a_verb_that_retries_commits_through_the_unit_of_work_it_is_given(app, bank):
    """operations.with_retry: a save that collided is rolled back and applied again on the
    row as stored now, and committed through ``uow``."""
    add_user(app, "sam@provider.example")
    with app.app_context(), services.unit_of_work() as uow:
        assessment, _ = ops.start_assessment(bank, "Acme Ltd", "Ann", "ann@acme.example")
        uow.commit()
        number = assessment.id
    with app.app_context():
        stale = db.session.get(Assessment, number)
        with app.app_context(), services.unit_of_work() as other:  # another request saves first
            stored = db.session.get(Assessment, number)
            stored.company = "Acme Holdings Ltd"
            other.commit()
        tries = []

        def change(a: Assessment) -> str:
            tries.append(a.company)
            a.stage = "won"
            return a.company

        with UnitOfWork(services.store_settings()) as uow:
            assert ops.with_retry(uow, stale, change) == "Acme Holdings Ltd"
    assert tries == ["Acme Ltd", "Acme Holdings Ltd"]  # the stale read, then the row as stored
    with app.app_context():
        saved = db.session.get(Assessment, number)
        assert (saved.company, saved.stage) == ("Acme Holdings Ltd", "won")


def test_only_the_unit_of_work_commits():
    """No other module of the app commits a session: a store function flushes, and its
    caller (a view, a command, a job) commits the unit of work it opened."""
    commits = re.compile(r"\.commit\(")
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE).as_posix()
        if relative == "store/unit_of_work.py" or relative.startswith("store/migrations/"):
            continue
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if commits.search(line.replace("uow.commit()", "")):
                found.append(f"{relative}:{number}: {line.strip()}")
    assert found == []
