"""The question bank: ``questions.yaml`` read into the frozen dataclasses of ``model.py``,
checked line by line.

``load_bank(path)`` returns a ``Bank`` or raises ``BankInvalid`` holding every
problem found, each printable as ``PATH:LINE: message``. Pure: no Flask.

A bank in use is schema 3 (every commitment graded by its ``evidence``) or schema 2 (its
provider's source dated by ``as_of``, commitments ungraded: each counts as an assertion,
with a warning). Schema 1, the layout before dated evidence, is read only from the
snapshots stored with old assessments (``parse_bank(..., snapshot=True)``), so they keep
working.
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path
from typing import cast

from questionnaire.core import evidence, yamlsrc
from questionnaire.core.evidence import DEFAULT_MUST_HAVE_EVIDENCE, Provider
from questionnaire.core.model import (
    DEFAULT_MIN_COVERAGE,
    DEFAULT_TOP_BAND_EVIDENCE,
    SCHEMA,
    Bank,
    BankInvalid,
    Commitment,
    Problem,
    Question,
    Rating,
    Section,
)
from questionnaire.core.qtypes import NOT_SURE, Option, is_number
from questionnaire.core.question_reader import QuestionReader
from questionnaire.core.yamlsrc import LineDict, LineList

# The model lives in model.py; it is imported from here by most callers.
__all__ = [
    "Bank",
    "BankInvalid",
    "Commitment",
    "Option",
    "Problem",
    "Provider",
    "Question",
    "Section",
    "load_bank",
    "parse_bank",
]

SNAPSHOT_SCHEMAS = (1, 2, SCHEMA)  # what stored snapshots of older banks may be
LIVE_SCHEMAS = (2, SCHEMA)  # what a bank to start new assessments on may be
ID_PATTERN = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,63}$")
RESERVED_IDS = frozenset({"csrf_token", "must_have", "action", NOT_SURE})  # the wizard's fields
DEFAULT_RATINGS = ((85.0, "Strong fit"), (60.0, "Fit with gaps"), (0.0, "Significant gaps"))

TOP_KEYS = frozenset(
    {
        "schema",
        "version",
        "title",
        "provider",
        "min_coverage",
        "must_have_evidence",
        "top_band_evidence",
        "ratings",
        "sections",
        "intro",
    }
)
MUST_HAVE_GRADES = ("policy", "contract", "independent")  # a bar for must-haves
SECTION_KEYS = frozenset({"id", "title", "intro", "questions"})
# Bounds on the work a file can cause (see also yamlsrc.MAX_VALUES and MAX_DEPTH): the
# 2,000-question bench bank is 0.7 MB; reading stops after this many problems.
MAX_BYTES = 2 * 1024 * 1024
MAX_PROBLEMS = 100


def next_version(version: str) -> str:
    """A suggestion for the version after ``version``: its last number plus one."""
    match = re.search(r"(\d+)(\D*)$", version)
    if match is None:
        return f"{version}.1"
    return f"{version[: match.start()]}{int(match.group(1)) + 1}{match.group(2)}"


def reuses_version(bank: Bank, other: Bank | None) -> bool:
    """Whether ``bank`` has ``other``'s version but not its content (see version_clash)."""
    return other is not None and bank.version == other.version and bank.sha256 != other.sha256


def version_clash(bank: Bank, path: str, other: str) -> Problem:
    """``bank`` differs from ``other`` but has the same version: refused, so that no two
    banks are ever served, stored or filtered in the sales list as one version."""
    line = next(
        (n for n, text in enumerate(bank.source.splitlines(), 1) if text.startswith("version:")),
        1,
    )
    return Problem(
        path,
        line,
        f"the questions changed but 'version' is still {bank.version!r}, the version of "
        f'{other}: bump it (e.g. version: "{next_version(bank.version)}") so assessments '
        "can tell the two banks apart",
    )


class _TooManyProblems(BankInvalid):
    """Reading stopped at MAX_PROBLEMS: past that, more messages help nobody."""


def load_bank(path: str | os.PathLike[str], snapshot: bool = False) -> Bank:
    """The bank in the file at ``path`` (``snapshot``: an older bank, see parse_bank)."""
    path = Path(path)
    try:
        with path.open("rb") as file:
            data = file.read(MAX_BYTES + 1)  # enough to tell it is too large
    except OSError as exc:
        raise BankInvalid(
            [Problem(str(path), 0, f"cannot read the file: {exc.strerror}")]
        ) from None
    return parse_bank(data, str(path), snapshot)


def parse_bank(data: bytes | str, path: str = "questions.yaml", snapshot: bool = False) -> Bank:
    """The bank in ``data``, or BankInvalid. Whatever the file holds, the work is bounded
    (MAX_BYTES, yamlsrc.MAX_VALUES and MAX_DEPTH, MAX_PROBLEMS) and nothing but
    BankInvalid comes out: a fault in the reader itself is reported as a problem too.

    ``snapshot``: the stored copy of a bank an assessment started on, which may be of an
    older schema; a bank to start new assessments on must be of the current one."""
    raw = data.encode() if isinstance(data, str) else data
    if len(raw) > MAX_BYTES:
        message = f"the file is over {MAX_BYTES:,} bytes, the most a bank may be"
        raise BankInvalid([Problem(path, 1, message)])
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise BankInvalid([Problem(path, line, "the file is not UTF-8 text")]) from None
    reader = _Reader(path, snapshot)
    try:
        return reader.read(text, hashlib.sha256(raw).hexdigest())
    except BankInvalid:  # _TooManyProblems included
        raise
    except Exception as exc:  # a bug of ours or a library's: still a bank error, with a line
        line = reader.problems[-1].line if reader.problems else 1
        message = f"the file could not be read ({type(exc).__name__}: {str(exc)[:200]})"
        raise BankInvalid([Problem(path, line, message)]) from exc


class _Reader(QuestionReader):
    """One pass over the YAML data collecting every problem before giving up."""

    def __init__(self, path: str, snapshot: bool = False):
        self.path = path
        self.snapshot = snapshot
        self.schema = SCHEMA
        self.provider_read = Provider(name="the provider")
        self.problems: list[Problem] = []
        self.question_lines: dict[str, int] = {}
        self.section_lines: dict[str, int] = {}
        self.earlier: dict[str, Question] = {}  # questions read so far, for show_if
        self.known_ids: set[str] = set()  # every question id in the file, for show_if messages

    def error(self, line: int, message: str) -> None:
        self._note(Problem(self.path, line, message))

    def warn(self, line: int, message: str) -> None:
        self._note(Problem(self.path, line, message, warning=True))

    def _note(self, problem: Problem) -> None:
        self.problems.append(problem)
        if len(self.problems) >= MAX_PROBLEMS:
            errors = sorted((p for p in self.problems if not p.warning), key=lambda p: p.line)
            stop = f"stopped after {MAX_PROBLEMS} problems; fix these and check again"
            raise _TooManyProblems([*errors, Problem(self.path, problem.line, stop)])

    def read(self, text: str, sha256: str) -> Bank:
        try:
            data, yaml_problems = yamlsrc.load(text)
        except yamlsrc.YamlSyntaxError as exc:
            raise BankInvalid([Problem(self.path, exc.line, exc.message)]) from None
        for line, message in yaml_problems:
            self.error(line, message)
        if data is None:
            self.error(1, "the file is empty: it needs version, title and sections")
            data = LineDict()
            data.key_lines = {}
        if not isinstance(data, LineDict):
            raise BankInvalid(
                [
                    Problem(
                        self.path, 1, "the file must be a mapping with version, title and sections"
                    )
                ]
            )
        self.unknown_keys(data, TOP_KEYS, "at the top level")

        self.schema = self.read_schema(data)
        version = self.version(data)
        title = self.text(data, "title", required=True, where="the bank")
        intro = self.text(data, "intro")
        provider = self.provider_read = evidence.read_provider(data, self.schema, self)
        min_coverage = self.percent(data, "min_coverage", DEFAULT_MIN_COVERAGE)
        top_band_evidence = self.percent(data, "top_band_evidence", DEFAULT_TOP_BAND_EVIDENCE)
        must_have_evidence = self.must_have_evidence(data)
        ratings = self.ratings(data)
        sections = self.sections(data)

        errors = sorted((p for p in self.problems if not p.warning), key=lambda p: p.line)
        warnings = sorted((p for p in self.problems if p.warning), key=lambda p: p.line)
        if errors:
            raise BankInvalid(errors, warnings)
        return Bank(
            version=version,
            title=title,
            provider=provider,
            ratings=ratings,
            sections=sections,
            sha256=sha256,
            source=text,
            intro=intro,
            warnings=tuple(warnings),
            min_coverage=min_coverage,
            schema=self.schema,
            must_have_evidence=must_have_evidence,
            top_band_evidence=top_band_evidence,
        )

    # --- small readers -------------------------------------------------------------
    def unknown_keys(self, raw: LineDict, allowed: frozenset[str], where: str) -> None:
        for key in raw:
            if key not in allowed:
                self.warn(raw.line_of(key), f"unknown field {key!r} {where} is ignored")

    def text(self, raw: LineDict, key: str, required: bool = False, where: str = "") -> str:
        value = raw.get(key)
        if value is None:
            if required:
                self.error(raw.line, f"{where} is missing '{key}'".strip())
            return ""
        if not isinstance(value, str) or (required and not value.strip()):
            self.error(raw.line_of(key), f"'{key}' must be {'non-empty ' if required else ''}text")
            return ""
        return value.strip()

    def version(self, data: LineDict) -> str:
        value = data.get("version")
        if value is None:
            self.error(1, "missing 'version' (quote it, e.g. version: \"2026.11.1\")")
            return ""
        if isinstance(value, float | bool) or not isinstance(value, str | int):
            self.error(
                data.line_of("version"), f'version {value!r} must be quoted text, e.g. "2026.11.1"'
            )
            return ""
        value = str(value).strip()
        if not value:
            self.error(data.line_of("version"), "'version' is empty")
        return value

    def read_schema(self, data: LineDict) -> int:
        """``schema`` (1 when absent, as before it was written). A bank in use needs the
        current one; a stored snapshot may be older."""
        schema = data.get("schema", 1)
        line = data.line_of("schema")
        readable = SNAPSHOT_SCHEMAS if self.snapshot else LIVE_SCHEMAS
        if isinstance(schema, bool) or schema not in SNAPSHOT_SCHEMAS:
            self.error(line, f"unsupported schema {schema!r}; this app reads schema {SCHEMA}")
            return SCHEMA
        if schema not in readable:
            self.error(
                line,
                f"schema {schema} is read only from assessments stored before schema 2: "
                f"set 'schema: {SCHEMA}', give provider.as_of, the date the provider's "
                "source was captured, and grade each commitment's evidence (docs/questions.md)",
            )
        return cast(int, schema)

    def percent(self, data: LineDict, key: str, default: float) -> float:
        value = data.get(key, default)
        if not is_number(value) or not 0 <= value <= 100:
            self.error(
                data.line_of(key),
                f"{key} must be a number from 0 to 100 (a percentage), got {value!r}",
            )
            return default
        return float(value)

    def must_have_evidence(self, data: LineDict) -> str:
        value = data.get("must_have_evidence", DEFAULT_MUST_HAVE_EVIDENCE)
        if value not in MUST_HAVE_GRADES:
            self.error(
                data.line_of("must_have_evidence"),
                f"must_have_evidence must be one of {', '.join(MUST_HAVE_GRADES)}, got {value!r}",
            )
            return DEFAULT_MUST_HAVE_EVIDENCE
        return cast(str, value)

    def ratings(self, data: LineDict) -> tuple[Rating, ...]:
        raw = data.get("ratings")
        if raw is None:
            return tuple(Rating(m, label) for m, label in DEFAULT_RATINGS)
        if not isinstance(raw, LineList) or not raw:
            self.error(
                data.line_of("ratings"), "'ratings' must be a list of {min, label}, highest first"
            )
            return ()
        ratings: list[Rating] = []
        for index, item in enumerate(raw):
            line = raw.line_of(index)
            if not isinstance(item, LineDict):
                self.error(line, "each rating needs min and label")
                continue
            low, label = item.get("min"), item.get("label")
            if not is_number(low) or not 0 <= low <= 100:
                self.error(
                    item.line_of("min"), f"rating min must be a number from 0 to 100, got {low!r}"
                )
                continue
            if not isinstance(label, str) or not label.strip():
                self.error(line, "each rating needs a label")
                continue
            if ratings and low >= ratings[-1].min:
                self.error(
                    item.line_of("min"),
                    f"ratings must be in descending order: min {low:g} follows min {ratings[-1].min:g}",
                )
                continue
            ratings.append(Rating(float(low), label.strip()))
        if ratings and ratings[-1].min != 0:
            self.error(
                raw.line_of(len(raw) - 1),
                "the lowest rating must have min: 0 so every score gets one",
            )
        return tuple(ratings)

    def sections(self, data: LineDict) -> tuple[Section, ...]:
        raw = data.get("sections")
        if raw is None:
            self.error(1, "missing 'sections'")
            return ()
        if not isinstance(raw, LineList) or not raw:
            self.error(data.line_of("sections"), "'sections' must be a non-empty list")
            return ()
        self.known_ids = {
            q["id"]
            for s in raw
            if isinstance(s, dict) and isinstance(s.get("questions"), list)
            for q in s["questions"]
            if isinstance(q, dict) and isinstance(q.get("id"), str)
        }
        sections = []
        for index, item in enumerate(raw):
            if not isinstance(item, LineDict):
                self.error(raw.line_of(index), "each section needs id, title and questions")
                continue
            section = self.section(item)
            if section:
                sections.append(section)
        return tuple(sections)

    def identifier(self, raw: LineDict, seen: dict[str, int], what: str) -> str | None:
        value = raw.get("id")
        if value is None:
            self.error(raw.line, f"{what} without an id")
            return None
        line = raw.line_of("id")
        if not isinstance(value, str) or not ID_PATTERN.match(value):
            self.error(
                line,
                f"{what} id {value!r} must start with a letter and use only letters, digits, _ and -",
            )
            return None
        if value in RESERVED_IDS:
            self.error(line, f"{what} id {value!r} is reserved; choose another")
            return None
        if value in seen:
            self.error(line, f"duplicate {what} id {value!r} (first on line {seen[value]})")
            return None
        seen[value] = line
        return value

    def section(self, raw: LineDict) -> Section | None:
        self.unknown_keys(raw, SECTION_KEYS, "in a section")
        section_id = self.identifier(raw, self.section_lines, "section")
        title = self.text(raw, "title", required=True, where=f"section {section_id or ''}".strip())
        questions_raw = raw.get("questions")
        questions = []
        if not isinstance(questions_raw, LineList) or not questions_raw:
            self.error(
                raw.line_of("questions"),
                f"section {section_id!r} needs a non-empty list of questions",
            )
        else:
            for index, item in enumerate(questions_raw):
                if not isinstance(item, LineDict):
                    self.error(questions_raw.line_of(index), "each question must be a mapping")
                    continue
                question = self.question(item, section_id or "")
                if question:
                    questions.append(question)
        if section_id is None:
            return None
        return Section(
            id=section_id, title=title, questions=tuple(questions), intro=self.text(raw, "intro")
        )
