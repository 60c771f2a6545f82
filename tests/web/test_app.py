"""App set-up: configuration, database, migrations and housekeeping commands."""

from __future__ import annotations

from datetime import timedelta

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade
from sqlalchemy import create_engine, select, text

from questionnaire.app import create_app
from questionnaire.config import ConfigError
from questionnaire.store.db import db
from questionnaire.store.models import Assessment, utcnow


def test_refuses_to_start_without_a_secret_key_outside_debug_and_testing(
    app_config, monkeypatch, tmp_path
):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    config = {**app_config, "TESTING": False, "SECRET_KEY": None}
    with pytest.raises(ConfigError, match="SECRET_KEY is not set"):
        create_app(config)


def test_reads_the_secret_key_kept_in_the_instance_folder(app_config, monkeypatch, tmp_path):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    from questionnaire import config as config_mod

    (tmp_path / "secret_key").write_text("kept-secret\n")
    assert config_mod.from_environment(str(tmp_path))["SECRET_KEY"] == "kept-secret"


def test_database_url_selects_postgresql_with_psycopg(monkeypatch, tmp_path):
    from questionnaire import config as config_mod

    monkeypatch.setenv("DATABASE_URL", "postgres://u:p@127.0.0.1/trust")
    uri = config_mod.from_environment(str(tmp_path))["SQLALCHEMY_DATABASE_URI"]
    assert uri == "postgresql+psycopg://u:p@127.0.0.1/trust"


def test_sqlite_runs_in_wal_mode_with_a_busy_timeout(app):
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        with app.app_context():
            assert db.session.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert db.session.execute(text("PRAGMA busy_timeout")).scalar() == 10000
    else:
        pytest.skip("SQLite only")


def test_migrations_create_exactly_the_models_schema(app_config, make_app):
    url = app_config["SQLALCHEMY_DATABASE_URI"]  # an empty database: SQLite, or PostgreSQL in CI
    app = make_app(create_tables=False)
    with app.app_context():
        upgrade()
        engine = create_engine(url)
        with engine.connect() as connection:
            diff = compare_metadata(MigrationContext.configure(connection), db.metadata)
        engine.dispose()
    assert diff == []


def test_purge_deletes_only_expired_drafts_and_old_submissions(app, runner, buyer, bank, example):
    tokens = [buyer.start(company=f"Co {n}") for n in range(3)]
    with app.app_context():
        rows = db.session.scalars(select(Assessment).order_by(Assessment.id)).all()
        rows[0].updated_at = utcnow() - timedelta(days=91)  # expired draft
        rows[1].updated_at = utcnow() - timedelta(days=89)  # draft still kept
        rows[2].status, rows[2].submitted_at = "submitted", utcnow() - timedelta(days=731)
        db.session.commit()
    result = runner.invoke(args=["purge"])
    assert result.exit_code == 0
    assert "Deleted 1 draft(s)" in result.output and "1 submitted" in result.output
    with app.app_context():
        assert [a.company for a in db.session.scalars(select(Assessment))] == ["Co 1"]
    assert len(tokens) == 3


def test_upgrading_keeps_every_row_and_deleted_ids_are_never_given_again(app_config, make_app):
    """Issue 14, item 5: on SQLite a deleted row's id went to the next row. The migration
    copies the tables into AUTOINCREMENT ones without losing a row (access events hang on
    assessments by a cascading foreign key)."""
    app = make_app(create_tables=False)
    now = utcnow().replace(tzinfo=None)
    with app.app_context():
        upgrade(revision="0003")
        with db.engine.begin() as connection:
            connection.execute(
                text("INSERT INTO bank_snapshots VALUES ('s', '1', 'x', :now)"), {"now": now}
            )
            for token in ("t1", "t2"):
                insert_assessment(connection, token, now)
            first, second = connection.scalars(text("SELECT id FROM assessments ORDER BY id"))
            connection.execute(
                text(
                    "INSERT INTO access_events (assessment_id, actor, action, created_at)"
                    " VALUES (:id, 'Ada', 'view', :now)"
                ),
                {"id": first, "now": now},
            )
        upgrade()
        with db.engine.begin() as connection:
            assert connection.scalar(text("SELECT count(*) FROM access_events")) == 1
            assert connection.scalar(text("SELECT count(*) FROM assessments")) == 2
            connection.execute(text("DELETE FROM assessments WHERE id = :id"), {"id": second})
        with db.engine.begin() as connection:
            insert_assessment(connection, "t3", now)
            ids = connection.scalars(text("SELECT id FROM assessments ORDER BY id")).all()
    assert ids[0] == first and ids[1] > second


def insert_assessment(connection, token: str, now) -> None:
    connection.execute(
        text(
            "INSERT INTO assessments (token_hash, status, company, contact_name, email,"
            " search_text, consent, answers, must_have, progress, bank_sha256, bank_version,"
            " deal_breakers, created_at, updated_at, row_version) VALUES (:token, 'draft',"
            " 'Co', 'N', 'e@x.example', '', true, '{}', '[]', '{}', 's', '1', 0, :now, :now, 1)"
        ),
        {"token": token, "now": now},
    )


def test_upgrading_to_0009_gives_every_row_a_version_and_each_result_its_state(
    app_config, make_app
):
    """The change feed starts from every existing assessment, in id order; results stored
    before it get the state core.verdict_state derives for fit/1 and fit/2."""
    app = make_app(create_tables=False)
    now = utcnow().replace(tzinfo=None)
    with app.app_context():
        upgrade(revision="0007")
        with db.engine.begin() as connection:
            connection.execute(
                text("INSERT INTO bank_snapshots VALUES ('s', '1', 'x', :now)"), {"now": now}
            )
            for token in ("t1", "t2", "t3"):
                insert_assessment(connection, token, now)
            connection.execute(
                text(
                    "UPDATE assessments SET status = 'submitted', score = 55.0, rating = 'Fit',"
                    " summary = :summary WHERE token_hash = 't2'"
                ),
                {"summary": '{"provisional": true}'},
            )
            connection.execute(
                text("UPDATE assessments SET status = 'submitted' WHERE token_hash = 't3'")
            )
        upgrade()
        rows = db.session.execute(
            text("SELECT token_hash, version, state FROM assessments ORDER BY id")
        ).all()
        assert [tuple(r) for r in rows] == [
            ("t1", 1, None),
            ("t2", 2, "provisional"),
            ("t3", 3, "not_rated"),
        ]
        found = db.session.scalar(select(Assessment).where(Assessment.token_hash == "t1"))
        found.stage = "won"
        db.session.commit()
        assert found.version == 4  # the clock goes on from the last one given
