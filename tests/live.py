"""Real servers for browser tests, fault tests, load runs and benchmarks: gunicorn on a free
loopback port over a fresh database migrated with Alembic, as a deployment runs it; a
throw-away redis-server; report workers (`flask reports worker`); the Nu Html Checker; nginx
in front, with TLS, configured from docs/deploy.md's site file (deploy/nginx-site.conf).

With TRUSTCHECK_TEST_QUEUE=1 (the third run of `.ci/run`) every LiveServer renders its
reports through a queue: its own redis-server and one worker process beside gunicorn.
"""

from __future__ import annotations

import json
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

import redis
from sqlalchemy import create_engine, text

from questionnaire.config import sqlalchemy_url

ROOT = Path(__file__).resolve().parent.parent
QUEUE_MODE = os.environ.get("TRUSTCHECK_TEST_QUEUE") == "1"
REQUIRE_REDIS = os.environ.get("TRUSTCHECK_REQUIRE_REDIS") == "1"
# A render's time limit in tests: renders run at niceness 10 and, beside CPU-bound
# processes at niceness 0, get a twentieth of a core (see tests/conftest.py).
RENDER_SECONDS = 120
REDIS_MISSING = (
    "redis-server is not installed (Debian package redis-server: `make test` installs it); "
    "the report-queue tests need it"
)


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


def end(process: subprocess.Popen) -> None:
    """SIGTERM, and SIGKILL if it has not stopped after 15 s."""
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def children(pid: int) -> list[int]:
    # pgrep exits 1 when there are no children: not an error here.
    out = subprocess.run(
        ["pgrep", "-P", str(pid)], capture_output=True, text=True, check=False
    ).stdout
    return [int(child) for child in out.split()]


class RedisServer:
    """``with RedisServer(tmp) as server:`` a redis-server on a free loopback port, keeping
    nothing on disk; ``server.url(db)`` names one of its databases."""

    DATABASES = 256

    def __init__(self, tmp: Path):
        self.tmp = tmp
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> RedisServer:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def client(self, db: int = 0) -> redis.Redis:
        return redis.Redis.from_url(self.url(db), socket_connect_timeout=1, socket_timeout=5)

    def start(self) -> None:
        """Start (again: on the same port, empty)."""
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError(REDIS_MISSING)
        self.log = self.tmp / f"redis-{self.port}.log"
        self.process = subprocess.Popen(
            [binary, "--bind", "127.0.0.1", "--port", str(self.port), "--save", "",
             "--appendonly", "no", "--dir", str(self.tmp), "--logfile", str(self.log),
             "--databases", str(self.DATABASES)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
        deadline = time.monotonic() + 10
        while True:
            try:
                with self.client() as client:
                    client.ping()
                return
            except redis.ConnectionError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"redis-server did not start: {self.log}") from None
                time.sleep(0.02)

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None


NGINX_SITE = ROOT / "deploy" / "nginx-site.conf"
NGINX_MISSING = (
    "nginx is not installed (Debian package nginx: `make test` installs it); the HTTPS "
    "journey runs the app behind it as docs/deploy.md does"
)


def self_signed_certificate(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1, valid for a day, and its key, made with openssl."""
    certificate, key = folder / "tls.crt", folder / "tls.key"
    made = subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
         "-keyout", str(key), "-out", str(certificate)],
        capture_output=True,
        text=True,
        check=False,
    )  # fmt: skip
    if made.returncode != 0:
        raise RuntimeError(f"openssl could not make a test certificate:\n{made.stderr}")
    return certificate, key


def nginx_binary() -> str:
    found = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/sbin")
    if found is None:
        raise RuntimeError(NGINX_MISSING)
    return found


def fill_site(template: str, **values: str) -> str:
    """deploy/nginx-site.conf with its __NAMES__ replaced (comments aside); each must be given."""
    lines = []
    for raw in template.splitlines():
        line = raw
        if not line.lstrip().startswith("#"):
            for name, value in values.items():
                line = line.replace(f"__{name.upper()}__", value)
            left = re.search(r"__[A-Z_]+__", line)
            if left:
                raise ValueError(f"nginx site file: {left.group(0)} is not filled in: {line}")
        lines.append(line)
    return "\n".join(lines) + "\n"


class NginxProxy:
    """``with NginxProxy(tmp, app_address) as proxy:`` nginx on a free loopback port,
    unprivileged and with every file in ``tmp``, serving deploy/nginx-site.conf over TLS
    (a self-signed certificate) in front of ``app_address`` (gunicorn's BIND);
    ``proxy.url`` is https://127.0.0.1:<port>, ``proxy.access_log`` its log."""

    def __init__(self, tmp: Path, app_address: str):
        self.folder = tmp / "nginx"
        self.app_address = app_address
        self.port = free_port()
        self.url = f"https://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> NginxProxy:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def start(self) -> None:
        binary = nginx_binary()
        self.folder.mkdir(parents=True, exist_ok=True)
        certificate, key = self_signed_certificate(self.folder)
        self.access_log = self.folder / "access.log"
        self.error_log = self.folder / "error.log"
        site = self.folder / "site.conf"
        site.write_text(
            fill_site(
                NGINX_SITE.read_text(),
                listen=f"127.0.0.1:{self.port}",
                server_name="127.0.0.1",
                certificate=str(certificate),
                certificate_key=str(key),
                access_log=str(self.access_log),
                app=self.app_address,
            )
        )
        config = self.folder / "nginx.conf"
        config.write_text(self.main_config(site))
        self.process = subprocess.Popen(
            [binary, "-p", f"{self.folder}/", "-c", str(config), "-e", str(self.error_log)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 20
        while not self.listening():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                log = self.error_log.read_text() if self.error_log.exists() else "(no log)"
                raise RuntimeError(f"nginx did not start ({binary}):\n{log[-3000:]}")
            time.sleep(0.05)

    def main_config(self, site: Path) -> str:
        """What /etc/nginx/nginx.conf gives a site in production, kept in ``folder``: the
        pid file, temporary files and logs of an unprivileged nginx in the foreground."""
        temp = {name: self.folder / name for name in ("body", "proxy", "fastcgi", "uwsgi", "scgi")}
        for path in temp.values():
            path.mkdir(exist_ok=True)
        # As root, nginx's workers would switch to "nobody", who cannot read this folder.
        user = f"user {pwd.getpwuid(os.geteuid()).pw_name};" if os.geteuid() == 0 else ""
        return f"""{user}
daemon off;
worker_processes 1;
pid {self.folder / "nginx.pid"};
error_log {self.error_log} warn;
events {{ worker_connections 128; }}
http {{
    default_type application/octet-stream;
    client_body_temp_path {temp["body"]};
    proxy_temp_path {temp["proxy"]};
    fastcgi_temp_path {temp["fastcgi"]};
    uwsgi_temp_path {temp["uwsgi"]};
    scgi_temp_path {temp["scgi"]};
    include {site};
}}
"""

    def listening(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                return True
        except OSError:
            return False

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()  # SIGTERM: nginx's fast shutdown
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            self.process = None


class LiveWorker:
    """A `flask --app questionnaire reports worker` process with a server's environment."""

    def __init__(self, env: dict, log: Path):
        self.env, self.log = env, log
        self.process: subprocess.Popen | None = None

    def start(self) -> LiveWorker:
        with self.log.open("a") as output:
            self.process = subprocess.Popen(
                [venv_bin("flask"), "--app", "questionnaire", "reports", "worker"],
                env={**self.env, "PYTHONUNBUFFERED": "1"},  # its log survives a SIGKILL
                cwd=ROOT,
                stdout=output,
                stderr=subprocess.STDOUT,
            )
        return self

    def render_pids(self) -> list[int]:
        """The worker's WeasyPrint process (once it has started one)."""
        return children(self.process.pid)

    def kill(self) -> None:
        self.process.kill()
        self.process.wait()

    def stop(self) -> None:
        """SIGTERM: RQ's warm shutdown, after the job in hand."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()


class LiveServer:
    """``with LiveServer(tmp, "name") as server:`` serves the app at ``server.url``.

    ``database_url`` serves an existing database (another server's) instead of a fresh one;
    ``queue`` (default: TRUSTCHECK_TEST_QUEUE) renders reports through a redis-server and a
    worker of the server's own, unless ``env`` names a REPORT_QUEUE_URL already.
    """

    def __init__(
        self,
        tmp: Path,
        name: str,
        bank: Path | None = None,
        workers: int = 2,
        database_url: str | None = None,
        queue: bool = QUEUE_MODE,
        **env,
    ):
        self.tmp, self.name, self.workers = tmp, name, workers
        self.bank = bank or ROOT / "questions.yaml"
        self.shared_database = database_url
        self.own_queue = queue and "REPORT_QUEUE_URL" not in env
        self.extra_env = env
        self.process: subprocess.Popen | None = None
        self.drop = None
        self.redis: RedisServer | None = None
        self.worker: LiveWorker | None = None

    def __enter__(self) -> LiveServer:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def start(self) -> None:
        port = free_port()
        if self.shared_database:
            self.database_url, self.drop = self.shared_database, None
        else:
            self.database_url, self.drop = fresh_database(self.name, self.tmp)
        if self.own_queue:
            self.redis = RedisServer(self.tmp)
            self.redis.start()
            self.extra_env["REPORT_QUEUE_URL"] = self.redis.url()
        self.bank_path = self.tmp / f"{self.name}-questions.yaml"
        shutil.copy(self.bank, self.bank_path)
        self.env = {
            **os.environ,
            "SECRET_KEY": f"live-{uuid.uuid4().hex}",
            "DATABASE_URL": self.database_url,
            "QUESTIONS_PATH": str(self.bank_path),
            "REPORTS_DIR": str(self.tmp / f"{self.name}-reports"),
            "BIND": f"127.0.0.1:{port}",
            "PUBLIC_URL": f"http://127.0.0.1:{port}",  # links in e-mails, when mail is on
            "WEB_CONCURRENCY": str(self.workers),
            # Every simulated buyer comes from 127.0.0.1: a test of the limit sets its own.
            "START_LIMIT_PER_HOUR": "0",
            "REPORT_TIMEOUT_SECONDS": str(RENDER_SECONDS),
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
        if self.own_queue:
            self.worker = LiveWorker(self.env, self.tmp / f"{self.name}-worker.log").start()

    def healthy(self) -> bool:
        try:
            with urllib.request.urlopen(self.url + "/healthz", timeout=1) as response:
                return response.status == 200
        except OSError:
            return False

    def stop(self) -> None:
        if self.worker is not None:
            self.worker.stop()
            self.worker = None
        if self.process is not None:
            end(self.process)
            self.process = None
        if self.drop:
            self.drop()
            self.drop = None
        if self.redis is not None:
            self.redis.stop()
            self.redis = None

    def flask(self, *args: str, input: str | None = None) -> str:
        """Run a `flask --app questionnaire` command against this server's database."""
        result = subprocess.run(
            [venv_bin("flask"), "--app", "questionnaire", *args],
            env=self.env,
            input=input,
            capture_output=True,
            text=True,
            cwd=ROOT,
            check=False,
        )
        if result.returncode != 0:
            raise RuntimeError(f"flask {' '.join(args)} failed:\n{result.stdout}{result.stderr}")
        return result.stdout

    def worker_pids(self) -> list[int]:
        """gunicorn's worker processes (children of the arbiter)."""
        return children(self.process.pid)

    def log_errors(self) -> list[str]:
        """Lines of the server log that report an unhandled error."""
        text_ = self.log.read_text(errors="replace")
        return [line for line in text_.splitlines() if "Traceback" in line or "[ERROR]" in line]


class HtmlChecker:
    """``with HtmlChecker(jar, tmp) as checker:`` the Nu Html Checker (vnu.jar, from npm's
    vnu-jar) as a web service on a free loopback port: one JVM, started once (it takes
    seconds), then ``checker.errors(html)`` per page in well under a second."""

    def __init__(self, jar: Path, tmp: Path):
        self.jar, self.tmp = jar, tmp
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> HtmlChecker:
        java = shutil.which("java")
        if java is None:
            raise RuntimeError(
                "java is not installed: the Nu Html Checker needs Debian's default-jre-headless "
                "(`make test` installs it)"
            )
        self.log = self.tmp / f"vnu-{self.port}.log"
        with self.log.open("w") as output:
            self.process = subprocess.Popen(
                [java, "-Xmx512m", "-Dnu.validator.servlet.bind-address=127.0.0.1",
                 "-cp", str(self.jar), "nu.validator.servlet.Main", str(self.port)],
                stdout=output,
                stderr=subprocess.STDOUT,
            )  # fmt: skip
        deadline = time.monotonic() + 120  # a JVM on a loaded 2-core machine
        while not self._answers():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.__exit__()
                raise RuntimeError(f"vnu did not start:\n{self.log.read_text()[-3000:]}")
            time.sleep(0.2)
        return self

    def __exit__(self, *exc) -> None:
        if self.process is not None:
            end(self.process)
            self.process = None

    def _answers(self) -> bool:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/", timeout=2) as response:
                return response.status == 200
        except OSError:
            return False

    def messages(self, html: str) -> list[dict]:
        """Everything vnu says about ``html``: errors, warnings and notes."""
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}/?out=json",
            data=html.encode(),
            headers={"Content-Type": "text/html; charset=utf-8"},
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            return json.load(response)["messages"]

    def errors(self, html: str) -> list[str]:
        """vnu's errors on ``html``, each as 'line N: message (the source around it)'."""
        return [
            f"line {m.get('lastLine', '?')}: {m['message']} ({m.get('extract', '').strip()})"
            for m in self.messages(html)
            if m["type"] in ("error", "non-document-error")
        ]
