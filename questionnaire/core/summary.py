"""The verdict of a stored result in words, written once for the result page and the PDF:
the headline (a rating, or "Not yet rated" with its range), what it rests on, why it is
not rated yet, what is open, where the provider's commitments were documented and what
they cover. Every sentence here is true for the result at hand, or not produced.

Results stored under fit/1 and fit/2 are shown as they were stored: their headline is
their score and rating; fit/3's parts (range, evidence, footing) are None or empty. Pure.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from questionnaire.core.bank import Bank
from questionnaire.core.evidence import GRADE_LABELS, date_text, is_stale
from questionnaire.core.frameworks import frameworks_view
from questionnaire.core.scoring import (
    ASK_PROVIDER,
    FIT2_METHOD,
    LEGACY_METHOD,
    MET,
    NOT_SURE_STATUS,
    OPEN_NEAR_MISS,
    OPEN_UNCONFIRMED,
    PROVISIONAL_BAND,
)
from questionnaire.core.verdict_state import NOT_RATED, PROVISIONAL, RATED, state_of

STATE_HEADLINES = {RATED: "Rated", PROVISIONAL: "Not yet rated", NOT_RATED: "Not rated"}
# A provisional result in words, the same on the page and in the PDF: results stored by
# fit/1 and fit/2 keep their word "provisional"; fit/3 says why it is not yet rated.
PROVISIONAL_FLAG = "(provisional)"  # beside a stored fit/1 or fit/2 rating
PROVISIONAL_TITLES = {True: "This result is provisional", False: "Why it is not yet rated"}
# How each kind of open must-have is put, and what settles it.
OPEN_LABELS = {
    ASK_PROVIDER: "Ask the provider",
    NOT_SURE_STATUS: "Decide internally",
    OPEN_UNCONFIRMED: "Met on the provider's public word: confirm it in the contract",
    OPEN_NEAR_MISS: "Near miss: negotiate",
}


def plural(count: int, noun: str, many: str = "") -> str:
    return f"{count} {noun if count == 1 else many or noun + 's'}"


def figure(value: float) -> str:
    return f"{value:.1f}"


def evidence_view(source: str, url: str, as_of: date | None, today: date) -> dict[str, Any]:
    """Where and when something was documented; ``stale`` judged on ``today``."""
    return {
        "source": source,
        "url": url,
        "captured": date_text(as_of),
        "as_of": as_of.isoformat() if as_of else None,
        "stale": is_stale(as_of, today),
    }


def not_found_text(bank: Bank) -> str:
    """What to say where the bank quotes nothing: it knows only its source, so it speaks for
    that source and no more ("Not found in Office 365 Trust Center, captured 22 May 2014")."""
    provider = bank.provider
    where = provider.source or f"{provider.name}'s documents quoted here"
    captured = f", captured {date_text(provider.as_of)}" if provider.as_of else ""
    return f"Not found in {where}{captured}"


def coverage_view(result: Mapping[str, Any]) -> dict[str, Any] | None:
    """What the score rests on. "Not sure" answers are decisions pending on the buyer's side,
    not requirements, so they are counted apart from the requirements compared."""
    coverage = result.get("coverage")
    if coverage is None:
        return None
    counts = result["counts"]
    stated, compared = coverage["stated"], coverage["compared"]
    pending = counts[NOT_SURE_STATUS]
    requirements = stated - pending
    asked = counts[ASK_PROVIDER]
    weighted = coverage.get("weighted_percent")
    percent = weighted if weighted is not None else coverage["percent"]
    if requirements == 0:
        text = "no requirement compared yet" if pending else "no requirement stated"
    else:
        text = f"{compared} of {plural(requirements, 'requirement')} compared with a documented commitment"
    parts = []
    if asked:
        parts.append(
            f"{plural(asked, 'requirement')} {'is' if asked == 1 else 'are'} not found in the "
            "source this bank quotes: ask the provider"
        )
    if pending:
        parts.append(
            f"{plural(pending, 'answer')} {'is' if pending == 1 else 'are'} “Not sure”: "
            f"{'a decision' if pending == 1 else 'decisions'} pending on the buyer's side"
        )
    return {
        **coverage,
        "requirements": requirements,
        "pending": pending,
        "text": text,
        "percent_text": "" if percent is None else f"{percent:g}%",
        "percent_of": "of the stated weight"
        if weighted is not None
        else "of the stated requirements",
        "left_out_text": "; ".join(parts) + "." if parts else "",
    }


def open_must_haves(
    result: Mapping[str, Any], by_id: Mapping[str, dict[str, Any]]
) -> list[dict[str, Any]]:
    """The unresolved must-haves, each with why it is open and what settles it."""
    reasons = result.get("unresolved_reasons") or {}
    found = []
    for qid in result.get("unresolved_must_haves", []):
        item = by_id[qid]
        reason = reasons.get(qid, item["status"])
        ask = item["prompt"] if reason == NOT_SURE_STATUS else item["follow_up"]
        found.append({**item, "reason": reason, "reason_label": OPEN_LABELS[reason], "ask": ask})
    return found


def provisional_reasons(result: Mapping[str, Any], unresolved: list[dict[str, Any]]) -> list[str]:
    """Why a result is not yet rated (fit/3) or provisional (fit/2), one sentence a reason."""
    if state_of(result) != PROVISIONAL:
        return []
    reasons = []
    kinds = {reason: [u for u in unresolved if u["reason"] == reason] for reason in OPEN_LABELS}
    if kinds[ASK_PROVIDER]:
        reasons.append(
            f"{plural(len(kinds[ASK_PROVIDER]), 'must-have')} "
            f"{'is' if len(kinds[ASK_PROVIDER]) == 1 else 'are'} not found in the source: ask the provider."
        )
    if kinds[NOT_SURE_STATUS]:
        n = len(kinds[NOT_SURE_STATUS])
        reasons.append(f"{plural(n, 'must-have')} {'is' if n == 1 else 'are'} answered “Not sure”.")
    if kinds[OPEN_UNCONFIRMED]:
        n = len(kinds[OPEN_UNCONFIRMED])
        bar = GRADE_LABELS.get((result.get("assurance") or {}).get("must_have_evidence", ""), "")
        reasons.append(
            f"{plural(n, 'must-have')} {'is' if n == 1 else 'are'} met only on the provider's "
            f"public word: confirm {'it' if n == 1 else 'them'} in the contract"
            + (f" ({bar.lower()} evidence or stronger is needed)." if bar else ".")
        )
    if kinds[OPEN_NEAR_MISS]:
        n = len(kinds[OPEN_NEAR_MISS])
        reasons.append(
            f"{plural(n, 'must-have')} {'is' if n == 1 else 'are'} a near miss: negotiate."
        )
    coverage, least = result["coverage"], result.get("min_coverage")
    weighted = coverage.get("weighted_percent")
    percent = weighted if weighted is not None else coverage["percent"]
    if percent is not None and least is not None and percent < least:
        measure = "of the stated weight" if weighted is not None else "of the stated requirements"
        reasons.append(
            f"Only {percent:g}% {measure} could be compared with a documented commitment; "
            f"a result resting on less than {least:g}% is not rated yet."
        )
    return reasons


def headline_words(result: Mapping[str, Any]) -> dict[str, Any]:
    """The headline of any stored result in a few words, without its bank (for e-mails and
    lists): ``headline`` (a rating, "Not yet rated" or "Not rated") and ``score_line`` (the
    range of fit/3, the stored point score of older methods)."""
    state = state_of(result)
    headline = result.get("rating") or STATE_HEADLINES[state]
    found = result.get("score_range")
    score = result.get("score")
    if result["method"] in (LEGACY_METHOD, FIT2_METHOD) or found is None:
        line = "" if score is None else f"{figure(score)} out of 100"
        if result["method"] not in (LEGACY_METHOD, FIT2_METHOD):
            line = "nothing stated to score"
        return {"headline": headline, "score_line": line, "state": state}
    open_points = result.get("open_points", 0)
    low, high = figure(found["low"]), figure(found["high"])
    depending = f", depending on {plural(open_points, 'open point')}" if open_points else ""
    if low == high:
        line = f"{low} out of 100"
    elif state == RATED:
        line = f"at least {low}, up to {high}{depending}"
    else:
        line = f"between {low} and {high}{depending}"
    return {"headline": headline, "score_line": line, "state": state}


def band_text(label: str | None) -> str:
    return f"“{label}”" if label else ""


def verdict_view(  # noqa: PLR0912, PLR0915  one branch per verdict wording
    bank: Bank, result: Mapping[str, Any], unresolved: list[dict[str, Any]]
) -> dict[str, Any]:
    """The headline, in the words the page, the cover and the PDF summary print."""
    method = result["method"]
    state = state_of(result)
    score = result.get("score")
    rated_on = bank.rating_tone(result.get("rating"))
    verdict: dict[str, Any] = {
        "state": state,
        "method": method,
        "stored_as": method in (LEGACY_METHOD, FIT2_METHOD),
        "tone": rated_on,
        "headline": result.get("rating") or STATE_HEADLINES[state],
        "range": None,
        "range_text": "",
        "bands_text": "",
        "compared_text": "",
        "cap_text": "",
        "open_points": result.get("open_points", 0),
    }
    if method in (LEGACY_METHOD, FIT2_METHOD):
        # Shown as stored: a point score and its rating, fit/2's provisional cap in its words.
        verdict["figure"] = None if score is None else figure(score)
        if result.get("capped_by") == "deal_breaker":
            n = len(result["deal_breakers"])
            verdict["cap_text"] = (
                f"Rated “{result['rating']}” because {plural(n, 'must-have')} "
                f"{'is' if n == 1 else 'are'} not fully met."
            )
        elif result.get("provisional") and result.get("rating"):
            ceiling = bank.ratings[min(PROVISIONAL_BAND, len(bank.ratings) - 1)].label
            verdict["cap_text"] = (
                f"Provisional (method {method}): rated no higher than “{ceiling}” until the "
                "points in the summary are settled."
            )
        return verdict

    found = result.get("score_range")
    rating_range = result.get("rating_range") or {}
    open_points = result.get("open_points", 0)
    if found is None:
        verdict.update(
            figure=None,
            tone="none",
            compared_text="No requirement was stated, so there is nothing to rate.",
        )
        return verdict
    low, high = found["low"], found["high"]
    verdict["range"] = {
        "low": low,
        "high": high,
        "low_text": figure(low),
        "high_text": figure(high),
    }
    depending = f", depending on {plural(open_points, 'open point')}" if open_points else ""
    if state == RATED:
        verdict["figure"] = figure(low)
        if low == high:
            verdict["range_text"] = f"{figure(low)} out of 100, with nothing left open"
        else:
            verdict["range_text"] = f"at least {figure(low)}, up to {figure(high)}{depending}"
    else:
        verdict["figure"] = None
        verdict["tone"] = "none"
        verdict["range_text"] = f"between {figure(low)} and {figure(high)}{depending}"
        low_band, high_band = rating_range.get("low"), rating_range.get("high")
        if low_band and high_band and low_band != high_band:
            verdict["bands_text"] = (
                f"Once settled, it would be rated between {band_text(low_band)} and {band_text(high_band)}."
            )
        elif low_band:
            verdict["bands_text"] = f"Once settled, it would be rated {band_text(low_band)}."
    coverage = result["coverage"]
    if score is not None:
        weighted = coverage.get("weighted_percent")
        verdict["compared_text"] = (
            f"The {plural(coverage['compared'], 'requirement')} compared so far score "
            f"{figure(score)} out of 100"
            + (f", resting on {weighted:g}% of the stated weight." if weighted is not None else ".")
        )
    else:
        verdict["compared_text"] = (
            "No stated requirement could be compared with a documented commitment yet."
        )
    capped_by = result.get("capped_by")
    if capped_by == "deal_breaker":
        n = len(result["deal_breakers"])
        verdict["cap_text"] = (
            f"{plural(n, 'must-have')} {'falls' if n == 1 else 'fall'} short of what the provider "
            f"documents: a deal-breaker caps the rating at {band_text(bank.ratings[-1].label)}."
        )
    elif capped_by == "evidence":
        assurance = result.get("assurance") or {}
        top = band_text(bank.ratings[0].label)
        share = f"{assurance.get('percent', 0):g}%"
        needed = f"{assurance.get('top_band_evidence', 0):g}%"
        if state == RATED:
            verdict["cap_text"] = (
                f"Rated no higher than {band_text(bank.ratings[min(1, len(bank.ratings) - 1)].label)}: "
                f"only {share} of the stated weight is met by contract terms, independent audits "
                f"or written answers, and {top} needs {needed}."
            )
        else:
            verdict["cap_text"] = (
                f"{top} needs {needed} of the stated weight met by contract terms, independent "
                f"audits or written answers; {share} is so far."
            )
    return verdict


def summary_view(
    bank: Bank, result: Mapping[str, Any], by_id: Mapping[str, dict[str, Any]], today: date
) -> dict[str, Any]:
    """The summary parts of a stored result, joined with the question views ``by_id``."""
    unresolved = open_must_haves(result, by_id)
    musts = [q for q in result["questions"] if q["must_have"]]
    without = [by_id[qid] for qid in result.get("must_haves_without_requirement", [])]
    provider = bank.provider
    state = state_of(result)
    assurance = result.get("assurance") or {}
    return {
        "must_have_evidence_label": GRADE_LABELS.get(
            assurance.get("must_have_evidence", bank.must_have_evidence), ""
        ),
        "top_band_evidence": assurance.get("top_band_evidence", bank.top_band_evidence),
        "legacy": result["method"] == LEGACY_METHOD,  # none of fit/2's parts
        "stored_method": result["method"] in (LEGACY_METHOD, FIT2_METHOD),
        "state": state,
        "verdict": verdict_view(bank, result, unresolved),
        "coverage": coverage_view(result),
        "provisional": state == PROVISIONAL,
        "provisional_flag": PROVISIONAL_FLAG if state == PROVISIONAL else "",
        "provisional_title": PROVISIONAL_TITLES[result["method"] in (LEGACY_METHOD, FIT2_METHOD)],
        "min_coverage": result.get("min_coverage"),
        "provisional_reasons": provisional_reasons(result, unresolved),
        "unresolved": unresolved,
        "without_requirement": without,
        "decide": [by_id[qid] for qid in result.get("decide_internally", [])],
        "frameworks": frameworks_view(result["frameworks"]) if "frameworks" in result else [],
        # True only when it is: every must-have stated is met and settled, and none was
        # marked on an answer that states no requirement.
        "all_must_haves_met": bool(musts)
        and all(q["status"] == MET and not q.get("unconfirmed") for q in musts)
        and not without,
        "evidence": evidence_view(
            provider.source or provider.name, provider.url, provider.as_of, today
        ),
        "scope": provider.scope,
        "not_found": not_found_text(bank),
    }
