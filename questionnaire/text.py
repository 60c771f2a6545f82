"""Text people type, made safe to store and print."""

from __future__ import annotations

import re

# Control characters other than tab and line breaks: pasted from other programs, they
# print as nothing, PostgreSQL refuses NUL in text, and XML does not allow them.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean_text(value: str) -> str:
    """Free text with line endings made ``\\n`` and control characters made spaces."""
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    return CONTROL_CHARACTERS.sub(" ", value).strip()


def one_line(value: str) -> str:
    """A one-line value (a name, a search): control characters and runs of spaces, tabs
    or line breaks made one space."""
    return " ".join(CONTROL_CHARACTERS.sub(" ", value).split())
