"""The session cookie interface: every cookie is verified on every request."""

from __future__ import annotations

import time
from datetime import timedelta

from flask import request, session


def cookie_for(app, data: dict) -> str:
    return app.session_interface.get_signing_serializer(app).dumps(data)


def opened(app, cookie: str) -> dict:
    name = app.config["SESSION_COOKIE_NAME"]
    with app.test_request_context(headers={"Cookie": f"{name}={cookie}"}):
        return dict(app.session_interface.open_session(app, request))


def test_a_valid_cookie_opens_the_same_the_second_time(app):
    cookie = cookie_for(app, {"csrf_token": "abc", "_flashes": [["info", "hi"]]})
    assert (
        opened(app, cookie)
        == opened(app, cookie)
        == {
            "csrf_token": "abc",
            "_flashes": [["info", "hi"]],
        }
    )


def test_a_changed_cookie_is_refused_even_after_the_real_one_was_opened(app):
    cookie = cookie_for(app, {"_user_id": "1:1"})
    assert opened(app, cookie) == {"_user_id": "1:1"}
    payload, signature = cookie.rsplit(".", 1)
    forged = payload + "." + ("A" if signature[0] != "A" else "B") + signature[1:]
    assert opened(app, forged) == {}


def test_a_cookie_opened_before_still_expires(app, monkeypatch):
    cookie = cookie_for(app, {"_user_id": "1:1"})
    assert opened(app, cookie) == {"_user_id": "1:1"}
    app.permanent_session_lifetime = timedelta(seconds=1)
    later = time.time() + 2
    monkeypatch.setattr(time, "time", lambda: later)  # itsdangerous dates cookies by it
    assert opened(app, cookie) == {}


def test_a_new_secret_key_refuses_cookies_signed_with_the_old_one(app):
    cookie = cookie_for(app, {"_user_id": "1:1"})
    assert opened(app, cookie) == {"_user_id": "1:1"}
    app.secret_key = "rotated-" + app.secret_key
    assert opened(app, cookie) == {}


def test_changing_a_session_in_one_request_does_not_change_the_next(app):
    cookie = cookie_for(app, {"_flashes": [["info", "one"]]})
    name = app.config["SESSION_COOKIE_NAME"]
    with app.test_request_context(headers={"Cookie": f"{name}={cookie}"}):
        app.preprocess_request()
        session["_flashes"].append(["info", "two"])  # as flask.flash does, in place
    assert opened(app, cookie) == {"_flashes": [["info", "one"]]}
