"""Carrying a submitted assessment's answers over to a revision on the current bank. Pure.

A revision starts on the bank in use now, which may have changed since the buyer
submitted: an answer comes along only if its question still exists, the value still
fits it, and it is still shown given the other answers; a must-have only if its
question is still scored and answered. Everything else is named in ``dropped``, so the
buyer can be told which questions to look at again.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from questionnaire.core import answers as answers_mod
from questionnaire.core.bank import Bank


@dataclass(frozen=True)
class CarriedOver:
    answers: dict[str, Any]
    must_have: tuple[str, ...]
    dropped: tuple[str, ...]  # ids of the earlier answers left behind, in their stored order
    dropped_must_haves: tuple[str, ...]  # must-haves left behind though their answer came
    complete: tuple[str, ...]  # sections whose every question the buyer has seen before


def carry_over(
    bank: Bank,
    answers: Mapping[str, Any],
    must_have: Collection[str],
    earlier_questions: Collection[str],
) -> CarriedOver:
    """What of ``answers`` and ``must_have`` holds on ``bank``.

    ``earlier_questions`` are the ids of the bank the answers were given on: a section
    that holds only those counts as complete (the buyer has answered it before); one
    with a new question is left for the buyer to go through.
    """
    carried = answers_mod.carry_over(bank, answers, must_have)
    seen = set(earlier_questions)
    return CarriedOver(
        answers=carried.values,
        must_have=carried.must_have,
        dropped=carried.dropped,
        dropped_must_haves=tuple(
            m for m in must_have if m in carried.values and m not in carried.must_have
        ),
        complete=tuple(s.id for s in bank.sections if all(q.id in seen for q in s.questions)),
    )
