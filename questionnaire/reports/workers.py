"""Warm PDF render processes, owned by the web process (the other end of ``pdfrender.py``).

Importing WeasyPrint and loading fonts takes over a second; a worker that has already
done both turns HTML into a PDF in a fraction of that. So each web process keeps a
small pool of such workers, started on first use. A render that runs past its time
limit is killed and its worker replaced: a pathological document cannot hang the
web process, and the next report gets a fresh, warm worker. Renders run at niceness
RENDER_NICENESS, and without a report queue on the web process's ``background`` threads.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import logging
import os
import queue
import select
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

log = logging.getLogger(__name__)

SCRIPT = Path(__file__).with_name("pdfrender.py")
FRAME_SIZE = 4
START_SECONDS = 60.0  # import + font loading on a busy machine; not part of a render's limit
# Renders run at this niceness (or above), pages at 0: when both want the CPU, the kernel
# gives a page about nine times a render's share, so a burst of reports does not slow the
# wizard. (Within one scheduling group: see docs/deploy.md for a worker under systemd.)
RENDER_NICENESS = 10


def lower_priority(pid: int = 0) -> None:
    """Raise the niceness of process ``pid`` (0: this one) to RENDER_NICENESS if below it."""
    with contextlib.suppress(ProcessLookupError):  # a worker that has already exited
        if os.getpriority(os.PRIO_PROCESS, pid) < RENDER_NICENESS:
            os.setpriority(os.PRIO_PROCESS, pid, RENDER_NICENESS)


class RenderError(RuntimeError):
    """The worker could not turn this HTML into a PDF."""


class RenderTimeout(RenderError):
    """The render ran past its time limit; its worker was killed."""


@dataclass(frozen=True)
class Rendered:
    pdf: bytes
    seconds: float  # inside the worker: layout and PDF writing only
    peak_rss_kb: int  # the worker's high-water mark so far
    log: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)


class RenderProcess:
    """One worker process and the pipe protocol to it: a frame is a 4-byte length, then bytes."""

    def __init__(self, static_dir: str, memory_mb: int):
        self.static_dir = static_dir
        self.memory_mb = memory_mb
        self.proc: subprocess.Popen[bytes] | None = None
        self.ready = False

    def command(self) -> list[str]:
        # -I: no user site-packages, no PYTHON* variables, no script directory on sys.path.
        return [sys.executable, "-I", str(SCRIPT), self.static_dir, str(self.memory_mb)]

    def start(self) -> None:
        """Launch a worker; it warms up on its own while the caller does other things."""
        self.proc = subprocess.Popen(  # noqa: S603  this interpreter and our own script
            self.command(),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            close_fds=True,
        )
        lower_priority(self.proc.pid)
        self.ready = False

    def ensure_ready(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            self.stop()
            self.start()
        if not self.ready:
            header, _ = self._read_reply(time.monotonic() + START_SECONDS, "start")
            for message in header.get("log", []):  # e.g. a patch left out (pdfrender.SKIPPED)
                log.warning("PDF worker %s: %s", header.get("pid"), message)
            self.ready = True

    def render(self, html: str, timeout: float) -> Rendered:
        try:
            header, body = self._exchange(html, timeout)
        except RenderError:
            raise
        except BaseException:
            # Cut off mid-exchange (a queue job's time limit, Ctrl-C): a reply may still be
            # on its way, which the next render would read as its own. Start afresh instead.
            self.stop()
            raise
        if not header.get("ok"):
            raise RenderError(header.get("error") or "the PDF worker failed")
        return Rendered(
            pdf=body,
            seconds=header["seconds"],
            peak_rss_kb=header["peak_rss_kb"],
            log=header.get("log", []),
            refused=header.get("refused", []),
        )

    def _exchange(self, html: str, timeout: float) -> tuple[dict, bytes]:
        self.ensure_ready()
        payload = json.dumps({"html": html}).encode()
        try:
            stdin = self._running().stdin
            assert stdin is not None  # noqa: S101  started with stdin=PIPE
            stdin.write(len(payload).to_bytes(FRAME_SIZE, "big") + payload)
            stdin.flush()
        except OSError as exc:
            self.restart()
            raise RenderError(f"the PDF worker stopped unexpectedly ({exc})") from None
        return self._read_reply(time.monotonic() + timeout, "render")

    def _read_reply(self, deadline: float, what: str) -> tuple[dict, bytes]:
        header = json.loads(self._read_frame(deadline, what))
        body = self._read_frame(deadline, what)
        return header, body

    def _read_frame(self, deadline: float, what: str) -> bytes:
        size = int.from_bytes(self._read_exactly(FRAME_SIZE, deadline, what), "big")
        return self._read_exactly(size, deadline, what)

    def _read_exactly(self, size: int, deadline: float, what: str) -> bytes:
        stdout = self._running().stdout
        assert stdout is not None  # noqa: S101  started with stdout=PIPE
        fd = stdout.fileno()
        chunks, remaining = [], size
        while remaining:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                self.restart()
                if what == "start":
                    raise RenderError("the PDF worker did not start in time")
                raise RenderTimeout("the report took too long to render")
            chunk = os.read(fd, min(remaining, 1 << 20))
            if not chunk:
                code = self._running().poll()
                self.restart()
                raise RenderError(f"the PDF worker stopped unexpectedly (exit status {code})")
            chunks.append(chunk)
            remaining -= len(chunk)
        return b"".join(chunks)

    def _running(self) -> subprocess.Popen[bytes]:
        """The worker process; ensure_ready has started it before any exchange."""
        if self.proc is None:
            raise RenderError("the PDF worker is not running")
        return self.proc

    def restart(self) -> None:
        self.stop()
        self.start()

    def stop(self) -> None:
        proc, self.proc, self.ready = self.proc, None, False
        if proc is None:
            return
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        for stream in (proc.stdin, proc.stdout):
            try:
                if stream is not None:
                    stream.close()
            except OSError:
                pass  # a pipe to a killed worker may fail to flush; it is gone either way


class RenderPool:
    """A fixed number of workers; a render waits for a free one."""

    def __init__(self, static_dir: str, size: int = 1, memory_mb: int = 0):
        self.processes = [RenderProcess(static_dir, memory_mb) for _ in range(max(1, size))]
        self._free: queue.SimpleQueue[RenderProcess] = queue.SimpleQueue()
        for process in self.processes:
            self._free.put(process)

    def warm(self) -> None:
        """Start every worker now, so the first report does not pay for the start-up."""
        for process in self.processes:
            if process.proc is None:
                process.start()

    def ready(self) -> None:
        """Start every worker and wait until each has warmed up (or failed to). Each is
        taken from the free list first, so no render in progress is disturbed."""
        taken = [self._free.get() for _ in self.processes]
        try:
            for process in taken:
                with contextlib.suppress(RenderError):  # the next render reports it again
                    process.ensure_ready()
        finally:
            for process in taken:
                self._free.put(process)

    def render(self, html: str, timeout: float) -> Rendered:
        process = self._free.get()
        try:
            return process.render(html, timeout)
        finally:
            self._free.put(process)

    def close(self) -> None:
        for process in self.processes:
            process.stop()


class Background:
    """Daemon threads that run render jobs, so a queued render never delays shutdown."""

    def __init__(self):
        self._jobs: queue.SimpleQueue[Callable[[], None]] = queue.SimpleQueue()
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()

    def submit(self, job: Callable[[], None], threads: int) -> None:
        with self._lock:
            while len(self._threads) < threads:
                thread = threading.Thread(target=self._run, name="report-render", daemon=True)
                thread.start()
                self._threads.append(thread)
        self._jobs.put(job)

    def _run(self) -> None:
        while True:
            self._jobs.get()()  # jobs catch their own errors


background = Background()  # one per web process, shared by its apps like the pools

_pools: dict[tuple, RenderPool] = {}
_pools_lock = threading.Lock()


def shared_pool(static_dir: str, size: int = 1, memory_mb: int = 0) -> RenderPool:
    """One pool per web process: every app instance in it (tests make many) shares the
    workers instead of paying for their start-up again."""
    key = (static_dir, size, memory_mb)
    with _pools_lock:
        pool = _pools.get(key)
        if pool is None:
            pool = _pools[key] = RenderPool(static_dir, size, memory_mb)
        return pool


@atexit.register
def _close_pools() -> None:
    for pool in list(_pools.values()):
        pool.close()
