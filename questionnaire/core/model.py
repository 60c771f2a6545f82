"""The question bank as data: frozen dataclasses that the reader (``bank.py``) builds from
``questions.yaml`` and everything else reads. Pure."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from types import MappingProxyType

from questionnaire.core import conditions
from questionnaire.core.evidence import DEFAULT_MUST_HAVE_EVIDENCE, UNGRADED, Provider
from questionnaire.core.qtypes import TYPES, Option, QuestionType
from questionnaire.core.questiontype import NO_SETTINGS, Settings

SCHEMA = 3  # what a bank in use should be (schema 2, ungraded, still loads with warnings)
DEFAULT_MIN_COVERAGE = 80.0
DEFAULT_TOP_BAND_EVIDENCE = 50.0  # % of stated weight met by assured evidence for the top band


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
    value: object  # in the type's terms (commitment_value): bool, number, option keys, ISO day
    statement: str
    source: str
    url: str = ""
    as_of: date | None = None  # when the source was captured; None only in schema 1 banks
    evidence: str = UNGRADED  # its grade (evidence.GRADES, or "written")
    not_offered: tuple[str, ...] = ()  # choice/multi: option keys documented as not offered
    plan_dependent: bool = False  # holds only for some plans: said wherever it is met


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
    settings: Settings = NO_SETTINGS  # the type's own (a number's unit and range, options...)
    gate_not_sure: bool = False  # an unscored question that offers "Not sure" (a gate)
    line: int = 0

    @property
    def kind(self) -> QuestionType:
        return TYPES[self.type]

    @property
    def scored(self) -> bool:
        return self.kind.scored and self.weight > 0

    @property
    def offers_not_sure(self) -> bool:
        """Whether "Not sure" is an answer: on every scored question, and on a gate that
        says so (the questions it guards are then shown)."""
        return self.scored or self.gate_not_sure

    @property
    def options(self) -> tuple[Option, ...]:
        """The options a buyer picks from; none for a typed answer."""
        return self.kind.options(self)

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
    min_coverage: float = DEFAULT_MIN_COVERAGE  # % compared below which a result is provisional
    schema: int = SCHEMA
    must_have_evidence: str = DEFAULT_MUST_HAVE_EVIDENCE  # the grade a must-have needs
    top_band_evidence: float = DEFAULT_TOP_BAND_EVIDENCE

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

    def band(self, score: float) -> int:
        """The index of the band a score reaches (0 = the top band)."""
        for index, rating in enumerate(self.ratings):
            if score >= rating.min:
                return index
        return len(self.ratings) - 1

    def rating_for(self, score: float | None, no_better_than: int = 0) -> str | None:
        """The band of the score, but no better than band ``no_better_than`` (a cap)."""
        if score is None:
            return None
        index = max(self.band(score), min(no_better_than, len(self.ratings) - 1))
        return self.ratings[index].label

    def rating_tone(self, label: str | None) -> str:
        """How a rating reads: the top band "good", the lowest "poor", any between "fair";
        "none" for no rating (or one this bank does not have)."""
        labels = [r.label for r in self.ratings]
        if label not in labels:
            return "none"
        index = labels.index(label)
        return "good" if index == 0 else "poor" if index == len(labels) - 1 else "fair"
