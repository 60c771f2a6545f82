"""The scored PDF report: result -> plain data -> HTML (Jinja, autoescaped) -> PDF.

The PDF is drawn by WeasyPrint in a warm worker process (``questionnaire.workers``)
with a time limit, and cached in ``REPORTS_DIR`` under a hash of everything it
prints, so a second download is a file read. Rendering starts when the buyer
submits, off the request path, so the first download is usually a file read too.

Other code uses ``app.extensions["reports"]`` (a ``ReportService``):
``pdf_path``, ``schedule``, ``discard``, ``is_ready``, and ``report_filename()``.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import math
import os
import queue
import re
import tempfile
import threading
import time
from collections.abc import Callable, Collection, Iterator, Mapping
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.metadata import version as package_version
from io import BytesIO
from pathlib import Path
from typing import Any

from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    redirect,
    render_template,
    send_file,
    url_for,
)
from sqlalchemy import select

from questionnaire import operations as ops
from questionnaire.bank import Bank
from questionnaire.config import ConfigError
from questionnaire.extensions import db
from questionnaire.models import Assessment
from questionnaire.presenter import result_view
from questionnaire.text import one_line
from questionnaire.workers import RenderError, RenderTimeout, shared_pool

log = logging.getLogger(__name__)

# Bump when the report's wording or layout changes in a way the file digest below would
# not notice (e.g. a change in how the context is built); every cached PDF is then redrawn.
TEMPLATE_VERSION = "1"
TEMPLATE = "report/report.html"
LANG = "en-GB"
DEFAULTS = {
    "REPORT_TIMEOUT_SECONDS": 20.0,  # a render running longer is killed
    "REPORT_WAIT_SECONDS": 8.0,  # the download waits this long, then says "being prepared"
    "REPORT_RETRY_SECONDS": 60.0,  # a failed render is not retried sooner than this
    "REPORT_WORKERS": 1,  # render processes per web process (each about 80 MB)
    "REPORT_MEMORY_MB": 1024,  # address-space limit of a render process
    "REPORT_TEMPLATE_VERSION": TEMPLATE_VERSION,
}


class ReportError(RuntimeError):
    """The report could not be produced; the message says why, in words for an operator."""


def report_filename(assessment: Assessment) -> str:
    """The download name: ``trustcheck-report-<company>.pdf`` (ASCII, for every browser)."""
    slug = re.sub(r"[^a-z0-9]+", "-", assessment.company.lower()).strip("-")[:40]
    return f"trustcheck-report-{slug or 'assessment'}.pdf"


def report_id_of(assessment: Assessment) -> str:
    return f"TC-{assessment.id:06d}"


# --- the context: plain data the template prints ---------------------------------------


def answers_sha256(answers: Mapping[str, Any], must_have: Collection[str]) -> str:
    """A fingerprint of exactly what the buyer answered, printed so a copy can be checked."""
    data = {"answers": answers, "must_have": sorted(must_have)}
    text = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def gauge(score: float | None) -> dict:
    """A half-circle dial, 0 on the left and 100 on the right, as SVG path data."""
    cx, cy, r = 110.0, 105.0, 88.0

    def point(value: float) -> str:
        angle = math.pi * (1 - value / 100)
        return f"{cx + r * math.cos(angle):.2f} {cy - r * math.sin(angle):.2f}"

    track = f"M {point(0)} A {r:g} {r:g} 0 0 1 {point(100)}"
    value = None
    if score is not None and score > 0:
        value = f"M {point(0)} A {r:g} {r:g} 0 0 1 {point(min(score, 100))}"
    return {"track": track, "value": value, "cx": cx, "cy": cy, "r": r}


def rating_ticks(bank: Bank) -> list[dict]:
    """Where each rating band starts on the dial (the lowest band starts at 0: no tick)."""
    ticks = []
    for rating in bank.ratings:
        if 0 < rating.min < 100:
            angle = math.pi * (1 - rating.min / 100)
            inner, outer = 74.0, 102.0
            ticks.append(
                {
                    "label": f"{rating.min:g}",
                    "x1": round(110 + inner * math.cos(angle), 2),
                    "y1": round(105 - inner * math.sin(angle), 2),
                    "x2": round(110 + outer * math.cos(angle), 2),
                    "y2": round(105 - outer * math.sin(angle), 2),
                }
            )
    return ticks


def number_questions(view: dict) -> None:
    """Give each question a reference such as 2.3 (part 2, third question), everywhere it is
    listed, so follow-ups and deal-breakers point back into the parts."""
    numbers: dict[str, str] = {}
    for part, section in enumerate(view["sections"], 1):
        section["number"] = part
        for index, question in enumerate(section["questions"], 1):
            numbers[question["id"]] = question["number"] = f"{part}.{index}"
    for item in (*view["deal_breakers"], *view["follow_ups"], *view["must_have"]):
        item["number"] = numbers.get(item["id"], "")


def report_context(
    bank: Bank,
    answers: Mapping[str, Any],
    must_have: Collection[str],
    result: Mapping,
    *,
    company: str,
    contact: str,
    submitted_at: datetime,
    report_id: str,
) -> dict:
    """Everything the report prints, as plain JSON-ready data (its hash is the cache key).

    The time the PDF is drawn is not in here: it is added at render time, so that it
    does not defeat the cache.
    """
    view = result_view(bank, answers, must_have, result)
    number_questions(view)
    for section, stored in zip(view["sections"], result["sections"], strict=True):
        section["points"], section["max"] = round(stored["points"], 2), stored["max"]
        section["source"] = common_source(section["questions"])
    company = company.strip() or "Buyer not named"
    return {
        "lang": LANG,
        "report_id": report_id,
        "title": f"Due-diligence report: {view['provider']} for {company}",
        # Metadata is one line: no tab or line break from a name reaches an attribute.
        "subject": one_line(
            f"How {view['provider']}'s documented commitments meet the requirements "
            f"of {company}, scored with method {view['method']}"
        ),
        "keywords": one_line(f"due diligence, cloud, {view['provider']}, {view['method']}"),
        "buyer": {"company": company, "contact": contact.strip()},
        "submitted": {
            "text": submitted_at.astimezone(UTC).strftime("%-d %B %Y"),
            "iso": submitted_at.astimezone(UTC).date().isoformat(),
        },
        "bank_title": bank.title,
        "ratings": [{"min": f"{r.min:g}", "label": r.label} for r in bank.ratings],
        "rating_ticks": rating_ticks(bank),
        "gauge": gauge(view["score"]),
        "tone": tone(bank, result["rating"]),
        "totals": totals(result),
        "answers_sha256": answers_sha256(answers, must_have),
        "view": view,
    }


def tone(bank: Bank, rating: str | None) -> str:
    """Colour of the score: the top band is good, the lowest poor, anything between fair."""
    labels = [r.label for r in bank.ratings]
    if rating not in labels:
        return "none"
    index = labels.index(rating)
    return "good" if index == 0 else "poor" if index == len(labels) - 1 else "fair"


def common_source(questions: list[dict]) -> str | None:
    """The source every commitment of a part quotes, if they share one: printed once under
    the part's title instead of under each quote (a different source is still printed)."""
    sources = {q["commitment"]["source"] for q in questions if q["commitment"]}
    return sources.pop() if len(sources) == 1 else None


def totals(result: Mapping) -> dict:
    """How the overall score adds up: points earned and possible, per section and overall."""
    points = math.fsum(s["points"] for s in result["sections"])
    maximum = math.fsum(s["max"] for s in result["sections"])
    return {"points": round(points, 2), "max": round(maximum, 2)}


def assessment_context(assessment: Assessment, bank: Bank) -> dict:
    return report_context(
        bank,
        assessment.answers,
        assessment.must_have,
        assessment.result,
        company=assessment.company,
        contact=assessment.contact_name,
        submitted_at=assessment.submitted_at,
        report_id=report_id_of(assessment),
    )


def cache_key(context: Mapping, template_version: str) -> str:
    text = json.dumps(context, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(f"{template_version}\n{text}".encode()).hexdigest()


def template_version(app: Flask) -> str:
    """The configured version plus a digest of the report's template and stylesheet files
    and the WeasyPrint version, so an edited template can never serve stale PDFs."""
    digest = hashlib.sha256()
    files = sorted(Path(app.root_path, "templates", "report").glob("*.html"))
    files.append(Path(app.static_folder, "report.css"))
    for path in files:
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    configured = app.config["REPORT_TEMPLATE_VERSION"]
    return f"{configured}+{digest.hexdigest()[:16]}+weasyprint-{package_version('weasyprint')}"


BETWEEN_TAGS = re.compile(r">\n\s*<")


def compact(html: str) -> str:
    """Drop the template's indentation between tags. WeasyPrint builds a box for every run
    of whitespace, and the report's layout time grows with the boxes. Only whitespace that
    holds a line break is dropped, and buyer text cannot contain ``<`` (it is escaped), so
    no printed text changes."""
    return BETWEEN_TAGS.sub("><", html)


def render_html(app: Flask, context: Mapping, generated_at: datetime) -> str:
    """The report as HTML, autoescaped like every template.

    Straight from the app's Jinja environment: no context processors, so the template
    sees exactly this plain data (no request, session or user) and needs no request.
    """
    html = app.jinja_env.get_template(TEMPLATE).render(
        **context,
        generated={
            "text": generated_at.strftime("%-d %B %Y, %H:%M UTC"),
            "iso": generated_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        },
    )
    return compact(html)


# --- background work -------------------------------------------------------------------


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


_background = Background()


@dataclass(frozen=True)
class Job:
    assessment_id: int
    key: str
    path: Path
    context: dict


class ReportService:
    """Renders, caches, finds and deletes the PDF reports of one app."""

    def __init__(self, app: Flask):
        config = app.config
        self.app = app
        self.directory = Path(config["REPORTS_DIR"])
        self.timeout = float(config["REPORT_TIMEOUT_SECONDS"])
        self.wait_seconds = float(config["REPORT_WAIT_SECONDS"])
        self.retry_seconds = float(config["REPORT_RETRY_SECONDS"])
        self.prerender = bool(config["REPORT_PRERENDER"])
        self.threads = int(config["REPORT_WORKERS"])
        self.template_version = template_version(app)
        self.pool = shared_pool(app.static_folder, self.threads, int(config["REPORT_MEMORY_MB"]))
        self.renders = 0  # PDFs actually drawn by this service (tests count them)
        self.last_render = None  # the last workers.Rendered: timings and memory, for benchmarks
        self._lock = threading.Lock()
        self._inflight: dict[str, tuple[int, Future]] = {}  # key -> (assessment id, render)
        self._failed: dict[str, tuple[float, str]] = {}
        self._discarded: set[int] = set()

    # --- the API other code uses ---------------------------------------------------------

    def pdf_path(self, assessment: Assessment, timeout: float | None = None) -> Path:
        """The cached PDF, drawn first if needed (waiting for one already being drawn).

        Raises ReportError if drawing fails, times out, or cannot be saved.
        """
        if timeout is None:
            timeout = self.timeout * 3 + 60  # a queue of renders ahead, each bounded
        path = self.wait(assessment, timeout)
        if path is None:
            raise ReportError("The report is still being prepared; try again in a minute.")
        return path

    def schedule(self, assessment: Assessment) -> None:
        """Start drawing the PDF in the background if it is not cached. Never raises.

        Does nothing when REPORT_PRERENDER is off (the PDF is then drawn at the first
        download); it is off by default in tests, so suites that submit many assessments
        do not draw a PDF for each.
        """
        if not self.prerender or not assessment.submitted:
            return
        try:
            self._start(self.job(assessment))
        except Exception:
            log.exception("could not schedule the report of assessment %s", assessment.id)

    def is_ready(self, assessment: Assessment) -> bool:
        return assessment.submitted and self.job(assessment).path.is_file()

    def discard(self, assessment: Assessment) -> None:
        """Delete every cached PDF of this assessment (call before deleting its row).

        Files are named ``<assessment id>-<key>.pdf``, so this finds old template
        versions too; the key itself includes the report id, so no two assessments
        ever share a file. A render still running is deleted when it finishes.
        """
        with self._lock:
            if any(owner == assessment.id for owner, _ in self._inflight.values()):
                self._discarded.add(assessment.id)
        for path in self._files_of(assessment.id):
            with contextlib.suppress(FileNotFoundError):
                path.unlink()

    def prune(self) -> int:
        """Delete the cached PDFs of assessments that no longer exist (bulk deletes such as
        ``flask purge`` remove rows without calling ``discard``). Returns how many."""
        existing = set(db.session.scalars(select(Assessment.id)))
        removed = 0
        for path in self._all_files():
            owner = path.name.lstrip(".").split("-", 1)[0]
            if owner.isdigit() and int(owner) not in existing:
                with contextlib.suppress(FileNotFoundError):
                    path.unlink()
                    removed += path.suffix == ".pdf"
        return removed

    def wait(self, assessment: Assessment, seconds: float) -> Path | None:
        """The cached PDF, or None if it is still being drawn after ``seconds``."""
        job = self.job(assessment)
        if job.path.is_file():
            return job.path
        try:
            return self._start(job).result(timeout=seconds)
        except FutureTimeout:
            return None

    def render_bytes(self, context: dict) -> bytes:
        """Draw a report without caching it (the CLI's ``assess --pdf``)."""
        return self._draw(context).pdf

    def job(self, assessment: Assessment) -> Job:
        if not assessment.submitted:
            raise ReportError(
                f"assessment {assessment.id} is a draft; only submitted ones have a report"
            )
        context = assessment_context(assessment, ops.bank_of(assessment))
        key = cache_key(context, self.template_version)
        path = self.directory / f"{assessment.id}-{key}.pdf"
        return Job(assessment.id, key, path, context)

    # --- drawing and caching ---------------------------------------------------------------

    def _start(self, job: Job) -> Future:
        """The render of ``job``: the one already running, or a new one queued."""
        with self._lock:
            running = self._inflight.get(job.key)
            if running is not None:
                return running[1]
            future: Future = Future()
            failed = self._failed.get(job.key)
            if failed and time.monotonic() - failed[0] < self.retry_seconds:
                future.set_exception(ReportError(failed[1]))
                return future
            self._inflight[job.key] = (job.assessment_id, future)
        _background.submit(lambda: self._run(job, future), self.threads)
        return future

    def _run(self, job: Job, future: Future) -> None:
        try:
            path = self._produce(job)
        except ReportError as exc:
            log.error("report of assessment %s failed: %s", job.assessment_id, exc)
            outcome: Path | ReportError = exc
        except Exception as exc:
            log.exception("report of assessment %s failed", job.assessment_id)
            outcome = ReportError(f"the report could not be drawn ({type(exc).__name__})")
        else:
            outcome = path
        with self._lock:
            del self._inflight[job.key]
            if job.assessment_id in self._discarded:  # deleted while it was being drawn
                with contextlib.suppress(FileNotFoundError):
                    job.path.unlink()
                outcome = ReportError("the assessment was deleted")
                if not any(owner == job.assessment_id for owner, _ in self._inflight.values()):
                    self._discarded.discard(job.assessment_id)
            if isinstance(outcome, ReportError):
                now = time.monotonic()
                self._failed = {
                    key: failure
                    for key, failure in self._failed.items()
                    if now - failure[0] < self.retry_seconds
                }
                self._failed[job.key] = (now, str(outcome))
                future.set_exception(outcome)
            else:
                self._failed.pop(job.key, None)
                future.set_result(outcome)

    def _produce(self, job: Job) -> Path:
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            with self._file_lock(job):
                if job.path.is_file():  # another web process drew it while we waited
                    return job.path
                rendered = self._draw(job.context)
                self._save(job, rendered.pdf)
        except OSError as exc:
            raise ReportError(
                f"the report could not be saved in {self.directory}: {exc.strerror or exc}"
            ) from None
        self._remove_older(job)
        return job.path

    def _draw(self, context: dict) -> Any:
        html = render_html(self.app, context, datetime.now(UTC).replace(microsecond=0))
        try:
            rendered = self.pool.render(html, self.timeout)
        except RenderTimeout:
            raise ReportError(
                f"the report took longer than {self.timeout:g} seconds to render and was stopped"
            ) from None
        except RenderError as exc:
            raise ReportError(f"the report could not be rendered: {exc}") from None
        with self._lock:
            self.renders += 1
            self.last_render = rendered
        for message in rendered.log:
            log.warning("report rendering: %s", message)
        if rendered.refused:
            log.warning("report rendering refused to fetch: %s", ", ".join(rendered.refused))
        return rendered

    def _save(self, job: Job, pdf: bytes) -> None:
        """Write to a temporary name and rename, so no reader ever sees half a file."""
        fd, temp = tempfile.mkstemp(
            dir=self.directory, prefix=f".{job.assessment_id}-", suffix=".tmp"
        )
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(pdf)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temp, job.path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temp)
            raise

    @contextlib.contextmanager
    def _file_lock(self, job: Job) -> Iterator[None]:
        """Across web processes, one draws a report and the others wait for its file."""
        lock_path = self.directory / f".{job.path.stem}.lock"
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            # Unlink before unlocking: a process still waiting holds the old inode and
            # finds the PDF in place; one arriving later finds the PDF before any lock.
            with contextlib.suppress(FileNotFoundError):
                lock_path.unlink()
            os.close(fd)

    def _remove_older(self, job: Job) -> None:
        """Drop this assessment's PDFs drawn with an older template: never served again."""
        for path in self._files_of(job.assessment_id):
            if path.suffix == ".pdf" and path != job.path:
                with contextlib.suppress(FileNotFoundError):
                    path.unlink()

    def _all_files(self) -> list[Path]:
        try:
            return [p for p in self.directory.iterdir() if p.is_file()]
        except OSError:
            return []

    def _files_of(self, assessment_id: int) -> list[Path]:
        try:
            return [
                *self.directory.glob(f"{assessment_id}-*.pdf"),
                *self.directory.glob(f".{assessment_id}-*"),
            ]
        except OSError:
            return []


# --- the buyer's download --------------------------------------------------------------

bp = Blueprint("report", __name__)
RETRY_SECONDS = 5  # how soon the "being prepared" page asks again


@bp.get("/a/<token>/report.pdf")
def download(token: str):
    assessment = ops.find_by_token(token)
    if assessment is None:
        abort(404)
    if not assessment.submitted:
        return redirect(url_for("wizard.check", token=token))
    service: ReportService = current_app.extensions["reports"]
    try:
        path = service.wait(assessment, service.wait_seconds)
        if path is not None:
            # Read whole (about 100 KB): nothing holds the file open, so it can be
            # replaced or deleted at any time.
            response = send_file(
                BytesIO(path.read_bytes()),
                mimetype="application/pdf",
                as_attachment=True,
                download_name=report_filename(assessment),
            )
            response.headers["Cache-Control"] = "no-store"  # the buyer's answers: keep no copy
            return response
    except FileNotFoundError:
        pass  # replaced or discarded between the check and the read: ask again shortly
    except ReportError as exc:
        log.error("report download for assessment %s failed: %s", assessment.id, exc)
        return render_template(
            "error.html",
            title="Your PDF report could not be prepared",
            message="Something went wrong on our side while preparing the PDF. Your answers and "
            "result are safe: the result page and the JSON download still work. Please try "
            "again later.",
            code=503,
        ), 503
    return preparing_page(token)


def preparing_page(token: str):
    """Shown while the PDF is still being drawn; the Refresh header asks again by itself
    (no script needed, so it works under the page's CSP) and the link does it by hand."""
    url = url_for("report.download", token=token)
    body = render_template(
        "report/preparing.html",
        token=token,
        url=url,
        seconds=RETRY_SECONDS,
        bank=None,
    )
    headers = {"Retry-After": str(RETRY_SECONDS), "Refresh": f"{RETRY_SECONDS}; url={url}"}
    return body, 202, headers


def setting(name: str, default: Any) -> Any:
    """A REPORT_* setting from the environment, as the type of its default."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        if isinstance(default, bool):
            return {"1": True, "true": True, "0": False, "false": False}[raw.lower()]
        return type(default)(raw)
    except (KeyError, ValueError):
        kind = {bool: "1 or 0", int: "a whole number", float: "a number"}.get(type(default), "")
        raise ConfigError(f"{name} must be {kind}, got {raw!r}") from None


def init_app(app: Flask) -> None:
    defaults = {**DEFAULTS, "REPORT_PRERENDER": not app.testing}  # tests draw on demand
    for name, default in defaults.items():
        if name not in app.config:
            app.config[name] = setting(name, default)
    app.extensions["reports"] = ReportService(app)
    app.register_blueprint(bp)
