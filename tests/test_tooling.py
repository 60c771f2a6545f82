"""What a new user meets before the app: `make run` and installing the package."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_make_run_serves_on_the_port_given_and_5000_by_default():
    def serve_line(*args: str) -> str:
        dry = subprocess.run(
            ["make", "-n", "run", *args], cwd=ROOT, capture_output=True, text=True, check=True
        )
        return next(line for line in dry.stdout.splitlines() if " run --host " in line)

    assert serve_line().endswith("--port 5000")
    assert serve_line("PORT=8123").endswith("--port 8123")


def test_an_editable_install_gives_no_warning_about_folders_named_like_the_package(tmp_path):
    """The build backend's own editable build, as `pip install -e .` runs it, on a copy."""
    project = tmp_path / "project"
    project.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, project / name)
    ignore = shutil.ignore_patterns("__pycache__")
    shutil.copytree(ROOT / "questionnaire", project / "questionnaire", ignore=ignore)
    (tmp_path / "wheel").mkdir()
    build = subprocess.run(
        [
            sys.executable,
            "-c",
            "from setuptools import build_meta as b; b.build_editable('../wheel')",
        ],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert build.returncode == 0, build.stderr[-2000:]
    assert list((tmp_path / "wheel").glob("questionnaire-*.whl"))
    said = build.stdout + build.stderr
    assert "folders in your working directory with the same" not in said, said[-2000:]
