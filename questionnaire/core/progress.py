"""Where a buyer stands in the wizard: each section's state, and what is still missing.

A section's progress mark is stored as "visited" (a step was saved) or "complete" (the
buyer pressed Save and continue); the state shown adds what the answers say. A section
saved with an answer to every question it shows that asks for one (all but notes and
other unscored optional ones) is complete too, however the buyer left it. Pure.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from questionnaire.core.bank import Bank, Question
from questionnaire.core.scoring import visible_answers, visible_questions

VISITED, COMPLETE = "visited", "complete"
NOT_STARTED, IN_PROGRESS, NOT_NEEDED = "not_started", "in_progress", "not_needed"
UNFINISHED = (NOT_STARTED, IN_PROGRESS)
SECTION_STATE_LABELS = {
    NOT_STARTED: "Not started",
    IN_PROGRESS: "In progress",
    COMPLETE: "Completed",
    NOT_NEEDED: "Not needed",
}


def section_questions(bank: Bank, answers: Mapping[str, Any], section_id: str) -> list[Question]:
    """The questions of a section that are visible given the saved answers."""
    return [q for q in visible_questions(bank, answers) if q.section_id == section_id]


def missing_required(questions: list[Question], answers: Mapping[str, Any]) -> list[Question]:
    return [q for q in questions if q.kind.required and answers.get(q.id) is None]


def unanswered(questions: list[Question], answers: Mapping[str, Any]) -> list[Question]:
    """Questions with no answer saved that want one: required or scored ones. A blank
    number is "no requirement" only once the buyer says the section is done."""
    return [q for q in questions if (q.kind.required or q.scored) and answers.get(q.id) is None]


def section_states(
    bank: Bank, answers: Mapping[str, Any], progress: Mapping[str, str]
) -> dict[str, str]:
    shown = visible_questions(bank, answers)
    states = {}
    for section in bank.sections:
        questions = [q for q in shown if q.section_id == section.id]
        marked = progress.get(section.id)
        if not questions:
            states[section.id] = NOT_NEEDED
        elif (marked == COMPLETE and not missing_required(questions, answers)) or (
            marked == VISITED and not unanswered(questions, answers)
        ):
            states[section.id] = COMPLETE
        elif marked or any(q.id in answers for q in questions):
            states[section.id] = IN_PROGRESS
        else:
            states[section.id] = NOT_STARTED
    return states


def section_rows(bank: Bank, states: Mapping[str, str]) -> list[dict[str, Any]]:
    """The sections with their state in words, as overview, check and sales pages list them."""
    return [
        {
            "id": s.id,
            "title": s.title,
            "state": states[s.id],
            "label": SECTION_STATE_LABELS[states[s.id]],
        }
        for s in bank.sections
    ]


def unfinished_sections(
    bank: Bank, answers: Mapping[str, Any], progress: Mapping[str, str]
) -> list[str]:
    states = section_states(bank, answers, progress)
    return [section_id for section_id, state in states.items() if state in UNFINISHED]


def first_unfinished(
    bank: Bank, answers: Mapping[str, Any], progress: Mapping[str, str]
) -> str | None:
    unfinished = unfinished_sections(bank, answers, progress)
    return unfinished[0] if unfinished else None


def tidy_answers(
    bank: Bank, answers: Mapping[str, Any], must_have: list[str]
) -> tuple[dict[str, Any], list[str]]:
    """Drop answers whose question is now hidden, and must-haves on nothing answered."""
    kept = visible_answers(bank, answers)
    must = [qid for qid in must_have if qid in kept and bank.question(qid).scored]
    return kept, must
