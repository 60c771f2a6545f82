"""How long one answer of the library takes to reach 1,000 buyers (not a test).

    .venv/bin/python bench/library_apply.py [--assessments 1000]

Builds a SQLite database through the real migrations with that many submitted
assessments of the shipped bank, each asking for a breach notice the source is silent on
(so the question is open for the provider), with real stored results. Then times, in
process, what "Apply to every open assessment that asks this" does: the preview (each
result scored again with the answer counted) and, confirmed, the writing (a result
revision, the list columns, the access event, the open questions of each, in batches).
Both steps run as the background job runs them (store.library.run).
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

from flask_migrate import upgrade
from sqlalchemy import func, insert, select, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from questionnaire import services  # noqa: E402
from questionnaire.app import create_app  # noqa: E402
from questionnaire.core import answers as answers_mod  # noqa: E402
from questionnaire.core import progress  # noqa: E402
from questionnaire.core.library import value_space  # noqa: E402
from questionnaire.core.scoring import score  # noqa: E402
from questionnaire.core.written import answerable  # noqa: E402
from questionnaire.store import library  # noqa: E402
from questionnaire.store import operations as ops  # noqa: E402
from questionnaire.store.db import db  # noqa: E402
from questionnaire.store.models import (  # noqa: E402
    Assessment,
    OpenQuestion,
    ResultRevision,
    utcnow,
)
from questionnaire.store.results import summary_of  # noqa: E402
from tests.factories import random_answers  # noqa: E402

QUESTION = "breach_notification_hours"  # a number the shipped bank's source is silent on
STAFF = library.Staff(None, "Bench Seller (sales team)", "Bench Seller")


def fill(count: int, seed: int = 1) -> None:
    """``count`` submitted assessments, each with QUESTION open (asked for, 24 to 96 hours)."""
    rng = random.Random(seed)
    bank = services.banks().current()
    ops.ensure_snapshot(bank)
    db.session.commit()
    now = utcnow()
    space = value_space(bank.question(QUESTION))
    rows, opened = [], []
    for n in range(count):
        answers, must = random_answers(bank, seed + n)
        answers[QUESTION] = rng.choice((24, 48, 72, 96))
        answers, must = progress.tidy_answers(bank, answers, must)
        checked = answers_mod.check(bank, answers, must)
        result = score(bank, checked.values, checked.must_have).to_dict()
        asked = answerable(result)
        summary = summary_of(result)
        rows.append(
            {
                "token_hash": f"{n:064x}",
                "status": "submitted",
                "company": f"Bench {n} Ltd",
                "contact_name": "Ann Bench",
                "email": f"ann{n}@bench.example",
                "search_text": f"bench {n} ltd",
                "consent": True,
                "consent_at": now,
                "answers": checked.values,
                "must_have": list(checked.must_have),
                "progress": {},
                "bank_sha256": bank.sha256,
                "bank_version": bank.version,
                "result": result,
                "score": result["score"],
                "rating": result["rating"],
                "deal_breakers": len(result["deal_breakers"]),
                "summary": summary,
                "state": summary["state"],
                "open_follow_ups": len(asked),
                "created_at": now,
                "updated_at": now,
                "submitted_at": now,
                "row_version": 1,
            }
        )
        opened.append([q for q in asked])
    db.session.execute(insert(Assessment), rows)
    ids = db.session.scalars(select(Assessment.id).order_by(Assessment.id)).all()
    db.session.execute(
        insert(OpenQuestion),
        [
            {"assessment_id": i, "question_id": q, "value_space": value_space(bank.question(q))}
            for i, asked in zip(ids, opened, strict=True)
            for q in asked
        ],
    )
    db.session.commit()
    db.session.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
    assert (
        db.session.scalar(
            select(func.count()).where(
                OpenQuestion.question_id == QUESTION, OpenQuestion.value_space == space
            )
        )
        == count
    )


def run_claimed(uow, banks) -> None:
    """Claim the job waiting and run it to its end, as web.jobs.JobRunner does."""
    job_id = library.claim()
    uow.commit()
    library.run(uow, banks, job_id)


def apply_once() -> tuple[float, float, int]:
    """Preview and apply one library answer: (preview seconds, apply seconds, written)."""
    banks = services.banks()
    bank = banks.current()
    with services.unit_of_work() as uow:
        answer = library.create(
            bank,
            STAFF,
            QUESTION,
            "24",
            "We tell you within 24 hours.",
            "DPA clause 7.2",
            "contract",
        )
        started = time.perf_counter()
        job = library.start(answer, bank, STAFF)
        uow.commit()
        run_claimed(uow, banks)
        previewed = time.perf_counter()
        library.confirm(library.job(job.id), True, STAFF)
        uow.commit()
        run_claimed(uow, banks)
        finished = time.perf_counter()
    written = db.session.scalar(select(func.count(ResultRevision.id)))
    return previewed - started, finished - previewed, written


def bench_library_apply(tmp: Path, count: int = 1000) -> dict:
    app = create_app(
        {
            "SECRET_KEY": "bench",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp / 'library.db'}",
            "REPORTS_DIR": str(tmp / "library-reports"),
            "LIBRARY_BACKGROUND": False,  # the benchmark runs the job itself
        }
    )
    with app.app_context():
        upgrade()
        fill(count)
        preview, apply, written = apply_once()
    assert written == count, (written, count)
    return {
        "library_apply_1000_s": preview + apply,
        "_library_preview_s": preview,
        "_library_write_s": apply,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assessments", type=int, default=1000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="trustcheck-library-") as folder:
        found = bench_library_apply(Path(folder), args.assessments)
    for key, value in found.items():
        print(f"{key.lstrip('_'):<26}{value:>10.3f}")


if __name__ == "__main__":
    main()
