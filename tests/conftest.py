"""App fixtures for web tests: a throw-away database and a copy of a bank per test.

With TRUSTCHECK_TEST_QUEUE=1 every app made here renders its reports through a queue on a
redis-server started for the session, with a worker on a thread (tests/support.py).

Property tests (hypothesis) run under the profile TRUSTCHECK_HYPOTHESIS_PROFILE names:
"ci" by default, derandomized so a failure in CI fails the same way on a laptop;
"mutation" with few examples for `make mutation`; "explore" random and longer, to hunt.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from sqlalchemy import create_engine, make_url, text

from questionnaire import services
from questionnaire.app import create_app
from questionnaire.config import sqlalchemy_url
from questionnaire.core.bank import load_bank
from questionnaire.store import operations as ops
from questionnaire.store.db import db
from questionnaire.store.models import Assessment
from tests.live import QUEUE_MODE, REDIS_MISSING, RENDER_SECONDS, REQUIRE_REDIS, RedisServer
from tests.support import ThreadWorker, add_user, assessment_id, sign_in

# Generated banks are slow to build: no deadline, and no complaint about slow data.
settings.register_profile(
    "ci",
    derandomize=True,
    database=None,
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("mutation", settings.get_profile("ci"), max_examples=20)
settings.register_profile(
    "explore", settings.get_profile("ci"), derandomize=False, max_examples=1000
)
settings.load_profile(os.environ.get("TRUSTCHECK_HYPOTHESIS_PROFILE", "ci"))

ROOT = Path(__file__).resolve().parent.parent
SHIPPED_BANK = ROOT / "questions.yaml"
EXAMPLE_ANSWERS = ROOT / "examples" / "answers.json"


@pytest.fixture
def bank_path(tmp_path) -> Path:
    path = tmp_path / "questions.yaml"
    shutil.copy(SHIPPED_BANK, path)
    return path


def bank_file(tmp_path: Path, text: str) -> Path:
    """A questions.yaml holding ``text``: for a test module's own ``bank_path`` fixture."""
    path = tmp_path / "questions.yaml"
    path.write_text(text)
    return path


def postgres_url() -> str | None:
    """The PostgreSQL database the suite runs against when DATABASE_URL names one (.ci/run)."""
    url = os.environ.get("DATABASE_URL", "")
    return url if url.startswith(("postgres://", "postgresql")) else None


def pytest_configure(config) -> None:
    """Under pytest-xdist (``make test`` runs two workers) each worker gets a PostgreSQL
    database of its own, ``<name>_gw0`` and so on: every test empties the schema it runs on."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    url = postgres_url()
    if worker is None or url is None:
        return
    shared = make_url(url)
    own = shared.set(database=f"{shared.database}_{worker}")
    engine = create_engine(sqlalchemy_url(url), isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{own.database}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{own.database}"'))
    engine.dispose()
    os.environ["DATABASE_URL"] = own.render_as_string(hide_password=False)


def pytest_collection_modifyitems(items) -> None:
    """Tests marked ``slow`` (mostly waiting) go first, so that with two workers the rest of
    the suite runs beside them instead of after them."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


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
        # Renders run at niceness 10, so beside CPU-bound processes at niceness 0 (the other
        # pytest worker, `yes` in a loaded run) a render of about a second took over the
        # default 20 s limit and the default 8 s a download waits (it said "being
        # prepared"). Tests of those limits set their own.
        "REPORT_TIMEOUT_SECONDS": RENDER_SECONDS,
        "REPORT_WAIT_SECONDS": 60,
    }


@pytest.fixture(scope="session")
def redis_installed() -> None:
    """Queue tests need Debian's redis-server. Without it they are skipped, except where
    TRUSTCHECK_REQUIRE_REDIS=1 (.ci/run): there a missing server is a failure."""
    if shutil.which("redis-server") is None:
        if REQUIRE_REDIS:
            pytest.fail(REDIS_MISSING, pytrace=False)
        pytest.skip(REDIS_MISSING)


@pytest.fixture(scope="session")
def redis_server(redis_installed, tmp_path_factory):
    """A redis-server for the session's queue tests."""
    with RedisServer(tmp_path_factory.mktemp("redis")) as server:
        yield server


_databases = itertools.cycle(range(1, RedisServer.DATABASES))


@pytest.fixture
def queue_url(redis_server):
    """Makes REPORT_QUEUE_URLs, each an empty database of the session's redis-server
    (database 0 is left to tests that take the server down and up again)."""

    def make() -> str:
        number = next(_databases)
        with redis_server.client(number) as client:
            client.flushdb()
        return redis_server.url(number)

    return make


@pytest.fixture
def make_app(app_config, request):
    """Apps with config overrides; their connections are closed after the test. In queue
    mode each gets a queue of its own and a worker for it (unless the test gives a queue)."""
    made, workers = [], []

    def make(create_tables: bool = True, **overrides):
        queued = QUEUE_MODE and "REPORT_QUEUE_URL" not in overrides  # else the test's own
        if queued:
            overrides["REPORT_QUEUE_URL"] = request.getfixturevalue("queue_url")()
        app = create_app({**app_config, **overrides})
        made.append(app)
        if create_tables:
            with app.app_context():
                db.create_all()
        if queued:
            workers.append(ThreadWorker(app))
        return app

    yield make
    for worker in workers:
        worker.stop()
    for app in made:
        mailer = services.mail(app)
        if mailer is not None:  # its sender thread may still be recording an outcome
            assert mailer.wait_until_idle(30)
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
        """The form a buyer posts for these answers ("not_sure" on a number question is its
        "Not sure" box, posted as not_sure=<question id>)."""
        data: dict = {}
        unsure = []
        for q in bank.section(section_id).questions:
            if q.id not in answers:
                continue
            if q.type == "number" and answers[q.id] == "not_sure":
                unsure.append(q.id)
            else:
                data[q.id] = form_value(q, answers[q.id])
        if unsure:
            data["not_sure"] = unsure
        data["must_have"] = [m for m in must_have if m in data or m in unsure]
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


def signed_in(app, email: str, role: str, name: str):
    """A new browser with a new staff account signed in."""
    add_user(app, email, role, name)
    client = app.test_client()
    assert sign_in(client, email).status_code == 302
    return client


@pytest.fixture
def sales(app):
    """A signed-in sales person's browser (Sam Seller, sam@provider.example)."""
    return signed_in(app, "sam@provider.example", "sales", "Sam Seller")


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


@pytest.fixture
def smtp():
    """A real SMTP server on loopback that keeps what it receives (tests.support.MailCatcher)."""
    from tests.support import MailCatcher

    with MailCatcher() as catcher:
        yield catcher


@pytest.fixture
def small_bank():
    """The small bank of every question type (tests/support.py), as a Bank."""
    from questionnaire.core.bank import parse_bank
    from tests.support import SMALL_BANK

    return parse_bank(SMALL_BANK, "small.yaml")


@pytest.fixture
def submitted(app, buyer, bank, example):
    """A buyer's submitted example assessment: (its id, a question it asks the provider)."""
    token = buyer.start(company="Harbour & Finch Ltd")
    buyer.answer_all(bank, example["answers"], example["must_have"])
    assert buyer.submit().status_code == 302
    number = assessment_id(app, token)
    with app.app_context():
        result = db.session.get(Assessment, number).result
    asked = next(f["id"] for f in result["follow_ups"] if f["status"] == "ask_provider")
    return number, asked
