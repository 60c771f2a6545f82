"""CPU time of a wizard step, in-process: the WSGI app called directly, no test client.

    .venv/bin/python bench/step_cost.py [--rounds 7] [--requests 400]

Starts one buyer on a fresh SQLite database (CSRF on, as in production), then times
``--requests`` step GETs and as many step POSTs (Save and continue, the example answers)
with ``time.process_time``, ``--rounds`` times, and prints the best and the median round
per request, with ``/healthz`` beside them for scale. Not a test: a measuring stick for
docs/performance.md. Run it with another checkout on PYTHONPATH to compare two versions
side by side.
"""

from __future__ import annotations

import argparse
import gc
import json
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

from werkzeug.test import EnvironBuilder

import questionnaire
from questionnaire.app import create_app
from questionnaire.core.bank import load_bank
from questionnaire.store.db import db

ROOT = Path(__file__).resolve().parent.parent
CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def app_and_buyer(tmp: Path):
    app = create_app(
        {
            "SECRET_KEY": "bench",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp / 'bench.db'}",
            "QUESTIONS_PATH": str(ROOT / "questions.yaml"),
            "REPORTS_DIR": str(tmp / "reports"),
            "REPORT_PRERENDER": False,
            "SERVER_NAME": "localhost",
        }
    )
    with app.app_context():
        db.create_all()
    client = app.test_client()
    start = client.get("/")
    token_field = CSRF.search(start.get_data(as_text=True)).group(1)
    reply = client.post(
        "/",
        data={
            "company": "Bench Ltd",
            "name": "B",
            "email": "b@bench.example",
            "consent": "y",
            "csrf_token": token_field,
        },
    )
    step = reply.location.split("?")[0]
    page = client.get(step).get_data(as_text=True)
    cookie = "; ".join(f"{c.key}={c.value}" for c in client._cookies.values())
    return app, step, cookie, CSRF.search(page).group(1)


def step_body(bank, section_id: str, csrf: str) -> bytes:
    answers = json.loads((ROOT / "examples" / "answers.json").read_text())["answers"]
    fields = [("csrf_token", csrf), ("action", "next")]
    for q in bank.section(section_id).questions:
        value = answers.get(q.id)
        if isinstance(value, list):
            fields += [(q.id, v) for v in value]
        elif value is not None:
            fields.append((q.id, str(value)))
    return urlencode(fields).encode()


def timed(app, make_environ, count: int, expect: str) -> float:
    """CPU seconds per request over ``count`` requests (building the environ not counted)."""
    total = 0.0
    statuses: set[str] = set()
    for _ in range(count):
        environ = make_environ()
        start = time.process_time()
        body = app.wsgi_app(environ, lambda status, headers, exc_info=None: statuses.add(status))
        for _chunk in body:
            pass
        if hasattr(body, "close"):
            body.close()
        total += time.process_time() - start
    if statuses != {expect}:
        raise RuntimeError(f"expected {expect}, got {statuses}")
    return total / count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--requests", type=int, default=400)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="step-cost-"))
    app, step, cookie, csrf = app_and_buyer(tmp)
    bank = load_bank(ROOT / "questions.yaml")
    body = step_body(bank, step.rsplit("/", 1)[1], csrf)
    headers = {"Cookie": cookie, "Host": "localhost"}

    def get():
        return EnvironBuilder(path=step, headers=headers).get_environ()

    def post():
        return EnvironBuilder(
            path=step,
            method="POST",
            headers=headers,
            data=body,
            content_type="application/x-www-form-urlencoded",
        ).get_environ()

    def healthz():
        return EnvironBuilder(path="/healthz", headers={"Host": "localhost"}).get_environ()

    gc.freeze()  # as gunicorn.conf.py's post_worker_init does in each worker
    kinds = {
        "healthz": (healthz, "200 OK"),
        "step GET": (get, "200 OK"),
        "step POST": (post, "302 FOUND"),
    }
    results: dict[str, list[float]] = {name: [] for name in kinds}
    for make, expect in kinds.values():  # warm up
        timed(app, make, 50, expect)
    for _ in range(args.rounds):
        for name, (make, expect) in kinds.items():
            results[name].append(timed(app, make, args.requests, expect))
    print(f"code: {Path(questionnaire.__file__).parent}")
    for name, values in results.items():
        best, median = min(values) * 1000, statistics.median(values) * 1000
        print(f"{name:10} best {best:.3f} ms  median {median:.3f} ms")


if __name__ == "__main__":
    sys.exit(main())
