"""Banks built as plain data for tests and the benchmark, dumped to YAML and loaded for real."""

from __future__ import annotations

import random

import yaml

from questionnaire.core.bank import Bank, parse_bank
from questionnaire.core.evidence import GRADES
from questionnaire.core.model import Question

TYPES = ("yesno", "choice", "multi", "number", "text")


def bank_dict(sections: list[dict], version: str = "t1") -> dict:
    return {
        "schema": 3,
        "version": version,
        "title": "Generated bank",
        "provider": {
            "name": "Example Cloud",
            "source": "Example Trust page",
            "as_of": "2025-09-01",
        },
        "ratings": [
            {"min": 85, "label": "Strong fit"},
            {"min": 60, "label": "Fit with gaps"},
            {"min": 0, "label": "Significant gaps"},
        ],
        "sections": sections,
    }


def load(data: dict) -> Bank:
    return parse_bank(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), "generated.yaml")


def number_question(**fields) -> Question:
    """A bank with one number question ``n`` built from ``fields``; the question."""
    question = {"id": "n", "prompt": "How much?", "type": "number", "better": "higher"}
    question.update(fields)
    return load(bank_dict([{"id": "s", "title": "S", "questions": [question]}])).question("n")


def commitment(value, evidence: str = "contract", not_offered: list[str] | None = None) -> dict:
    found = {
        "value": value,
        "statement": "Documented by the provider",
        "source": "Example Trust page",
        "evidence": evidence,
    }
    if not_offered:
        found["not_offered"] = not_offered
    return found


def random_question(rng: random.Random, qid: str, earlier_yesno: list[str]) -> dict:
    kind = rng.choice(TYPES)
    q: dict = {"id": qid, "prompt": f"Question {qid}?", "help": "Why it matters.", "type": kind}
    q["frameworks"] = {"ncsc": [str(rng.randint(1, 14))]}
    if kind != "text":
        q["weight"] = rng.randint(0, 5)
        q["follow_up"] = f"Please document {qid}."
    documented = rng.random() < 0.8
    grade = rng.choice(GRADES)
    if kind == "yesno" and documented:
        q["commitment"] = commitment(rng.random() < 0.7, grade)
    elif kind in ("choice", "multi"):
        keys = [f"o{i}" for i in range(rng.randint(2, 6))]
        q["options"] = [{"key": k, "label": f"Option {k}"} for k in keys]
        if kind == "choice":
            q["options"].insert(0, {"key": "none", "label": "No requirement", "requires": None})
        if documented:
            offered = sorted(rng.sample(keys, rng.randint(0, len(keys))))
            rest = [k for k in keys if k not in offered]
            absent = sorted(rng.sample(rest, rng.randint(0, len(rest))))  # the rest: silence
            q["commitment"] = commitment(offered, grade, absent)
    elif kind == "number":
        q.update({"unit": "%", "min": 0, "max": 100, "better": rng.choice(["higher", "lower"])})
        if rng.random() < 0.3:
            q["near"] = rng.choice([0.05, 1, 5])
        if documented:
            q["commitment"] = commitment(round(rng.uniform(0, 100), 2), grade)
    elif kind == "text":
        q["max_length"] = 500
    if earlier_yesno and rng.random() < 0.2:
        q["show_if"] = {"question": rng.choice(earlier_yesno), "equals": "yes"}
    return q


def random_bank_dict(n_questions: int, n_sections: int = 4, seed: int = 0) -> dict:
    rng = random.Random(seed)
    sections: list[dict] = [
        {"id": f"s{i}", "title": f"Section {i}", "questions": []} for i in range(n_sections)
    ]
    earlier_yesno: list[str] = []
    for n in range(n_questions):
        q = random_question(rng, f"q{n}", earlier_yesno)
        sections[n * n_sections // n_questions]["questions"].append(q)
        if q["type"] == "yesno":
            earlier_yesno.append(q["id"])
    return bank_dict(sections)


def random_answers(
    bank: Bank, seed: int | random.Random = 0, texts: tuple[str, ...] = ("Some notes",)
) -> tuple[dict, list[str]]:
    """Valid answers to every question, some must-haves; hidden ones are the caller's to drop."""
    rng = seed if isinstance(seed, random.Random) else random.Random(seed)
    answers: dict = {}
    for q in bank.questions:
        if q.offers_not_sure and rng.random() < 0.1:
            answers[q.id] = "not_sure"
        elif q.type == "yesno":
            answers[q.id] = rng.choice(["yes", "no"])
        elif q.type == "choice":
            answers[q.id] = rng.choice([o.key for o in q.options])
        elif q.type == "multi":
            keys = [o.key for o in q.options]
            answers[q.id] = rng.sample(keys, rng.randint(0, len(keys)))
        elif q.type == "number" and q.commitment is not None and rng.random() < 0.3:
            near = q.commitment.value + rng.choice([-1, 1]) * rng.uniform(0, q.settings.near or 1)
            answers[q.id] = round(
                min(max(near, q.settings.min), q.settings.max), 2
            )  # close: near misses
        elif q.type == "number":
            answers[q.id] = round(rng.uniform(q.settings.min, q.settings.max), 2)
        else:
            answers[q.id] = rng.choice(texts)
    must = [q.id for q in bank.questions if q.scored and rng.random() < 0.1]
    return answers, must
