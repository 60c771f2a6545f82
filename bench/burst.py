"""`make bench`'s burst figures: what buyers feel while many reports are drawn at once.

    .venv/bin/python bench/burst.py [--queue] [--submissions 100] [--seconds 10]

On one gunicorn (2 workers) over SQLite, with fully answered drafts (the heaviest report):
  burst_step_p95_ratio   a wizard step's p95 latency (GET and POST in turn, one connection,
                         wrk) while the reports of the submissions are drawn (from the moment
                         all are in), divided by its p95 just before on the same idle server
  burst_healthz_max_s    the slowest /healthz answer (asked every 50 ms) from the first
                         submission to the end of that window, which also holds two PDF
                         downloads of reports at the back of the queue
  pdf_ready_s            submit to PDF downloaded, for one buyer on the idle server (median)
With --queue the reports go through REPORT_QUEUE_URL to one `flask reports worker` (the keys
get a ``queue_`` prefix). bench/run.py runs both.
"""

from __future__ import annotations

import argparse
import contextlib
import http.cookiejar
import json
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import run  # noqa: E402  (bench/ is the script's folder)

from questionnaire.core.bank import load_bank  # noqa: E402
from tests.live import LiveServer, LiveWorker, RedisServer  # noqa: E402

# Makes `count` fully answered drafts through the app's own operations; prints their tokens.
_DRAFTS = """
import json, sys
from questionnaire import services
from questionnaire.app import create_app
from questionnaire.core import progress
from questionnaire.store import operations as ops
data = json.load(open(sys.argv[1]))
tokens = []
with create_app({"REPORT_PRERENDER": False}).app_context(), services.unit_of_work() as uow:
    bank = services.banks().current()
    for n in range(int(sys.argv[2])):
        a, token = ops.start_assessment(bank, f"Burst {n} Ltd", "Bench", "bench@example.com")
        a.answers, a.must_have = progress.tidy_answers(bank, data["answers"], data["must_have"])
        a.progress = {s.id: progress.COMPLETE for s in bank.sections}
        uow.commit()
        tokens.append(token)
print(json.dumps(tokens))
"""


class Buyer:
    """A browser at one draft's check-answers page, ready to press Submit."""

    def __init__(self, base: str, token: str):
        self.base, self.token = base, token
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        html = self.opener.open(f"{base}/a/{token}/check", timeout=30).read().decode()
        self.csrf = run.CSRF.search(html).group(1)

    def submit(self) -> None:
        body = urllib.parse.urlencode({"csrf_token": self.csrf}).encode()
        with self.opener.open(f"{self.base}/a/{self.token}/submit", body, timeout=60) as reply:
            assert reply.status == 200, reply.status  # the result page, after the redirect

    def download(self) -> int:
        with self.opener.open(f"{self.base}/a/{self.token}/report.pdf", timeout=60) as reply:
            reply.read()
            return reply.status


def drafts(server: LiveServer, tmp: Path, count: int) -> list[Buyer]:
    answers, must = run.full_answers(load_bank(run.ROOT / "questions.yaml"))
    data = tmp / "burst-answers.json"
    data.write_text(json.dumps({"answers": answers, "must_have": must}))
    out = subprocess.run(
        [sys.executable, "-c", _DRAFTS, str(data), str(count)],
        env=server.env,
        cwd=run.ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return [Buyer(server.url, token) for token in json.loads(out.splitlines()[-1])]


class Healthz:
    """Asks /healthz every 50 ms on a thread; ``slowest`` is the longest answer (a timeout
    counts as its 30 s)."""

    def __init__(self, base: str):
        self.url, self.slowest = base + "/healthz", 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> Healthz:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(0.05):
            started = time.perf_counter()
            with contextlib.suppress(OSError):
                urllib.request.urlopen(self.url, timeout=30).read()
            self.slowest = max(self.slowest, time.perf_counter() - started)


def pdf_ready(buyers: list[Buyer]) -> float:
    """Median seconds from pressing Submit to holding the PDF, one buyer at a time."""
    times = []
    for buyer in buyers:
        started = time.perf_counter()
        buyer.submit()
        while buyer.download() != 200:  # "being prepared": asked again at once
            pass
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def pdf_count(server: LiveServer) -> int:
    return len(list(Path(server.env["REPORTS_DIR"]).glob("*.pdf")))


def measure(server: LiveServer, tmp: Path, submissions: int, seconds: int) -> dict:
    bank = load_bank(run.ROOT / "questions.yaml")
    path, cookie, body = run.start_buyer(server.url, bank)
    script = run.mix_script(tmp, path, cookie, body)
    ready = drafts(server, tmp, 5)
    burst = drafts(server, tmp, submissions)
    run.wrk(server.url + path, 10, script)  # warm-up, as for the throughput figure
    ready_s = pdf_ready(ready)
    before = pdf_count(server)
    with Healthz(server.url) as idle_health:
        _, idle = run.wrk_run(server.url + path, seconds, script, connections=1)
    with Healthz(server.url) as health:
        started = time.perf_counter()
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(Buyer.submit, burst))
        submitted = time.perf_counter()
        downloads = [buyer.download() for buyer in burst[-2:]]  # behind all the others
        asked = time.perf_counter()
        drawn = pdf_count(server)
        _, busy = run.wrk_run(server.url + path, seconds, script, connections=1)
        drawn_in_window = pdf_count(server) - drawn
    while pdf_count(server) < before + submissions:
        if time.perf_counter() - started > 900:
            raise RuntimeError("the burst's reports were not all drawn in 15 minutes")
        time.sleep(0.5)
    all_drawn = time.perf_counter() - started
    _, after = run.wrk_run(server.url + path, seconds, script, connections=1)  # idle again
    errors = server.log_errors()
    if errors:
        raise RuntimeError("server errors during the burst:\n" + "\n".join(errors[:5]))
    return {
        "burst_step_p95_ratio": busy / idle,
        "burst_healthz_max_s": health.slowest,
        "pdf_ready_s": ready_s,
        "_burst_step_p95_ms": f"{1000 * idle:.1f} idle, {1000 * busy:.1f} busy, "
        f"{1000 * after:.1f} idle after",
        "_burst_submit_s": submitted - started,
        "_burst_downloads": f"{downloads} in {asked - submitted:.2f} s",
        "_burst_healthz_idle_max_s": idle_health.slowest,
        "_burst_drawn_in_window": drawn_in_window,
        "_burst_all_drawn_s": all_drawn,
    }


def bench_burst(tmp: Path, queue: bool, submissions: int = 100, seconds: int = 10) -> dict:
    """The figures above, in-process or (``queue``) through Redis and one worker."""
    if not queue:
        with LiveServer(tmp, "burst", workers=2, queue=False) as server:
            return measure(server, tmp, submissions, seconds)
    with (
        RedisServer(tmp) as redis,
        LiveServer(tmp, "qburst", workers=2, queue=False, REPORT_QUEUE_URL=redis.url()) as server,
    ):
        worker = LiveWorker(server.env, tmp / "qburst-worker.log").start()
        try:
            figures = measure(server, tmp, submissions, seconds)
        finally:
            worker.stop()
    return {(f"queue_{k}" if k[0] != "_" else f"_queue{k}"): v for k, v in figures.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queue", action="store_true", help="through Redis and one worker")
    parser.add_argument("--submissions", type=int, default=100)
    parser.add_argument("--seconds", type=int, default=10)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="trustcheck-burst-"))
    print(json.dumps(bench_burst(tmp, args.queue, args.submissions, args.seconds), indent=1))


if __name__ == "__main__":
    main()
