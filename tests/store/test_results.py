"""The list columns a result is copied into: state and score range through
core.verdict_state, whatever method stored the result."""

from __future__ import annotations

from questionnaire.store.models import Assessment
from questionnaire.store.results import apply_result

FIT2 = {
    "score": 62.5,
    "rating": "Fit with gaps",
    "deal_breakers": [],
    "provisional": True,
    "sections": [],
}


def test_a_fit2_result_is_copied_with_its_derived_state_and_no_range():
    assessment = Assessment()
    apply_result(assessment, FIT2, 3)
    assert (assessment.state, assessment.score_low, assessment.score_high) == (
        "provisional",
        None,
        None,
    )


def test_a_fit3_result_is_copied_with_its_stored_state_and_range():
    assessment = Assessment()
    result = {
        **FIT2,
        "score": None,
        "rating": None,
        "state": "not_rated",
        "score_range": {"low": 40.0, "high": 95.5},
    }
    apply_result(assessment, result, 0)
    assert (assessment.state, assessment.score_low, assessment.score_high) == (
        "not_rated",
        40.0,
        95.5,
    )
