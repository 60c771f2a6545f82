"""Migration 0011 derives, for assessments submitted before it, the state and range the
sales list shows and the open questions the answer library matches."""

from __future__ import annotations

import json

from flask_migrate import upgrade
from sqlalchemy import text

from questionnaire.core.bank import load_bank
from questionnaire.core.library import value_space
from questionnaire.core.scoring import score
from questionnaire.core.written import answerable
from questionnaire.store.db import db
from questionnaire.store.models import utcnow
from tests.conftest import EXAMPLE_ANSWERS, SHIPPED_BANK


def test_upgrading_fills_state_range_and_open_questions_from_the_result_in_force(make_app):
    app = make_app(create_tables=False)
    bank = load_bank(SHIPPED_BANK)
    example = json.loads(EXAMPLE_ANSWERS.read_text())
    result = score(bank, example["answers"], example["must_have"]).to_dict()
    asked = answerable(result)
    answered = asked[0]
    revised = {**result, "state": "rated", "score_range": {"low": 70.0, "high": 80.0}}
    written = [
        {
            "question": answered,
            "value": True,
            "statement": "s",
            "reference": "",
            "author": "Sam",
            "at": "2026-12-01T10:00:00+00:00",
        }
    ]
    now = utcnow().replace(tzinfo=None)
    with app.app_context():
        upgrade(revision="0007")
        with db.engine.begin() as connection:
            connection.execute(
                text("INSERT INTO bank_snapshots VALUES (:sha, :version, :source, :now)"),
                {"sha": bank.sha256, "version": bank.version, "source": bank.source, "now": now},
            )
            for token, revision in (("t1", 0), ("t2", 1)):
                connection.execute(
                    text(
                        "INSERT INTO assessments (token_hash, status, company, contact_name,"
                        " email, search_text, consent, answers, must_have, progress,"
                        " bank_sha256, bank_version, result, deal_breakers, created_at,"
                        " updated_at, row_version, stage, result_revision, summary) VALUES"
                        " (:token, 'submitted', 'Co', 'N', 'e@x.example', '', true, :answers,"
                        " :must, '{}', :sha, :version, :result, 0, :now, :now, 1, 'new',"
                        " :revision, :summary)"
                    ),
                    {
                        "token": token,
                        "answers": json.dumps(example["answers"]),
                        "must": json.dumps(example["must_have"]),
                        "sha": bank.sha256,
                        "version": bank.version,
                        "result": json.dumps(result),
                        "now": now,
                        "revision": revision,
                        "summary": json.dumps({"coverage": 1}),
                    },
                )
            second = connection.scalar(text("SELECT id FROM assessments WHERE token_hash = 't2'"))
            connection.execute(
                text(
                    "INSERT INTO result_revisions (assessment_id, number, result, written,"
                    " author, created_at, updated_at) VALUES (:id, 1, :result, :written,"
                    " 'Sam', :now, :now)"
                ),
                {
                    "id": second,
                    "result": json.dumps(revised),
                    "written": json.dumps(written),
                    "now": now,
                },
            )
        upgrade()
        with db.engine.begin() as connection:
            rows = connection.execute(
                text("SELECT token_hash, state, summary FROM assessments ORDER BY id")
            ).all()
            opened = connection.execute(
                text(
                    "SELECT a.token_hash, o.question_id, o.value_space FROM open_questions o"
                    " JOIN assessments a ON a.id = o.assessment_id"
                )
            ).all()
    states = {
        token: (state, json.loads(summary) if isinstance(summary, str) else summary)
        for token, state, summary in rows
    }
    assert states["t1"][0] == "provisional" and states["t2"][0] == "rated"
    assert states["t1"][1]["score_range"] == result["score_range"]
    assert states["t2"][1]["score_range"] == {"low": 70.0, "high": 80.0}
    assert states["t1"][1]["method"] == "fit/3" and states["t1"][1]["coverage"] == 1
    first = {q for token, q, _ in opened if token == "t1"}
    assert first == set(asked)
    assert {q for token, q, _ in opened if token == "t2"} == set(asked) - {answered}
    spaces = {q: space for _, q, space in opened}
    assert all(spaces[q] == value_space(bank.question(q)) for q in spaces)
