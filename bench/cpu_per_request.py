"""Where the throughput ratio comes from: CPU time per request, by kind of request.

    .venv/bin/python bench/cpu_per_request.py [--seconds 5]

Serves the app on gunicorn (2 workers, as `make bench`), warms it up as `make bench`
does, then runs wrk against /healthz, a step GET, a step POST and the GET/POST mix in
turn. For each it prints requests/s and the CPU time the server (arbiter, workers and
their render processes, from /proc/PID/stat) and wrk spent per request. Not a test.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

import run  # bench/run.py, the script's folder

from questionnaire.core.bank import load_bank
from tests.live import LiveServer

TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of one process (0 once it has gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except FileNotFoundError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICKS


def process_tree(pid: int) -> list[int]:
    children = subprocess.run(
        ["pgrep", "-P", str(pid)], capture_output=True, text=True, check=False
    ).stdout  # pgrep exits 1 when there are no children
    return [pid] + [p for child in children.split() for p in process_tree(int(child))]


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def measure(server, path: str, seconds: int, options: list[str]) -> tuple[float, float, float]:
    """(requests/s, server CPU ms a request, wrk CPU ms a request) of one wrk run."""
    pids = process_tree(server.process.pid)
    before, wrk_before = [cpu_seconds(p) for p in pids], children_cpu()
    out = subprocess.run(
        ["wrk", "-t1", "-c4", f"-d{seconds}s", *options, server.url + path],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    wrk_cpu = children_cpu() - wrk_before
    server_cpu = sum(cpu_seconds(p) - b for p, b in zip(pids, before, strict=True))
    if "Non-2xx or 3xx" in out:
        raise RuntimeError(f"wrk saw errors:\n{out}")
    count = int(re.search(r"(\d+) requests in", out).group(1))
    return count / seconds, 1000 * server_cpu / count, 1000 * wrk_cpu / count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=5)
    seconds = parser.parse_args().seconds
    tmp = Path(tempfile.mkdtemp(prefix="cpu-per-request-"))
    bank = load_bank(run.ROOT / "questions.yaml")
    with LiveServer(tmp, "cpu", workers=2, REPORT_PRERENDER="0") as server:
        path, cookie, body = run.start_buyer(server.url, bank)
        mix = run.mix_script(tmp, path, cookie, body)
        posts = run.mix_script(tmp, path, cookie, body, posts_only=True)
        run.wrk(server.url + "/healthz", 1)
        run.wrk(server.url + path, 10, mix)  # the same warm-up as `make bench`
        kinds = [
            ("/healthz", "/healthz", []),
            ("step GET", path, ["-H", f"Cookie: {cookie}"]),
            ("step POST", path, ["-s", str(posts)]),
            ("step mix", path, ["-s", str(mix)]),
        ]
        print(f"{'request':10} {'req/s':>7} {'server ms':>10} {'wrk ms':>7}")
        for name, url, options in kinds:
            rate, server_ms, wrk_ms = measure(server, url, seconds, options)
            print(f"{name:10} {rate:7.0f} {server_ms:10.3f} {wrk_ms:7.3f}")


if __name__ == "__main__":
    sys.exit(main())
