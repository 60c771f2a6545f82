"""A daemon thread per app and process that does its work when kicked, or when its
``pause`` runs out (so work left by a process that stopped is found in time); and waiting
for a queue such threads empty."""

from __future__ import annotations

import logging
import queue
import threading
import time

from flask import Flask

log = logging.getLogger(__name__)


class Loop:
    name = "background"
    idle_seconds = 60.0

    def __init__(self, app: Flask):
        self.app = app
        self.wake = threading.Event()
        self.thread: threading.Thread | None = None
        self.lock = threading.Lock()

    def start(self) -> None:
        """Make sure the thread runs."""
        with self.lock:
            if self.thread is None or not self.thread.is_alive():
                self.thread = threading.Thread(target=self.run, name=self.name, daemon=True)
                self.thread.start()

    def kick(self) -> None:
        """Work now."""
        self.start()
        self.wake.set()

    def run(self) -> None:
        while True:
            self.wake.wait(self.pause())
            self.wake.clear()
            try:
                self.work()
            except Exception:  # the thread must outlive a bad moment (a database restart)
                log.exception("%s: the work failed; trying again later", self.name)

    def pause(self) -> float:
        return self.idle_seconds

    def work(self) -> None:
        raise NotImplementedError


def wait_until_done(waiting: queue.Queue, seconds: float) -> bool:
    """Whether every item put on ``waiting`` was dealt with (``task_done``) within
    ``seconds``: for tests and shutdown."""
    deadline = time.monotonic() + seconds
    while waiting.unfinished_tasks:
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True
