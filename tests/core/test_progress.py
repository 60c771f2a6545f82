"""Where a buyer stands in the wizard (core/progress.py): each section's state, and what
stands between the buyer and submitting."""

from __future__ import annotations

import pytest

from questionnaire.core.progress import (
    COMPLETE,
    IN_PROGRESS,
    NOT_NEEDED,
    NOT_STARTED,
    VISITED,
    first_unfinished,
    missing_required,
    section_questions,
    section_rows,
    section_states,
    tidy_answers,
    unanswered,
    unfinished_sections,
)
from tests.factories import bank_dict, load

# Every question of sec answered, with region shown (personal data kept).
SEC_DONE = {"personal": "yes", "encrypt": "yes", "smime": "no", "region": "eu"}


def ids(questions) -> list[str]:
    return [q.id for q in questions]


@pytest.fixture
def gated_bank():
    """A bank whose second section is all behind a gate in the first."""
    return load(
        bank_dict(
            [
                {
                    "id": "intro",
                    "title": "About you",
                    "questions": [
                        {
                            "id": "cloud",
                            "prompt": "Do you use the cloud?",
                            "type": "yesno",
                            "weight": 0,
                        }
                    ],
                },
                {
                    "id": "cloudy",
                    "title": "Your cloud",
                    "questions": [
                        {
                            "id": "backups",
                            "prompt": "Must backups be kept?",
                            "type": "yesno",
                            "weight": 1,
                            "show_if": {"question": "cloud", "equals": "yes"},
                        }
                    ],
                },
            ]
        )
    )


def test_a_section_lists_only_its_questions_that_are_shown(small_bank):
    assert ids(section_questions(small_bank, {}, "sec")) == ["personal", "encrypt", "smime"]
    shown = section_questions(small_bank, {"personal": "yes"}, "sec")
    assert ids(shown) == ["personal", "encrypt", "smime", "region"]
    assert ids(section_questions(small_bank, {}, "ops")) == [
        "certs",
        "uptime",
        "breach_hours",
        "notes",
    ]


def test_only_yes_no_and_choice_questions_must_be_answered(small_bank):
    questions = section_questions(small_bank, {"personal": "yes"}, "sec")
    assert ids(missing_required(questions, {})) == ["personal", "encrypt", "smime", "region"]
    answered = {"personal": "yes", "encrypt": "no", "region": None}
    assert ids(missing_required(questions, answered)) == ["smime", "region"]
    # multi, number and text may stay empty: an empty answer states no requirement
    assert missing_required(section_questions(small_bank, {}, "ops"), {}) == []


def test_sections_nobody_touched_are_not_started(small_bank):
    assert section_states(small_bank, {}, {}) == {"sec": NOT_STARTED, "ops": NOT_STARTED}


def test_an_answer_or_a_visit_puts_a_section_in_progress(small_bank):
    assert section_states(small_bank, {"encrypt": "yes"}, {})["sec"] == IN_PROGRESS
    assert section_states(small_bank, {}, {"ops": VISITED})["ops"] == IN_PROGRESS
    assert section_states(small_bank, {}, {"ops": VISITED})["sec"] == NOT_STARTED


def test_a_section_is_complete_once_saved_as_complete_with_every_required_answer(small_bank):
    states = section_states(small_bank, SEC_DONE, {"sec": COMPLETE, "ops": COMPLETE})
    assert states == {"sec": COMPLETE, "ops": COMPLETE}  # ops needs no answer at all


def test_a_complete_mark_does_not_hide_a_required_answer_left_out(small_bank):
    answers = {**SEC_DONE, "region": None}
    assert section_states(small_bank, answers, {"sec": COMPLETE})["sec"] == IN_PROGRESS
    # A gate opened after the section was saved: its new question must be answered too.
    answers = {"personal": "yes", "encrypt": "yes", "smime": "no"}
    assert section_states(small_bank, answers, {"sec": COMPLETE})["sec"] == IN_PROGRESS
    answers = {"personal": "no", "encrypt": "yes", "smime": "no"}
    assert section_states(small_bank, answers, {"sec": COMPLETE})["sec"] == COMPLETE


def test_a_section_whose_questions_are_all_hidden_is_not_needed(gated_bank):
    assert section_states(gated_bank, {"cloud": "no"}, {"intro": COMPLETE}) == {
        "intro": COMPLETE,
        "cloudy": NOT_NEEDED,
    }
    # ... even when it was visited before the gate closed
    states = section_states(gated_bank, {}, {"cloudy": VISITED})
    assert states == {"intro": NOT_STARTED, "cloudy": NOT_NEEDED}
    assert section_states(gated_bank, {"cloud": "yes"}, {})["cloudy"] == NOT_STARTED


def test_sections_are_listed_in_bank_order_with_their_state_in_words(small_bank):
    rows = section_rows(small_bank, {"sec": IN_PROGRESS, "ops": COMPLETE})
    assert rows == [
        {"id": "sec", "title": "Security", "state": IN_PROGRESS, "label": "In progress"},
        {"id": "ops", "title": "Operations", "state": COMPLETE, "label": "Completed"},
    ]
    labels = [
        section_rows(small_bank, {"sec": state, "ops": state})[0]["label"]
        for state in (NOT_STARTED, NOT_NEEDED)
    ]
    assert labels == ["Not started", "Not needed"]


def test_the_buyer_may_submit_only_when_no_section_is_unfinished(small_bank, gated_bank):
    assert unfinished_sections(small_bank, {}, {}) == ["sec", "ops"]
    assert first_unfinished(small_bank, {}, {}) == "sec"
    progress = {"sec": COMPLETE}
    assert unfinished_sections(small_bank, SEC_DONE, progress) == ["ops"]
    assert first_unfinished(small_bank, SEC_DONE, progress) == "ops"
    # in progress is unfinished too
    assert first_unfinished(small_bank, SEC_DONE, {"ops": VISITED}) == "sec"
    assert unfinished_sections(small_bank, SEC_DONE, {"sec": COMPLETE, "ops": VISITED}) == ["ops"]
    done = {"sec": COMPLETE, "ops": COMPLETE}
    assert unfinished_sections(small_bank, SEC_DONE, done) == []
    assert first_unfinished(small_bank, SEC_DONE, done) is None
    # a section not needed never holds the buyer back
    assert first_unfinished(gated_bank, {"cloud": "no"}, {"intro": COMPLETE}) is None


def test_tidying_drops_hidden_answers_and_must_haves_on_nothing_answered(small_bank):
    answers = {"personal": "no", "region": "eu", "encrypt": "yes", "uptime": 99.9}
    kept, must = tidy_answers(small_bank, answers, ["region", "encrypt", "certs", "uptime"])
    assert kept == {"personal": "no", "encrypt": "yes", "uptime": 99.9}
    assert must == ["encrypt", "uptime"]  # region is hidden, certs unanswered


def test_tidying_drops_must_haves_on_questions_that_are_never_scored(small_bank):
    answers = {"personal": "yes", "notes": "Hello", "encrypt": "yes"}
    kept, must = tidy_answers(small_bank, answers, ["personal", "notes", "encrypt"])
    assert kept == answers
    assert must == ["encrypt"]


def test_a_saved_section_with_every_wanted_answer_is_complete_however_it_was_left(small_bank):
    """Saved (visited), not marked complete: complete once every required or scored
    question it shows has an answer; optional unscored ones (notes) are not waited for."""
    ops = {"certs": ["soc2"], "uptime": 99.9, "breach_hours": 24}
    states = section_states(small_bank, {**SEC_DONE, **ops}, {"sec": VISITED, "ops": VISITED})
    assert states == {"sec": COMPLETE, "ops": COMPLETE}
    # A scored number left blank is "no requirement" only once the buyer says it is done.
    blank = {**ops, "breach_hours": None}
    assert section_states(small_bank, blank, {"ops": VISITED})["ops"] == IN_PROGRESS
    assert section_states(small_bank, blank, {"ops": COMPLETE})["ops"] == COMPLETE
    # A required question of weight 0 (personal) is waited for too.
    without = {k: v for k, v in SEC_DONE.items() if k != "personal"}
    assert section_states(small_bank, without, {"sec": VISITED})["sec"] == IN_PROGRESS


def test_unanswered_lists_the_required_and_scored_questions_without_an_answer(small_bank):
    shown = section_questions(small_bank, {"personal": "yes"}, "sec")
    answers = {"personal": "yes", "encrypt": None, "smime": "no"}
    assert ids(unanswered(shown, answers)) == ["encrypt", "region"]
    ops = section_questions(small_bank, {}, "ops")
    assert ids(unanswered(ops, {"certs": [], "uptime": 99.9})) == ["breach_hours"]
