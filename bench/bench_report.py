"""Measure the PDF report: fresh render, cached download over HTTP, pages, size, memory.

    .venv/bin/python bench/bench_report.py [--runs 5] [--keep out.pdf]

Uses a throw-away database and reports directory, the shipped questions.yaml and
examples/answers.json (every question answered, company "Acme Ltd"). A "fresh" render
is one with nothing cached, on a warm render worker (as after the app's first report);
the worker's own start-up is measured once, separately. Not a test: nothing is asserted.
"""

from __future__ import annotations

import argparse
import json
import logging
import shutil
import statistics
import sys
import tempfile
import threading
import time
import urllib.request
from io import BytesIO
from pathlib import Path

from pypdf import PdfReader
from werkzeug.serving import make_server

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from questionnaire import services  # noqa: E402
from questionnaire.app import create_app  # noqa: E402
from questionnaire.core import progress  # noqa: E402
from questionnaire.store import operations as ops  # noqa: E402
from questionnaire.store.db import db  # noqa: E402
from tests.support import RenderSpy  # noqa: E402


def submitted_assessment(app, answers_file: Path):
    """A submitted assessment of the example answers, made the way the wizard makes it."""
    data = json.loads(answers_file.read_text())
    bank = services.banks(app).current()
    with services.unit_of_work() as uow:
        assessment, token = ops.start_assessment(bank, "Acme Ltd", "Ann Buyer", "ann@acme.example")
        assessment.answers, assessment.must_have = progress.tidy_answers(
            bank, data["answers"], data["must_have"]
        )
        assessment.progress = {s.id: progress.COMPLETE for s in bank.sections}
        uow.commit()
        ops.submit(uow, assessment, bank)
    return assessment, token


def reference_seconds() -> float:
    """CPU seconds of a fixed pure-Python loop: how fast this machine is right now (shared
    virtual machines vary by a third from minute to minute), to compare runs by."""
    started = time.process_time()
    total = 0
    for i in range(5_000_000):
        total += i * i
    return time.process_time() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--downloads", type=int, default=50)
    parser.add_argument("--answers", type=Path, default=ROOT / "examples" / "answers.json")
    parser.add_argument("--keep", type=Path, help="copy the rendered PDF here")
    args = parser.parse_args()

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per download
    work = Path(tempfile.mkdtemp(prefix="trustcheck-bench-"))
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "bench",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{work / 'bench.db'}",
            "REPORTS_DIR": str(work / "reports"),
            "REPORT_PRERENDER": False,  # the renders are measured here
        }
    )
    service = services.reports(app)
    renders = RenderSpy(app)  # each render's own timings and memory
    with app.app_context():
        db.create_all()
        assessment, token = submitted_assessment(app, args.answers)

        started = time.perf_counter()
        service.pool.processes[0].ensure_ready()
        startup = time.perf_counter() - started

        fresh, inside, reference = [], [], []
        for _ in range(args.runs):
            reference.append(reference_seconds())
            service.discard(assessment.id)
            started = time.perf_counter()
            path = service.pdf_path(assessment)
            fresh.append(time.perf_counter() - started)
            inside.append(renders.last.seconds)
        pdf = path.read_bytes()
        peak_rss_mb = renders.last.peak_rss_kb / 1024
        if args.keep:
            shutil.copyfile(path, args.keep)

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_port}/a/{token}/report.pdf"
    downloads = []
    for _ in range(args.downloads):
        started = time.perf_counter()
        with urllib.request.urlopen(url) as response:
            body = response.read()
        downloads.append(time.perf_counter() - started)
        assert body == pdf, "the cached download differs from the rendered file"
    server.shutdown()

    pages = len(PdfReader(BytesIO(pdf)).pages)
    print(f"machine reference (5M-step Python loop), median: {statistics.median(reference):.2f} s")
    print(f"render worker start-up (import + fonts, once): {startup:.2f} s")
    print(
        f"fresh render, median of {args.runs}: {statistics.median(fresh):.3f} s "
        f"(runs: {', '.join(f'{t:.3f}' for t in fresh)}; "
        f"inside the worker: {statistics.median(inside):.3f} s)"
    )
    print(
        f"cached download over HTTP, median of {args.downloads}: "
        f"{statistics.median(downloads) * 1000:.1f} ms (max {max(downloads) * 1000:.1f} ms)"
    )
    print(f"pages: {pages}, file size: {len(pdf) / 1024:.0f} KiB")
    print(f"peak RSS of the render worker: {peak_rss_mb:.0f} MB")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
