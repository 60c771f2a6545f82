"""The state of a stored result and its score range, read the same way for every method.

Results stored under fit/3 carry ``state`` ("rated" | "provisional" | "not_rated") and
``score_range`` ({"low", "high"} or null) themselves. Results of fit/1 and fit/2 do not:
for them the state is derived (no score and no rating: not rated; the provisional flag:
provisional; else rated) and there is no range. The API, webhooks, the CSV and the sales
list all read a result through these two functions, so a rule lives in one place.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeGuard, cast

RATED, PROVISIONAL, NOT_RATED = "rated", "provisional", "not_rated"
STATES = (RATED, PROVISIONAL, NOT_RATED)
STATE_LABELS = {RATED: "Rated", PROVISIONAL: "Provisional", NOT_RATED: "Not rated"}


def state_of(result: Mapping[str, Any]) -> str:
    """ "rated", "provisional" or "not_rated"; a stored state wins over any derivation."""
    stored = result.get("state")
    if stored in STATES:
        return cast(str, stored)
    if result.get("score") is None and result.get("rating") is None:
        return NOT_RATED
    if result.get("provisional"):
        return PROVISIONAL
    return RATED


def score_range_of(result: Mapping[str, Any]) -> dict[str, float] | None:
    """{"low": float, "high": float} where the result states one (fit/3), else None."""
    stored = result.get("score_range")
    if not isinstance(stored, Mapping):
        return None
    low, high = stored.get("low"), stored.get("high")
    if not _is_number(low) or not _is_number(high):
        return None
    return {"low": float(low), "high": float(high)}


def range_text(score_range: Mapping[str, float] | None) -> str:
    """ "41.2 to 93.0", or "" where there is no range."""
    if not score_range:
        return ""
    return f"{score_range['low']:.1f} to {score_range['high']:.1f}"


def _is_number(value: object) -> TypeGuard[int | float]:
    return isinstance(value, int | float) and not isinstance(value, bool)
