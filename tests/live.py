"""A real server for browser tests, load runs and benchmarks: gunicorn on a free loopback
port over a fresh database migrated with Alembic, as a deployment runs it."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

from sqlalchemy import create_engine, text

from questionnaire.config import sqlalchemy_url

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def venv_bin(name: str) -> str:
    return str(Path(sys.executable).with_name(name))


def postgres_admin_url() -> str | None:
    base = os.environ.get("DATABASE_URL", "")
    return base if base.startswith(("postgres://", "postgresql")) else None


def fresh_database(name: str, tmp: Path) -> tuple[str, object]:
    """(DATABASE_URL, drop) for a new empty database: a SQLite file in ``tmp``, or a new
    PostgreSQL database on the server DATABASE_URL names (dropped by ``drop()``)."""
    base = postgres_admin_url()
    if base is None:
        return f"sqlite:///{tmp / f'{name}.db'}", None
    engine = create_engine(sqlalchemy_url(base), isolation_level="AUTOCOMMIT")
    database = f"{name}_{uuid.uuid4().hex[:8]}"
    with engine.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{database}"'))

    def drop():
        with engine.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
        engine.dispose()

    return base.rsplit("/", 1)[0] + f"/{database}", drop


class LiveServer:
    """``with LiveServer(tmp, "name") as server:`` serves the app at ``server.url``."""

    def __init__(self, tmp: Path, name: str, bank: Path | None = None, workers: int = 2, **env):
        self.tmp, self.name, self.workers = tmp, name, workers
        self.bank = bank or ROOT / "questions.yaml"
        self.extra_env = env
        self.process: subprocess.Popen | None = None
        self.drop = None

    def __enter__(self) -> LiveServer:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def start(self) -> None:
        port = free_port()
        self.database_url, self.drop = fresh_database(self.name, self.tmp)
        self.bank_path = self.tmp / f"{self.name}-questions.yaml"
        shutil.copy(self.bank, self.bank_path)
        self.env = {
            **os.environ,
            "SECRET_KEY": f"live-{uuid.uuid4().hex}",
            "DATABASE_URL": self.database_url,
            "QUESTIONS_PATH": str(self.bank_path),
            "REPORTS_DIR": str(self.tmp / f"{self.name}-reports"),
            "BIND": f"127.0.0.1:{port}",
            "WEB_CONCURRENCY": str(self.workers),
            **self.extra_env,
        }
        self.flask("db", "upgrade")
        self.log = self.tmp / f"{self.name}-server.log"
        with self.log.open("w") as output:  # the child keeps its own copy of the descriptor
            self.process = subprocess.Popen(
                [
                    venv_bin("gunicorn"),
                    "--config",
                    "gunicorn.conf.py",
                    "questionnaire:create_app()",
                ],
                env=self.env,
                cwd=ROOT,
                stdout=output,
                stderr=subprocess.STDOUT,
            )
        self.url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while not self.healthy():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the server did not start:\n{self.log.read_text()[-3000:]}")
            time.sleep(0.1)

    def healthy(self) -> bool:
        try:
            with urllib.request.urlopen(self.url + "/healthz", timeout=1) as response:
                return response.status == 200
        except OSError:
            return False

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            self.process = None
        if self.drop:
            self.drop()
            self.drop = None

    def flask(self, *args: str, input: str | None = None) -> str:
        """Run a `flask --app questionnaire` command against this server's database."""
        result = subprocess.run(
            [venv_bin("flask"), "--app", "questionnaire", *args],
            env=self.env,
            input=input,
            capture_output=True,
            text=True,
            cwd=ROOT,
        )
        if result.returncode != 0:
            raise RuntimeError(f"flask {' '.join(args)} failed:\n{result.stdout}{result.stderr}")
        return result.stdout

    def worker_pids(self) -> list[int]:
        """gunicorn's worker processes (children of the arbiter)."""
        out = subprocess.run(
            ["pgrep", "-P", str(self.process.pid)], capture_output=True, text=True
        ).stdout
        return [int(pid) for pid in out.split()]

    def log_errors(self) -> list[str]:
        """Lines of the server log that report an unhandled error."""
        text_ = self.log.read_text(errors="replace")
        return [line for line in text_.splitlines() if "Traceback" in line or "[ERROR]" in line]
