"""Finding assessments for the sales team and the CRM API: one page of rows for given
filters, and every row of the same filters for the CSV export. (Reading the filters from a
query string is web.queries'; the CSV's cells are web.export's.)

Every query selects the handful of list columns (store.public.COLUMNS: never the answers
or result JSON) and is shaped to use an index on ``assessments``: ``(status,
submitted_at)`` or ``(status, updated_at)`` for date order, ``(status, score)`` for score
order.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import Select, func, select

from questionnaire.store import open_questions
from questionnaire.store.db import db
from questionnaire.store.models import SUBMITTED, Assessment, BankSnapshot
from questionnaire.store.public import COLUMN_NAMES, COLUMNS

PAGE_SIZE = 25
SORTS = ("newest", "oldest", "score_high", "score_low")
CSV_BATCH = 2000  # rows per read and per access-log commit


@dataclass(frozen=True)
class Filters:
    """What to list: the values a query string asked for, already checked (web.queries)."""

    status: str = SUBMITTED
    q: str = ""
    rating: str = ""
    deal_breakers: str = ""  # "yes", "no" or "" (either)
    date_from: date | None = None
    date_to: date | None = None
    bank_version: str = ""
    owner: str = ""  # a user id, or "none" for no owner
    stage: str = ""
    state: str = ""  # the result's state (rated, provisional, not_rated)
    library: str = ""  # "yes": an open question a library answer fits
    sort: str = "newest"
    page: int = 1

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


def choices(bank_ratings: list[str], selected: str = "") -> dict:
    """Values for the filter menus. Ratings come from the bank (a DISTINCT over the
    table would read every row); the chosen one stays listed even if the bank changed."""
    ratings = list(bank_ratings)
    if selected and selected not in ratings:
        ratings.append(selected)
    versions = db.session.scalars(select(BankSnapshot.version).distinct()).all()
    return {"ratings": ratings, "versions": sorted(versions, reverse=True)}


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
