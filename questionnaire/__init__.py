"""Trustcheck: a cloud-provider due-diligence questionnaire.

The package's layers, lowest first (import-linter holds the order, see pyproject.toml):
``core`` (the pure domain), ``store`` (the database), ``reports`` (the PDF),
``web`` (the pages), ``cli`` (the commands) and ``app`` (the factory). Importing this
package imports none of them, so ``import questionnaire.core.scoring`` loads no Flask.
"""

from __future__ import annotations

import importlib
from typing import Any


def __getattr__(name: str) -> Any:
    # `flask --app questionnaire` and gunicorn's "questionnaire:create_app()" look for the
    # factory here; it is imported only when asked for.
    if name == "create_app":
        return importlib.import_module("questionnaire.app").create_app
    raise AttributeError(f"module 'questionnaire' has no attribute {name!r}")
