"""What a new user meets before the app: `make run` and installing the package."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

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
        check=False,
    )
    assert build.returncode == 0, build.stderr[-2000:]
    assert list((tmp_path / "wheel").glob("questionnaire-*.whl"))
    said = build.stdout + build.stderr
    assert "folders in your working directory with the same" not in said, said[-2000:]


def locked() -> dict[str, tuple[str, int]]:
    """requirements.lock's pins: each package's name, its version and how many hashes."""
    pins: dict[str, tuple[str, int]] = {}
    name = ""
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        if line and not line[0].isspace() and not line.startswith("#"):
            name, version = line.split()[0].split("==")
            pins[canonicalize_name(name)] = (version, 0)
        elif line.strip().startswith("--hash=sha256:") and name:
            version, hashes = pins[canonicalize_name(name)]
            pins[canonicalize_name(name)] = (version, hashes + 1)
    return pins


def test_the_lock_file_pins_every_dependency_in_pyproject_with_its_hashes():
    """`make lock` after changing a dependency: the lock must give what pyproject.toml asks."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    asked = [Requirement(r) for r in project["dependencies"]]
    asked += [Requirement(r) for r in project["optional-dependencies"]["test"]]
    pins = locked()
    assert len(pins) > len(asked)  # with what they need in turn
    for requirement in asked:
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{name} is not in requirements.lock: run make lock"
        version = pins[name][0]
        assert requirement.specifier.contains(version, prereleases=True), (
            f"requirements.lock pins {name}=={version}, pyproject.toml asks {requirement}: "
            "run make lock"
        )
    assert all(hashes for _, hashes in pins.values())


def test_make_installs_from_the_lock_file_and_again_when_it_changes():
    dry = subprocess.run(
        ["make", "-n", "-B", ".venv/.installed-stamp"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "--require-hashes -r requirements.lock" in dry
    assert "--no-deps" in dry and "pip check" in dry
    rule = subprocess.run(
        ["make", "-p", "-n", "-q", ".venv/.installed-stamp"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,  # -q exits 1 when the stamp is out of date; only the rule is read
    ).stdout
    assert ".venv/.installed-stamp: pyproject.toml requirements.lock" in rule
