"""One reading of a stored result's state and score range, whatever method stored it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from questionnaire.core.verdict_state import range_text, score_range_of, state_of

FIT1_RESULT = Path(__file__).resolve().parent.parent / "fixtures" / "fit1" / "result.json"


def test_a_stored_state_and_range_are_read_as_stored():
    result = {
        "score": 71.0,
        "rating": "Fit with gaps",
        "provisional": False,  # a fit/3 state wins over the fit/2 flag
        "state": "provisional",
        "score_range": {"low": 40, "high": 88.5},
    }
    assert state_of(result) == "provisional"
    assert score_range_of(result) == {"low": 40.0, "high": 88.5}


@pytest.mark.parametrize(
    ("result", "state"),
    [
        ({"score": None, "rating": None, "provisional": True}, "not_rated"),
        ({"score": None, "rating": None}, "not_rated"),
        ({"score": 55.0, "rating": "Fit with gaps", "provisional": True}, "provisional"),
        ({"score": 90.0, "rating": "Strong fit", "provisional": False}, "rated"),
        ({"score": 90.0, "rating": "Strong fit"}, "rated"),  # fit/1: no provisional key
        ({"score": None, "rating": "Significant gaps"}, "rated"),  # a rating alone rates it
        ({"score": 90.0, "rating": "Strong fit", "state": "unheard-of"}, "rated"),
    ],
)
def test_a_fit2_or_fit1_state_is_derived(result, state):
    assert state_of(result) == state
    assert score_range_of(result) is None


def test_a_shipped_fit1_result_is_rated_without_a_range():
    result = json.loads(FIT1_RESULT.read_text())
    assert result["method"] == "fit/1" and state_of(result) == "rated"
    assert score_range_of(result) is None


@pytest.mark.parametrize(
    "stored",
    [None, {"low": 1.0}, {"low": "1", "high": 2.0}, {"low": True, "high": 2.0}, [1, 2]],
)
def test_a_malformed_range_is_no_range(stored):
    assert score_range_of({"score": 50.0, "score_range": stored}) is None


def test_a_range_is_written_low_to_high_and_no_range_is_nothing():
    assert range_text({"low": 41.25, "high": 93.0}) == "41.2 to 93.0"
    assert range_text(None) == ""
