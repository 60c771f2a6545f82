"""Finding assessments for the sales team: filters read from the query string, one page of
rows, and every row of the same filter for the CSV export.

Every query selects the handful of list columns (never the answers or result JSON)
and is shaped to use an index on ``assessments``: ``(status, submitted_at)`` or
``(status, updated_at)`` for date order, ``(status, score)`` for score order.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import Select, func, select

from questionnaire.core.dates import EXAMPLE as DAY_EXAMPLE
from questionnaire.core.dates import parse_day
from questionnaire.core.text import one_line
from questionnaire.store import crm, open_questions
from questionnaire.store.db import db
from questionnaire.store.models import (
    DRAFT,
    MAX_ROW_ID,
    STAGES,
    SUBMITTED,
    Assessment,
    BankSnapshot,
)

PAGE_SIZE = 25
MAX_QUERY = 100
MAX_PAGE = 1_000_000  # a page number past this is the last page anyway
STATUS_LABELS = {SUBMITTED: "Submitted", DRAFT: "Drafts"}
SORTS = {
    "newest": "Newest first",
    "oldest": "Oldest first",
    "score_high": "Highest score first",
    "score_low": "Lowest score first",
}
DEAL_BREAKER_CHOICES = {"": "Any", "yes": "With deal-breakers", "no": "Without deal-breakers"}
STATE_CHOICES = {
    "": "Any",
    "rated": "Rated",
    "provisional": "Not yet rated (provisional)",
    "not_rated": "Not rated",
}
LIBRARY_CHOICES = {"": "Any", "yes": "Has an open question the library answers"}
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CSV_BATCH = 2000  # rows per read and per access-log commit
FIRST_DATE, LAST_DATE = date(2000, 1, 1), date(2999, 12, 31)  # dates a filter accepts
CSV_HEADER = (
    "Id",
    "Company",
    "Contact name",
    "Email",
    "Status",
    "Submitted",
    "Last change",
    "Score",
    "Rating",
    "Deal-breakers",
    "Bank version",
    "Link",
    "Deal-breaker ids",
    "Unresolved must-haves",
    "Coverage (%)",
    "Provisional",
    "Section scores",
    "Open follow-ups",
    "Owner",
    "Stage",
    "Result revision",
    "Result revision made by",
    "Revision of",
    "Revised by",
    "State",
    "Score low",
    "Score high",
)

COLUMNS = (
    Assessment.id,
    Assessment.company,
    Assessment.contact_name,
    Assessment.email,
    Assessment.status,
    Assessment.submitted_at,
    Assessment.updated_at,
    Assessment.score,
    Assessment.rating,
    Assessment.deal_breakers,
    Assessment.bank_version,
    Assessment.revision_of_id,
    Assessment.owner_id,
    Assessment.stage,
    Assessment.result_revision,
    Assessment.open_follow_ups,
    Assessment.summary,
    Assessment.state,
    Assessment.score_low,
    Assessment.score_high,
    Assessment.created_at,
    Assessment.version,
)
COLUMN_NAMES = tuple(c.key for c in COLUMNS)


@dataclass(frozen=True)
class Filters:
    status: str = SUBMITTED
    q: str = ""
    rating: str = ""
    deal_breakers: str = ""
    date_from: date | None = None
    date_to: date | None = None
    bank_version: str = ""
    owner: str = ""  # a user id, or "none" for no owner
    stage: str = ""
    state: str = ""  # the result's state (rated, provisional, not_rated)
    library: str = ""  # "yes": an open question a library answer fits
    sort: str = "newest"
    page: int = 1
    errors: tuple[tuple[str, str], ...] = field(default=(), compare=False)

    @property
    def active(self) -> bool:
        """Whether anything narrows the list beyond the status."""
        return bool(
            self.q
            or self.rating
            or self.deal_breakers
            or self.date_from
            or self.date_to
            or self.bank_version
            or self.owner
            or self.stage
            or self.state
            or self.library
        )

    def args(self, **changes) -> dict[str, str]:
        """Query-string arguments that give these filters back; defaults left out."""
        current = replace(self, **changes) if changes else self
        defaults = asdict(Filters())
        out = {}
        for name, value in asdict(current).items():
            if name == "errors" or value == defaults[name] or value is None:
                continue
            out[name] = value.isoformat() if isinstance(value, date) else str(value)
        return out


def page_arg(args: Mapping[str, str]) -> int:
    """The page asked for, 1 to MAX_PAGE; anything else is the first page."""
    try:
        return max(1, min(int(args.get("page", 1)), MAX_PAGE))
    except (TypeError, ValueError):
        return 1


def date_arg(args: Mapping[str, str], name: str, label: str, errors: list) -> date | None:
    text = (args.get(name) or "").strip()
    if not text:
        return None
    try:
        value = parse_day(text)
    except ValueError:
        errors.append((name, f"{label} must be a real date, like {DAY_EXAMPLE}"))
        return None
    if not FIRST_DATE <= value <= LAST_DATE:  # 9999-12-31 had no next day to search up to
        errors.append(
            (
                name,
                f"{label} must be between {FIRST_DATE.year} and {LAST_DATE.year}, like {DAY_EXAMPLE}",
            )
        )
        return None
    return value


def parse_filters(args: Mapping[str, str]) -> Filters:
    """Filters from a query string; unknown values fall back to the default, bad dates are
    reported in ``errors`` and ignored."""
    errors: list[tuple[str, str]] = []
    status = args.get("status", SUBMITTED)
    sort = args.get("sort", "newest")
    deal_breakers = args.get("deal_breakers", "")
    date_from = date_arg(args, "date_from", "From date", errors)
    date_to = date_arg(args, "date_to", "To date", errors)
    if date_from and date_to and date_from > date_to:
        errors.append(("date_to", "To date must be the same as or after the from date"))
        date_to = None
    page = page_arg(args)
    status = status if status in STATUS_LABELS else SUBMITTED
    sort = sort if sort in SORTS else "newest"
    if status == DRAFT and sort.startswith("score"):
        sort = "newest"  # drafts have no score yet
    return Filters(
        status=status,
        q=one_line(args.get("q") or "")[:MAX_QUERY],
        rating=one_line(args.get("rating") or "")[:100],
        deal_breakers=deal_breakers if deal_breakers in DEAL_BREAKER_CHOICES else "",
        date_from=date_from,
        date_to=date_to,
        bank_version=one_line(args.get("bank_version") or "")[:64],
        owner=_owner(args.get("owner") or ""),
        stage=stage if (stage := args.get("stage") or "") in STAGES else "",
        state=state if (state := args.get("state") or "") in STATE_CHOICES else "",
        library=library if (library := args.get("library") or "") in LIBRARY_CHOICES else "",
        sort=sort,
        page=page,
        errors=tuple(errors),
    )


def _owner(text: str) -> str:
    """ "none", or the id of a row; anything else is no owner filter."""
    if text == "none":
        return text
    return text if text.isdigit() and text.isascii() and 1 <= int(text) <= MAX_ROW_ID else ""


def date_column(status: str):
    """Submitted ones are dated by submission, drafts by their last change."""
    return Assessment.submitted_at if status == SUBMITTED else Assessment.updated_at


def like_pattern(text: str) -> str:
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def where(filters: Filters) -> list:
    when = date_column(filters.status)
    conditions = [Assessment.status == filters.status]
    if filters.q:
        conditions.append(Assessment.search_text.like(like_pattern(filters.q), escape="\\"))
    if filters.rating:
        conditions.append(Assessment.rating == filters.rating)
    if filters.deal_breakers == "yes":
        conditions.append(Assessment.deal_breakers > 0)
    elif filters.deal_breakers == "no":
        conditions.append(Assessment.deal_breakers == 0)
    if filters.date_from:
        conditions.append(when >= start_of(filters.date_from))
    if filters.date_to and filters.date_to < date.max:  # the last day has no day after
        conditions.append(when < start_of(filters.date_to + timedelta(days=1)))
    if filters.bank_version:
        conditions.append(Assessment.bank_version == filters.bank_version)
    if filters.owner == "none":
        conditions.append(Assessment.owner_id.is_(None))
    elif filters.owner:
        conditions.append(Assessment.owner_id == int(filters.owner))
    if filters.stage:
        conditions.append(Assessment.stage == filters.stage)
    if filters.state:
        conditions.append(Assessment.state == filters.state)
    if filters.library:
        conditions.append(Assessment.id.in_(open_questions.answerable_by_library()))
    return conditions


def order(filters: Filters) -> tuple:
    """Sort keys, ending with the id so that pages never overlap or skip a row."""
    when = date_column(filters.status)
    if filters.sort == "oldest":
        return (when.asc(), Assessment.id.asc())
    # "Not scored" ranks below every score either way: SQLite's own order, so its index
    # serves both; PostgreSQL is told the same explicitly.
    if filters.sort == "score_high":
        return (Assessment.score.desc().nulls_last(), Assessment.id.desc())
    if filters.sort == "score_low":
        return (Assessment.score.asc().nulls_first(), Assessment.id.asc())
    return (when.desc(), Assessment.id.desc())


def matching(filters: Filters) -> Select:
    return select(*COLUMNS).where(*where(filters)).order_by(*order(filters))


def count(filters: Filters) -> int:
    return db.session.execute(
        select(func.count()).select_from(Assessment).where(*where(filters))
    ).scalar_one()


@dataclass(frozen=True)
class Page:
    rows: list[dict]
    number: int
    total: int
    size: int = PAGE_SIZE

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))

    @property
    def first_item(self) -> int:
        return 0 if not self.rows else (self.number - 1) * self.size + 1

    @property
    def last_item(self) -> int:
        return self.first_item + len(self.rows) - 1 if self.rows else 0


def page_of(filters: Filters, size: int = PAGE_SIZE, past_end: bool = False) -> Page:
    """One page of the list. A page number past the last shows the last page, or with
    ``past_end`` (the API: a client paging on must see the end) an empty page."""
    total = count(filters)
    if total == 0:  # spares a second pass over the index when a search finds nothing
        return Page(rows=[], number=filters.page if past_end else 1, total=0, size=size)
    pages = -(-total // size)
    if past_end and filters.page > pages:
        return Page(rows=[], number=filters.page, total=total, size=size)
    number = min(filters.page, pages)
    rows = db.session.execute(matching(filters).limit(size).offset((number - 1) * size))
    return Page(rows=[row_view(r) for r in rows.mappings()], number=number, total=total, size=size)


def row_view(row: Mapping) -> dict:
    return {name: row[name] for name in COLUMN_NAMES}


def page_numbers(current: int, last: int, around: int = 2) -> list[int | None]:
    """Page links to show: first, last, and a few around the current; None marks a gap."""
    shown = sorted({1, last, *range(max(1, current - around), min(last, current + around) + 1)})
    out: list[int | None] = []
    for n in shown:
        if out and n - out[-1] > 1:
            out.append(None)
        out.append(n)
    return out


def choices(bank_ratings: list[str], selected: str = "") -> dict:
    """Values for the filter menus. Ratings come from the bank (a DISTINCT over the
    table would read every row); the chosen one stays listed even if the bank changed."""
    ratings = list(bank_ratings)
    if selected and selected not in ratings:
        ratings.append(selected)
    versions = db.session.scalars(select(BankSnapshot.version).distinct()).all()
    return {"ratings": ratings, "versions": sorted(versions, reverse=True)}


# --- CSV -------------------------------------------------------------------------------


def neutralise(value: object) -> str:
    """A cell a spreadsheet will show as text, never run as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def timestamp(value: datetime | None) -> str:
    """ISO 8601 with seconds and offset: ``2026-11-30T09:15:42+00:00``."""
    return value.isoformat(timespec="seconds") if value else ""


def figure(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}"


def csv_cells(row: Mapping, link: str, owners: Mapping[int, str], links: crm.Links) -> list[str]:
    """One row; a draft's result cells are empty (it has no result), never "0". ``links``:
    the batch's revisions (crm.Links.of)."""
    submitted = row["status"] == SUBMITTED
    revision = crm.result_revision(row, links)
    scores = crm.score_range(row) if submitted else None
    summary = (row["summary"] or {}) if submitted else {}
    coverage, provisional = summary.get("coverage"), summary.get("provisional")  # fit/2 only
    cells = [
        row["id"],
        row["company"],
        row["contact_name"],
        row["email"],
        row["status"],
        timestamp(row["submitted_at"]),
        timestamp(row["updated_at"]),
        figure(row["score"]),
        row["rating"] or "",
        row["deal_breakers"] if submitted else "",
        row["bank_version"],
        link,
        " ".join(summary.get("deal_breakers", [])),
        "" if summary.get("unresolved_must_haves") is None else summary["unresolved_must_haves"],
        figure(coverage),
        "" if provisional is None else ("yes" if provisional else "no"),
        "; ".join(
            f"{s['title']}: {figure(s['score']) or 'not scored'}"
            for s in summary.get("sections", [])
        ),
        "" if row["open_follow_ups"] is None or not submitted else row["open_follow_ups"],
        owners.get(row["owner_id"], "") if row["owner_id"] else "",
        row["stage"],
        revision["number"] if revision else "",
        revision["created_by"] if revision else "",
        row["revision_of_id"] or "",
        " ".join(str(n) for n in links.revised_by_of(row["id"])),
        row["state"] if submitted and row["state"] else "",
        figure(scores["low"]) if scores else "",
        figure(scores["high"]) if scores else "",
    ]
    return [neutralise(c) for c in cells]


def csv_text(rows: list[list[str]], header: bool = False) -> str:
    buffer = io.StringIO()
    # Every cell quoted: in a locale whose separator is ";" an unquoted "a;=1+1" would
    # split into a formula cell, which the neutralising of leading characters cannot see.
    writer = csv.writer(buffer, lineterminator="\r\n", quoting=csv.QUOTE_ALL)
    if header:
        writer.writerow(CSV_HEADER)
    writer.writerows(rows)
    text = buffer.getvalue()
    return "\ufeff" + text if header else text  # the BOM makes Excel read UTF-8


def batches(filters: Filters, size: int = CSV_BATCH) -> Iterator[list[Mapping]]:
    """Every matching row, in list order, a batch at a time from one consistent read.

    The read runs on its own connection so that the caller can commit (the access
    events) between batches without ending the read.
    """
    with db.engine.connect() as connection:
        result = connection.execution_options(stream_results=True, yield_per=size).execute(
            matching(filters)
        )
        for partition in result.mappings().partitions(size):
            yield list(partition)
