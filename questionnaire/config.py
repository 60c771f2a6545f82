"""Configuration from the environment, with defaults that suit `make run`."""

from __future__ import annotations

import os
from pathlib import Path

from questionnaire.bank import PROJECT_ROOT


class ConfigError(RuntimeError):
    """The app cannot start safely with this configuration."""


def _int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, got {value!r}") from None


def from_environment(instance_path: str) -> dict:
    instance = Path(instance_path)
    database_url = os.environ.get("DATABASE_URL") or f"sqlite:///{instance / 'trustcheck.db'}"
    return {
        "SECRET_KEY": os.environ.get("SECRET_KEY") or _read_secret(instance / "secret_key"),
        "SQLALCHEMY_DATABASE_URI": sqlalchemy_url(database_url),
        "QUESTIONS_PATH": os.environ.get("QUESTIONS_PATH") or str(PROJECT_ROOT / "questions.yaml"),
        "REPORTS_DIR": os.environ.get("REPORTS_DIR") or str(PROJECT_ROOT / "reports"),
        "DRAFT_RETENTION_DAYS": _int("DRAFT_RETENTION_DAYS", 90),
        "SUBMITTED_RETENTION_DAYS": _int("SUBMITTED_RETENTION_DAYS", 730),
        "SALES_IDLE_MINUTES": _int("SALES_IDLE_MINUTES", 30),
        "MAX_CONTENT_LENGTH": _int("MAX_CONTENT_LENGTH", 256 * 1024),
        "DATABASE_LOCK_TIMEOUT": _int("DATABASE_LOCK_TIMEOUT", 10),
        "SESSION_COOKIE_SECURE": os.environ.get("SESSION_COOKIE_SECURE", "") == "1",
        # Proxies in front of the app that may set X-Forwarded-For/-Proto (0: trust none).
        "TRUSTED_PROXY_HOPS": _int("TRUSTED_PROXY_HOPS", 0),
    }


def sqlalchemy_url(database_url: str) -> str:
    """DATABASE_URL as SQLAlchemy wants it: PostgreSQL through psycopg 3."""
    if database_url.startswith("postgres://"):  # the old Heroku-style scheme
        database_url = "postgresql://" + database_url.removeprefix("postgres://")
    if database_url.startswith("postgresql://"):
        database_url = "postgresql+psycopg://" + database_url.removeprefix("postgresql://")
    return database_url


def engine_options(config: dict) -> dict:
    """SQLALCHEMY_ENGINE_OPTIONS with a lock timeout for the database in use.

    A write that waits for a lock held by another transaction (a long migration, a stuck
    console session) gives up after DATABASE_LOCK_TIMEOUT seconds, so the buyer is told to
    try again instead of a web worker hanging until gunicorn kills it and the save is lost.
    SQLite: the busy timeout. PostgreSQL: ``lock_timeout`` (not ``statement_timeout``,
    which would also cut off long reads such as a CSV export).
    """
    options = dict(config["SQLALCHEMY_ENGINE_OPTIONS"])
    seconds = config["DATABASE_LOCK_TIMEOUT"]
    connect_args = dict(options.get("connect_args", {}))
    uri = str(config["SQLALCHEMY_DATABASE_URI"])
    if uri.startswith("sqlite"):
        connect_args.setdefault("timeout", float(seconds))
        # A pre-ping tests a network connection before each use; a SQLite file has none,
        # and the extra "SELECT 1" was a second query on every request.
        options.pop("pool_pre_ping", None)
    elif uri.startswith("postgresql"):
        connect_args.setdefault("options", f"-c lock_timeout={int(seconds * 1000)}")
    options["connect_args"] = connect_args
    return options


def _read_secret(path: Path) -> str | None:
    try:
        return path.read_text().strip() or None
    except OSError:
        return None


DEFAULTS = {
    "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "WTF_CSRF_TIME_LIMIT": 8 * 3600,  # a buyer may leave a step open for a while
    "BANK_CHECK_SECONDS": 1.0,  # how often the running app looks at questions.yaml
}
