"""The step pages' direct path to the assessment row (questionnaire.drafts), on whichever
database the suite runs against: values round-trip through the columns' types, a save
only lands on the row as it was read, and driver errors surface as SQLAlchemy's."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy.exc import DBAPIError

from questionnaire import operations as ops
from questionnaire.drafts import SAVED
from questionnaire.extensions import db
from questionnaire.models import SUBMITTED, Assessment


@pytest.fixture
def draft(app, buyer):
    token = buyer.start()
    with app.app_context():
        yield ops.find_draft(token), token


def changes(draft, **values) -> dict:
    base = {
        "answers": {"mfa": "yes", "notes": '<b>ünïcode</b> & "quotes"', "uptime": 99.95},
        "must_have": ["mfa"],
        "progress": {"security": "complete"},
        "updated_at": datetime(2026, 11, 28, 12, 30, 15, 123456, tzinfo=UTC),
        "row_version": draft.row_version + 1,
    }
    return base | values


def test_a_read_gives_the_row_with_python_values(app, draft):
    found, token = draft
    assessment = db.session.scalar(db.select(Assessment).filter_by(id=found.id))
    assert found.status == assessment.status == "draft"
    assert found.answers == {} and found.must_have == [] and found.progress == {}
    assert found.updated_at == assessment.updated_at and found.updated_at.tzinfo is not None
    assert found.submitted_at is None and found.row_version == assessment.row_version
    assert ops.find_draft(token + "x") is None and ops.find_draft("") is None


def test_a_save_round_trips_through_the_column_types(app, draft):
    found, token = draft
    wanted = changes(found)
    assert ops.draft_store().save(found, wanted) is True
    again = ops.find_draft(token)
    assert {name: getattr(again, name) for name in SAVED} == wanted
    db.session.expire_all()  # the ORM reads what the driver wrote, identically
    row = db.session.get(Assessment, found.id)
    assert row.answers == wanted["answers"] and row.updated_at == wanted["updated_at"]
    assert row.row_version == found.row_version + 1


def test_a_save_on_a_stale_read_changes_nothing(app, draft):
    found, token = draft
    assert ops.draft_store().save(found, changes(found, answers={"mfa": "yes"})) is True
    # ``found`` still carries the version it was read with: another request saved since.
    assert ops.draft_store().save(found, changes(found, answers={"mfa": "no"})) is False
    assert ops.find_draft(token).answers == {"mfa": "yes"}


def test_a_submitted_assessment_is_never_saved_over(app, draft):
    found, token = draft
    row = db.session.get(Assessment, found.id)
    row.status, row.submitted_at = SUBMITTED, datetime.now(UTC)
    db.session.commit()
    current = ops.find_draft(token)
    assert current.submitted
    assert ops.draft_store().save(current, changes(current)) is False
    assert ops.find_draft(token).answers == {}


def test_save_section_applies_a_page_on_top_of_a_save_made_meanwhile(app, draft, bank):
    found, token = draft
    first, second = bank.sections[0], bank.sections[1]
    q1, q2 = first.questions[0], second.questions[0]
    other = ops.find_draft(token)  # a second tab, read at the same time
    ops.save_section(found, bank, first.id, {q1.id: "yes"}, set(), complete=True)
    ops.save_section(other, bank, second.id, {q2.id: "yes"}, set(), complete=False)
    stored = ops.find_draft(token)
    assert stored.answers == {q1.id: "yes", q2.id: "yes"}
    assert stored.progress == {first.id: "complete", second.id: "visited"}
    assert other.answers == stored.answers  # the caller goes on from the row as saved


def test_driver_errors_come_out_as_sqlalchemy_errors_without_the_answers(app, draft):
    found, _ = draft
    store = ops.draft_store()
    store._save.sql = store._save.sql.replace("assessments", "no_such_table")
    with pytest.raises(DBAPIError) as caught:  # OperationalError on SQLite, Programming… on PG
        store.save(found, changes(found, answers={"secret": "do not log me"}))
    assert "do not log me" not in str(caught.value)
