"""What the PDF report prints, as plain JSON-ready data: the result view (see presenter)
plus the cover, the dial, question numbers and the provenance. Pure: its hash is the
report's cache key, so everything printed must come from here."""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Collection, Mapping
from datetime import UTC, date, datetime
from typing import Any

from questionnaire.core.bank import Bank
from questionnaire.core.presenter import result_view
from questionnaire.core.text import one_line

LANG = "en-GB"


def report_id_of(assessment_id: int) -> str:
    """How reports and pages name an assessment: TC-000123."""
    return f"TC-{assessment_id:06d}"


def answers_sha256(answers: Mapping[str, Any], must_have: Collection[str]) -> str:
    """A fingerprint of exactly what the buyer answered, printed so a copy can be checked."""
    data = {"answers": answers, "must_have": sorted(must_have)}
    text = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def gauge(low: float | None, high: float | None = None) -> dict[str, Any]:
    """A half-circle dial, 0 on the left and 100 on the right, as SVG path data: solid to
    ``low`` (what the buyer can count on, or a stored point score), lighter from there to
    ``high`` (the range's high end, where open points all go well)."""
    cx, cy, r = 110.0, 105.0, 88.0

    def point(value: float) -> str:
        angle = math.pi * (1 - value / 100)
        return f"{cx + r * math.cos(angle):.2f} {cy - r * math.sin(angle):.2f}"

    def arc(start: float, end: float) -> str:
        return f"M {point(start)} A {r:g} {r:g} 0 0 1 {point(min(end, 100))}"

    track = arc(0, 100)
    value = arc(0, low) if low is not None and low > 0 else None
    start = low or 0.0
    wider = arc(start, high) if high is not None and high > start else None
    return {"track": track, "value": value, "open": wider}


def dial(view: Mapping[str, Any]) -> dict[str, Any]:
    """The dial of a result: its range (fit/3), or its stored point score."""
    found = view["verdict"]["range"]
    if found is None or view["verdict"]["stored_as"]:
        return gauge(view["score"])
    return gauge(found["low"], found["high"])


def rating_ticks(bank: Bank) -> list[dict[str, Any]]:
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


def number_questions(view: dict[str, Any]) -> None:
    """Give each question a reference such as 2.3 (part 2, third question), everywhere it is
    listed, so follow-ups and deal-breakers point back into the parts."""
    numbers: dict[str, str] = {}
    for part, section in enumerate(view["sections"], 1):
        section["number"] = part
        for index, question in enumerate(section["questions"], 1):
            numbers[question["id"]] = question["number"] = f"{part}.{index}"
    listed = ("deal_breakers", "unresolved", "decide", "follow_ups", "must_have")
    for item in (item for key in listed for item in view[key]):
        item["number"] = numbers.get(item["id"], "")


def report_context(
    bank: Bank,
    answers: Mapping[str, Any],
    must_have: Collection[str],
    result: Mapping[str, Any],
    *,
    company: str,
    contact: str,
    submitted_at: datetime,
    report_id: str,
    today: date,
) -> dict[str, Any]:
    """Everything the report prints, as plain JSON-ready data (its hash is the cache key).

    The time the PDF is drawn is not in here: it is added at render time, so that it
    does not defeat the cache. ``today`` is not in here either, only what it decides (is
    a source old enough to flag?), so the cached PDF changes on the day that flag does.
    """
    view = result_view(bank, answers, must_have, result, today)
    number_questions(view)
    for section, stored in zip(view["sections"], result["sections"], strict=True):
        section["points"], section["max"] = round(stored["points"], 2), stored["max"]
        section["source"] = common_source(section["questions"])
    company = company.strip() or "Buyer not named"
    return {
        "lang": LANG,
        "report_id": report_id,
        "revision": 0,  # the submitted result; reports.document names a later revision's
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
        "gauge": dial(view),
        "tone": view["verdict"]["tone"],
        "totals": totals(result),
        "answers_sha256": answers_sha256(answers, must_have),
        "view": view,
    }


EVIDENCE_KEYS = ("source", "url", "captured", "stale")


def common_source(questions: list[dict[str, Any]]) -> dict[str, Any] | None:
    """Where (and when) every commitment of a part is documented, if they share that:
    printed once under the part's title instead of under each quote (a quote documented
    elsewhere still has its own line)."""
    found = {
        tuple(q["commitment"][key] for key in EVIDENCE_KEYS) for q in questions if q["commitment"]
    }
    return dict(zip(EVIDENCE_KEYS, found.pop(), strict=True)) if len(found) == 1 else None


def totals(result: Mapping[str, Any]) -> dict[str, Any]:
    """How the overall score adds up: points earned and possible, per section and overall."""
    points = math.fsum(s["points"] for s in result["sections"])
    maximum = math.fsum(s["max"] for s in result["sections"])
    return {"points": round(points, 2), "max": round(maximum, 2)}
