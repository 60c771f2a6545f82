"""App fixtures for web tests: a throw-away database and a copy of a bank per test."""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from questionnaire import create_app
from questionnaire import operations as ops
from questionnaire.bank import load_bank
from questionnaire.config import sqlalchemy_url
from questionnaire.extensions import db

ROOT = Path(__file__).resolve().parent.parent
SHIPPED_BANK = ROOT / "questions.yaml"
EXAMPLE_ANSWERS = ROOT / "examples" / "answers.json"


@pytest.fixture
def bank_path(tmp_path) -> Path:
    path = tmp_path / "questions.yaml"
    shutil.copy(SHIPPED_BANK, path)
    return path


def postgres_url() -> str | None:
    """The PostgreSQL database the suite runs against when DATABASE_URL names one (.ci/run)."""
    url = os.environ.get("DATABASE_URL", "")
    return url if url.startswith(("postgres://", "postgresql")) else None


def reset_postgres(url: str) -> None:
    """An empty schema for each test: the database is a throw-away one made by .ci/run."""
    engine = create_engine(sqlalchemy_url(url))
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture
def database_uri(tmp_path) -> str:
    url = postgres_url()
    if url is None:
        return f"sqlite:///{tmp_path / 'test.db'}"
    reset_postgres(url)
    return sqlalchemy_url(url)


@pytest.fixture
def app_config(tmp_path, bank_path, database_uri) -> dict:
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "WTF_CSRF_ENABLED": False,
        "SQLALCHEMY_DATABASE_URI": database_uri,
        "QUESTIONS_PATH": str(bank_path),
        "REPORTS_DIR": str(tmp_path / "reports"),
        "BANK_CHECK_SECONDS": 0,
        "SERVER_NAME": "localhost",
    }


@pytest.fixture
def make_app(app_config):
    """Apps with config overrides; their connections are closed after the test."""
    made = []

    def make(create_tables: bool = True, **overrides):
        app = create_app({**app_config, **overrides})
        made.append(app)
        if create_tables:
            with app.app_context():
                db.create_all()
        return app

    yield make
    for app in made:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def app(make_app):
    return make_app()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def form_value(question, value):
    if value is None:
        return ""
    if question.type == "number":
        return str(value)
    return value


class Buyer:
    """Drives the wizard through the test client as a buyer would."""

    def __init__(self, client):
        self.client = client
        self.token: str | None = None

    def start(self, company="Acme Ltd", name="Ann Buyer", email="ann@acme.example") -> str:
        response = self.client.post(
            "/", data={"company": company, "name": name, "email": email, "consent": "y"}
        )
        assert response.status_code == 302, response.get_data(as_text=True)
        self.token = re.search(r"/a/([^/]+)/", response.location).group(1)
        return self.token

    def url(self, path: str = "") -> str:
        return f"/a/{self.token}{path}"

    def step(self, section_id: str, data: dict, action: str = "next", **kwargs):
        return self.client.post(
            self.url(f"/step/{section_id}"), data={**data, "action": action}, **kwargs
        )

    def section_data(self, bank, section_id, answers, must_have=()) -> dict:
        data = {}
        for q in bank.section(section_id).questions:
            if q.id in answers:
                data[q.id] = form_value(q, answers[q.id])
        data["must_have"] = [m for m in must_have if m in data]
        return data

    def answer_all(self, bank, answers, must_have=()):
        for section in bank.sections:
            response = self.step(
                section.id, self.section_data(bank, section.id, answers, must_have)
            )
            assert response.status_code == 302, response.get_data(as_text=True)

    def submit(self):
        return self.client.post(self.url("/submit"))


@pytest.fixture
def buyer(client) -> Buyer:
    return Buyer(client)


@pytest.fixture
def bank():
    """The shipped bank, as the app loads it."""
    return load_bank(SHIPPED_BANK)


@pytest.fixture
def example() -> dict:
    return json.loads(EXAMPLE_ANSWERS.read_text())


def stored_assessment(app, token: str):
    """The assessment behind a buyer's token as stored now, detached from the session so
    its columns can be read after the app context ends."""
    with app.app_context():
        assessment = ops.find_by_token(token)
        db.session.expunge(assessment)
        return assessment
