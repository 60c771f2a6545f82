"""The summary of a stored result, in words the result page and the PDF both print: what
the score rests on (coverage), why a result is provisional, what is unresolved, where the
provider's commitments were documented and when. Results stored under fit/1 have none of
fit/2's parts: each is None or empty for them. Pure."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from questionnaire.core.bank import Bank
from questionnaire.core.evidence import date_text, is_stale
from questionnaire.core.frameworks import frameworks_view
from questionnaire.core.scoring import (
    ASK_PROVIDER,
    LEGACY_METHOD,
    MET,
    NOT_SURE_STATUS,
    PROVISIONAL_BAND,
)


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def evidence_view(source: str, url: str, as_of: date | None, today: date) -> dict:
    """Where and when something was documented; ``stale`` judged on ``today``."""
    return {
        "source": source,
        "url": url,
        "captured": date_text(as_of),
        "as_of": as_of.isoformat() if as_of else None,
        "stale": is_stale(as_of, today),
    }


def coverage_view(result: Mapping) -> dict | None:
    coverage = result.get("coverage")
    if coverage is None:
        return None
    stated, compared, percent = coverage["stated"], coverage["compared"], coverage["percent"]
    counts = result["counts"]
    why = [
        f"{counts[ASK_PROVIDER]} the provider documents nothing on" if counts[ASK_PROVIDER] else "",
        f"{counts[NOT_SURE_STATUS]} answered “Not sure”" if counts[NOT_SURE_STATUS] else "",
    ]
    left_out = stated - compared
    return {
        **coverage,
        "text": f"{compared} of {plural(stated, 'requirement')} compared with a documented commitment",
        "percent_text": "" if percent is None else f"{percent:g}%",
        "left_out_text": f"The other {left_out} {'is' if left_out == 1 else 'are'} left out of the "
        f"score: {' and '.join(w for w in why if w)}."
        if left_out
        else "",
    }


def provisional_reasons(result: Mapping, unresolved: list[dict]) -> list[str]:
    """Why a result is provisional, one sentence a reason (none for fit/1 results)."""
    if not result.get("provisional"):
        return []
    reasons = []
    asks = sum(q["status"] == ASK_PROVIDER for q in unresolved)
    unsure = len(unresolved) - asks
    if asks:
        reasons.append(f"The provider documents nothing on {plural(asks, 'must-have')}.")
    if unsure:
        verb = "is" if unsure == 1 else "are"
        reasons.append(f"{plural(unsure, 'must-have')} {verb} answered “Not sure”.")
    coverage, least = result["coverage"], result.get("min_coverage")
    if coverage["percent"] is not None and least is not None and coverage["percent"] < least:
        reasons.append(
            f"Only {coverage['compared']} of {plural(coverage['stated'], 'stated requirement')} "
            f"({coverage['percent']:g}%) could be compared with a documented commitment; "
            f"a result resting on less than {least:g}% is provisional."
        )
    return reasons


def summary_view(bank: Bank, result: Mapping, by_id: Mapping[str, dict], today: date) -> dict:
    """fit/2's summary parts of a stored result, joined with the question views ``by_id``."""
    unresolved = [
        {
            **by_id[qid],
            "ask": by_id[qid]["follow_up"]
            if by_id[qid]["status"] == ASK_PROVIDER
            else by_id[qid]["prompt"],
        }
        for qid in result.get("unresolved_must_haves", [])
    ]
    stated_musts = [q for q in result["questions"] if q["must_have"]]
    ceiling = bank.ratings[min(PROVISIONAL_BAND, len(bank.ratings) - 1)].label
    provider = bank.provider
    return {
        "legacy": result["method"] == LEGACY_METHOD,  # none of fit/2's parts
        "coverage": coverage_view(result),
        "provisional": bool(result.get("provisional")),
        "provisional_ceiling": ceiling,
        "min_coverage": result.get("min_coverage"),
        "provisional_reasons": provisional_reasons(result, unresolved),
        "unresolved": unresolved,
        "decide": [by_id[qid] for qid in result.get("decide_internally", [])],
        "frameworks": frameworks_view(result["frameworks"]) if "frameworks" in result else [],
        "all_must_haves_met": bool(stated_musts) and all(q["status"] == MET for q in stated_musts),
        "evidence": evidence_view(
            provider.source or provider.name, provider.url, provider.as_of, today
        ),
    }
