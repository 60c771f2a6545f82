"""Editors' tools: `questions diff`, refusing a changed bank under an old version, and
"did you mean" on mistyped ids and keys."""

from __future__ import annotations

import json

import pytest

from questionnaire import services
from questionnaire.store.db import db
from questionnaire.store.models import Assessment
from tests.support import SMALL_BANK, line_of

ANSWERS = {
    "personal": "yes",
    "encrypt": "yes",
    "smime": "no",
    "region": "eu",
    "certs": ["iso27001"],
    "uptime": 99.95,
}
HEAVIER = SMALL_BANK.replace('version: "1.0"', 'version: "1.1"').replace(
    "weight: 5", "weight: 1"
)  # uptime (not met at 99.9 < 99.95) now weighs little


@pytest.fixture
def bank_path(tmp_path):
    path = tmp_path / "questions.yaml"
    path.write_text(SMALL_BANK)
    return path


def submit(app, company: str, answers: dict) -> int:
    from questionnaire.core.scoring import score
    from questionnaire.store import operations as ops

    with app.app_context():
        bank = services.banks(app).current()
        assessment, _ = ops.start_assessment(bank, company, "Ann", "ann@example.com")
        assessment.answers = answers
        assessment.progress = {s.id: "complete" for s in bank.sections}
        db.session.commit()
        with services.unit_of_work() as uow:
            ops.submit(uow, assessment, bank)
        assert assessment.score == score(bank, answers).score
        return assessment.id


def stored(app) -> list[tuple]:
    with app.app_context():
        return [
            (a.id, a.score, a.rating, json.dumps(a.result, sort_keys=True))
            for a in db.session.scalars(db.select(Assessment).order_by(Assessment.id))
        ]


def test_diff_lists_changes_and_rescores_stored_assessments_without_writing(
    app, runner, bank_path, tmp_path
):
    first = submit(app, "Acme Ltd", ANSWERS)
    submit(app, "Globex", {**ANSWERS, "uptime": 99.0})
    before = stored(app)
    new = tmp_path / "new.yaml"
    new.write_text(HEAVIER)
    result = runner.invoke(args=["questions", "diff", str(bank_path), str(new)])
    assert result.exit_code == 0, result.output
    assert "weight     uptime: 5 -> 1" in result.output
    assert "1 change(s): 1 weight." in result.output
    assert "Effect on the 2 submitted assessment(s)" in result.output
    assert "1 of 2 change rating band." in result.output
    assert "Fit with gaps -> Strong fit: 1" in result.output
    assert "Score up for 1, down for 0, unchanged for 1." in result.output
    assert f"TC-{first:06d} Acme Ltd" in result.output
    assert stored(app) == before  # re-scored in memory only


def test_diff_defaults_to_the_bank_in_use_and_warns_of_an_unbumped_version(
    runner, bank_path, tmp_path
):
    old = tmp_path / "old.yaml"
    old.write_text(SMALL_BANK.replace("weight: 5", "weight: 4"))
    result = runner.invoke(args=["questions", "diff", str(old)])
    assert result.exit_code == 0, result.output
    assert f"to {bank_path} (version 1.0" in result.output
    assert "weight     uptime: 4 -> 5" in result.output
    assert "both files say version '1.0': bump it" in result.output
    assert "Effect on the 0 submitted assessment(s)" in result.output


def test_diff_without_a_database_still_lists_the_changes(make_app, bank_path, tmp_path):
    app = make_app(create_tables=False)
    new = tmp_path / "new.yaml"
    new.write_text(HEAVIER)
    result = app.test_cli_runner().invoke(args=["questions", "diff", str(bank_path), str(new)])
    assert result.exit_code == 0, result.output
    assert "weight     uptime: 5 -> 1" in result.output
    assert "No database with assessments here" in result.output


def test_validate_refuses_changed_content_under_the_previous_version(runner, tmp_path):
    previous = tmp_path / "previous.yaml"
    previous.write_text(SMALL_BANK)
    edited = tmp_path / "edited.yaml"
    text = SMALL_BANK.replace("weight: 5", "weight: 4")
    edited.write_text(text)
    args = ["questions", "validate", str(edited), "--previous", str(previous)]
    result = runner.invoke(args=args)
    assert result.exit_code == 1
    line = line_of(text, "version:")
    assert f"{edited}:{line}: the questions changed but 'version' is still '1.0'" in result.output
    assert 'bump it (e.g. version: "1.1")' in result.output
    edited.write_text(text.replace('version: "1.0"', 'version: "1.1"'))
    assert runner.invoke(args=args).exit_code == 0


def test_validate_refuses_a_bank_that_reuses_a_stored_version(app, runner, tmp_path):
    with app.app_context():
        services.banks(app).current()  # stores version 1.0 as a snapshot
    edited = tmp_path / "edited.yaml"
    edited.write_text(SMALL_BANK.replace("weight: 5", "weight: 4"))
    result = runner.invoke(args=["questions", "validate", str(edited)])
    assert result.exit_code == 1
    assert "'version' is still '1.0', the version of the bank stored as" in result.output


def test_running_app_refuses_a_changed_bank_under_the_same_version(app, client, bank_path):
    registry = services.banks(app)
    with app.app_context():
        served = registry.current()
    bank_path.write_text(SMALL_BANK.replace("Small bank", "Renamed bank"))
    with app.app_context():
        assert registry.current().sha256 == served.sha256  # the old one keeps serving
    problem = str(registry.last_error.problems[0])
    assert "the questions changed but 'version' is still '1.0'" in problem
    assert "Small bank" in client.get("/").get_data(as_text=True)
    bank_path.write_text(SMALL_BANK.replace("Small bank", "Renamed bank").replace('"1.0"', '"1.1"'))
    with app.app_context():
        assert registry.current().version == "1.1" and registry.last_error is None


def test_a_new_process_on_a_file_that_reuses_a_stored_version_serves_the_stored_bank(
    make_app, app, bank_path
):
    with app.app_context():
        stored_sha = services.banks(app).current().sha256
    bank_path.write_text(SMALL_BANK.replace("Small bank", "Renamed bank"))
    restarted = make_app()
    registry = services.banks(restarted)
    with restarted.app_context():
        assert registry.current().sha256 == stored_sha
    assert "bump it" in str(registry.last_error.problems[0])


def test_answers_file_with_a_mistyped_id_or_option_says_did_you_mean(runner, tmp_path):
    path = tmp_path / "answers.json"
    path.write_text(
        json.dumps({"answers": {"encrpyt": "yes", "personal": "yes", "certs": ["iso2701"]}})
    )
    result = runner.invoke(args=["assess", str(path)])
    assert result.exit_code == 1
    assert "'encrpyt': not a question in bank version 1.0 (did you mean 'encrypt'?)" in (
        result.output
    )
    assert "'iso2701' is not an option (did you mean 'iso27001'?)" in result.output


def test_bank_with_a_mistyped_condition_or_option_says_did_you_mean(runner, tmp_path):
    text = SMALL_BANK.replace("{question: personal,", "{question: persnal,").replace(
        "requires: eu}", "requires: eu_an}"
    )
    path = tmp_path / "broken.yaml"
    path.write_text(text)
    result = runner.invoke(args=["questions", "validate", str(path)])
    assert result.exit_code == 1
    assert "'persnal' is not a question in this bank (did you mean 'personal'?)" in result.output
    assert "which is not an option (did you mean 'eu_any'?)" in result.output


def test_diff_and_validate_take_a_previous_bank_of_the_older_schema(runner, bank_path, tmp_path):
    """The bank before dated evidence (schema 1, no as_of) is what editors compare with
    after upgrading: it is read as an earlier version, never as a bank to serve."""
    older = tmp_path / "older.yaml"
    older.write_text(
        SMALL_BANK.replace("schema: 3", "schema: 1")
        .replace(", as_of: 2025-09-01", "")
        .replace('version: "1.0"', 'version: "0.9"')
    )
    result = runner.invoke(args=["questions", "diff", str(older)])
    assert result.exit_code == 0, result.output
    assert "bank       bank: provider as_of: (none) -> '2025-09-01'" in result.output
    validated = runner.invoke(args=["questions", "validate", "--previous", str(older)])
    assert validated.exit_code == 0, validated.output
    assert runner.invoke(args=["questions", "validate", str(older)]).exit_code == 1
