"""What a wizard step page is made of: which questions it shows, how a posted page is read,
where the buttons lead, and the plain data its template draws. The views are in wizard.py.
"""

from __future__ import annotations

import hashlib
import json
import sys
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from flask import flash, url_for
from markupsafe import Markup

from questionnaire.core import progress
from questionnaire.core.bank import Bank, Question, Section
from questionnaire.core.conditions import Compare, Group, visible
from questionnaire.core.qtypes import NOT_SURE, NOT_SURE_LABEL, AnswerError
from questionnaire.core.scoring import visible_answers, visible_questions
from questionnaire.core.text import sentence
from questionnaire.store.models import Assessment

NEXT, BACK, SAVE = "next", "back", "save"


def condition_data(condition) -> dict:
    """show_if as JSON for the page's script (the server decides anyway)."""
    if isinstance(condition, Group):
        return {"mode": condition.mode, "items": [condition_data(c) for c in condition.items]}
    assert isinstance(condition, Compare)  # noqa: S101  a condition is a Group or a Compare
    operand = list(condition.operand) if isinstance(condition.operand, tuple) else condition.operand
    return {"q": condition.question.id, "op": condition.op, "v": operand}


def condition_text(condition) -> str:
    """show_if in words, for people without the script (and for screen readers)."""
    if isinstance(condition, Group):
        joiner = " and " if condition.mode == "all" else " or "
        return joiner.join(condition_text(c) for c in condition.items)
    q = condition.question
    unsure = f"“{NOT_SURE_LABEL}”" if q.offers_not_sure else ""  # "Not sure" shows it too
    return q.kind.condition_words(q, condition.op, condition.operand, unsure)


def looks_at_its_own_page(q: Question) -> bool:
    """Whether q's condition looks at a question on q's own page: only then is q on the
    page whatever the answers (the script shows or hides it), so only then do people
    without the script need its condition in words."""

    def compared(condition) -> list[Compare]:
        if isinstance(condition, Group):
            return [leaf for item in condition.items for leaf in compared(item)]
        return [condition]

    return q.show_if is not None and any(
        c.question.section_id == q.section_id for c in compared(q.show_if)
    )


def step_questions(bank: Bank, answers: dict, section: Section) -> list[Question]:
    """What a step page shows: questions visible now, plus those whose condition looks at
    another question on the same page (the page's script shows or hides those as you go)."""
    ids = {q.id for q in section.questions}
    kept = visible_answers(bank, answers)
    return [
        q
        for q in section.questions
        if visible(q, kept) or (q.show_if is not None and q.show_if.references() & ids)
    ]


@dataclass
class Posted:
    """A posted step as read: the answers that parsed (None = cleared or hidden), why the
    others did not, and the must-haves ticked."""

    values: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    must_have: set[str] = field(default_factory=set)


def read_step(bank: Bank, section: Section, formdata, saved: dict) -> Posted:
    """Parse a posted step in bank order.

    Conditions only look back, so walking the bank once decides every question's
    visibility with the values just posted for earlier questions on this page.
    """
    section_ids = {q.id for q in section.questions}
    kept: dict[str, Any] = {}
    posted = Posted()
    for q in bank.questions:
        if q.id not in section_ids:
            if q.id in saved and visible(q, kept):
                kept[q.id] = saved[q.id]
            continue
        if not visible(q, kept):
            posted.values[q.id] = None  # hidden: its answer is dropped
            continue
        try:
            value = q.kind.from_form(q, q.kind.form_data(q, formdata))
        except AnswerError as exc:
            posted.errors[q.id] = sentence(str(exc))
            continue
        posted.values[q.id] = value
        if value is not None:
            kept[q.id] = value
    chosen = set(formdata.getlist("must_have"))
    scored = {q.id for q in section.questions if q.scored}
    for qid in sorted(chosen - scored):
        posted.errors.setdefault(
            qid if qid in section_ids else "must_have", f"{qid!r} cannot be a must-have"
        )
    posted.must_have = chosen & scored
    return posted


def required_errors(bank: Bank, section: Section, values: dict, saved: dict) -> dict[str, str]:
    merged = {k: v for k, v in {**saved, **values}.items() if v is not None}
    shown = progress.section_questions(bank, merged, section.id)
    return {q.id: q.kind.missing_message(q) for q in progress.missing_required(shown, merged)}


def fingerprint(section: Section, assessment: Assessment) -> str:
    """A short digest of this section's saved answers and must-haves. The page carries the
    one it was drawn from, so a save can tell that another tab changed the section since."""
    ids = [q.id for q in section.questions]
    saved = [
        [qid, assessment.answers.get(qid), qid in assessment.must_have]
        for qid in ids
        if qid in assessment.answers or qid in assessment.must_have
    ]
    return hashlib.sha256(json.dumps(saved, sort_keys=True).encode()).hexdigest()[:16]


def next_section(bank: Bank, assessment: Assessment, after: str, step: int) -> str | None:
    """The next (step=1) or previous (step=-1) section that has questions to show."""
    ids = [s.id for s in bank.sections]
    needed = {q.section_id for q in visible_questions(bank, assessment.answers)}
    index = ids.index(after) + step
    while 0 <= index < len(ids):
        if ids[index] in needed:
            return ids[index]
        index += step
    return None


def after_save(
    bank: Bank, assessment: Assessment, token: str, section: Section, action: str, returning: bool
) -> str:
    """Where a saved page leads: the overview, the page before, the next, or the check page."""
    if action == SAVE:
        flash("Your answers have been saved. Use your resume link to come back.", "success")
        return url_for("wizard.overview", token=token)
    if action == BACK:
        previous = next_section(bank, assessment, section.id, -1)
        if previous is None:
            return url_for("wizard.overview", token=token)
        return url_for("wizard.step", token=token, section_id=previous)
    following = None if returning else next_section(bank, assessment, section.id, 1)
    if following is None:
        return url_for("wizard.check", token=token)
    return url_for("wizard.step", token=token, section_id=following)


class QuestionItem(NamedTuple):
    """What templates/_questions.html needs to draw one question."""

    q: Question
    value: Any  # the field's data: a string, a tuple of keys (multi) or None
    error: str | None
    must_have: bool
    choices: tuple[tuple[str, str], ...]
    condition: dict | None
    condition_text: str  # why it may not apply, in words; only where it is on the page anyway
    not_sure: bool  # "Not sure" is offered (every scored question, and gates that say so)


def hashable(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


def question_blocks(
    env, questions: list[Question], shown: dict, errors: dict[str, str], must_haves: set[str]
) -> list[Markup]:
    """Each question's HTML: from BLOCKS when every part of it comes from the bank, else
    drawn now."""
    macro = env.get_template("_questions.html").module.question
    blocks = []
    for q in questions:
        value, error, must_have = shown[q.id], errors.get(q.id), q.id in must_haves
        key = (q, value, must_have) if error is None and of_the_bank(q, value) else None
        block = BLOCKS.get(key) if key else None
        if block is None:
            # The macro's output is autoescaped template HTML.
            block = Markup(macro(question_item(q, value, error, must_have)))  # noqa: S704
            if key:
                BLOCKS.put(key, block)
        blocks.append(block)
    return blocks


def question_item(q: Question, value: Any, error: str | None, must_have: bool) -> QuestionItem:
    return QuestionItem(
        q=q,
        value=value,
        error=error,
        must_have=must_have,
        choices=tuple(offered_choices(q, value)),
        condition=condition_data(q.show_if) if q.show_if else None,
        condition_text=condition_text(q.show_if) if looks_at_its_own_page(q) else "",
        not_sure=q.offers_not_sure,
    )


def offered_choices(q: Question, value: Any) -> list[tuple[str, str]]:
    """The options a buyer may pick: a retired one only where it is already the answer."""
    chosen = set(value) if isinstance(value, tuple | list) else {value}
    retired = {o.key for o in q.options if o.retired and o.key not in chosen}
    return [(key, label) for key, label in q.kind.choices(q) if key not in retired]


def of_the_bank(q: Question, value: Any) -> bool:
    """Whether a shown value is one of the question's own choices (radios), or some of them
    in the bank's order (checkboxes): never anything typed, so a block showing it is a
    block the bank alone decides."""
    keys = [key for key, _ in q.kind.choices(q)] + ([NOT_SURE] if q.offers_not_sure else [])
    if q.kind.widget == "radios":
        return value is None or value in keys
    if q.kind.widget == "checkboxes" and isinstance(value, tuple):
        return list(value) == [key for key in keys if key in value]
    return False


class BlockCache:
    """Question blocks drawn before, by (question, choice, must-have), up to a number of
    bytes: a step page draws a dozen questions, two fifths of its cost in-process."""

    def __init__(self, max_bytes: int):
        self.max_bytes = max_bytes
        self.size = 0
        self._blocks: OrderedDict[tuple, Markup] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple) -> Markup | None:
        with self._lock:
            block = self._blocks.get(key)
            if block is not None:
                self._blocks.move_to_end(key)
            return block

    def put(self, key: tuple, block: Markup) -> None:
        with self._lock:
            if key in self._blocks:
                return
            self._blocks[key] = block
            self.size += sys.getsizeof(block)
            while self.size > self.max_bytes:
                _, dropped = self._blocks.popitem(last=False)
                self.size -= sys.getsizeof(dropped)


BLOCKS = BlockCache(4 * 1024 * 1024)


def field_anchor(q: Question) -> str:
    """The id of the input an error links to: the first radio or checkbox of a group."""
    return f"{q.id}-0" if q.kind.widget in ("radios", "checkboxes") else q.id


def error_list(questions: list[Question], errors: dict[str, str]) -> list[tuple[str, str, str]]:
    """The error summary's rows: (anchor, question, message), in page order."""
    rows = [(field_anchor(q), q.prompt, errors[q.id]) for q in questions if q.id in errors]
    return rows + [(k, "Must-have", v) for k, v in errors.items() if k == "must_have"]
