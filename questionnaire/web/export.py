"""The sales list as CSV: one row per assessment's public dict (store.public), every cell
a spreadsheet shows as text and never runs as a formula."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from datetime import datetime
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CSV_HEADER = (
    "Id",
    "Company",
    "Contact name",
    "Email",
    "Status",
    "Submitted",
    "Last change",
    "Score",
    "Rating",
    "Deal-breakers",
    "Bank version",
    "Link",
    "Deal-breaker ids",
    "Unresolved must-haves",
    "Coverage (%)",
    "Provisional",
    "Section scores",
    "Open follow-ups",
    "Owner",
    "Stage",
    "Result revision",
    "Result revision made by",
    "Revision of",
    "Revised by",
    "State",
    "Score low",
    "Score high",
)


def neutralise(value: object) -> str:
    """A cell a spreadsheet will show as text, never run as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def timestamp(value: datetime | None) -> str:
    """ISO 8601 with seconds and offset: ``2026-11-30T09:15:42+00:00``."""
    return value.isoformat(timespec="seconds") if value else ""


def figure(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}"


def csv_cells(item: Mapping[str, Any], facts: Mapping[str, Any], link: str) -> list[str]:
    """One row: an assessment's public dict (store.public.assessment_dict) and what its
    list columns keep of its result (store.public.result_facts). A draft's result cells are
    empty (it has no result), never "0"."""
    revision = item["result_revision"]
    scores = item["score_range"]
    provisional = facts["provisional"]
    contact = item["contact"]
    cells = [
        item["id"],
        contact["company"],
        contact["name"],
        contact["email"],
        item["status"],
        timestamp(item["submitted_at"]),
        timestamp(item["updated_at"]),
        figure(item["score"]),
        item["rating"] or "",
        item["deal_breakers"],
        item["bank_version"],
        link,
        " ".join(facts["deal_breaker_ids"]),
        facts["unresolved_must_haves"],
        figure(facts["coverage"]),
        "" if provisional is None else ("yes" if provisional else "no"),
        "; ".join(f"{s['title']}: {figure(s['score']) or 'not scored'}" for s in facts["sections"]),
        item["open_follow_ups"],
        item["owner"],
        item["stage"],
        revision["number"] if revision else "",
        revision["created_by"] if revision else "",
        item["revision_of"] or "",
        " ".join(str(n) for n in item["revised_by"]),
        item["state"] or "",
        figure(scores["low"]) if scores else "",
        figure(scores["high"]) if scores else "",
    ]
    return [neutralise(c) for c in cells]


def csv_text(rows: list[list[str]], header: bool = False) -> str:
    buffer = io.StringIO()
    # Every cell quoted: in a locale whose separator is ";" an unquoted "a;=1+1" would
    # split into a formula cell, which the neutralising of leading characters cannot see.
    writer = csv.writer(buffer, lineterminator="\r\n", quoting=csv.QUOTE_ALL)
    if header:
        writer.writerow(CSV_HEADER)
    writer.writerows(rows)
    text = buffer.getvalue()
    return "\ufeff" + text if header else text  # the BOM makes Excel read UTF-8
