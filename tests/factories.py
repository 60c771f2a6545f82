"""Banks built as plain data for tests and the benchmark, dumped to YAML and loaded for real."""

from __future__ import annotations

import random

import yaml

from questionnaire.core.bank import Bank, parse_bank

TYPES = ("yesno", "choice", "multi", "number", "text")


def bank_dict(sections: list[dict], version: str = "t1") -> dict:
    return {
        "schema": 2,
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


def commitment(value) -> dict:
    return {
        "value": value,
        "statement": "Documented by the provider",
        "source": "Example Trust page",
    }


def random_question(rng: random.Random, qid: str, earlier_yesno: list[str]) -> dict:
    kind = rng.choice(TYPES)
    q: dict = {"id": qid, "prompt": f"Question {qid}?", "help": "Why it matters.", "type": kind}
    q["frameworks"] = {"ncsc": [str(rng.randint(1, 14))]}
    if kind != "text":
        q["weight"] = rng.randint(0, 5)
        q["follow_up"] = f"Please document {qid}."
    documented = rng.random() < 0.8
    if kind == "yesno" and documented:
        q["commitment"] = commitment(rng.random() < 0.7)
    elif kind in ("choice", "multi"):
        keys = [f"o{i}" for i in range(rng.randint(2, 6))]
        q["options"] = [{"key": k, "label": f"Option {k}"} for k in keys]
        if kind == "choice":
            q["options"].insert(0, {"key": "none", "label": "No requirement", "requires": None})
        if documented:
            q["commitment"] = commitment(sorted(rng.sample(keys, rng.randint(0, len(keys)))))
    elif kind == "number":
        q.update({"unit": "%", "min": 0, "max": 100, "better": rng.choice(["higher", "lower"])})
        if documented:
            q["commitment"] = commitment(round(rng.uniform(0, 100), 2))
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
        if q.type == "yesno":
            answers[q.id] = rng.choice(["yes", "no"])
        elif q.type == "choice":
            answers[q.id] = rng.choice([o.key for o in q.options])
        elif q.type == "multi":
            keys = [o.key for o in q.options]
            answers[q.id] = rng.sample(keys, rng.randint(0, len(keys)))
        elif q.type == "number":
            answers[q.id] = round(rng.uniform(q.min, q.max), 2)
        else:
            answers[q.id] = rng.choice(texts)
    must = [q.id for q in bank.questions if q.scored and rng.random() < 0.1]
    return answers, must
