"""Reading one question of ``questions.yaml``: its type's fields, weight, framework tags,
commitment and condition. The part of the bank reader (``bank._Reader``) that knows a
question; the file, its sections and its problems are the reader's. Pure.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from types import MappingProxyType
from typing import TYPE_CHECKING

from questionnaire.core import conditions, evidence
from questionnaire.core.model import Commitment, Question
from questionnaire.core.qtypes import TYPE_NAMES, TYPES, SpecReader, is_number
from questionnaire.core.yamlsrc import LineDict

if TYPE_CHECKING:
    from questionnaire.core.evidence import Provider

MAX_WEIGHT = 5
QUESTION_KEYS = frozenset(
    {
        "id",
        "prompt",
        "help",
        "type",
        "weight",
        "follow_up",
        "frameworks",
        "commitment",
        "show_if",
        "not_sure",
    }
)
COMMITMENT_KEYS = frozenset(
    {"value", "statement", "source", "url", "as_of", "evidence", "not_offered", "plan_dependent"}
)


class QuestionReader:
    """Mixed into the bank reader, which supplies what these methods use: error/warn,
    text, identifier, unknown_keys, and what it has read so far (the schema, the
    provider, the earlier questions and every question id)."""

    path: str
    schema: int
    provider_read: Provider
    earlier: dict[str, Question]
    known_ids: set[str]
    question_lines: dict[str, int]

    # The reader's own (see bank._Reader), declared here for the type checker.
    def error(self, line: int, message: str) -> None:
        raise NotImplementedError

    def warn(self, line: int, message: str) -> None:
        raise NotImplementedError

    def text(self, raw: LineDict, key: str, required: bool = False, where: str = "") -> str:
        raise NotImplementedError

    def unknown_keys(self, raw: LineDict, allowed: frozenset[str], where: str) -> None:
        raise NotImplementedError

    def identifier(self, raw: LineDict, seen: dict[str, int], what: str) -> str | None:
        raise NotImplementedError

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
        gate_not_sure = self.gate_not_sure(raw, kind.scored, float(weight) if kind.scored else 0)
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
            gate_not_sure=gate_not_sure,
            line=raw.line,
            settings=spec,
        )
        commitment = self.commitment(raw, question)
        show_if = self.show_if(raw, question)
        question = replace(question, commitment=commitment, show_if=show_if)
        self.earlier[qid] = question
        return question

    def gate_not_sure(self, raw: LineDict, scorable: bool, weight: float) -> bool:
        """``not_sure: true`` offers "Not sure" on an unscored question (a gate); every
        scored question offers it anyway."""
        value = raw.get("not_sure")
        if value is None:
            return False
        line = raw.line_of("not_sure")
        if not isinstance(value, bool):
            self.error(line, "'not_sure' must be true or false")
            return False
        if value and not scorable:
            self.error(line, "'not_sure' cannot be offered on a text question")
            return False
        if value and weight > 0:
            self.warn(line, "'not_sure' is offered on every scored question anyway; drop it")
            return False
        return value

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
        for name, given in value.items():
            refs = given if isinstance(given, list) else [given]
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
            self.error(line, "'commitment' must be a mapping with value and statement")
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
        if not isinstance(value.get("statement"), str) or not value["statement"].strip():
            self.error(value.line_of("statement"), f"commitment of '{q.id}' needs a 'statement'")
            ok = False
        where = f"the commitment of '{q.id}'"
        found = evidence.read_evidence(value, self.provider_read, self.schema, self, where)
        grade = evidence.read_grade(value, self.schema, self, where)
        plan_dependent = value.get("plan_dependent", False)
        if not isinstance(plan_dependent, bool):
            self.error(value.line_of("plan_dependent"), "'plan_dependent' must be true or false")
            plan_dependent = False
        not_offered: tuple[str, ...] = ()
        if "not_offered" in value:
            problem = q.kind.not_offered_error(q, value["not_offered"], value.get("value"))
            if problem:
                self.error(value.line_of("not_offered"), problem)
                ok = False
            else:
                not_offered = tuple(value["not_offered"])
        if not ok:
            return None
        return Commitment(
            value=q.kind.commitment_value(q, value["value"]),
            statement=value["statement"].strip(),
            source=found.source,
            url=found.url,
            as_of=found.as_of,
            evidence=grade,
            not_offered=not_offered,
            plan_dependent=plan_dependent,
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
