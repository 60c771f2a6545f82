"""The question bank: ``questions.yaml`` read into frozen dataclasses, checked line by line.

``load_bank(path)`` returns a ``Bank`` or raises ``BankInvalid`` holding every
problem found, each printable as ``PATH:LINE: message``. Pure: no Flask.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from types import MappingProxyType

from questionnaire import conditions, yamlsrc
from questionnaire.qtypes import TYPE_NAMES, TYPES, Option, QuestionType, SpecReader, is_number

__all__ = ["Bank", "BankInvalid", "Option", "Problem", "Question", "load_bank", "parse_bank"]
from questionnaire.yamlsrc import LineDict, LineList

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SCHEMA = 1
MAX_WEIGHT = 5
ID_PATTERN = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,63}$")
RESERVED_IDS = frozenset({"csrf_token", "must_have", "action"})  # form fields of the wizard
DEFAULT_RATINGS = ((85.0, "Strong fit"), (60.0, "Fit with gaps"), (0.0, "Significant gaps"))

TOP_KEYS = frozenset({"schema", "version", "title", "provider", "ratings", "sections", "intro"})
SECTION_KEYS = frozenset({"id", "title", "intro", "questions"})
QUESTION_KEYS = frozenset(
    {"id", "prompt", "help", "type", "weight", "follow_up", "frameworks", "commitment", "show_if"}
)
COMMITMENT_KEYS = frozenset({"value", "statement", "source"})


@dataclass(frozen=True, slots=True)
class Problem:
    """One finding about a bank file, printable as ``PATH:LINE: message``."""

    path: str
    line: int
    message: str
    warning: bool = False

    def __str__(self) -> str:
        prefix = "warning: " if self.warning else ""
        return f"{self.path}:{self.line}: {prefix}{self.message}"


class BankInvalid(Exception):
    """The bank has errors; ``problems`` lists every one, in line order (warnings aside)."""

    def __init__(self, problems: list[Problem], warnings: list[Problem] | None = None):
        self.problems = problems
        self.warnings = warnings or []
        super().__init__("\n".join(str(p) for p in problems))


@dataclass(frozen=True, slots=True)
class Commitment:
    value: object  # bool | number | tuple of option keys, as fits the question type
    statement: str
    source: str


@dataclass(frozen=True, slots=True, eq=False)  # identity: each question is one object of its bank
class Question:
    id: str
    section_id: str
    prompt: str
    type: str
    weight: float
    help: str = ""
    follow_up: str = ""
    frameworks: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: MappingProxyType({}))
    commitment: Commitment | None = None
    show_if: conditions.Condition | None = None
    options: tuple[Option, ...] = ()
    unit: str = ""
    min: float | None = None
    max: float | None = None
    step: float | None = None
    better: str | None = None
    availability: bool = False  # a % of time the service is up: reports show the downtime
    max_length: int = 0
    line: int = 0

    @property
    def kind(self) -> QuestionType:
        return TYPES[self.type]

    @property
    def scored(self) -> bool:
        return self.kind.scored and self.weight > 0

    def option(self, key: str) -> Option:
        for option in self.options:
            if option.key == key:
                return option
        raise KeyError(key)


@dataclass(frozen=True, slots=True)
class Section:
    id: str
    title: str
    questions: tuple[Question, ...]
    intro: str = ""


@dataclass(frozen=True, slots=True)
class Rating:
    min: float
    label: str


@dataclass(frozen=True, slots=True)
class Provider:
    name: str
    source: str = ""


@dataclass(frozen=True)
class Bank:
    version: str
    title: str
    provider: Provider
    ratings: tuple[Rating, ...]
    sections: tuple[Section, ...]
    sha256: str
    source: str = ""  # the YAML text: the snapshot kept with each assessment
    intro: str = ""
    warnings: tuple[Problem, ...] = ()

    @cached_property
    def questions(self) -> tuple[Question, ...]:
        return tuple(q for s in self.sections for q in s.questions)

    @cached_property
    def by_id(self) -> Mapping[str, Question]:
        return MappingProxyType({q.id: q for q in self.questions})

    def question(self, question_id: str) -> Question:
        return self.by_id[question_id]

    def section(self, section_id: str) -> Section:
        for section in self.sections:
            if section.id == section_id:
                return section
        raise KeyError(section_id)

    def rating_for(self, score: float | None, capped: bool = False) -> str | None:
        if score is None:
            return None
        if capped:
            return self.ratings[-1].label
        for rating in self.ratings:
            if score >= rating.min:
                return rating.label
        return self.ratings[-1].label


def default_path() -> Path:
    """``QUESTIONS_PATH`` from the environment, else questions.yaml at the project root."""
    return Path(os.environ.get("QUESTIONS_PATH") or PROJECT_ROOT / "questions.yaml")


def load_bank(path: str | os.PathLike | None = None) -> Bank:
    path = Path(path) if path is not None else default_path()
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise BankInvalid(
            [Problem(str(path), 0, f"cannot read the file: {exc.strerror}")]
        ) from None
    return parse_bank(data, str(path))


def parse_bank(data: bytes | str, path: str = "questions.yaml") -> Bank:
    raw = data.encode() if isinstance(data, str) else data
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise BankInvalid([Problem(path, line, "the file is not UTF-8 text")]) from None
    return _Reader(path).read(text, hashlib.sha256(raw).hexdigest())


class _Reader:
    """One pass over the YAML data collecting every problem before giving up."""

    def __init__(self, path: str):
        self.path = path
        self.problems: list[Problem] = []
        self.question_lines: dict[str, int] = {}
        self.section_lines: dict[str, int] = {}
        self.earlier: dict[str, Question] = {}  # questions read so far, for show_if
        self.known_ids: set[str] = set()  # every question id in the file, for show_if messages

    def error(self, line: int, message: str) -> None:
        self.problems.append(Problem(self.path, line, message))

    def warn(self, line: int, message: str) -> None:
        self.problems.append(Problem(self.path, line, message, warning=True))

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

        schema = data.get("schema", SCHEMA)
        if schema != SCHEMA:
            self.error(
                data.line_of("schema"),
                f"unsupported schema {schema!r}; this app reads schema {SCHEMA}",
            )
        version = self.version(data)
        title = self.text(data, "title", required=True, where="the bank")
        intro = self.text(data, "intro")
        provider = self.provider(data)
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
        if isinstance(value, float) or isinstance(value, bool) or not isinstance(value, str | int):
            self.error(
                data.line_of("version"), f'version {value!r} must be quoted text, e.g. "2026.11.1"'
            )
            return ""
        value = str(value).strip()
        if not value:
            self.error(data.line_of("version"), "'version' is empty")
        return value

    def provider(self, data: LineDict) -> Provider:
        raw = data.get("provider")
        if raw is None:
            self.warn(1, "no 'provider' given; reports will say 'the provider'")
            return Provider(name="the provider")
        if not isinstance(raw, LineDict):
            self.error(
                data.line_of("provider"), "'provider' must be a mapping with name and source"
            )
            return Provider(name="the provider")
        return Provider(
            name=self.text(raw, "name", required=True, where="provider"),
            source=self.text(raw, "source"),
        )

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
            q.get("id")
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

    def question(self, raw: LineDict, section_id: str) -> Question | None:
        qid = self.identifier(raw, self.question_lines, "question")
        type_name = raw.get("type")
        if type_name is None:
            self.error(raw.line, f"question {qid!r} has no type (one of {', '.join(TYPE_NAMES)})")
            return None
        if type_name not in TYPES:
            self.error(
                raw.line_of("type"), f"unknown type {type_name!r} (one of {', '.join(TYPE_NAMES)})"
            )
            return None
        kind = TYPES[type_name]
        self.unknown_keys(raw, QUESTION_KEYS | kind.field_keys, f"in question {qid!r}")
        prompt = self.text(raw, "prompt", required=True, where=f"question {qid!r}")
        weight = raw.get("weight", kind.default_weight)
        if not is_number(weight) or not 0 <= weight <= MAX_WEIGHT:
            self.error(
                raw.line_of("weight"),
                f"weight must be a number from 0 to {MAX_WEIGHT}, got {weight!r}",
            )
            weight = 0
        elif weight > 0 and not kind.scored:
            self.warn(
                raw.line_of("weight"),
                f"a {type_name} question is never scored; its weight is ignored",
            )
        spec = kind.read_spec(SpecReader(raw, self.error, self.warn))
        if qid is None:
            return None
        question = Question(
            id=qid,
            section_id=section_id,
            prompt=prompt,
            type=type_name,
            weight=float(weight) if kind.scored else 0.0,
            help=self.text(raw, "help"),
            follow_up=self.text(raw, "follow_up"),
            frameworks=self.frameworks(raw),
            line=raw.line,
            **spec,
        )
        commitment = self.commitment(raw, question)
        show_if = self.show_if(raw, question)
        question = replace(question, commitment=commitment, show_if=show_if)
        self.earlier[qid] = question
        return question

    def frameworks(self, raw: LineDict) -> Mapping[str, tuple[str, ...]]:
        value = raw.get("frameworks")
        if value is None:
            return MappingProxyType({})
        line = raw.line_of("frameworks")
        if not isinstance(value, LineDict):
            self.error(
                line,
                "'frameworks' must map a framework to a list of references, e.g. {ncsc: [\"2\"]}",
            )
            return MappingProxyType({})
        out = {}
        for name, refs in value.items():
            refs = refs if isinstance(refs, list) else [refs]
            if not all(isinstance(r, str | int) and not isinstance(r, bool) for r in refs):
                self.error(
                    value.line_of(name), f"references of framework {name!r} must be text or numbers"
                )
                continue
            out[str(name)] = tuple(str(r) for r in refs)
        return MappingProxyType(out)

    def commitment(self, raw: LineDict, q: Question) -> Commitment | None:
        value = raw.get("commitment")
        if value is None:
            return None
        line = raw.line_of("commitment")
        if not isinstance(value, LineDict):
            self.error(line, "'commitment' must be a mapping with value, statement and source")
            return None
        self.unknown_keys(value, COMMITMENT_KEYS, "in a commitment")
        ok = True
        if "value" not in value:
            self.error(value.line, f"commitment of '{q.id}' has no value")
            ok = False
        elif (problem := q.kind.commitment_error(q, value["value"])) is not None:
            self.error(value.line_of("value"), problem)
            ok = False
        elif (doubt := q.kind.commitment_warning(q, value["value"])) is not None:
            self.warn(value.line_of("value"), doubt)
        for key in ("statement", "source"):
            if not isinstance(value.get(key), str) or not value[key].strip():
                self.error(value.line_of(key), f"commitment of '{q.id}' needs a '{key}'")
                ok = False
        if not ok:
            return None
        offered = value["value"]
        if isinstance(offered, list):
            offered = tuple(offered)
        return Commitment(
            value=offered, statement=value["statement"].strip(), source=value["source"].strip()
        )

    def show_if(self, raw: LineDict, q: Question) -> conditions.Condition | None:
        if "show_if" not in raw:
            return None
        condition, problems = conditions.parse(
            raw["show_if"], self.earlier, self.known_ids, raw.line_of("show_if"), q.id
        )
        for line, message in problems:
            self.error(line, f"show_if of '{q.id}': {message}")
        return condition
