"""Load: many buyers complete the wizard at once against gunicorn; nothing may be lost.

    .venv/bin/python bench/load.py [--buyers 50] [--workers 2]
    scripts/with-postgres .venv/bin/python bench/load.py      # the same on PostgreSQL 15

Starts gunicorn on a free loopback port over a fresh, migrated database (SQLite in a
temporary folder, or the PostgreSQL database named by DATABASE_URL), then lets every
buyer walk the shipped bank at the same moment: start page, start, each section (GET
and POST), check your answers, submit, result. Afterwards it reads the database and
compares every assessment's stored answers, must-haves and score with what its buyer
sent. Prints latency percentiles and exits 1 on any 5xx, failed request or lost answer.
Bounded: every request has a timeout and the whole run a deadline.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import json
import random
import re
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from questionnaire.core.bank import load_bank  # noqa: E402
from questionnaire.core.scoring import score, visible_answers  # noqa: E402
from tests.factories import random_answers  # noqa: E402
from tests.live import LiveServer  # noqa: E402

CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
REQUEST_TIMEOUT = 30


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


TEXTS = ("", "Plain notes.", "Ünïcode – “quotes” <b>&amp;</b>\nline two")


def buyer_answers(bank, rng: random.Random) -> tuple[dict, list[str]]:
    """A buyer's answers to every question, as they would type them, and some must-haves."""
    answers, _ = random_answers(bank, rng, texts=TEXTS)
    kept = visible_answers(bank, {k: v for k, v in answers.items() if v != ""})
    must = [q for q in kept if bank.question(q).scored and rng.random() < 0.15]
    return answers, must


class Buyer:
    def __init__(self, base: str, stats: Stats):
        self.base = base
        self.stats = stats
        jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(jar), NoRedirect
        )

    def request(self, kind: str, path: str, data: list[tuple[str, str]] | None = None):
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        started = time.perf_counter()
        try:
            response = self.opener.open(self.base + path, body, timeout=REQUEST_TIMEOUT)
            status, text, location = response.status, response.read().decode(), None
        except urllib.error.HTTPError as error:
            status, text = error.code, error.read().decode(errors="replace")
            location = error.headers.get("Location")
        except OSError as error:
            self.stats.record(kind, time.perf_counter() - started, 0)
            raise RuntimeError(f"{kind} {path}: {error}") from None
        self.stats.record(kind, time.perf_counter() - started, status)
        return status, text, location

    def walk(self, bank, answers: dict, must: list[str]) -> str:
        status, html, _ = self.request("GET start", "/")
        token_field = CSRF.search(html).group(1)
        status, _, location = self.request(
            "POST start",
            "/",
            [
                ("company", f"Load Co {id(self)}"),
                ("name", "Buyer"),
                ("email", "b@load.example"),
                ("consent", "y"),
                ("csrf_token", token_field),
            ],
        )
        assert status == 302, f"start: {status}"
        token = re.search(r"/a/([^/?]+)", location).group(1)
        for section in bank.sections:
            status, html, _ = self.request("GET step", f"/a/{token}/step/{section.id}")
            assert status == 200, f"GET {section.id}: {status}"
            form = [("csrf_token", CSRF.search(html).group(1)), ("action", "next")]
            for q in section.questions:
                value = answers.get(q.id)
                if f'name="{q.id}"' not in html or value is None:
                    continue  # hidden by an earlier page's answer
                if isinstance(value, list):
                    form += [(q.id, v) for v in value]
                else:
                    form.append((q.id, str(value)))
                if q.id in must:
                    form.append(("must_have", q.id))
            status, html, location = self.request(
                "POST step", f"/a/{token}/step/{section.id}", form
            )
            assert status == 302, f"POST {section.id}: {status}: {html[:300]}"
        status, html, _ = self.request("GET check", f"/a/{token}/check")
        assert status == 200, f"check: {status}"
        status, _, _ = self.request(
            "POST submit", f"/a/{token}/submit", [("csrf_token", CSRF.search(html).group(1))]
        )
        assert status == 302, f"submit: {status}"
        status, _, _ = self.request("GET result", f"/a/{token}/result")
        assert status == 200, f"result: {status}"
        return token


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.times: dict[str, list[float]] = defaultdict(list)
        self.statuses: dict[int, int] = defaultdict(int)

    def record(self, kind: str, seconds: float, status: int) -> None:
        with self.lock:
            self.times[kind].append(seconds)
            self.statuses[status] += 1


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def expected_rows(bank, answers: dict, must: list[str]) -> tuple[dict, list[str]]:
    """What the server should keep: visible answers (empty text is no answer), must-haves on them."""
    given = {k: v for k, v in answers.items() if v != ""}
    kept = visible_answers(bank, given)
    # The server keeps answers normalised: multi keys in the bank's order, text trimmed.
    kept = {k: bank.question(k).kind.parse(bank.question(k), v) for k, v in kept.items()}
    return kept, sorted(m for m in must if m in kept)


def verify(database_url: str, bank, sent: dict[str, tuple[dict, list[str]]]) -> list[str]:
    from sqlalchemy import create_engine, text

    from questionnaire.config import sqlalchemy_url
    from questionnaire.store.models import hash_token

    engine = create_engine(sqlalchemy_url(database_url))
    problems = []
    with engine.connect() as connection:
        for token, (answers, must) in sent.items():
            row = connection.execute(
                text(
                    "SELECT status, answers, must_have, score FROM assessments WHERE token_hash = :h"
                ),
                {"h": hash_token(token)},
            ).one_or_none()
            if row is None:
                problems.append(f"{token[:6]}…: missing")
                continue
            stored_answers = (
                row.answers if isinstance(row.answers, dict) else json.loads(row.answers)
            )
            stored_must = (
                row.must_have if isinstance(row.must_have, list) else json.loads(row.must_have)
            )
            want_answers, want_must = expected_rows(bank, answers, must)
            if row.status != "submitted":
                problems.append(f"{token[:6]}…: status {row.status}")
            if stored_answers != want_answers:
                diff = {
                    k
                    for k in set(stored_answers) | set(want_answers)
                    if stored_answers.get(k) != want_answers.get(k)
                }
                problems.append(f"{token[:6]}…: answers differ on {sorted(diff)}")
            if sorted(stored_must) != want_must:
                problems.append(f"{token[:6]}…: must-haves differ")
            expected_score = score(bank, want_answers, want_must).score
            if row.score != expected_score:
                problems.append(f"{token[:6]}…: score {row.score} != {expected_score}")
    engine.dispose()
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--buyers", type=int, default=50)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--deadline", type=float, default=300, help="seconds for the whole run")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    bank = load_bank(ROOT / "questions.yaml")
    rng = random.Random(args.seed)
    plans = [buyer_answers(bank, rng) for _ in range(args.buyers)]
    stats = Stats()
    sent: dict[str, tuple[dict, list[str]]] = {}
    failures: list[str] = []
    with (
        tempfile.TemporaryDirectory(prefix="trustcheck-load-") as tmp,
        LiveServer(Path(tmp), "load", workers=args.workers) as server,
    ):
        database_url = server.database_url
        barrier = threading.Barrier(args.buyers)

        def run(plan):
            buyer = Buyer(server.url, stats)
            barrier.wait()
            try:
                token = buyer.walk(bank, *plan)
                with stats.lock:
                    sent[token] = plan
            except (AssertionError, RuntimeError, AttributeError) as error:
                with stats.lock:
                    failures.append(str(error))

        threads = [threading.Thread(target=run, args=(plan,), daemon=True) for plan in plans]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(max(0.0, args.deadline - (time.perf_counter() - started)))
        elapsed = time.perf_counter() - started
        unfinished = sum(thread.is_alive() for thread in threads)
        server_errors = server.log_errors()
        lost = verify(database_url, bank, sent)

    all_times = [t for values in stats.times.values() for t in values]
    print(
        f"{args.buyers} buyers, {args.workers} gunicorn workers, {database_url.split(':')[0]}: "
        f"{len(all_times)} requests in {elapsed:.1f} s ({len(all_times) / elapsed:.0f} req/s)"
    )
    print(f"{'request':<14}{'count':>7}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}")
    for kind, values in sorted(stats.times.items()):
        print(
            f"{kind:<14}{len(values):>7}{1000 * percentile(values, 0.5):>9.1f}"
            f"{1000 * percentile(values, 0.95):>9.1f}{1000 * max(values):>9.1f}"
        )
    print(
        f"{'all':<14}{len(all_times):>7}{1000 * percentile(all_times, 0.5):>9.1f}"
        f"{1000 * percentile(all_times, 0.95):>9.1f}{1000 * max(all_times):>9.1f}"
    )
    five_xx = sum(n for status, n in stats.statuses.items() if status >= 500 or status == 0)
    print(f"statuses: {dict(sorted(stats.statuses.items()))}")
    print(
        f"completed: {len(sent)}/{args.buyers}  failed: {len(failures)}  unfinished: {unfinished}"
    )
    print(
        f"5xx or no answer: {five_xx}  lost or wrong answers: {len(lost)}  server errors logged: {len(server_errors)}"
    )
    for line in (failures + lost + server_errors)[:20]:
        print("  ", line)
    summary = {
        "buyers": args.buyers,
        "database": database_url.split(":")[0],
        "requests": len(all_times),
        "p50_ms": round(1000 * percentile(all_times, 0.5), 1),
        "p95_ms": round(1000 * percentile(all_times, 0.95), 1),
        "five_xx": five_xx,
        "lost": len(lost),
        "completed": len(sent),
    }
    print(json.dumps(summary))
    ok = five_xx == 0 and not lost and not failures and not unfinished and len(sent) == args.buyers
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
