"""Configuration from the environment, with defaults that suit `make run`.

Every setting the app reads from the environment is parsed here, once, by ``setting``:
a value of the wrong kind stops the app with a ConfigError naming the variable.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import os
from email.utils import parseaddr
from pathlib import Path
from urllib.parse import urlsplit

from email_validator import EmailNotValidError, validate_email

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class ConfigError(RuntimeError):
    """The app cannot start safely with this configuration."""


_KINDS = {bool: "1 or 0", int: "a whole number", float: "a number"}


def setting(name: str, default):
    """An environment variable as the type of its default (unset or blank: the default)."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    if isinstance(default, str):
        return raw
    try:
        if isinstance(default, bool):
            return {"1": True, "true": True, "0": False, "false": False}[raw.lower()]
        return type(default)(raw)
    except (KeyError, ValueError):
        raise ConfigError(f"{name} must be {_KINDS.get(type(default), '')}, got {raw!r}") from None


def unless_testing(name: str) -> bool | None:
    """A 1/0 switch whose default is "on, except under TESTING": None when unset, for
    create_app to decide once it knows whether the app is under test."""
    return setting(name, False) if os.environ.get(name, "").strip() else None


def default_questions_path() -> Path:
    """``QUESTIONS_PATH`` from the environment, else questions.yaml at the project root."""
    return Path(os.environ.get("QUESTIONS_PATH") or PROJECT_ROOT / "questions.yaml")


# REPORT_* settings of the PDF report (see README).
REPORT_DEFAULTS = {
    "REPORT_TIMEOUT_SECONDS": 20.0,  # a render running longer is killed
    "REPORT_WAIT_SECONDS": 8.0,  # a download waits this long, then says "being prepared"
    "REPORT_RETRY_SECONDS": 60.0,  # a failed render is not retried sooner than this
    "REPORT_WORKERS": 1,  # render processes per web process (each about 80 MB)
    "REPORT_MEMORY_MB": 1024,  # address-space limit of a render process
    # Bump to redraw every cached PDF when the report changes in a way the cache key
    # would not notice (e.g. how its context is built).
    "REPORT_TEMPLATE_VERSION": "1",
    # Renders waiting: per web process, or on the Redis queue when there is one. Past it, a
    # report is drawn when someone asks for it and there is room again.
    "REPORT_QUEUE_LIMIT": 200,
    # redis://host:port/db: web processes enqueue renders for `flask reports worker`
    # processes and never render themselves. Unset: each web process renders its own.
    "REPORT_QUEUE_URL": "",
}
# A download waits in a web worker, whose requests gunicorn kills after 60 s (WEB_TIMEOUT).
MAX_REPORT_WAIT_SECONDS = 30.0
QUEUE_URL_SCHEMES = ("redis://", "rediss://", "unix://")


def from_environment(instance_path: str) -> dict:
    instance = Path(instance_path)
    database_url = os.environ.get("DATABASE_URL") or f"sqlite:///{instance / 'trustcheck.db'}"
    config = {
        "SECRET_KEY": os.environ.get("SECRET_KEY") or _read_secret(instance / "secret_key"),
        "SQLALCHEMY_DATABASE_URI": sqlalchemy_url(database_url),
        "QUESTIONS_PATH": str(default_questions_path()),
        "REPORTS_DIR": os.environ.get("REPORTS_DIR") or str(PROJECT_ROOT / "reports"),
        "DRAFT_RETENTION_DAYS": setting("DRAFT_RETENTION_DAYS", 90),
        "SUBMITTED_RETENTION_DAYS": setting("SUBMITTED_RETENTION_DAYS", 730),
        "SALES_IDLE_MINUTES": setting("SALES_IDLE_MINUTES", 30),
        "SALES_SESSION_HOURS": setting("SALES_SESSION_HOURS", 12.0),
        "MAX_CONTENT_LENGTH": setting("MAX_CONTENT_LENGTH", 256 * 1024),
        "DATABASE_LOCK_TIMEOUT": setting("DATABASE_LOCK_TIMEOUT", 10),
        # Assessments one address may start in an hour, across every web process (0: any).
        "START_LIMIT_PER_HOUR": setting("START_LIMIT_PER_HOUR", 30),
        "SESSION_COOKIE_SECURE": os.environ.get("SESSION_COOKIE_SECURE", "") == "1",
        # Proxies in front of the app that may set X-Forwarded-For/-Proto (0: trust none).
        "TRUSTED_PROXY_HOPS": setting("TRUSTED_PROXY_HOPS", 0),
        # Requests a minute one CRM API token may make, across every process (0: any).
        "API_RATE_LIMIT": setting("API_RATE_LIMIT", 600),
    }
    config.update({name: setting(name, default) for name, default in REPORT_DEFAULTS.items()})
    config.update(webhook_settings())
    check_report_settings(config)
    if not 0 < config["SALES_SESSION_HOURS"] <= 24 * 30:
        raise ConfigError("SALES_SESSION_HOURS must be more than 0 and at most 720 (30 days)")
    # Render at submit; unset means "yes, except under TESTING" (decided in create_app).
    config["REPORT_PRERENDER"] = unless_testing("REPORT_PRERENDER")
    config.update(mail_settings())
    return config


# MAIL_* settings, named as Flask-Mail and Flask-Mailman name them (see README). With
# MAIL_SERVER blank the app sends no e-mail and shows nothing about e-mail.
MAIL_DEFAULTS = {
    "MAIL_SERVER": "",
    "MAIL_PORT": 25,
    "MAIL_USE_TLS": False,
    "MAIL_USE_SSL": False,
    "MAIL_USERNAME": "",
    "MAIL_PASSWORD": "",
    "MAIL_DEFAULT_SENDER": "",
    "MAIL_TIMEOUT": 10.0,  # seconds for each step of talking to the mail server
    "SALES_NOTIFY_EMAILS": "",  # comma-separated
    # Submission notices one of those addresses gets in an hour (0: no limit).
    "SALES_NOTICES_PER_HOUR": 30,
    # Where people reach the app, e.g. https://trustcheck.example.com: links in e-mails
    # start with it, never with the Host header of the request that sent them.
    "PUBLIC_URL": "",
}


def mail_settings() -> dict:
    """The MAIL_* settings from the environment (checked by ``check_mail`` in create_app,
    after any test configuration is applied)."""
    return {name: setting(name, default) for name, default in MAIL_DEFAULTS.items()}


def check_mail(settings: dict) -> dict:
    """The MAIL_* settings of an app's config, made consistent; ConfigError names what is
    wrong. SALES_NOTIFY_EMAILS becomes a tuple of addresses; the rest are checked only
    when MAIL_SERVER is set, as nothing reads them otherwise."""
    config = {name: settings.get(name, default) for name, default in MAIL_DEFAULTS.items()}
    recipients = config["SALES_NOTIFY_EMAILS"] or ""
    if isinstance(recipients, str):
        recipients = recipients.split(",")
    config["SALES_NOTIFY_EMAILS"] = tuple(
        _address("SALES_NOTIFY_EMAILS", part) for part in recipients if part.strip()
    )
    config["PUBLIC_URL"] = public = str(config.get("PUBLIC_URL") or "").rstrip("/")
    if config["SALES_NOTICES_PER_HOUR"] < 0:
        raise ConfigError("SALES_NOTICES_PER_HOUR must be 0 (no limit) or more")
    if not config.get("MAIL_SERVER"):
        if public and not _is_base_url(public):  # webhooks link to it too
            raise ConfigError(f"PUBLIC_URL must be an http:// or https:// address, got {public!r}")
        return config
    if config["MAIL_USE_TLS"] and config["MAIL_USE_SSL"]:
        raise ConfigError("MAIL_USE_TLS and MAIL_USE_SSL cannot both be set: choose one")
    if not 1 <= config["MAIL_PORT"] <= 65535:
        raise ConfigError(f"MAIL_PORT must be a port number, got {config['MAIL_PORT']}")
    if not 0 < config["MAIL_TIMEOUT"] <= 30:
        raise ConfigError("MAIL_TIMEOUT must be more than 0 and at most 30 seconds")
    sender = config.get("MAIL_DEFAULT_SENDER") or ""
    if not sender:
        raise ConfigError("MAIL_DEFAULT_SENDER is needed when MAIL_SERVER is set")
    _address("MAIL_DEFAULT_SENDER", parseaddr(sender)[1] if "<" in sender else sender)
    if not _is_base_url(public):
        raise ConfigError(
            "PUBLIC_URL is needed when MAIL_SERVER is set: the address people open the app "
            "at, like https://trustcheck.example.com, for the links in e-mails"
        )
    return config


def _is_base_url(text: str) -> bool:
    """An address links can start with: http(s), a host, and nothing after the path."""
    parts = urlsplit(text)
    return (
        parts.scheme in ("http", "https")
        and bool(parts.hostname)
        and not any(c in text for c in "?#\r\n ")
    )


def _address(name: str, text: str) -> str:
    try:
        # No SMTPUTF8: the mail it sends could not reach an address that needs it.
        return validate_email(
            text.strip(), check_deliverability=False, allow_smtputf8=False
        ).normalized
    except EmailNotValidError:
        raise ConfigError(f"{name} must hold e-mail addresses, got {text.strip()!r}") from None


def is_loopback_host(host: str | None) -> bool:
    """Whether a host name or address can only be this machine."""
    if not host:
        return False
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def transport_warnings(config: dict) -> list[str]:
    """What goes over the network unencrypted with these settings (the app starts all the
    same: a test set-up may mean it; create_app logs each at start)."""
    warnings = []
    for name, carries in (
        ("PUBLIC_URL", "the links in e-mails, buyers' secret links among them,"),
        ("WEBHOOK_URL", "each webhook, with its signature,"),
    ):
        parts = urlsplit(str(config.get(name) or ""))
        if parts.scheme == "http" and not is_loopback_host(parts.hostname):
            warnings.append(
                f"{name} is http://{parts.hostname}: {carries} would cross the network "
                "unencrypted; use https://"
            )
    server = config.get("MAIL_SERVER")
    tls = config.get("MAIL_USE_TLS") or config.get("MAIL_USE_SSL")
    if server and not tls and not is_loopback_host(server):
        warnings.append(
            f"e-mail goes to {server} without TLS (neither MAIL_USE_TLS nor MAIL_USE_SSL "
            "is set): resume links would cross the network readable"
        )
    return warnings


def webhook_settings() -> dict:
    """WEBHOOK_*. The URL comes from the operator, not from users, but only http(s) is
    ever sent to, and a URL without its secret stops the app. Payloads link to the
    sales page on PUBLIC_URL (read and checked with the MAIL_* settings)."""
    url = setting("WEBHOOK_URL", "")
    secret = setting("WEBHOOK_SECRET", "")
    previous = setting("WEBHOOK_SECRET_PREVIOUS", "")
    if url:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConfigError(f"WEBHOOK_URL must be an http:// or https:// URL, got {url!r}")
        check_webhook_secret("WEBHOOK_SECRET", secret)
        if previous:
            check_webhook_secret("WEBHOOK_SECRET_PREVIOUS", previous)
    return {
        "WEBHOOK_URL": url,
        "WEBHOOK_SECRET": secret,
        "WEBHOOK_SECRET_PREVIOUS": previous,
        "WEBHOOK_TIMEOUT_SECONDS": setting("WEBHOOK_TIMEOUT_SECONDS", 5.0),
        # Deliver in a background thread; unset means "yes, except under TESTING".
        "WEBHOOK_BACKGROUND": unless_testing("WEBHOOK_BACKGROUND"),
    }


WEBHOOK_SECRET_BYTES = (24, 64)  # the key sizes Standard Webhooks allows


def check_webhook_secret(name: str, secret: str) -> None:
    """A Standard Webhooks secret: ``whsec_`` and 24 to 64 random bytes in base64
    (``flask webhooks new-secret`` prints one)."""
    low, high = WEBHOOK_SECRET_BYTES
    try:
        if not secret.startswith("whsec_"):
            raise ValueError
        key = base64.b64decode(secret.removeprefix("whsec_"), validate=True)
    except (ValueError, binascii.Error):
        key = b""
    if not low <= len(key) <= high:
        raise ConfigError(
            f"{name} must be whsec_ followed by {low} to {high} random bytes in base64; "
            "make one with `flask --app questionnaire webhooks new-secret`"
        )


def check_report_settings(config: dict) -> None:
    wait = config["REPORT_WAIT_SECONDS"]
    if not 0 <= wait <= MAX_REPORT_WAIT_SECONDS:
        raise ConfigError(
            f"REPORT_WAIT_SECONDS must be between 0 and {MAX_REPORT_WAIT_SECONDS:g} (a download "
            f"waits in a web worker, which is stopped after 60 s), got {wait:g}"
        )
    if config["REPORT_QUEUE_LIMIT"] < 1:
        raise ConfigError("REPORT_QUEUE_LIMIT must be at least 1")
    url = config["REPORT_QUEUE_URL"]
    if url and not url.startswith(QUEUE_URL_SCHEMES):
        raise ConfigError(
            f"REPORT_QUEUE_URL must start with {', '.join(QUEUE_URL_SCHEMES)}; it starts "
            f"with {url.split(':', 1)[0][:20]!r}"  # not the rest: it may hold a password
        )


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
