"""The app behind Flask's ``current_app`` proxy, for work that outlives the request or
command that started it (threads, queued jobs): a proxy only works inside its context."""

from __future__ import annotations

from typing import Any, cast

from flask import Flask, current_app


def the_app() -> Flask:
    """The app object itself (Flask types ``current_app`` as the app, hiding the proxy)."""
    return cast(Flask, cast(Any, current_app)._get_current_object())
