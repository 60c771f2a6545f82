"""When the buyer's "the provider answered" e-mails may go (store.notices), and the staff
rows of the access log (one per person and action in ten minutes)."""

from __future__ import annotations

from datetime import timedelta

from questionnaire.store import access, notices
from questionnaire.store import operations as ops
from questionnaire.store.db import db
from questionnaire.store.models import AccessEvent, User, utcnow
from tests.support import add_user


def test_the_first_letter_is_due_at_once_and_the_next_answers_wait_together(app, bank):
    with app.app_context():
        assessment, _ = ops.start_assessment(bank, "Co", "Ann", "ann@co.example")
        now = utcnow()
        notices.noted(assessment.id, ["a"], now)
        db.session.commit()
        assert notices.due(now) == [assessment.id]
        assert notices.claim(assessment.id, now) == ["a"]
        assert notices.claim(assessment.id, now) is None  # taken once
        later = now + timedelta(minutes=3)
        notices.noted(assessment.id, ["b"], later)
        notices.noted(assessment.id, ["c", "b"], later)
        db.session.commit()
        assert notices.due(later) == []
        assert notices.next_due() == now + notices.GATHER
        at_ten = now + notices.GATHER
        assert notices.claim(assessment.id, at_ten) == ["b", "c"]
        # Past the gathering time, the next answer goes at once again.
        much_later = at_ten + notices.GATHER + timedelta(seconds=1)
        notices.noted(assessment.id, ["d"], much_later)
        db.session.commit()
        assert notices.due(much_later) == [assessment.id]


def test_a_letter_that_may_not_go_yet_keeps_its_answers_for_later(app, bank):
    with app.app_context():
        assessment, _ = ops.start_assessment(bank, "Co", "Ann", "ann@co.example")
        now = utcnow()
        notices.noted(assessment.id, ["a"], now)
        db.session.commit()
        taken = notices.claim(assessment.id, now)
        notices.noted(assessment.id, ["b"], now)
        db.session.commit()
        retry = now + timedelta(minutes=40)
        notices.put_back(assessment.id, taken, retry)
        assert notices.due(retry - timedelta(seconds=1)) == []
        assert notices.claim(assessment.id, retry) == ["a", "b"]


def test_a_staff_view_is_one_row_per_person_and_action_in_ten_minutes(app, bank):
    add_user(app, "sam@provider.example", "sales", "Sam Seller")
    add_user(app, "ada@provider.example", "admin", "Ada")
    with app.app_context():
        assessment, _ = ops.start_assessment(bank, "Co", "Ann", "ann@co.example")
        sam = db.session.scalar(db.select(User).where(User.name == "Sam Seller"))
        ada = db.session.scalar(db.select(User).where(User.name == "Ada"))
        for _ in range(3):
            access.record(assessment.id, sam, access.VIEW)
        access.record(assessment.id, sam, access.PDF)
        access.record(assessment.id, ada, access.VIEW)
        rows = db.session.scalars(db.select(AccessEvent).order_by(AccessEvent.id)).all()
        assert [(r.user_id, r.action) for r in rows] == [
            (sam.id, "view"),
            (sam.id, "pdf"),
            (ada.id, "view"),
        ]
        rows[0].created_at = utcnow() - access.REPEAT - timedelta(seconds=1)
        db.session.commit()
        access.record(assessment.id, sam, access.VIEW, after_save=True)  # seen before: no row
        assert db.session.query(AccessEvent).count() == 3
        access.record(assessment.id, sam, access.VIEW)  # ten minutes on: a new row
        assert db.session.query(AccessEvent).count() == 4
