"""How the app writes and reads a day: one format, "30 Nov 2026", everywhere people see it.

Date fields take that format (and ISO 2026-11-30, which links and the API use). Pure.
"""

from __future__ import annotations

from datetime import date, datetime

DAY_FORMAT = "%-d %b %Y"  # 30 Nov 2026
EXAMPLE = "30 Nov 2026"
_READ_FORMATS = ("%d %b %Y", "%d %B %Y")  # 30 Nov 2026, 30 November 2026
MAX_LENGTH = 32


def day_text(value: date | datetime) -> str:
    return value.strftime(DAY_FORMAT)


def machine_time(value: datetime) -> str:
    """A moment for a `<time datetime>` attribute: whole seconds (HTML allows at most three
    digits of a fraction, and nobody reads the microseconds the database keeps)."""
    return value.replace(microsecond=0).isoformat()


def parse_day(text: str) -> date:
    """A day typed as "30 Nov 2026" (or "30 November 2026", or 2026-11-30); ValueError if
    it is not a real day in one of those forms."""
    text = " ".join(text.split())
    if not text or len(text) > MAX_LENGTH:
        raise ValueError(text)
    try:
        return date.fromisoformat(text)
    except ValueError:
        pass
    for form in _READ_FORMATS:
        try:
            return datetime.strptime(text.title(), form).date()  # noqa: DTZ007  a day, no time
        except ValueError:
            continue
    raise ValueError(text)
