"""Reading query strings: the sales list's filters (its page, its CSV export and the API's
GET /api/v1/assessments), the admin access log's, and every API endpoint's parameters.

The list's parameters are defined once (``ListParams``: names, values, bounds, defaults,
and the OpenAPI document's words), and read two ways:

- ``list_query`` (the API): ``strict`` reading, where an unknown or repeated parameter, or
  any value that is not valid, is a ``QueryError`` naming it (the API answers 400);
- ``list_filters`` (the pages): a value that is not valid is left out, so it falls back
  to its default (the pages' own links and forms never make one), except a date, whose
  error is shown beside its field; text is trimmed to its bound rather than refused.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from datetime import date
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from werkzeug.datastructures import MultiDict

from questionnaire.core.dates import EXAMPLE as DAY_EXAMPLE
from questionnaire.core.dates import parse_day
from questionnaire.core.text import one_line
from questionnaire.store.listing import PAGE_SIZE, SORTS, Filters
from questionnaire.store.models import DRAFT, STAGES, SUBMITTED

M = TypeVar("M", bound=BaseModel)

MAX_QUERY = 100
MAX_PAGE = 1_000_000  # a page number past this is the last page anyway
MAX_PER_PAGE = 100
FIRST_DATE, LAST_DATE = date(2000, 1, 1), date(2999, 12, 31)  # dates the pages accept
TRIMMED = {"q": MAX_QUERY, "rating": 100, "bank_version": 64}  # text: one line, bounded
DATE_LABELS = {"date_from": "From date", "date_to": "To date"}

# The pages' words for the list's values.
STATUS_LABELS = {SUBMITTED: "Submitted", DRAFT: "Drafts"}
SORT_LABELS = dict(
    zip(
        SORTS,
        ("Newest first", "Oldest first", "Highest score first", "Lowest score first"),
        strict=True,
    )
)
DEAL_BREAKER_CHOICES = {"": "Any", "yes": "With deal-breakers", "no": "Without deal-breakers"}
STATE_CHOICES = {
    "": "Any",
    "rated": "Rated",
    "provisional": "Not yet rated (provisional)",
    "not_rated": "Not rated",
}
LIBRARY_CHOICES = {"": "Any", "yes": "Has an open question the library answers"}


class ListParams(BaseModel):
    """The sales list's filters, and the page."""

    model_config = ConfigDict(extra="forbid")

    status: Literal["submitted", "draft"] = "submitted"
    q: str = Field("", max_length=MAX_QUERY, description="Part of a company, name or email")
    rating: str = Field("", max_length=TRIMMED["rating"])
    deal_breakers: Literal["", "yes", "no"] = ""
    date_from: date | None = Field(None, description="Dated on or after this day (UTC)")
    date_to: date | None = Field(None, description="Dated on or before this day (UTC)")
    bank_version: str = Field("", max_length=TRIMMED["bank_version"])
    owner: str = Field("", pattern=r"^(|none|[1-9][0-9]{0,8})$", description="A user id, or none")
    stage: Literal["", *STAGES] = ""  # type: ignore[valid-type]
    state: Literal["", "rated", "provisional", "not_rated"] = Field(
        "", description="The result's state: provisional is 'Not yet rated'"
    )
    library: Literal["", "yes"] = Field(
        "", description="yes: an open question that an answer of the library fits"
    )
    sort: Literal[SORTS] = "newest"  # type: ignore[valid-type]
    page: int = Field(
        1, ge=1, le=MAX_PAGE, description="Past the last page: an empty page, never the last"
    )
    per_page: int = Field(PAGE_SIZE, ge=1, le=MAX_PER_PAGE)


@dataclass(frozen=True)
class ListQuery(Filters):
    """The list's filters as a query string gave them: the page size, the errors a page
    shows beside its fields, and the query string that gives them back."""

    per_page: int = PAGE_SIZE
    errors: tuple[tuple[str, str], ...] = field(default=(), compare=False)

    def args(self, **changes: Any) -> dict[str, str]:
        """Query-string arguments that give these filters back; defaults left out."""
        current = replace(self, **changes) if changes else self
        defaults = asdict(ListQuery())
        out = {}
        for name, value in asdict(current).items():
            if name == "errors" or value == defaults[name] or value is None:
                continue
            out[name] = value.isoformat() if isinstance(value, date) else str(value)
        return out


class QueryError(ValueError):
    """A query string the API refuses: its problem type, detail and one error per field."""

    def __init__(self, slug: str, detail: str, errors: list[dict[str, str]]):
        super().__init__(detail)
        self.slug, self.detail, self.errors = slug, detail, errors


def field_errors(exc: ValidationError) -> list[dict[str, str]]:
    """pydantic's errors as the API's ``errors``: field, code and message."""
    return [
        {
            "field": ".".join(str(p) for p in e["loc"]) or "body",
            "code": e["type"],
            "message": e["msg"],
        }
        for e in exc.errors(include_url=False, include_context=False, include_input=False)
    ]


def strict(model: type[M], args: MultiDict[str, str]) -> M:
    """The query string as ``model``; QueryError naming an unknown or repeated parameter,
    or listing the values that are not valid."""
    known = set(model.model_fields)
    for name in args:
        if name not in known:
            raise QueryError(
                "unknown-parameter",
                f"Unknown query parameter {name!r}; this endpoint takes "
                f"{', '.join(sorted(known)) or 'none'}.",
                [{"field": name, "code": "unknown", "message": "Not a parameter of this endpoint"}],
            )
        if len(args.getlist(name)) > 1:
            raise QueryError(
                "repeated-parameter",
                f"Query parameter {name!r} is given more than once.",
                [{"field": name, "code": "repeated", "message": "Give it once"}],
            )
    try:
        return model.model_validate(args.to_dict())
    except ValidationError as exc:
        raise QueryError(
            "invalid-request", "Some values are not valid: see errors.", field_errors(exc)
        ) from None


def list_query(args: MultiDict[str, str]) -> ListQuery:
    """The API's reading of the list's query string (``strict``). A "to" date before the
    "from" date is no error there: it simply matches nothing."""
    return _query(strict(ListParams, args))


def list_filters(args: Mapping[str, str]) -> ListQuery:
    """The pages' reading of the list's query string (see the module's docstring)."""
    errors: list[tuple[str, str]] = []
    data: dict[str, Any] = {}
    for name in ListParams.model_fields:
        raw = args.get(name)
        if raw is None or name == "per_page":  # the pages show PAGE_SIZE rows
            continue
        if name in TRIMMED:
            data[name] = one_line(raw)[: TRIMMED[name]]
        elif name in DATE_LABELS:
            data[name] = day(args, name, DATE_LABELS[name], errors)
        elif name == "page":
            data[name] = page_number(args)
        else:
            data[name] = raw
    if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
        errors.append(("date_to", "To date must be the same as or after the from date"))
        data["date_to"] = None
    try:
        params = ListParams.model_validate(data)
    except ValidationError as exc:
        # pydantic names every refused field at once: each goes back to its default, and
        # the defaults are valid.
        refused = {str(error["loc"][0]) for error in exc.errors(include_url=False)}
        params = ListParams.model_validate({k: v for k, v in data.items() if k not in refused})
    return _query(params, tuple(errors))


def _query(params: ListParams, errors: tuple[tuple[str, str], ...] = ()) -> ListQuery:
    values = params.model_dump()
    for name in TRIMMED:
        values[name] = one_line(values[name])
    if values["status"] == DRAFT and values["sort"].startswith("score"):
        values["sort"] = "newest"  # drafts have no score yet
    return ListQuery(**values, errors=errors)


def page_number(args: Mapping[str, str]) -> int:
    """The page a page asks for, 1 to MAX_PAGE; anything else is the first page."""
    try:
        return max(1, min(int(args.get("page", 1)), MAX_PAGE))
    except (TypeError, ValueError):
        return 1


def day(args: Mapping[str, str], name: str, label: str, errors: list) -> date | None:
    """A date a page's filter field holds, in any form core.dates reads; None when empty,
    or when it is not a day (the error is added to ``errors``, as (name, message))."""
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


def page_numbers(current: int, last: int, around: int = 2) -> list[int | None]:
    """Page links to show: first, last, and a few around the current; None marks a gap."""
    shown = sorted({1, last, *range(max(1, current - around), min(last, current + around) + 1)})
    out: list[int | None] = []
    for n in shown:
        if out and n - out[-1] > 1:
            out.append(None)
        out.append(n)
    return out
