"""The sales list's pure parts: reading filters from a query string, page links, CSV cells
from the public dict. No app, no database."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime

import pytest
from werkzeug.datastructures import MultiDict

from questionnaire.store import listing, public
from questionnaire.store.public import Links
from questionnaire.web import export, queries
from questionnaire.web.export import neutralise
from questionnaire.web.queries import ListQuery, page_numbers
from questionnaire.web.queries import list_filters as parse_filters


def test_defaults_are_submitted_newest_first_page_one():
    assert parse_filters({}) == ListQuery(status="submitted", sort="newest", page=1)
    assert not parse_filters({}).active


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ({"status": "deleted"}, ListQuery()),
        ({"sort": "DROP TABLE"}, ListQuery()),
        ({"deal_breakers": "maybe"}, ListQuery()),
        ({"page": "-4"}, ListQuery(page=1)),
        ({"page": "two"}, ListQuery(page=1)),
        ({"page": "99999999999"}, ListQuery(page=1_000_000)),
        ({"owner": "x"}, ListQuery()),
        ({"per_page": "5"}, ListQuery()),  # the page shows PAGE_SIZE rows
    ],
)
def test_unknown_values_fall_back_to_the_default(args, expected):
    assert parse_filters(args) == expected


def test_drafts_cannot_be_sorted_by_score():
    assert parse_filters({"status": "draft", "sort": "score_high"}).sort == "newest"


def test_search_is_trimmed_collapsed_and_bounded():
    assert parse_filters({"q": "  acme \t  ltd "}).q == "acme ltd"
    assert len(parse_filters({"q": "x" * 500}).q) == queries.MAX_QUERY


def test_a_bad_date_is_reported_and_ignored():
    filters = parse_filters({"date_from": "2026-13-40", "date_to": "2026-11-30"})
    assert filters.date_from is None and filters.date_to == date(2026, 11, 30)
    assert filters.errors == (("date_from", "From date must be a real date, like 30 Nov 2026"),)


def test_a_to_date_before_the_from_date_is_reported():
    filters = parse_filters({"date_from": "2026-11-30", "date_to": "2026-11-01"})
    assert filters.date_to is None
    assert [name for name, _ in filters.errors] == ["date_to"]


def test_args_give_the_same_filters_back_without_defaults():
    filters = parse_filters(
        {"q": "acme", "rating": "Strong fit", "date_from": "2026-11-01", "page": "3"}
    )
    args = filters.args()
    assert args == {"q": "acme", "rating": "Strong fit", "date_from": "2026-11-01", "page": "3"}
    assert parse_filters(args) == filters
    assert filters.args(page=1) == {"q": "acme", "rating": "Strong fit", "date_from": "2026-11-01"}


def test_like_pattern_escapes_wildcards_and_lowers_case():
    assert listing.like_pattern("100%_Sure\\") == "%100\\%\\_sure\\\\%"


@pytest.mark.parametrize(
    ("current", "last", "expected"),
    [
        (1, 1, [1]),
        (1, 3, [1, 2, 3]),
        (1, 10, [1, 2, 3, None, 10]),
        (5, 10, [1, None, 3, 4, 5, 6, 7, None, 10]),
        (10, 10, [1, None, 8, 9, 10]),
        (4, 4000, [1, 2, 3, 4, 5, 6, None, 4000]),
    ],
)
def test_page_numbers_show_ends_and_neighbours_with_gaps(current, last, expected):
    assert page_numbers(current, last) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+44 20 7946 0000", "'+44 20 7946 0000"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tcmd", "'\tcmd"),
        ("\rcmd", "'\rcmd"),
        ("Acme = best", "Acme = best"),
        ("", ""),
        (None, ""),
        (3, "3"),
    ],
)
def test_neutralise_makes_formula_cells_text(value, expected):
    assert neutralise(value) == expected


def stored_row(**changes) -> dict:
    """An assessment's row as the listing query gives it: a fit/1-era submitted one with no
    owner, summary or fit/3 state, changed by ``changes``."""
    return {
        "id": 7,
        "version": 1,
        "company": "Acme",
        "contact_name": "Ann",
        "email": "a@x.example",
        "status": "submitted",
        "created_at": None,
        "submitted_at": None,
        "updated_at": None,
        "score": None,
        "rating": None,
        "deal_breakers": 0,
        "bank_version": "1",
        "owner_id": None,
        "stage": "new",
        "result_revision": 0,
        "open_follow_ups": None,
        "summary": None,
        "revision_of_id": None,
        "state": None,
        "score_low": None,
        "score_high": None,
    } | changes


def test_csv_cells_are_neutralised_and_dates_iso_8601_with_seconds_and_offset():
    row = stored_row(
        company="=cmd|' /C calc'!A0",
        contact_name="@Ann",
        email="ann@example.com",
        submitted_at=datetime(2026, 11, 30, 9, 15, 42, tzinfo=UTC),
        updated_at=datetime(2026, 11, 30, 9, 15, 42, tzinfo=UTC),
        score=86.904,
        rating="Strong fit",
        bank_version="2026.11.1",
    )
    cells = csv_cells(row, "http://localhost/sales/assessments/7", {}, NO_LINKS)
    assert cells[:4] == ["7", "'=cmd|' /C calc'!A0", "'@Ann", "ann@example.com"]
    assert cells[5:8] == ["2026-11-30T09:15:42+00:00", "2026-11-30T09:15:42+00:00", "86.9"]


NO_LINKS = Links({}, {})


def csv_cells(row: dict, link: str, owners: dict, links: Links) -> list[str]:
    """A CSV row as the export makes it: from the row's public dict and result facts."""
    return export.csv_cells(
        public.assessment_dict(row, owners, links), public.result_facts(row), link
    )


def crm(cells: list[str]) -> dict[str, str]:
    return dict(zip(export.CSV_HEADER, cells, strict=True))


def test_csv_has_what_a_crm_needs_of_a_fit2_result():
    row = stored_row(
        score=70.0,
        rating="Fit with gaps",
        deal_breakers=2,
        owner_id=3,
        stage="in_discussion",
        result_revision=2,
        open_follow_ups=4,
        revision_of_id=3,
        state="provisional",
        summary={
            "deal_breakers": ["mfa", "backups"],
            "unresolved_must_haves": 1,
            "coverage": 84.2,
            "provisional": True,
            "sections": [{"title": "Security", "score": 80.0}, {"title": "Privacy", "score": None}],
        },
    )
    links = Links(revised_by={7: [9, 12]}, causes={7: "written_answer"})
    cells = crm(csv_cells(row, "link", {3: "Sam Seller"}, links))
    assert cells["Id"] == "7" and cells["Deal-breaker ids"] == "mfa backups"
    assert cells["Unresolved must-haves"] == "1" and cells["Coverage (%)"] == "84.2"
    assert cells["Provisional"] == "yes" and cells["Open follow-ups"] == "4"
    assert cells["Section scores"] == "Security: 80.0; Privacy: not scored"
    assert (cells["Owner"], cells["Stage"], cells["Result revision"]) == (
        "Sam Seller",
        "in_discussion",
        "2",
    )
    assert cells["Result revision made by"] == "written_answer"
    assert (cells["Revision of"], cells["Revised by"]) == ("3", "9 12")
    assert (cells["State"], cells["Score low"], cells["Score high"]) == ("provisional", "", "")


def test_csv_gives_a_fit3_results_state_and_score_range():
    row = stored_row(state="not_rated", score_low=41.25, score_high=93.0)
    cells = crm(csv_cells(row, "link", {}, NO_LINKS))
    assert (cells["State"], cells["Score low"], cells["Score high"]) == (
        "not_rated",
        "41.2",
        "93.0",
    )
    assert cells["Result revision"] == "0" and cells["Result revision made by"] == "submission"


def test_csv_leaves_a_drafts_result_cells_and_what_fit1_lacks_empty_never_zero():
    draft = stored_row(status="draft")
    cells = crm(csv_cells(draft, "link", {}, NO_LINKS))
    for column in (
        "Score",
        "Deal-breakers",
        "Open follow-ups",
        "Coverage (%)",
        "Result revision",
        "Result revision made by",
        "State",
        "Score low",
    ):
        assert cells[column] == "", column
    fit1 = {
        **draft,
        "status": "submitted",
        "score": 50.0,
        "open_follow_ups": 0,
        "summary": {
            "deal_breakers": [],
            "unresolved_must_haves": None,
            "coverage": None,
            "provisional": None,
            "sections": [],
        },
    }
    cells = crm(csv_cells(fit1, "link", {}, NO_LINKS))
    assert cells["Deal-breakers"] == "0" and cells["Open follow-ups"] == "0"
    assert cells["Coverage (%)"] == cells["Provisional"] == cells["Unresolved must-haves"] == ""


def test_csv_text_starts_with_a_bom_and_header_only_once():
    first = export.csv_text([["a", "b"]], header=True)
    more = export.csv_text([["c", "d"]])
    assert first.startswith('\ufeff"Id","Company",') and not more.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO((first + more).removeprefix("\ufeff"))))
    assert rows == [list(export.CSV_HEADER), ["a", "b"], ["c", "d"]]


def test_every_csv_cell_is_quoted_so_a_semicolon_locale_cannot_split_out_a_formula():
    assert export.csv_text([["a;=1+1", "7"]]) == '"a;=1+1","7"\r\n'


def test_a_mailto_link_names_exactly_one_address():
    from questionnaire.web.sales import mailto

    assert mailto("ann@acme.example") == "mailto:ann@acme.example"
    assert mailto("x?cc=eve@evil.example&body=hi@acme.example") == (
        "mailto:x%3Fcc%3Deve@evil.example%26body%3Dhi@acme.example"
    )


# --- one parser, read strictly by the API and leniently by the pages ----------------------

VALID = {
    "status": "submitted",
    "q": "acme",
    "rating": "Strong fit",
    "deal_breakers": "no",
    "date_from": "2026-11-01",
    "date_to": "2026-11-30",
    "bank_version": "2026.11.1",
    "owner": "none",
    "stage": "won",
    "state": "rated",
    "library": "yes",
    "sort": "score_low",
    "page": "3",
}


def test_the_api_and_the_pages_read_a_valid_query_string_the_same():
    assert queries.list_query(MultiDict(VALID)) == parse_filters(MultiDict(VALID))
    assert queries.list_query(MultiDict({"status": "draft", "sort": "score_high"})).sort == (
        "newest"
    )


@pytest.mark.parametrize(
    ("args", "slug", "field"),
    [
        ({"sort": "nope"}, "invalid-request", "sort"),
        ({"owner": "x"}, "invalid-request", "owner"),
        ({"page": "0"}, "invalid-request", "page"),
        ({"date_from": "30 Nov 2026"}, "invalid-request", "date_from"),
        ({"q": "x" * 101}, "invalid-request", "q"),
        ({"colour": "red"}, "unknown-parameter", "colour"),
        ([("page", "1"), ("page", "2")], "repeated-parameter", "page"),
    ],
)
def test_the_api_refuses_what_the_pages_leave_out(args, slug, field):
    with pytest.raises(queries.QueryError) as refused:
        queries.list_query(MultiDict(args))
    assert refused.value.slug == slug and refused.value.errors[0]["field"] == field
    lenient = parse_filters(MultiDict(args))  # the pages: the default, or trimmed to its bound
    assert lenient.errors == () and len(lenient.q) <= queries.MAX_QUERY


def test_only_the_pages_report_a_to_date_before_the_from_date():
    args = MultiDict({"date_from": "2026-12-02", "date_to": "2026-12-01"})
    api = queries.list_query(args)
    assert (api.date_from, api.date_to) == (date(2026, 12, 2), date(2026, 12, 1))  # none match
    assert [name for name, _ in parse_filters(args).errors] == ["date_to"]
