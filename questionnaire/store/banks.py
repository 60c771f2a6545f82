"""Which bank the running app uses: the file on disk while it is valid, else the last good one.

New assessments start on ``current()``. Each assessment keeps the sha256 of the
bank it started on, and ``by_sha()`` gives that exact bank back (parsed once,
then cached), so an edit to questions.yaml never disturbs drafts or results.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol

from questionnaire.core.bank import (
    Bank,
    BankInvalid,
    Problem,
    load_bank,
    parse_bank,
    reuses_version,
    version_clash,
)

log = logging.getLogger(__name__)


class BanksBySha(Protocol):
    """What the store needs of the bank registry: a bank by its content hash."""

    def by_sha(self, sha256: str, source: Callable[[], str]) -> Bank: ...


class BankUnavailable(RuntimeError):
    """No valid bank has been loaded since the app started."""


@dataclass(frozen=True)
class LoadError:
    problems: tuple[Problem, ...]
    at: datetime = field(default_factory=lambda: datetime.now(UTC))


class BankRegistry:
    """``keep(bank)`` is told of each valid file loaded; ``fallback()`` gives the text of the
    last good bank when the file is broken before this process has loaded any; ``clash(bank)``
    names (by hash) a stored bank with the same version but other content, which refuses the
    file (all optional: see store/snapshots.py)."""

    def __init__(
        self,
        path: str,
        check_seconds: float = 1.0,
        cache_size: int = 16,
        keep: Callable[[Bank], None] | None = None,
        fallback: Callable[[], str | None] | None = None,
        clash: Callable[[Bank], str | None] | None = None,
    ):
        self.path = path
        self.keep = keep
        self.fallback = fallback
        self.clash = clash
        self.check_seconds = check_seconds
        self.last_error: LoadError | None = None
        self.loaded_at: datetime | None = None
        self._current: Bank | None = None
        self._stat: tuple | None = None
        self._checked = 0.0
        self._lock = threading.Lock()
        self._cache: OrderedDict[str, Bank] = OrderedDict()
        self._cache_size = cache_size

    def current(self) -> Bank:
        """The bank for new assessments; re-read when the file has changed."""
        if time.monotonic() - self._checked >= self.check_seconds:
            with self._lock:
                self._refresh()
        if self._current is None:
            raise BankUnavailable(self.path)
        return self._current

    def _file_stat(self) -> tuple | None:
        try:
            st = os.stat(self.path)
        except OSError:
            return None
        return (st.st_mtime_ns, st.st_size, st.st_ino)

    def _refresh(self) -> None:
        self._checked = time.monotonic()
        stat = self._file_stat()
        if stat == self._stat and (self._current is not None or self.last_error is not None):
            return
        bank: Bank | None = None
        problems: list[Problem] = []
        try:
            bank = self._load()
        except BankInvalid as exc:
            problems = list(exc.problems)
        if self._file_stat() != stat:
            # Changed while it was read: an editor is still writing it. What was read may be
            # a valid first part of the file, which would then be stored under the new
            # version and refuse the whole file as a clash. Read it again at the next check.
            self._stat = None
            if self._current is None:
                self._use_fallback()
            return
        self._stat = stat
        if bank is None:
            self.last_error = LoadError(tuple(problems))
            if self._current is None:
                self._use_fallback()
            kept = (
                f"keeping version {self._current.version}" if self._current else "no bank to serve"
            )
            log.error("questions.yaml is invalid (%s):\n%s", kept, "\n".join(map(str, problems)))
            return
        for warning in bank.warnings:
            log.warning("%s", warning)
        if self._current is None or bank.sha256 != self._current.sha256:
            log.info("loaded question bank version %s (%s)", bank.version, bank.sha256[:12])
            if self.keep is not None:
                self.keep(bank)
        self._current = bank
        self.last_error = None
        self.loaded_at = datetime.now(UTC)
        self._remember(bank)

    def _load(self) -> Bank:
        """The file's bank, refused (BankInvalid) if it reuses the version of another bank."""
        bank = load_bank(self.path)
        if reuses_version(bank, self._current):
            raise BankInvalid([version_clash(bank, self.path, "the bank in use")])
        stored = self.clash(bank) if self.clash is not None else None
        if stored is not None:
            raise BankInvalid([version_clash(bank, self.path, f"the stored bank {stored[:12]}")])
        return bank

    def _use_fallback(self) -> None:
        source = self.fallback() if self.fallback is not None else None
        if source is None:
            return
        try:
            bank = parse_bank(source.encode(), "the last good bank (stored)")
        except BankInvalid:
            log.exception("the stored question bank cannot be read either")
            return
        log.warning("this process starts on the last good bank stored, version %s", bank.version)
        self._current = bank
        self._remember(bank)

    def by_sha(self, sha256: str, source: Callable[[], str]) -> Bank:
        """The bank with this content hash; ``source()`` supplies its stored text if not cached."""
        with self._lock:
            bank = self._cache.get(sha256)
            if bank is not None:
                self._cache.move_to_end(sha256)
                return bank
        # A snapshot may be of an older schema (no dated evidence): read it as it was.
        bank = parse_bank(source().encode(), f"snapshot {sha256[:12]}", snapshot=True)
        with self._lock:
            self._remember(bank)
        return bank

    def _remember(self, bank: Bank) -> None:
        self._cache[bank.sha256] = bank
        self._cache.move_to_end(bank.sha256)
        while len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)
