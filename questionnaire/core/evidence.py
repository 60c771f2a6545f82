"""Where and when the provider's commitments were documented: the source, its address and
the date it was captured, read from the bank, and whether that date is old enough to doubt.

``provider`` names the source every commitment comes from unless a commitment gives its
own ``source``, ``url`` or ``as_of``. Schema 2 requires ``provider.as_of``; banks of
schema 1, kept as snapshots of old assessments, have none ("capture date not recorded").
Pure.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol, cast
from urllib.parse import urlsplit

from questionnaire.core.yamlsrc import LineDict

STALE_AFTER_YEARS = 3
MAX_SCOPE_LENGTH = 1000

# How strong the evidence behind a commitment is (method fit/3, docs/method.md), weakest
# first. ``written`` is the provider's written answer to one buyer: it is never read from
# the bank, and it carries the weight of a contract term (the provider signs it).
ASSERTION, POLICY, CONTRACT, INDEPENDENT, WRITTEN = (
    "assertion",
    "policy",
    "contract",
    "independent",
    "written",
)
GRADES = (ASSERTION, POLICY, CONTRACT, INDEPENDENT)  # what a bank may give
GRADE_RANK = {ASSERTION: 0, POLICY: 1, CONTRACT: 2, WRITTEN: 2, INDEPENDENT: 3}
ASSURED = frozenset({CONTRACT, INDEPENDENT, WRITTEN})  # what counts toward the top band
GRADE_LABELS = {
    ASSERTION: "Public statement",
    POLICY: "Published policy",
    CONTRACT: "Contract",
    INDEPENDENT: "Independent audit",
    WRITTEN: "Written answer",
}
DEFAULT_MUST_HAVE_EVIDENCE = CONTRACT
UNGRADED = ASSERTION  # what a commitment of a schema 2 bank, which has no grades, counts as


def meets_bar(grade: str, bar: str) -> bool:
    """Whether evidence of ``grade`` is at least as strong as ``bar``."""
    return GRADE_RANK[grade] >= GRADE_RANK[bar]


NOT_RECORDED = "capture date not recorded"
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
MAX_URL_LENGTH = 2000


@dataclass(frozen=True, slots=True)
class Provider:
    name: str
    source: str = ""
    url: str = ""
    as_of: date | None = None  # None only in a schema 1 bank
    scope: str = ""  # which offerings and purchase routes the source covers (schema 3)


@dataclass(frozen=True, slots=True)
class Evidence:
    """Where one commitment is documented: its own fields, or else the provider's."""

    source: str
    url: str = ""
    as_of: date | None = None


class Reporter(Protocol):
    """What the bank reader offers these functions: errors and warnings with a line, and
    its reader of optional or required text fields."""

    def error(self, line: int, message: str) -> None: ...

    def warn(self, line: int, message: str) -> None: ...

    def text(self, raw: LineDict, key: str, required: bool = False, where: str = "") -> str: ...


def parse_date(value: object) -> date:
    """A YAML date (2014-04-01) or a quoted ISO one ("2014-04-01"); ValueError otherwise."""
    if isinstance(value, datetime):
        raise ValueError("give a date without a time, like 2014-04-01")
    if isinstance(value, date):
        return value
    if isinstance(value, str) and ISO_DATE.match(value.strip()):
        try:
            return date.fromisoformat(value.strip())
        except ValueError as exc:
            raise ValueError(f"{value.strip()!r} is not a date on the calendar ({exc})") from None
    raise ValueError(f"expected a date like 2014-04-01, got {value!r}")


def date_text(day: date | None) -> str:
    return NOT_RECORDED if day is None else f"{day.day} {day:%B %Y}"


def years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February in a year without one
        return day.replace(year=day.year - years, day=28)


def is_stale(as_of: date | None, today: date) -> bool:
    """Captured more than STALE_AFTER_YEARS before ``today`` (an unknown date is not
    judged: it is printed as not recorded instead)."""
    return as_of is not None and as_of < years_before(today, STALE_AFTER_YEARS)


def url_problem(value: object) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return "'url' must be a web address starting with https:// or http://"
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return f"'url' {value!r} must be a web address starting with https:// or http://"
    if len(value) > MAX_URL_LENGTH or any(c.isspace() for c in value.strip()):
        return f"'url' {value[:60]!r}… is not a single web address"
    return None


def _url(raw: LineDict, report: Reporter) -> str:
    if raw.get("url") is None:
        return ""
    problem = url_problem(raw["url"])
    if problem:
        report.error(raw.line_of("url"), problem)
        return ""
    return cast(str, raw["url"]).strip()


def _as_of(raw: LineDict, report: Reporter, where: str) -> date | None:
    if raw.get("as_of") is None:
        return None
    try:
        return parse_date(raw["as_of"])
    except ValueError as exc:
        report.error(raw.line_of("as_of"), f"as_of of {where}: {exc}")
        return None


def _scope(raw: LineDict, report: Reporter) -> str:
    scope = report.text(raw, "scope")
    if len(scope) > MAX_SCOPE_LENGTH:
        report.error(
            raw.line_of("scope"),
            f"provider.scope is {len(scope):,} characters; keep it to one short paragraph "
            f"(at most {MAX_SCOPE_LENGTH:,})",
        )
        return ""
    return " ".join(scope.split())


def read_grade(raw: LineDict, schema: int, report: Reporter, where: str) -> str:
    """A commitment's ``evidence`` grade. Schema 3 requires one; in a schema 2 bank, which
    predates grades, a commitment without one counts as an assertion, with a warning."""
    grade = raw.get("evidence")
    if grade is None:
        if schema >= 3:
            report.error(
                raw.line,
                f"{where} needs 'evidence': one of {', '.join(GRADES)} (docs/questions.md)",
            )
        else:
            report.warn(
                raw.line,
                f"{where} has no 'evidence' grade, so it counts as {UNGRADED!r}; "
                f"grade it (one of {', '.join(GRADES)}) and set 'schema: 3'",
            )
        return UNGRADED
    if grade not in GRADES:
        hint = (
            " (a written answer is given to one buyer, never in the bank)"
            if grade == WRITTEN
            else ""
        )
        report.error(
            raw.line_of("evidence"),
            f"evidence {grade!r} of {where} is not a grade: use one of {', '.join(GRADES)}{hint}",
        )
        return UNGRADED
    return cast(str, grade)


def read_provider(data: LineDict, schema: int, report: Reporter) -> Provider:
    """``provider``: name, source, url, as_of. Schema 2 requires all but url."""
    raw = data.get("provider")
    if raw is None:
        if schema >= 2:
            report.error(
                1,
                "missing 'provider': give its name, source and as_of (the date the source was captured)",
            )
        else:
            report.warn(1, "no 'provider' given; reports will say 'the provider'")
        return Provider(name="the provider")
    if not isinstance(raw, LineDict):
        report.error(
            data.line_of("provider"), "'provider' must be a mapping with name, source and as_of"
        )
        return Provider(name="the provider")
    provider = Provider(
        name=report.text(raw, "name", required=True, where="provider"),
        source=report.text(raw, "source", required=schema >= 2, where="provider"),
        url=_url(raw, report),
        as_of=_as_of(raw, report, "the provider"),
        scope=_scope(raw, report),
    )
    if schema >= 2 and "as_of" not in raw:
        report.error(
            data.line_of("provider"),
            "provider is missing 'as_of': the date its source was captured, like 2014-04-01",
        )
    return provider


def read_evidence(
    raw: LineDict, provider: Provider, schema: int, report: Reporter, where: str
) -> Evidence:
    """A commitment's source, url and as_of, each its own where given.

    A commitment without a source, or whose source starts with the provider's (a page of
    it, such as "Office 365 Trust Center — Privacy by design"), takes the provider's
    address and date where it gives none. One naming another source takes nothing from the
    provider, so (schema 2) it must give its own as_of.
    """
    own_source = report.text(raw, "source")
    url, as_of = _url(raw, report), _as_of(raw, report, where)
    if not own_source and not provider.source:
        report.error(raw.line, f"{where} needs a 'source' (the provider names none)")
    foreign = bool(own_source) and not own_source.startswith(provider.source or own_source)
    if foreign and schema >= 2 and "as_of" not in raw:
        report.error(
            raw.line_of("source"),
            f"{where} names a source other than the provider's, so it needs its own "
            "as_of: the date that source was captured",
        )
    if foreign:
        return Evidence(source=own_source, url=url, as_of=as_of)
    return Evidence(
        source=own_source or provider.source,
        url=url or provider.url,
        as_of=as_of if as_of is not None else provider.as_of,
    )
