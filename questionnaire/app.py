"""The app factory: settings, extensions, the layers wired together, and /healthz."""

from __future__ import annotations

import logging
import secrets
from pathlib import Path

import click
from flask import Flask
from flask_migrate import Migrate
from jinja2 import StrictUndefined
from sqlalchemy import event
from sqlalchemy.engine import Engine
from werkzeug.routing import IntegerConverter

from questionnaire import config as config_mod
from questionnaire import services
from questionnaire.cli import init_app as init_cli
from questionnaire.notify import answered, mailer, webhooks
from questionnaire.reports import service as reports
from questionnaire.store import snapshots
from questionnaire.store.banks import BankRegistry
from questionnaire.store.db import db
from questionnaire.store.models import MAX_ROW_ID
from questionnaire.web import (
    api,
    downloads,
    emails,
    jobs,
    lost_link,
    sales,
    security,
    sharing,
    wizard,
)
from questionnaire.web.extensions import csrf

log = logging.getLogger(__name__)
MIGRATIONS = str(Path(__file__).with_name("store") / "migrations")
migrate = Migrate()


class RowIdConverter(IntegerConverter):
    """``<id:name>`` in a route: a row id, 1 to MAX_ROW_ID; any other number is a 404."""

    def __init__(self, url_map):
        super().__init__(url_map, min=1, max=MAX_ROW_ID)


def create_app(test_config: dict | None = None) -> Flask:
    app = Flask(
        "questionnaire",
        instance_relative_config=True,
        template_folder=config_mod.PROJECT_ROOT / "templates",
        static_folder=config_mod.PROJECT_ROOT / "static",
    )
    app.url_map.converters["id"] = RowIdConverter
    # A name a template uses that its view did not give is an error (in tests first), never
    # a blank on a buyer's page or in a report.
    app.jinja_env.undefined = StrictUndefined
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config.update(config_mod.DEFAULTS)
    app.config.update(config_mod.from_environment(app.instance_path))
    if test_config:
        app.config.update(test_config)
    app.config.update(config_mod.check_mail(app.config))
    for warning in config_mod.transport_warnings(app.config):
        log.warning("%s", warning)
    if not app.config.get("SECRET_KEY"):
        if not (app.debug or app.testing or _made_for_a_command()):
            raise config_mod.ConfigError(
                "SECRET_KEY is not set. Set the SECRET_KEY environment variable, or put a "
                f"random value in {Path(app.instance_path) / 'secret_key'} (make run does this)."
            )
        # Commands such as `questions validate` sign nothing that outlives them.
        app.config["SECRET_KEY"] = secrets.token_hex(32)

    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = config_mod.engine_options(app.config)
    db.init_app(app)
    migrate.init_app(app, db, directory=MIGRATIONS)
    csrf.init_app(app)

    with app.app_context():
        engine = db.engine
    registry = BankRegistry(
        app.config["QUESTIONS_PATH"],
        check_seconds=app.config["BANK_CHECK_SECONDS"],
        keep=lambda bank: snapshots.keep(engine, bank),
        fallback=lambda: snapshots.newest(engine),
        clash=lambda bank: snapshots.clash(engine, bank),
    )
    services.provide(app, services.Banks, registry)

    security.init_app(app)
    wizard.init_app(app)
    reports.init_app(app)
    report_queue = services.reports(app).queue  # with REPORT_QUEUE_URL, webhooks use it too
    webhooks.init_app(app, report_queue.connection if report_queue else None)
    app.register_blueprint(downloads.bp)
    mailer.init_app(app)
    answered.init_app(app)
    jobs.init_app(app)
    emails.init_app(app)
    lost_link.init_app(app)
    sharing.init_app(app)
    sales.init_app(app)
    api.init_app(app)
    init_cli(app)
    app.add_url_rule("/healthz", "healthz", healthz)
    return app


def _made_for_a_command() -> bool:
    """True when a `flask` command other than `run` is loading the app: an editor
    validating questions.yaml needs no secret key, a server does."""
    context = click.get_current_context(silent=True)
    return context is not None and context.info_name != "run"


def healthz():
    """For load balancers and uptime checks: the process is up and serving."""
    return "ok\n", 200, {"Content-Type": "text/plain; charset=utf-8"}


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record):
    """WAL lets readers work while a buyer's save is written. (The busy timeout, which makes
    concurrent writers wait for the lock instead of failing, is set at connect time from
    DATABASE_LOCK_TIMEOUT: see config.engine_options.)"""
    module = type(dbapi_connection).__module__
    if not module.startswith("sqlite3"):
        return
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()
