"""questions.yaml broken while buyers are using the app: the last good bank keeps serving
(even in workers started while the file is broken), the error is logged and shown to
admins with its PATH:LINE, and a fixed file is picked up for new assessments only."""

from __future__ import annotations

import http.client
import re
import threading
import time

import pytest
from markupsafe import escape

from questionnaire import services
from questionnaire.core.bank import load_bank
from tests.conftest import SHIPPED_BANK
from tests.faults.conftest import Browser, kill_workers, unexpected_log_errors, wait_for
from tests.live import LiveServer
from tests.support import FAST, add_user, page, sign_in

GOOD = load_bank(SHIPPED_BANK)
NEW_VERSION, NEW_TITLE = "2099.1.1", "Top questions to ask a cloud provider, revised"


class Traffic:
    """A few buyers starting assessments and saving a section, over and over."""

    def __init__(self, server, buyers: int = 3):
        self.server = server
        self.statuses: list[tuple[str, int]] = []
        self.titles: set[str] = set()
        self.rounds = 0
        self.failures: list[str] = []
        self.cut = 0  # rounds cut off by a worker we killed
        self.killing = threading.Event()
        self.kill_ended = 0.0  # monotonic time the killed workers were all replaced
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._run, args=(n,)) for n in range(buyers)]

    def __enter__(self) -> Traffic:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(60)

    def _note(self, what: str, status: int) -> None:
        with self._lock:
            self.statuses.append((what, status))

    def killed(self) -> None:
        """The killed workers are replaced: a round that fails from now on is a failure,
        unless it began before this (its error may surface late on a busy machine)."""
        with self._lock:
            self.kill_ended = time.monotonic()
            self.killing.clear()

    def _run(self, n: int) -> None:
        while not self._stop.is_set():
            began = time.monotonic()
            try:
                self._round(n)
            except (OSError, http.client.HTTPException) as exc:
                with self._lock:
                    if self.killing.is_set() or began < self.kill_ended:
                        self.cut += 1
                    else:
                        self.failures.append(f"{type(exc).__name__}: {exc}")
            except Exception as exc:  # reported by the test, not lost in a thread
                with self._lock:
                    self.failures.append(f"{type(exc).__name__}: {exc}")
                return

    def _round(self, n: int) -> None:
        buyer = Browser(self.server.url)
        start = buyer.get("/")
        self._note("GET /", start.status)
        title = re.search(r"<h1>([^<]*)</h1>", start.text)
        if title:
            with self._lock:
                self.titles.add(title.group(1))
        if start.status != 200:
            return
        page = buyer.post(
            "/",
            [
                ("company", f"Traffic {n}"),
                ("name", "T"),
                ("email", "t@traffic.example"),
                ("consent", "y"),
                ("csrf_token", start.csrf()),
            ],
        )
        self._note("POST /", page.status)
        if page.status != 302:
            return
        step = page.location.split("?")[0].removeprefix(self.server.url)
        form = buyer.get(step)
        self._note("GET step", form.status)
        if form.status != 200:
            return
        saved = buyer.post(step, [("csrf_token", form.csrf()), ("action", "save")])
        self._note("POST step", saved.status)
        with self._lock:
            self.rounds += 1

    def bad(self) -> list[tuple[str, int]]:
        with self._lock:
            return [(what, status) for what, status in self.statuses if status not in (200, 302)]


def logged_by_every_worker(server, text: str) -> bool:
    """Whether each of gunicorn's workers now running has logged ``text``."""
    log = server.log.read_text()
    pids = server.worker_pids()
    return bool(pids) and all(
        re.search(rf"\[{pid}\] \[INFO\] [\w.]+: {re.escape(text)}", log) for pid in pids
    )


def start_page_bank(server) -> tuple[str, str]:
    html = Browser(server.url).get("/").text
    title = re.search(r"<h1>([^<]*)</h1>", html).group(1)
    count = re.search(r"Answer (\d+) short questions", html).group(1)
    return title, count


def test_a_broken_bank_during_traffic_keeps_the_last_good_one_until_it_is_fixed(tmp_path):
    with LiveServer(tmp_path, "bank", workers=2) as server:
        out = server.flask(
            "users",
            "create",
            "ada@provider.example",
            "--role",
            "admin",
            "--name",
            "Ada Admin",
            "--generate-password",
        )
        password = re.search(r"store it now\): (\S+)", out).group(1)
        early = Browser(server.url)
        early_token = early.start(company="Early Ltd")
        good_text = server.bank_path.read_text()

        with Traffic(server) as traffic:
            wait_for(lambda: traffic.rounds >= 6, 60, "traffic on the good bank")
            broken = good_text.replace("type: yesno", "type: yesnoo", 1)
            line = good_text[: good_text.index("type: yesno")].count("\n") + 1
            server.bank_path.write_text(broken)
            problem = f"{server.bank_path}:{line}: unknown type 'yesnoo'"
            wait_for(lambda: problem in server.log.read_text(), 30, "the error in the log")

            rounds = traffic.rounds
            wait_for(lambda: traffic.rounds >= rounds + 6, 60, "traffic on the broken file")
            for _ in range(4):  # both workers
                assert start_page_bank(server) == (GOOD.title, str(len(GOOD.questions)))

            # Workers started while the file is broken (a crash, or gunicorn's max_requests
            # recycling) have never read a good file: they serve the last good bank stored.
            traffic.killing.set()
            kill_workers(server)
            traffic.killed()
            rounds = traffic.rounds
            wait_for(lambda: traffic.rounds >= rounds + 6, 60, "traffic in the new workers")
            for _ in range(4):
                assert start_page_bank(server) == (GOOD.title, str(len(GOOD.questions)))

            admin = Browser(server.url)
            admin.sign_in("ada@provider.example", password)
            for _ in range(4):
                html = admin.get("/sales/admin/").text
                assert problem.replace("'", "&#39;") in html
                assert f"still start on the last good version, {GOOD.version}" in html

            fixed = good_text.replace(f'version: "{GOOD.version}"', f'version: "{NEW_VERSION}"')
            fixed = fixed.replace(f"title: {GOOD.title}", f"title: {NEW_TITLE}")
            server.bank_path.write_text(fixed)
            # Each worker re-reads the file at a request a second or more after its last
            # look, and says so in the log: wait for both, not for a few requests that
            # one worker may have served alone.
            wait_for(
                lambda: logged_by_every_worker(
                    server, f"loaded question bank version {NEW_VERSION}"
                ),
                60,
                "every worker to load the fixed bank",
            )
            assert all(start_page_bank(server)[0] == NEW_TITLE for _ in range(4))
            rounds = traffic.rounds
            wait_for(lambda: traffic.rounds >= rounds + 3, 60, "traffic on the fixed bank")

        assert traffic.failures == []
        assert traffic.bad() == []  # no 5xx (nor anything else) while the file was broken
        assert traffic.titles == {GOOD.title, NEW_TITLE}
        newcomer = Browser(server.url)
        new_token = newcomer.start(company="Later Ltd")
        assert newcomer.json(f"/a/{new_token}/answers.json")["bank_version"] == NEW_VERSION
        assert early.json(f"/a/{early_token}/answers.json")["bank_version"] == GOOD.version
        assert early.get(f"/a/{early_token}/step/{GOOD.sections[0].id}").status == 200
        # The broken file is logged as an error (with its PATH:LINE), and nothing else is.
        errors = unexpected_log_errors(server)
        assert any("questions.yaml is invalid" in line for line in errors)
        assert [line for line in errors if "questions.yaml is invalid" not in line] == []


def test_a_process_started_while_the_file_is_broken_serves_the_last_good_bank(
    make_app, bank_path, caplog
):
    """The in-process version of the worker restart above: quick, and on both databases."""
    first = make_app()
    assert first.test_client().get("/").status_code == 200  # loads and stores the good bank
    bank_path.write_text(bank_path.read_text().replace("type: yesno", "type: yesnoo", 1))
    restarted = make_app(create_tables=False)  # a new process: it never saw the good file
    response = restarted.test_client().get("/")
    assert response.status_code == 200
    assert f"<h1>{GOOD.title}</h1>" in response.get_data(as_text=True)
    registry = services.banks(restarted)
    assert registry.current().sha256 == GOOD.sha256 and registry.last_error is not None
    assert f"starts on the last good bank stored, version {GOOD.version}" in caplog.text


def nested(depth: int) -> str:
    """One key nested ``depth`` levels deep, at the end of a good bank."""
    return GOOD.source + "notes: " + "[" * depth + "x" + "]" * depth + "\n"


def alias_bomb(n: int) -> str:
    """n sections, each an alias of one section whose questions are n aliases of one: a
    small file whose checks would visit n * n questions."""
    questions = "[" + ", ".join(["*q"] * n) + "]"
    sections = "[" + ", ".join(["*s"] * n) + "]"
    return (
        'version: "1"\ntitle: Bomb\n'
        "question: &q {id: q, prompt: Q, type: yesno, weight: 1}\n"
        f"section: &s {{id: s, title: S, questions: {questions}}}\n"
        f"sections: {sections}\n"
    )


HOSTILE = {
    "nested 400 deep": (nested(400), "nested more than 64 levels deep"),
    "an alias bomb": (alias_bomb(4000), "counting each repeat of an alias"),
    "over 2 MB": (GOOD.source + "notes: |\n" + "  x\n" * 600_000, "the most a bank may be"),
    "too many values": (GOOD.source + "notes: [" + "1," * 250_000 + "1]\n", "more than 250,000"),
    # The most work a file can ask for: as many values as allowed, each a number to convert.
    "the most values allowed": (
        'version: "1"\ntitle: T\nnotes: [' + "1," * 249_990 + "1]\nsections: []\n",
        "'sections' must be a non-empty list",
    ),
}


@pytest.mark.parametrize("kind", HOSTILE)
def test_a_hostile_bank_file_is_an_error_with_a_line_and_the_site_stays_up(
    make_app, bank_path, kind
):
    text, message = HOSTILE[kind]
    app = make_app(**FAST)
    add_user(app, "ada@provider.example", role="admin")
    client = app.test_client()
    assert client.get("/").status_code == 200  # the good bank, loaded and stored
    bank_path.write_text(text)
    started = time.process_time()  # CPU time: the test's own work, however busy the machine
    response = client.get("/")
    # The reader's work is bounded: about 1 s of CPU here, 3-4 s under `make test`'s
    # coverage tracing; an alias bomb read without the bound takes minutes.
    assert time.process_time() - started < 20
    assert response.status_code == 200 and f"<h1>{GOOD.title}</h1>" in page(response)
    problems = [str(p) for p in services.banks(app).last_error.problems]
    assert any(re.match(rf"{re.escape(str(bank_path))}:\d+: .*{message}", p) for p in problems)
    assert sign_in(client, "ada@provider.example").status_code == 302
    admin = client.get("/sales/admin/")
    assert admin.status_code == 200 and str(escape(message)) in page(admin)

    restarted = make_app(create_tables=False)  # a new worker, after a crash or a recycle
    response = restarted.test_client().get("/")
    assert response.status_code == 200 and f"<h1>{GOOD.title}</h1>" in page(response)
    assert services.banks(restarted).last_error is not None


@pytest.mark.parametrize("kind", HOSTILE)
def test_questions_validate_names_the_line_of_a_hostile_file(runner, tmp_path, kind):
    text, message = HOSTILE[kind]
    path = tmp_path / "hostile.yaml"
    path.write_text(text)
    result = runner.invoke(args=["questions", "validate", str(path)])
    assert result.exit_code == 1
    assert re.search(rf"^{re.escape(str(path))}:\d+: .*{message}", result.output, re.M)
    assert "Traceback" not in result.output
