"""The running app's bank (store/banks.py): a file being written is never taken half-read."""

from __future__ import annotations

import os

from questionnaire.core.bank import load_bank
from questionnaire.store import banks
from questionnaire.store.banks import BankRegistry
from tests.support import SMALL_BANK

# What a reader can get while an editor rewrites the file in place: the new version at the
# top, valid YAML, but not yet the whole of it (here: the old title is still there).
FIRST_PART = SMALL_BANK.replace('version: "1.0"', 'version: "2.0"')
WHOLE = FIRST_PART.replace("title: Small bank", "title: Small bank, reviewed")


def snapshots():
    """keep/clash as store/snapshots.py does them: one stored text per version."""
    stored: dict[str, object] = {}

    def keep(bank):
        stored.setdefault(bank.version, bank)

    def clash(bank):
        other = stored.get(bank.version)
        return other.sha256 if other is not None and other.sha256 != bank.sha256 else None

    return stored, keep, clash


def test_a_file_changed_while_it_is_read_is_read_again_and_never_stored_half_written(
    tmp_path, monkeypatch
):
    path = tmp_path / "questions.yaml"
    path.write_text(SMALL_BANK)
    stored, keep, clash = snapshots()
    registry = BankRegistry(str(path), check_seconds=0, keep=keep, clash=clash)
    assert registry.current().version == "1.0"

    path.write_text(FIRST_PART)
    reads = []

    def read_while_the_editor_writes(file):
        bank = load_bank(file)
        if not reads:  # the editor finishes writing just after this first read
            path.write_text(WHOLE)
            os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 1))
        reads.append(bank)
        return bank

    monkeypatch.setattr(banks, "load_bank", read_while_the_editor_writes)
    assert registry.current().version == "1.0"  # the half-read file is not taken...
    assert registry.last_error is None  # ...nor reported
    assert set(stored) == {"1.0"}  # ...nor stored under its version

    bank = registry.current()  # the next check reads the whole file
    assert (bank.version, bank.title) == ("2.0", "Small bank, reviewed")
    assert stored["2.0"].sha256 == bank.sha256 and registry.last_error is None


def test_a_process_whose_first_read_is_cut_short_starts_on_the_stored_bank(tmp_path, monkeypatch):
    path = tmp_path / "questions.yaml"
    path.write_text(FIRST_PART)

    def read_while_the_editor_writes(file):
        bank = load_bank(file)
        path.write_text(WHOLE)
        return bank

    monkeypatch.setattr(banks, "load_bank", read_while_the_editor_writes)
    registry = BankRegistry(str(path), check_seconds=0, fallback=lambda: SMALL_BANK)
    assert registry.current().version == "1.0"
    monkeypatch.undo()
    assert registry.current().title == "Small bank, reviewed"


def test_an_unchanged_file_is_not_read_again(tmp_path, monkeypatch):
    path = tmp_path / "questions.yaml"
    path.write_text(SMALL_BANK)
    registry = BankRegistry(str(path), check_seconds=0)
    first = registry.current()

    def read(file):
        raise AssertionError(f"{file} was read again")

    monkeypatch.setattr(banks, "load_bank", read)
    assert registry.current() is first
