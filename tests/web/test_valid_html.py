"""What the Nu Html Checker found on these pages, held here in a second and without Java:
one element per id on a page (several forms each with a CSRF field, a requirement drawn
twice), and `<time datetime>` values with at most three digits of a fraction.
tests/browser runs the checker itself on every page type."""

from __future__ import annotations

import re
from collections import Counter
from html.parser import HTMLParser

from questionnaire.store.db import db
from questionnaire.store.models import Assessment
from tests.conftest import signed_in
from tests.support import page

# A day, or a day and time whose seconds have a fraction of one to three digits at most
# (the HTML standard allows no more).
MACHINE_TIME = re.compile(r"^\d{4}-\d\d-\d\d(T\d\d:\d\d(:\d\d(\.\d{1,3})?)?(Z|[+-]\d\d:\d\d)?)?$")


class Markup(HTMLParser):
    def __init__(self, html: str):
        super().__init__()
        self.ids: Counter[str] = Counter()
        self.times: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        if "id" in values:
            self.ids[values["id"]] += 1
        if tag == "time" and "datetime" in values:
            self.times.append(values["datetime"])


def problems(html: str) -> list[str]:
    markup = Markup(html)
    repeated = [f"id {name!r} {n} times" for name, n in markup.ids.items() if n > 1]
    return repeated + [f"datetime {t!r}" for t in markup.times if not MACHINE_TIME.match(t)]


def test_the_buyers_result_with_a_deal_breaker_and_its_forms_repeats_no_id(app, buyer, submitted):
    number, _ = submitted
    with app.app_context():
        result = db.session.get(Assessment, number).result
    assert result["deal_breakers"], "the example must have a deal-breaker for this test"
    app.config["WTF_CSRF_ENABLED"] = True  # every form then carries its token
    html = page(buyer.client.get(buyer.url("/result")))
    assert html.count('name="csrf_token"') >= 2
    assert problems(html) == []


def test_sales_and_admin_pages_with_times_and_several_forms_repeat_no_id(app, submitted):
    number, _ = submitted
    admin = signed_in(app, "ada@provider.example", "admin", "Ada Admin")
    admin.get(f"/sales/assessments/{number}")  # an access log entry to list, with its time
    app.config["WTF_CSRF_ENABLED"] = True
    for url in (
        f"/sales/assessments/{number}",
        "/sales/",
        "/sales/admin/",
        "/sales/admin/access-log",
    ):
        html = page(admin.get(url))
        assert "<time datetime=" in html, url
        assert problems(html) == [], url


def test_the_start_page_with_lost_your_link_and_the_new_link_pages_repeat_no_id(make_app, smtp):
    from tests.web.test_lost_link import make_new_link, new_link_for

    app = make_app(**smtp.config())
    client = app.test_client()
    client.post("/", data={"company": "A", "name": "B", "email": "b@x.example", "consent": "y"})
    path = new_link_for(client, smtp, app, "b@x.example")
    app.config["WTF_CSRF_ENABLED"] = True
    start = page(client.get("/"))
    assert start.count('name="csrf_token"') == 2 and 'id="lost-email"' in start
    asked = page(client.get(path))
    assert 'name="csrf_token"' in asked
    app.config["WTF_CSRF_ENABLED"] = False
    made = page(client.get(f"/a/{make_new_link(client, path)}/new-link"))
    for html in (start, asked, made):
        assert problems(html) == []
    refused = client.post("/lost-link", data={"lost-email": "x"})  # the form again, with its error
    assert problems(page(refused)) == []
