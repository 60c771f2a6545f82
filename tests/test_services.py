"""The app's services, found by type (questionnaire.services), and templates that refuse a
name their view did not give."""

from __future__ import annotations

import pytest
from jinja2 import UndefinedError

from questionnaire import services
from questionnaire.notify.mailer import Mailer
from questionnaire.reports.service import ReportService
from questionnaire.store.banks import BankRegistry
from questionnaire.web.jobs import JobRunner
from questionnaire.web.lost_link import Requests


def test_each_service_is_found_by_its_type(make_app):
    app = make_app(
        LIBRARY_BACKGROUND=True,
        MAIL_SERVER="127.0.0.1",
        MAIL_DEFAULT_SENDER="Trustcheck <t@provider.example>",
        PUBLIC_URL="https://x.example",
    )
    assert isinstance(services.banks(app), BankRegistry)
    assert isinstance(services.reports(app), ReportService)
    assert isinstance(services.mail(app), Mailer)
    assert isinstance(services.library_jobs(app), JobRunner)
    assert services.answer_notices(app) is not None
    assert isinstance(services.lost_links(app), Requests)  # e-mail is on
    assert services.webhooks(app) is None  # no WEBHOOK_URL
    with app.app_context():
        assert services.reports() is services.reports(app)


def test_a_service_the_app_runs_without_is_none_and_a_missing_one_is_an_error(make_app):
    app = make_app()
    assert services.mail(app) is None and services.library_jobs(app) is None
    assert services.lost_links(app) is None  # no e-mail: no lost-link e-mails either
    del app.extensions[services.KEY][services.Reports]
    with pytest.raises(LookupError, match="no Reports"):
        services.reports(app)


def test_a_service_that_does_not_offer_what_its_type_says_is_refused_at_start_up(make_app):
    app = make_app()

    class HalfAReportService:
        wait_seconds = 1.0
        queue = None

        def wait(self, assessment, seconds):
            return None

    with pytest.raises(TypeError, match="HalfAReportService is not a Reports"):
        services.provide(app, services.Reports, HalfAReportService())


def test_a_name_a_template_was_not_given_is_an_error_not_a_blank(app):
    with app.app_context():
        template = app.jinja_env.from_string("Hello {{ buyer.name }}")
        assert template.render(buyer={"name": "Ann"}) == "Hello Ann"
        with pytest.raises(UndefinedError):
            template.render()
        with pytest.raises(UndefinedError):
            template.render(buyer={})
        with pytest.raises(UndefinedError):
            app.jinja_env.from_string("{% if missing %}shown{% endif %}").render()
