"""Cleaning what people type (questionnaire/text.py)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from questionnaire.core.text import CONTROL_CHARACTERS, clean_text, one_line


def test_clean_text_keeps_tabs_and_line_breaks_and_spaces_out_the_rest():
    assert clean_text(" a\x00b\r\nc\rd\te\x0bf\x7f ") == "a b\nc\nd\te f"


def test_one_line_makes_every_run_of_blanks_and_controls_one_space():
    assert one_line("\tAcme\x00\x00 Ltd\n\r\x0c") == "Acme Ltd"


@given(st.text())
def test_cleaned_text_has_no_control_characters_or_carriage_returns(text):
    cleaned = clean_text(text)
    assert not CONTROL_CHARACTERS.search(cleaned) and "\r" not in cleaned
    assert cleaned == cleaned.strip()
    line = one_line(text)
    assert line == " ".join(line.split()) and not CONTROL_CHARACTERS.search(line)
