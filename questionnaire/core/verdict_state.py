"""The state and score range of any stored result, whatever its method: fit/3 stores them;
for results of fit/1 and fit/2 they are derived from what those stored (their score was a
point, so their range is null). Pure."""

from __future__ import annotations

from collections.abc import Mapping

RATED, PROVISIONAL, NOT_RATED = "rated", "provisional", "not_rated"


def state_of(result: Mapping) -> str:
    """ "rated", "provisional" or "not_rated"."""
    stored = result.get("state")
    if stored in (RATED, PROVISIONAL, NOT_RATED):
        return stored
    if result.get("score") is None and result.get("rating") is None:
        return NOT_RATED
    return PROVISIONAL if result.get("provisional") else RATED


def score_range_of(result: Mapping) -> dict | None:
    """``{"low": ..., "high": ...}`` for a fit/3 result with a stated requirement; None else."""
    found = result.get("score_range")
    if isinstance(found, Mapping) and "low" in found and "high" in found:
        return {"low": found["low"], "high": found["high"]}
    return None
