"""Text people type, made safe to store and print."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable

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


def slug(value: str, fallback: str = "assessment") -> str:
    """A name made safe for a file name or URL part: lower-case ASCII letters, digits and
    hyphens, at most 40 characters (e.g. "Harbour & Finch Ltd" -> "harbour-finch-ltd")."""
    return re.sub(r"[^a-z0-9]+", "-", value.lower()).strip("-")[:40].strip("-") or fallback


def did_you_mean(word: object, candidates: Iterable[str]) -> str:
    """ " (did you mean 'x'?)" naming the closest candidate to a mistyped id or key, or ""."""
    if not isinstance(word, str):
        return ""
    close = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def sentence(text: str) -> str:
    """A message shown on its own, starting with a capital: "enter a number" -> "Enter a number"."""
    return text[:1].upper() + text[1:]
