"""How fast the sales list and CSV export are with many assessments (not a test).

    .venv/bin/python bench/sales_list.py            # 100,000 assessments
    .venv/bin/python bench/sales_list.py --rows 20000 --keep /tmp/bench.db

Builds a temporary SQLite database through the real migrations, fills it with
generated assessments (three in four submitted, each with a real stored result),
signs in through the app and times the pages in-process with Flask's test client:
median of several runs per page, in milliseconds, including rendering.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from flask_migrate import upgrade
from sqlalchemy import insert, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from questionnaire import services  # noqa: E402
from questionnaire.app import create_app  # noqa: E402
from questionnaire.core import answers as answers_mod  # noqa: E402
from questionnaire.core import progress  # noqa: E402
from questionnaire.core.bank import parse_bank  # noqa: E402
from questionnaire.core.scoring import score  # noqa: E402
from questionnaire.store import operations as ops  # noqa: E402
from questionnaire.store.accounts import create_user  # noqa: E402
from questionnaire.store.db import db  # noqa: E402
from questionnaire.store.models import AccessEvent, Assessment, BankSnapshot, utcnow  # noqa: E402
from tests.factories import random_answers  # noqa: E402

WORDS = (
    "north blue river stone bright oak harbour summit cedar maple quartz delta apex orbit".split()
)
KINDS = "Analytics Logistics Health Foods Energy Legal Media Retail Bank Systems Labs".split()
SUFFIXES = ["Ltd", "GmbH", "plc", "SA", "Inc", "BV", "LLP"]
FIRST = "Ann Bob Chloe Dev Ella Farid Grace Hugo Iris Jon Kemi Liam Mia Noor Omar Pia".split()
LAST = "Smith Jones Patel Müller Rossi Dubois Novak Khan Silva Berg Okafor Chen Kowalski".split()
PASSWORD = "quiet-harbour-lantern-7251"  # passes the password rules (no name or address in it)


def results_for(bank, count: int) -> list[tuple[dict, dict, list]]:
    """Real results from random answers: (result, answers, must_have)."""
    out = []
    for seed in range(count):
        answers, must = random_answers(bank, seed)
        answers, must = progress.tidy_answers(bank, answers, must)
        checked = answers_mod.check(bank, answers, must)
        result = score(bank, checked.values, checked.must_have).to_dict()
        out.append((result, checked.values, list(checked.must_have)))
    return out


def older_bank(bank):
    source = bank.source.replace(f'version: "{bank.version}"', 'version: "2026.10.1"', 1)
    return parse_bank(source, "older.yaml")


def fill(rows: int, seed: int = 1) -> None:
    rng = random.Random(seed)
    bank = services.banks().current()
    old = older_bank(bank)
    for b in (bank, old):
        ops.ensure_snapshot(b)
    db.session.commit()
    outcomes = results_for(bank, 60)
    now = utcnow()
    batch = []
    for n in range(rows):
        use = old if rng.random() < 0.1 else bank
        company = f"{rng.choice(WORDS).title()}{rng.choice(WORDS)} {rng.choice(KINDS)} {rng.choice(SUFFIXES)}"
        first, last = rng.choice(FIRST), rng.choice(LAST)
        email = f"{first}.{last}{n}@{company.split(maxsplit=1)[0].lower()}.example".lower()
        created = now - timedelta(minutes=rng.randint(60, 730 * 24 * 60))
        submitted = rng.random() < 0.75
        result, answers, must = rng.choice(outcomes)
        row = {
            "token_hash": f"{n:064x}",
            "status": "submitted" if submitted else "draft",
            "company": company,
            "contact_name": f"{first} {last}",
            "email": email,
            "search_text": ops.search_text(company, f"{first} {last}", email),
            "consent": True,
            "consent_at": created,
            "answers": answers,
            "must_have": must,
            "progress": {},
            "bank_sha256": use.sha256,
            "bank_version": use.version,
            "result": result if submitted else None,
            "score": result["score"] if submitted else None,
            "rating": result["rating"] if submitted else None,
            "deal_breakers": len(result["deal_breakers"]) if submitted else 0,
            "created_at": created,
            "updated_at": created + timedelta(minutes=40),
            "submitted_at": created + timedelta(minutes=40) if submitted else None,
            "row_version": 1,
        }
        batch.append(row)
        if len(batch) == 5000:
            db.session.execute(insert(Assessment), batch)
            batch = []
    if batch:
        db.session.execute(insert(Assessment), batch)
    db.session.commit()  # no ANALYZE: a real database rarely has statistics either
    db.session.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))  # as a running app would be


def median_ms(client, url: str, repeat: int) -> tuple[float, int]:
    times = []
    size = 0
    for _ in range(repeat):
        start = time.perf_counter()
        response = client.get(url)
        body = response.get_data()
        times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (url, response.status_code)
        size = len(body)
    return statistics.median(times), size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--keep", help="database file to create (and keep) instead of a temp one")
    args = parser.parse_args()

    folder = tempfile.TemporaryDirectory()
    path = Path(args.keep) if args.keep else Path(folder.name) / "bench.db"
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "bench",
            "WTF_CSRF_ENABLED": False,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}",
            "SERVER_NAME": "localhost",
        }
    )
    with app.app_context():
        fresh = not path.exists() or path.stat().st_size == 0
        upgrade()
        if fresh or not db.session.scalar(text("SELECT count(*) FROM assessments")):
            start = time.perf_counter()
            fill(args.rows)
            print(f"inserted {args.rows:,} assessments in {time.perf_counter() - start:.1f} s")
            with services.unit_of_work() as uow:
                create_user(uow, "bench@example.com", "admin", PASSWORD, "Bench Seller")
                uow.commit()
        submitted = db.session.scalar(
            text("SELECT count(*) FROM assessments WHERE status = 'submitted'")
        )
    print(f"database {path} ({path.stat().st_size / 1e6:,.0f} MB), {submitted:,} submitted")

    client = app.test_client()
    response = client.post(
        "/sales/login", data={"email": "bench@example.com", "password": PASSWORD}
    )
    assert response.status_code == 302, response.status_code
    last = -(-submitted // 25)
    week_ago = (utcnow() - timedelta(days=7)).date().isoformat()
    pages = [
        ("list, first page", "/sales/"),
        ("list, middle page", f"/sales/?page={last // 2}"),
        ("list, last page", f"/sales/?page={last}"),
        ("search 'harbour' (common)", "/sales/?q=harbour"),
        ("search 'okafor' (a surname)", "/sales/?q=okafor"),
        ("search one email (1 match)", "/sales/?q=ann.smith77%40"),
        ("search, no match", "/sales/?q=zzzz"),
        ("search 'harbour', last page", "/sales/?q=harbour&page=100000"),
        ("deal-breakers, last 7 days", f"/sales/?deal_breakers=yes&date_from={week_ago}"),
        ("rating 'Strong fit'", "/sales/?rating=Strong+fit"),
        ("bank version 2026.10.1", "/sales/?bank_version=2026.10.1"),
        ("sort by score, first page", "/sales/?sort=score_high"),
        ("sort by score, last page", f"/sales/?sort=score_high&page={last}"),
        ("lowest score, first page", "/sales/?sort=score_low"),
        ("drafts, first page", "/sales/?status=draft"),
        ("drafts, last page", "/sales/?status=draft&page=100000"),
    ]
    print(f"\n{'page':40} {'median ms':>10}")
    for label, url in pages:
        ms, _ = median_ms(client, url, args.repeat)
        print(f"{label:40} {ms:10.1f}")

    print(f"\n{'export':40} {'ms':>10} {'rows':>8} {'MB':>6}")
    for label, url in [
        (
            "CSV, deal-breakers last 7 days",
            f"/sales/export.csv?deal_breakers=yes&date_from={week_ago}",
        ),
        ("CSV, bank version 2026.10.1", "/sales/export.csv?bank_version=2026.10.1"),
        ("CSV, every submitted assessment", "/sales/export.csv"),
    ]:
        start = time.perf_counter()
        response = client.get(url)
        body = response.get_data()
        ms = (time.perf_counter() - start) * 1000
        rows = body.count(b"\r\n") - 1
        print(f"{label:40} {ms:10.0f} {rows:8,} {len(body) / 1e6:6.1f}")

    with app.app_context():
        events = db.session.scalar(text("SELECT count(*) FROM access_events"))
        print(f"\naccess events recorded: {events:,}")
        for label, url in [
            ("access log, first page", "/sales/admin/access-log"),
            ("access log, last page", "/sales/admin/access-log?page=100000"),
        ]:
            ms, _ = median_ms(client, url, args.repeat)
            print(f"{label:40} {ms:10.1f}")
    assert AccessEvent and BankSnapshot  # imported for the schema
    folder.cleanup()


if __name__ == "__main__":
    main()
