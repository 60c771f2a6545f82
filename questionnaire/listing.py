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

from questionnaire.extensions import db
from questionnaire.models import DRAFT, SUBMITTED, Assessment, BankSnapshot
from questionnaire.text import one_line

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
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CSV_BATCH = 2000  # rows per read and per access-log commit
CSV_HEADER = (
    "Company",
    "Contact name",
    "Email",
    "Status",
    "Submitted (UTC)",
    "Last change (UTC)",
    "Score",
    "Rating",
    "Deal-breakers",
    "Bank version",
    "Link",
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
)


@dataclass(frozen=True)
class Filters:
    status: str = SUBMITTED
    q: str = ""
    rating: str = ""
    deal_breakers: str = ""
    date_from: date | None = None
    date_to: date | None = None
    bank_version: str = ""
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


def _date(args: Mapping[str, str], name: str, label: str, errors: list) -> date | None:
    text = (args.get(name) or "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        errors.append((name, f"{label} must be a real date, like 2026-11-30"))
        return None


def parse_filters(args: Mapping[str, str]) -> Filters:
    """Filters from a query string; unknown values fall back to the default, bad dates are
    reported in ``errors`` and ignored."""
    errors: list[tuple[str, str]] = []
    status = args.get("status", SUBMITTED)
    sort = args.get("sort", "newest")
    deal_breakers = args.get("deal_breakers", "")
    date_from = _date(args, "date_from", "From date", errors)
    date_to = _date(args, "date_to", "To date", errors)
    if date_from and date_to and date_from > date_to:
        errors.append(("date_to", "To date must be the same as or after the from date"))
        date_to = None
    try:
        page = max(1, min(int(args.get("page", 1)), MAX_PAGE))
    except (TypeError, ValueError):
        page = 1
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
        sort=sort,
        page=page,
        errors=tuple(errors),
    )


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
    if filters.date_to:
        conditions.append(when < start_of(filters.date_to + timedelta(days=1)))
    if filters.bank_version:
        conditions.append(Assessment.bank_version == filters.bank_version)
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
    return db.session.scalar(select(func.count()).select_from(Assessment).where(*where(filters)))


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


def page_of(filters: Filters, size: int = PAGE_SIZE) -> Page:
    total = count(filters)
    if total == 0:  # spares a second pass over the index when a search finds nothing
        return Page(rows=[], number=1, total=0, size=size)
    pages = -(-total // size)
    number = min(filters.page, pages)
    rows = db.session.execute(matching(filters).limit(size).offset((number - 1) * size))
    return Page(rows=[row_view(r) for r in rows.mappings()], number=number, total=total, size=size)


def row_view(row: Mapping) -> dict:
    return {
        "id": row["id"],
        "company": row["company"],
        "contact_name": row["contact_name"],
        "email": row["email"],
        "status": row["status"],
        "submitted_at": row["submitted_at"],
        "updated_at": row["updated_at"],
        "score": row["score"],
        "rating": row["rating"],
        "deal_breakers": row["deal_breakers"],
        "bank_version": row["bank_version"],
    }


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


def minutes(value: datetime | None) -> str:
    """``2026-11-30 09:15`` (UTC); str() is several times cheaper than strftime per row."""
    return str(value)[:16] if value else ""


def csv_cells(row: Mapping, link: str) -> list[str]:
    score = row["score"]
    cells = [
        row["company"],
        row["contact_name"],
        row["email"],
        row["status"],
        minutes(row["submitted_at"]),
        minutes(row["updated_at"]),
        "" if score is None else f"{score:.1f}",
        row["rating"] or "",
        row["deal_breakers"],
        row["bank_version"],
        link,
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
