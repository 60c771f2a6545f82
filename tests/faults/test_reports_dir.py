"""``reports/`` unwritable or full: the PDF download says so (503) and everything else keeps
serving; once the directory is usable again the download works.

Tests run as root, for whom chmod does not stop a write, so "unwritable" is made the way
it happens to root too: REPORTS_DIR under a regular file (ENOTDIR) or replaced by one.
"Full" is a real 64 KiB tmpfs filled up, where mounting is allowed (root), else the
write is made to fail with ENOSPC in-process (stated in the test's id).
"""

from __future__ import annotations

import errno
import shutil
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import select

from questionnaire.reports.service import ReportService
from questionnaire.store.db import db
from questionnaire.store.models import Assessment, hash_token
from tests.conftest import Buyer
from tests.support import add_user, fetch, page, wait_until

PASSWORD = "correct-horse-battery"


def can_mount(tmp: Path) -> bool:
    probe = tmp / "probe"
    probe.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(probe)],
        capture_output=True,
        check=False,
    )
    if done.returncode == 0:
        subprocess.run(["umount", str(probe)], check=True)
    return done.returncode == 0


class UnderAFile:
    """REPORTS_DIR/.. is a regular file: mkdir fails with ENOTDIR."""

    def __init__(self, tmp: Path, monkeypatch):
        self.blocker = tmp / "not-a-directory"
        self.directory = self.blocker / "reports"

    def break_it(self) -> None:
        self.blocker.write_text("")

    def repair(self) -> None:
        self.blocker.unlink()


class ReplacedByAFile:
    """The reports directory was deleted and a file put in its place."""

    def __init__(self, tmp: Path, monkeypatch):
        self.directory = tmp / "reports-replaced"

    def break_it(self) -> None:
        self.directory.mkdir()
        shutil.rmtree(self.directory)
        self.directory.write_text("oops")

    def repair(self) -> None:
        self.directory.unlink()


def fill(out) -> None:
    """Write to ``out`` until the disk refuses more."""
    while True:
        out.write(b"x" * 4096)


class FullDisk:
    """A 64 KiB tmpfs with a file filling it, grown to 16 MiB to repair."""

    def __init__(self, tmp: Path, monkeypatch):
        self.directory = tmp / "reports-full"
        self.directory.mkdir()
        self.mounted = False

    def break_it(self) -> None:
        subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(self.directory)], check=True
        )
        self.mounted = True
        with (
            (self.directory / "filler").open("wb", buffering=0) as out,
            pytest.raises(OSError) as full,  # noqa: PT011  the errno is checked below
        ):
            fill(out)
        assert full.value.errno == errno.ENOSPC

    def repair(self) -> None:
        (self.directory / "filler").unlink()
        subprocess.run(["mount", "-o", "remount,size=16m", str(self.directory)], check=True)

    def close(self) -> None:
        if self.mounted:
            subprocess.run(["umount", "-l", str(self.directory)], check=True)


class SimulatedFullDisk:
    """Where mounting is not allowed: the PDF write fails with ENOSPC until repaired."""

    def __init__(self, tmp: Path, monkeypatch):
        self.directory = tmp / "reports-simulated-full"
        self.full = False
        real_save = ReportService._save

        def save(service, job, pdf):
            if self.full:
                raise OSError(errno.ENOSPC, "No space left on device")
            return real_save(service, job, pdf)

        monkeypatch.setattr(ReportService, "_save", save)

    def break_it(self) -> None:
        self.full = True

    def repair(self) -> None:
        self.full = False


@pytest.fixture(
    params=[UnderAFile, ReplacedByAFile, "full"], ids=["under-a-file", "replaced-by-a-file", "full"]
)
def fault(request, tmp_path, monkeypatch):
    kind = request.param
    if kind == "full":
        kind = FullDisk if can_mount(tmp_path) else SimulatedFullDisk
    made = kind(tmp_path, monkeypatch)
    yield made
    if hasattr(made, "close"):
        made.close()


def settled(client, url):
    """The download's answer once it is no longer "being prepared" (202)."""
    answers = []
    assert wait_until(lambda: answers.append(fetch(client, url)) or answers[-1].status_code != 202)
    return answers[-1]


def test_reports_dir_unusable_gives_a_clear_503_the_rest_serves_and_repair_recovers(
    make_app, bank, example, fault, caplog
):
    app = make_app(
        REPORTS_DIR=str(fault.directory),
        REPORT_RETRY_SECONDS=0,  # (60 s in production: a failed render is not redone sooner)
        PASSWORD_HASH="pbkdf2:sha256:1000",
    )
    buyer = Buyer(app.test_client())
    token = buyer.start()
    buyer.answer_all(bank, example["answers"], example["must_have"])
    assert buyer.submit().status_code == 302
    add_user(app, "sam@provider.example", "sales", "Sam Seller")
    with app.app_context():
        number = db.session.scalar(
            select(Assessment.id).where(Assessment.token_hash == hash_token(token))
        )
    sales = app.test_client()
    login = {"email": "sam@provider.example", "password": PASSWORD}
    assert sales.post("/sales/login", data=login).status_code == 302

    fault.break_it()
    # A full disk shows only once a render has been drawn and cannot be saved: on a loaded
    # machine that can take longer than a download waits ("being prepared"; then again).
    response = settled(buyer.client, f"/a/{token}/report.pdf")
    assert response.status_code == 503
    assert "Your PDF report could not be prepared" in page(response)
    assert "Your answers and result are safe" in page(response)
    response = settled(sales, f"/sales/assessments/{number}/report.pdf")
    assert response.status_code == 503 and "could not be made" in page(response)
    assert "the report could not be saved in" in caplog.text  # the operator learns why

    for client, url in [
        (buyer.client, f"/a/{token}/result"),
        (buyer.client, f"/a/{token}/answers.json"),
        (sales, "/sales/"),
        (sales, f"/sales/assessments/{number}"),
        (sales, f"/sales/assessments/{number}/answers.json"),
        (sales, "/sales/export.csv"),
    ]:
        assert fetch(client, url).status_code == 200, url
    newcomer = Buyer(app.test_client())
    newcomer.start(company="Newco")
    assert newcomer.client.get(newcomer.url("/step/security")).status_code == 200
    data = newcomer.section_data(bank, "security", example["answers"])
    assert newcomer.step("security", data).status_code == 302
    leftovers = [] if not fault.directory.is_dir() else list(fault.directory.glob("*[.]*"))
    assert [p.name for p in leftovers if p.suffix in (".pdf", ".tmp")] == []  # no half file

    fault.repair()
    # At once here; with a report queue once the failed job's second has passed.
    assert wait_until(lambda: fetch(buyer.client, f"/a/{token}/report.pdf").status_code == 200)
    response = fetch(buyer.client, f"/a/{token}/report.pdf")
    assert response.status_code == 200 and response.get_data().startswith(b"%PDF-")
    response = fetch(sales, f"/sales/assessments/{number}/report.pdf")
    assert response.status_code == 200 and response.get_data().startswith(b"%PDF-")
