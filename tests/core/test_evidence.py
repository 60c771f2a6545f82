"""Dated evidence: provider.as_of and url, commitments' own source/url/as_of, schema 3 (or
2) for a bank in use and schema 1 still read from stored snapshots, and when a source is
stale."""

from __future__ import annotations

from datetime import date

import pytest

from questionnaire.core.bank import BankInvalid, parse_bank
from questionnaire.core.evidence import date_text, is_stale, parse_date
from tests.support import SMALL_BANK, line_of

PROVIDER = (
    'provider: {name: Example Cloud, source: Trust page, url: "https://trust.example.com/", '
    "as_of: 2025-09-01}"
)


def problems_of(text: str, snapshot: bool = False) -> list[str]:
    with pytest.raises(BankInvalid) as caught:
        parse_bank(text, "q.yaml", snapshot=snapshot)
    return [str(p) for p in caught.value.problems]


def with_provider(provider: str, text: str = SMALL_BANK) -> str:
    assert PROVIDER in text
    return text.replace(PROVIDER, provider)


def test_provider_and_commitments_carry_source_address_and_date(small_bank):
    provider = small_bank.provider
    assert (provider.source, provider.url, provider.as_of) == (
        "Trust page",
        "https://trust.example.com/",
        date(2025, 9, 1),
    )
    commitment = small_bank.question("encrypt").commitment
    assert (commitment.source, commitment.url, commitment.as_of) == (
        "Trust page",
        "https://trust.example.com/",
        date(2025, 9, 1),
    )


@pytest.mark.parametrize("written", ["2014-04-01", '"2014-04-01"', "'2014-04-01'"])
def test_as_of_is_a_yaml_date_or_a_quoted_iso_date(written):
    bank = parse_bank(with_provider(f"provider: {{name: X, source: Trust page, as_of: {written}}}"))
    assert bank.provider.as_of == date(2014, 4, 1)


@pytest.mark.parametrize(
    ("written", "fragment"),
    [
        ("2014-13-01", "'2014-13-01' is not a date on the calendar"),  # YAML's own date
        ('"2014-02-30"', "not a date on the calendar"),
        ('"April 2014"', "expected a date like 2014-04-01"),
        ("2014", "expected a date like 2014-04-01"),
        ("2014-04-01 10:00:00", "without a time"),
        ('"20140401"', "expected a date like 2014-04-01"),
    ],
)
def test_a_bad_date_is_an_error_on_its_line(written, fragment):
    text = with_provider(f"provider: {{name: X, source: Trust page, as_of: {written}}}")
    found = problems_of(text)
    line = line_of(text, "provider:")
    assert any(p.startswith(f"q.yaml:{line}: ") and fragment in p for p in found), found


def test_a_bank_in_use_requires_the_providers_as_of():
    text = with_provider("provider:\n  name: X\n  source: Trust page\n")
    found = problems_of(text)
    assert any("q.yaml:4: provider is missing 'as_of'" in p for p in found), found
    found = problems_of(text.replace("provider:\n  name: X\n  source: Trust page\n", ""))
    assert any("missing 'provider'" in p for p in found), found


def test_schema_1_is_refused_for_a_bank_in_use_with_what_to_do():
    text = SMALL_BANK.replace("schema: 3", "schema: 1")
    found = problems_of(text)
    assert found == [
        "q.yaml:1: schema 1 is read only from assessments stored before schema 2: set "
        "'schema: 3', give provider.as_of, the date the provider's source was captured, and "
        "grade each commitment's evidence (docs/questions.md)"
    ]
    # A bank without `schema` is schema 1, as it was before the field mattered.
    assert any("schema 1 is read only" in p for p in problems_of(text.replace("schema: 1\n", "")))


def test_a_schema_1_snapshot_without_dates_still_loads():
    text = with_provider(
        "provider: {name: Example Cloud, source: Example Trust page}",
        SMALL_BANK.replace("schema: 3", "schema: 1"),
    )
    bank = parse_bank(text, "snapshot", snapshot=True)
    assert bank.schema == 1 and bank.provider.as_of is None
    commitment = bank.question("encrypt").commitment
    assert (commitment.source, commitment.as_of) == ("Trust page", None)
    assert date_text(commitment.as_of) == "capture date not recorded"


@pytest.mark.parametrize("schema", ["4", "0", "true", '"3"'])
def test_an_unknown_schema_is_an_error(schema):
    found = problems_of(SMALL_BANK.replace("schema: 3", f"schema: {schema}"), snapshot=True)
    assert any(p.startswith("q.yaml:1: unsupported schema") for p in found), found


def test_a_commitment_overrides_source_url_and_date():
    text = SMALL_BANK.replace(
        'statement: "Encryption at rest", source: "Trust page"',
        'statement: "Encryption at rest", source: "Trust page — Security",'
        ' url: "https://trust.example.com/security", as_of: "2025-10-02"',
    ).replace(
        'statement: "No S/MIME", source: "Trust page"',
        'statement: "No S/MIME", source: "Mail guide", as_of: 2023-01-05',
    )
    bank = parse_bank(text)
    encrypt, smime = bank.question("encrypt").commitment, bank.question("smime").commitment
    assert (encrypt.source, encrypt.url, encrypt.as_of) == (
        "Trust page — Security",
        "https://trust.example.com/security",
        date(2025, 10, 2),
    )
    # Another source takes nothing from the provider: not its address.
    assert (smime.source, smime.url, smime.as_of) == ("Mail guide", "", date(2023, 1, 5))


def test_a_commitment_with_no_source_is_quoted_from_the_providers():
    text = SMALL_BANK.replace(
        'statement: "Encryption at rest", source: "Trust page"', 'statement: "Encryption at rest"'
    )
    commitment = parse_bank(text).question("encrypt").commitment
    assert (commitment.source, commitment.as_of) == ("Trust page", date(2025, 9, 1))


def test_another_source_without_its_own_date_is_an_error():
    text = SMALL_BANK.replace(
        'statement: "No S/MIME", source: "Trust page"',
        'statement: "No S/MIME", source: "Mail guide"',
    )
    line = line_of(text, "Mail guide")
    assert any(
        p.startswith(f"q.yaml:{line}: the commitment of 'smime' names a source other than")
        for p in problems_of(text)
    )


@pytest.mark.parametrize("url", ['"ftp://x.example/"', '"trust.example.com"', "[a]", '"https://"'])
def test_a_url_must_be_a_web_address(url):
    text = with_provider(
        f"provider: {{name: X, source: Trust page, as_of: 2025-01-01, url: {url}}}"
    )
    assert any("must be a web address" in p for p in problems_of(text))


@pytest.mark.parametrize("value", ["120", "-1", '"80"', "true"])
def test_min_coverage_must_be_a_percentage(value):
    text = SMALL_BANK.replace("title: Small bank", f"title: Small bank\nmin_coverage: {value}")
    found = problems_of(text)
    assert any(p.startswith("q.yaml:4: min_coverage must be a number from 0 to 100") for p in found)


@pytest.mark.parametrize(
    ("as_of", "today", "stale"),
    [
        (date(2014, 4, 1), date(2026, 11, 30), True),
        (date(2023, 11, 30), date(2026, 11, 30), False),  # exactly three years: not yet
        (date(2023, 11, 29), date(2026, 11, 30), True),
        (date(2024, 2, 29), date(2027, 2, 28), False),  # no 29 February in 2027
        (date(2024, 2, 28), date(2027, 3, 1), True),
        (None, date(2026, 11, 30), False),  # unknown: printed as not recorded instead
    ],
)
def test_a_source_is_stale_when_captured_more_than_three_years_before_the_day(as_of, today, stale):
    assert is_stale(as_of, today) is stale


def test_dates_print_in_words():
    assert date_text(date(2014, 4, 1)) == "1 April 2014"
    assert parse_date(date(2014, 4, 1)) == date(2014, 4, 1)
