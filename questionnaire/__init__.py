"""Trustcheck: a cloud-provider due-diligence questionnaire (Flask app factory)."""

from __future__ import annotations

from flask import Flask


def create_app(test_config: dict | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True)
    if test_config:
        app.config.update(test_config)

    from questionnaire import cli

    cli.init_app(app)
    return app
