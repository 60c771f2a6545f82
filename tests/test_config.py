"""Settings from the environment: parsed once, as the type of their default."""

from __future__ import annotations

import pytest

from questionnaire.config import ConfigError, setting


def test_settings_come_from_the_environment_as_the_defaults_type(monkeypatch):
    monkeypatch.setenv("REPORT_WORKERS", "2")
    monkeypatch.setenv("REPORT_PRERENDER", "0")
    assert setting("REPORT_WORKERS", 1) == 2 and setting("REPORT_PRERENDER", True) is False
    assert setting("REPORT_WAIT_SECONDS", 8.0) == 8.0  # not set: the default
    monkeypatch.setenv("REPORT_WORKERS", "two")
    with pytest.raises(ConfigError, match="REPORT_WORKERS must be a whole number"):
        setting("REPORT_WORKERS", 1)


@pytest.mark.parametrize(
    ("settings", "warned"),
    [
        ({"PUBLIC_URL": "http://trustcheck.example"}, "PUBLIC_URL is http://trustcheck.example"),
        (
            {"WEBHOOK_URL": "http://crm.example/hook", "WEBHOOK_SECRET": "s" * 16},
            "WEBHOOK_URL is http://crm.example",
        ),
        (
            {"MAIL_SERVER": "smtp.example", "MAIL_DEFAULT_SENDER": "t@provider.example",
             "PUBLIC_URL": "https://trustcheck.example"},
            "e-mail goes to smtp.example without TLS",
        ),
    ],
)  # fmt: skip
def test_settings_that_send_secrets_unencrypted_are_warned_of_at_start(
    make_app, caplog, settings, warned
):
    make_app(**settings)
    assert warned in caplog.text and "WARNING" in caplog.text


@pytest.mark.parametrize(
    "settings",
    [
        {"PUBLIC_URL": "https://trustcheck.example", "WEBHOOK_URL": "https://crm.example/h",
         "WEBHOOK_SECRET": "s" * 16},
        {"PUBLIC_URL": "http://127.0.0.1:5000", "WEBHOOK_URL": "http://localhost:9000/h",
         "WEBHOOK_SECRET": "s" * 16},
        {"MAIL_SERVER": "smtp.example", "MAIL_USE_TLS": True, "MAIL_PORT": 587,
         "MAIL_DEFAULT_SENDER": "t@provider.example", "PUBLIC_URL": "https://trustcheck.example"},
        {"MAIL_SERVER": "127.0.0.1", "MAIL_DEFAULT_SENDER": "t@provider.example",
         "PUBLIC_URL": "https://trustcheck.example"},
    ],
)  # fmt: skip
def test_encrypted_or_loopback_settings_are_not_warned_of(make_app, caplog, settings):
    make_app(**settings)
    assert "unencrypted" not in caplog.text and "without TLS" not in caplog.text
