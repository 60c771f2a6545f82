"""The change feed (GET /api/v1/changes): a CRM keeps a copy of every assessment in sync
from it alone, deletions included, and an idle sync costs one request; cursors are
opaque, and one older than the deletion records kept is answered 410."""

from __future__ import annotations

import random
import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from questionnaire import services
from questionnaire.core.written import answerable
from questionnaire.reports import deletion
from questionnaire.store import changes, revisions
from questionnaire.store import operations as ops
from questionnaire.store.db import db
from questionnaire.store.models import Assessment, Tombstone, utcnow
from questionnaire.web import api as api_views
from tests.support import FAST, add_user
from tests.web.test_api import answer_body, bearer, new_token, problem_of


@pytest.fixture
def app(make_app):
    return make_app(API_RATE_LIMIT=0, **FAST)


class Copy:
    """A CRM's copy of the assessments, kept by reading the change feed alone."""

    def __init__(self, client, token: str, limit: int = 37):
        self.client, self.token, self.limit = client, token, limit
        self.items: dict[int, dict] = {}
        self.cursor: str | None = None
        self.requests = 0
        self.syncs = 0

    def sync(self) -> int:
        """Read the feed to its end; returns the requests it took."""
        made = 0
        while True:
            query = f"limit={self.limit}" + (f"&after={self.cursor}" if self.cursor else "")
            response = self.client.get(f"/api/v1/changes?{query}", headers=bearer(self.token))
            made += 1
            assert response.status_code == 200, response.get_data(as_text=True)
            page = response.json
            versions = [item["version"] for item in page["items"]]
            assert versions == sorted(versions) and len(versions) <= self.limit
            for item in page["items"]:
                if item.pop("change") == "deleted":
                    assert set(item) == {"id", "version", "deleted_at"}  # nothing personal
                    self.items.pop(item["id"], None)
                else:
                    self.items[item["id"]] = item
            self.cursor = page["next_cursor"]
            if not page["has_more"]:
                break
        self.requests += made
        self.syncs += 1
        return made


def full_list(client, token: str) -> dict[int, dict]:
    """Every assessment, drafts and submitted, as the API lists them."""
    out: dict[int, dict] = {}
    for status in ("submitted", "draft"):
        number = 1
        while True:
            page = client.get(
                f"/api/v1/assessments?status={status}&per_page=100&page={number}",
                headers=bearer(token),
            ).json
            out.update({item["id"]: item for item in page["items"]})
            if not page["items"]:
                break
            number += 1
    return out


def test_a_copy_of_200_assessments_stays_in_sync_from_the_feed_alone(app, bank, example):
    rng = random.Random(25)
    token = new_token(app.test_cli_runner())
    api = app.test_client()
    staff = add_user(app, "olive@provider.example", "sales", "Olive Owner")
    copy = Copy(api, token, limit=10)  # several pages per sync
    assert copy.sync() == 1 and copy.items == {}
    sections = [s.id for s in bank.sections]

    def fill(assessment, upto: int) -> None:
        for section_id in sections[:upto]:
            values = {
                q.id: example["answers"][q.id]
                for q in bank.section(section_id).questions
                if q.id in example["answers"]
            }
            must = set(example["must_have"]) & set(values)
            with services.unit_of_work() as uow:
                ops.save_section(uow, assessment, bank, section_id, values, must, True)

    ids: list[int] = []
    deleted: set[int] = set()
    done = {"answered": 0, "patched": 0, "revised": 0, "deleted": 0}
    with app.app_context():
        for n in range(200):
            with services.unit_of_work() as uow:
                assessment, _ = ops.start_assessment(
                    bank, f"Company {n}", f"Buyer {n}", f"b{n}@x.example"
                )
                uow.commit()
            ids.append(assessment.id)
            roll = rng.random()
            if roll < 0.6:
                fill(assessment, len(sections))
                with services.unit_of_work() as uow:
                    ops.submit(uow, assessment, bank)
            elif roll < 0.8:
                fill(assessment, rng.randrange(1, len(sections)))
            live = [i for i in ids if i not in deleted]
            # Changes to earlier ones, in between the creations.
            target = db.session.get(Assessment, rng.choice(live))
            action = rng.random()
            if action < 0.15 and target.submitted:
                number = target.id
                asked = answerable(target.result)
                db.session.commit()
                response = api.post(
                    f"/api/v1/assessments/{number}/provider-answers",
                    json=answer_body(bank, rng.choice(asked)),
                    headers=bearer(token),
                )
                assert response.status_code == 201, response.json
                done["answered"] += 1
            elif action < 0.3:
                response = api.patch(
                    f"/api/v1/assessments/{target.id}",
                    json={"owner": rng.choice([staff, None]), "stage": rng.choice(["new", "won"])},
                    headers=bearer(token),
                )
                assert response.status_code == 200, response.json
                done["patched"] += 1
            elif action < 0.38 and target.submitted:
                with services.unit_of_work() as uow:  # the original's revised_by changes
                    revision, _, _ = revisions.revise(services.banks(), target, bank)
                    uow.commit()
                ids.append(revision.id)
                done["revised"] += 1
            elif action < 0.48:
                deleted.add(target.id)
                deletion.delete_assessment(target)
                done["deleted"] += 1
            if n % 17 == 0:
                copy.sync()
        # Retention removes some drafts behind everyone's back: the feed still tells.
        drafts = db.session.scalars(select(Assessment).where(Assessment.status == "draft")).all()
        for old in drafts[:5]:
            old.updated_at = utcnow() - timedelta(days=400)
            deleted.add(old.id)
        db.session.commit()
        assert deletion.purge().drafts == 5

    copy.sync()
    listed = full_list(api, token)
    assert len(listed) >= 150 and not deleted & set(listed)
    assert copy.items == listed
    assert copy.syncs == 14 and copy.requests > copy.syncs  # along the way, some pages long
    assert min(done.values()) >= 5, done
    assert copy.sync() == 1  # idle: one request, nothing new
    before = dict(copy.items)
    copy.sync()
    assert copy.items == before


def test_a_cursor_is_opaque_and_a_forged_or_stale_one_is_refused(app, buyer):
    token = new_token(app.test_cli_runner())
    client = app.test_client()
    buyer.start(company="Early Ltd")
    first = client.get("/api/v1/changes", headers=bearer(token)).json
    cursor = first["next_cursor"]
    assert [i["contact"]["company"] for i in first["items"]] == ["Early Ltd"]
    for bad in ("nonsense", "MS4xLjI", cursor[:-2]):
        response = client.get(f"/api/v1/changes?after={bad}", headers=bearer(token))
        problem_of(response, 400, "invalid-cursor")
    with app.test_request_context():
        key = api_views.cursor_key()
    for stale in (
        changes.Position(1, utcnow()).cursor(b"another key"),  # edited, or SECRET_KEY changed
        changes.Position(10**9, utcnow()).cursor(key),  # from another (restored) database
    ):
        response = client.get(f"/api/v1/changes?after={stale}", headers=bearer(token))
        problem_of(response, 410, "cursor-expired")
    with app.app_context(), services.unit_of_work() as uow:
        # 29 days on, the purge keeps the deletions the cursor may need...
        changes.purge_tombstones(utcnow() + timedelta(days=29))
        uow.commit()
    assert client.get(f"/api/v1/changes?after={cursor}", headers=bearer(token)).status_code == 200
    with app.app_context(), services.unit_of_work() as uow:
        # ...32 days on, it may have removed some: the reader must start again.
        changes.purge_tombstones(utcnow() + timedelta(days=32))
        uow.commit()
    expired = client.get(f"/api/v1/changes?after={cursor}", headers=bearer(token))
    assert "full list" in problem_of(expired, 410, "cursor-expired")["detail"]
    fresh = client.get("/api/v1/changes", headers=bearer(token))  # from the start: always fine
    assert fresh.status_code == 200 and len(fresh.json["items"]) == 1


def test_tombstones_are_purged_after_31_days_by_flask_purge(app, buyer):
    runner = app.test_cli_runner()
    token = buyer.start(company="Gone Ltd")
    assert buyer.client.post(buyer.url("/delete"), data={"confirm": "y"}).status_code in (200, 302)
    with app.app_context():
        (stone,) = db.session.scalars(select(Tombstone)).all()
        assert stone.deleted_at > utcnow() - timedelta(minutes=1)
        stone.deleted_at = utcnow() - timedelta(days=32)
        db.session.commit()
    result = runner.invoke(args=["purge"])
    assert result.exit_code == 0 and "1 deletion record(s)" in result.output, result.output
    with app.app_context():
        assert db.session.scalars(select(Tombstone)).all() == []
    assert token


def test_changes_committed_while_the_feed_is_read_are_never_skipped(app, bank):
    """Two writers change assessments while a reader syncs without pause: a version is
    visible only once every lower one is, so no cursor passes a change still committing
    (on PostgreSQL the clock's row lock orders them; on SQLite writes are serial)."""
    token = new_token(app.test_cli_runner())
    with app.app_context(), services.unit_of_work() as uow:
        ids = [
            ops.start_assessment(bank, f"Co {n}", f"B {n}", f"b{n}@x.example")[0].id
            for n in range(60)
        ]
        uow.commit()
    reader = Copy(app.test_client(), token, limit=7)
    reader.sync()
    writing = threading.Event()
    writing.set()
    failures: list[BaseException] = []

    def write(mine: list[int]) -> None:
        client = app.test_client()
        try:
            for number in mine:  # each assessment changes once: its last change
                response = client.patch(
                    f"/api/v1/assessments/{number}", json={"stage": "won"}, headers=bearer(token)
                )
                assert response.status_code == 200, response.get_data(as_text=True)
        except BaseException as exc:  # reported by the main thread
            failures.append(exc)

    writers = [threading.Thread(target=write, args=(ids[n::2],)) for n in range(2)]
    for thread in writers:
        thread.start()
    syncs = 0
    while any(t.is_alive() for t in writers) or syncs < 3:
        reader.sync()
        syncs += 1
    for thread in writers:
        thread.join()
    assert failures == []
    reader.sync()
    assert {n: i["stage"] for n, i in reader.items.items()} == dict.fromkeys(ids, "won")
    assert reader.items == full_list(app.test_client(), token)
