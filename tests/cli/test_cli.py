"""The editor's and operator's commands, run through Flask's CLI runner."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from questionnaire.app import create_app
from questionnaire.core.bank import load_bank
from tests.support import SMALL_BANK, line_of

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def bank_file(tmp_path):
    path = tmp_path / "questions.yaml"
    path.write_text(SMALL_BANK)
    return path


def write_answers(tmp_path, data) -> str:
    path = tmp_path / "answers.json"
    path.write_text(json.dumps(data))
    return str(path)


def test_validate_prints_ok_with_counts(runner, bank_file):
    result = runner.invoke(args=["questions", "validate", str(bank_file)])
    assert result.exit_code == 0
    assert result.output.strip() == "OK: 2 sections, 8 questions, version 1.0"


def test_validate_reports_every_error_with_its_line_and_exits_1(runner, tmp_path):
    text = SMALL_BANK.replace("type: multi", "type: checkboxes").replace("weight: 3", "weight: 7")
    path = tmp_path / "broken.yaml"
    path.write_text(text)
    result = runner.invoke(args=["questions", "validate", str(path)])
    assert result.exit_code == 1
    assert f"{path}:{line_of(text, 'checkboxes')}: unknown type 'checkboxes'" in result.output
    assert (
        f"{path}:{line_of(text, 'weight: 7')}: weight must be a number from 0 to 5" in result.output
    )
    assert "Traceback" not in result.output


def test_validate_a_yaml_syntax_error_is_a_line_not_a_traceback(runner, tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text(SMALL_BANK.replace("title: Security", "title: [Security"))
    result = runner.invoke(args=["questions", "validate", str(path)])
    assert result.exit_code == 1
    assert f"{path}:" in result.output and "YAML syntax error" in result.output
    assert "Traceback" not in result.output


def test_validate_a_missing_file(runner, tmp_path):
    result = runner.invoke(args=["questions", "validate", str(tmp_path / "none.yaml")])
    assert result.exit_code == 1 and "cannot read the file" in result.output


def test_validate_defaults_to_questions_path(bank_file, monkeypatch, tmp_path):
    monkeypatch.setenv("QUESTIONS_PATH", str(bank_file))
    # An app of its own, never disposed: on a database file that does not exist, so
    # validate's look at the stored banks opens no connection.
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'none.db'}")
    runner = create_app({"TESTING": True}).test_cli_runner()
    result = runner.invoke(args=["questions", "validate"])
    assert result.exit_code == 0 and "version 1.0" in result.output


def test_assess_prints_the_result_as_json(runner, tmp_path, bank_file):
    path = write_answers(
        tmp_path,
        {"answers": {"encrypt": "yes", "smime": "yes", "uptime": 99.5}, "must_have": ["smime"]},
    )
    result = runner.invoke(args=["assess", path, "--bank", str(bank_file)])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["score"] == pytest.approx(100 * (3 + 0 + 5) / (3 + 1 + 5))
    assert data["state"] == "rated" and data["rating"] == "Significant gaps"  # a deal-breaker
    assert data["score_range"] == {"low": 88.9, "high": 88.9}  # nothing open
    assert data["rating_range"] == {"low": "Significant gaps", "high": "Significant gaps"}
    assert data["deal_breakers"] == ["smime"]
    assert data["method"] == "fit/3" and data["bank_version"] == "1.0"
    assert [s["id"] for s in data["sections"]] == ["sec", "ops"]
    assert {"id": "smime", "status": "not_met"}.items() <= data["questions"][2].items()
    assert [f["id"] for f in data["follow_ups"]] == ["smime"]
    # fit/1's keys stay, beside fit/2's and fit/3's.
    assert data["capped_by_deal_breaker"] is True and data["capped_by"] == "deal_breaker"
    assert data["coverage"] == {
        "stated": 3,
        "compared": 3,
        "percent": 100.0,
        "stated_weight": 9.0,
        "compared_weight": 9.0,
        "weighted_percent": 100.0,
    }
    assert data["assurance"] == {
        "percent": 88.9,  # encrypt and uptime: contract terms; smime: a public statement
        "top_band_evidence": 50.0,
        "must_have_evidence": "contract",
    }
    assert data["unresolved_must_haves"] == [] and data["decide_internally"] == []
    assert data["provisional"] is False and data["frameworks"] == {}
    assert all("missing" in q for q in data["questions"])


def test_assess_takes_not_sure_for_any_scored_type(runner, tmp_path, bank_file):
    answers = {"encrypt": "not_sure", "certs": "not_sure", "uptime": "not_sure", "smime": "yes"}
    path = write_answers(tmp_path, {"answers": answers, "must_have": ["uptime"]})
    result = runner.invoke(args=["assess", path, "--bank", str(bank_file)])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["decide_internally"] == ["encrypt", "certs", "uptime"]
    assert data["unresolved_must_haves"] == ["uptime"]
    assert (data["coverage"]["stated"], data["coverage"]["compared"]) == (4, 1)
    assert data["coverage"]["weighted_percent"] == round(100 * 1 / 13, 1)
    assert data["provisional"] is True and data["counts"]["not_sure"] == 3
    assert data["state"] == "provisional" and data["rating"] is None
    assert data["score_range"] == {"low": 0.0, "high": 92.3}  # smime (1 of 13) is not met


def test_validate_refuses_a_schema_1_bank_saying_what_to_do(runner, tmp_path, bank_file):
    old = tmp_path / "old.yaml"
    old.write_text(bank_file.read_text().replace("schema: 3", "schema: 1"))
    result = runner.invoke(args=["questions", "validate", str(old)])
    assert result.exit_code == 1
    assert f"{old}:1: schema 1 is read only from assessments stored before schema 2" in (
        result.output
    )
    assert "provider.as_of" in result.output


@pytest.mark.parametrize(
    ("answers", "must_have", "expected"),
    [
        ({"encrpyt": "yes"}, [], "'encrpyt': not a question"),
        ({"encrypt": True}, [], "'encrypt': answer True does not fit"),
        ({"certs": "iso27001"}, [], "'certs': answer 'iso27001' does not fit: expected a list"),
        ({"region": "mars", "personal": "yes"}, [], "'mars' is not an option"),
        ({"certs": ["iso27001", "soc3"]}, [], "'soc3' is not an option"),
        ({"uptime": 101}, [], "101 is above the maximum 100"),
        ({"uptime": "99.9"}, [], "expected a number"),
        ({"notes": "x" * 201}, [], "the limit is 200"),
        ({"personal": "no", "region": "eu"}, [], "'region': answered, but its condition hides it"),
        ({"encrypt": "yes"}, ["uptime"], "must_have 'uptime': the question is not answered"),
        ({"notes": "x"}, ["notes"], "must_have 'notes': this question is not scored"),
        ({"personal": "not_sure"}, [], "'Not sure' is not offered on this question"),
        ({"certs": ["not_sure"]}, [], "'not_sure' is not an option"),
    ],
)
def test_assess_rejects_a_malformed_answers_file_naming_the_question(
    runner, tmp_path, bank_file, answers, must_have, expected
):
    path = write_answers(tmp_path, {"answers": answers, "must_have": must_have})
    result = runner.invoke(args=["assess", path, "--bank", str(bank_file)])
    assert result.exit_code == 1
    assert expected in result.output, result.output
    assert "Traceback" not in result.output


def test_assess_lists_every_problem_at_once(runner, tmp_path, bank_file):
    path = write_answers(tmp_path, {"answers": {"uptime": 5, "smime": "maybe", "zzz": 1}})
    result = runner.invoke(args=["assess", path, "--bank", str(bank_file)])
    assert result.exit_code == 1
    assert "'uptime'" in result.output and "'smime'" in result.output and "'zzz'" in result.output


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "not valid JSON"),
        ('["a list"]', 'must be a JSON object with "answers"'),
        ('{"must_have": []}', 'must be a JSON object with "answers"'),
        ('{"answers": {"uptime": ' + "9" * 5000 + "}}", "integer string conversion"),
        ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
    ],
    ids=["broken", "list", "no-answers", "huge-number", "deep"],
)
def test_assess_rejects_a_file_that_is_not_an_answers_object(
    runner, tmp_path, bank_file, content, message
):
    path = tmp_path / "answers.json"
    path.write_text(content)
    result = runner.invoke(args=["assess", str(path), "--bank", str(bank_file)])
    assert result.exit_code == 1
    assert message in result.output and "Traceback" not in result.output


def test_commands_other_than_run_need_no_secret_key(bank_file, monkeypatch, tmp_path):
    from click.testing import CliRunner
    from flask.cli import FlaskGroup

    from questionnaire import config as config_mod

    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'none.db'}")  # as above
    monkeypatch.setattr(config_mod, "_read_secret", lambda path: None)
    cli = FlaskGroup(create_app=create_app)
    result = CliRunner().invoke(cli, ["questions", "validate", str(bank_file)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("OK: 2 sections")


EXAMPLES = sorted((ROOT / "examples").glob("*.json"))


@pytest.mark.parametrize("example", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_assess_scores_each_shipped_example_against_the_shipped_bank(runner, example):
    """What docs/questions.md tells an editor to run: every example is accepted, without a
    warning, and prints the fit/3 result."""
    result = runner.invoke(args=["assess", str(example), "--bank", str(ROOT / "questions.yaml")])
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    data = json.loads(result.stdout)
    assert data["bank_version"] == load_bank(ROOT / "questions.yaml").version
    assert data["state"] in ("rated", "provisional")
    assert {"low", "high"} == set(data["score_range"])


def test_assess_reads_a_retired_option_with_a_warning(runner, tmp_path):
    path = write_answers(tmp_path, {"answers": {"user_sign_in": "password"}})
    result = runner.invoke(args=["assess", path, "--bank", str(ROOT / "questions.yaml")])
    assert result.exit_code == 0, result.output
    assert result.stderr == (
        f"{path}: warning: 'user_sign_in': option 'password' (A password is enough) is "
        "retired: it is still read, but new buyers are no longer offered it\n"
    )
    assert json.loads(result.stdout)["counts"]["not_required"] >= 1
