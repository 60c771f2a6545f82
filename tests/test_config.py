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
