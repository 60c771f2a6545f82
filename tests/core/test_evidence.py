"""Dated evidence: provider.as_of and url, commitments' own source/url/as_of, schema 3 (or
2) for a bank in use and schema 1 still read from stored snapshots, and when a source is
stale."""

from __future__ import annotations

from datetime import date

import pytest

from questionnaire.core.bank import BankInvalid, parse_bank
from questionnaire.core.evidence import (
    ASSERTION,
    CONTRACT,
    INDEPENDENT,
    POLICY,
    WRITTEN,
    Evidence,
    Provider,
    date_text,
    is_stale,
    meets_bar,
    parse_date,
    read_evidence,
    read_grade,
    read_provider,
    url_problem,
    years_before,
)
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
    assert any(
        p.startswith(f"q.yaml:{line}: as_of of the provider: ") and fragment in p for p in found
    ), found


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


# --- the readers, one at a time ------------------------------------------------------------


class Recorder:
    """A Reporter that keeps what it is told: (line, message) errors and warnings."""

    def __init__(self):
        self.errors: list[tuple[int, str]] = []
        self.warnings: list[tuple[int, str]] = []

    def error(self, line, message):
        self.errors.append((line, message))

    def warn(self, line, message):
        self.warnings.append((line, message))

    def text(self, raw, key, required=False, where=""):
        value = raw.get(key)
        if value is None and required:
            self.error(raw.line, f"missing {key}")
        return value.strip() if isinstance(value, str) else ""


def yaml_map(text: str):
    """The first mapping of a YAML text, with its lines."""
    from questionnaire.core.yamlsrc import load

    data, problems = load(text)
    assert problems == []
    return data


def test_evidence_grades_are_ranked_and_a_written_answer_counts_as_a_contract():
    assert meets_bar(CONTRACT, CONTRACT) and meets_bar(INDEPENDENT, CONTRACT)
    assert meets_bar(WRITTEN, CONTRACT) and not meets_bar(WRITTEN, INDEPENDENT)
    assert not meets_bar(POLICY, CONTRACT) and not meets_bar(ASSERTION, POLICY)
    assert meets_bar(POLICY, ASSERTION) and meets_bar(ASSERTION, ASSERTION)


@pytest.mark.parametrize(
    ("day", "years", "before"),
    [
        (date(2025, 6, 30), 3, date(2022, 6, 30)),
        (date(2024, 2, 29), 3, date(2021, 2, 28)),  # no 29 February in 2021
        (date(2024, 2, 29), 4, date(2020, 2, 29)),
        (date(2024, 3, 1), 1, date(2023, 3, 1)),
    ],
)
def test_years_before_a_day_fall_back_to_the_28th_of_february(day, years, before):
    assert years_before(day, years) == before


def test_a_source_exactly_three_years_old_is_not_yet_stale():
    today = date(2025, 6, 30)
    assert not is_stale(date(2022, 6, 30), today)
    assert is_stale(date(2022, 6, 29), today)
    assert not is_stale(None, today)


@pytest.mark.parametrize(
    ("url", "fits"),
    [
        ("https://trust.example.com/", True),
        ("http://trust.example.com/page", True),
        ("  https://trust.example.com/  ", True),
        ("ftp://trust.example.com/", False),
        ("https://", False),
        ("trust.example.com", False),
        ("https://trust.example.com/a b", False),
        ("https://example.com/" + "a" * 2000, False),
        ("https://example.com/" + "a" * 1980, True),
        ("", False),
        ("   ", False),
        (5, False),
    ],
)
def test_a_url_is_one_web_address(url, fits):
    assert (url_problem(url) is None) is fits


def test_a_provider_is_read_with_its_source_address_date_and_scope():
    raw = yaml_map(
        "provider:\n  name: Cloud\n  source: Trust page\n  url: ' https://t.example/ '\n"
        "  as_of: 2025-09-01\n  scope: |\n    Business plans,\n    bought direct.\n"
    )
    report = Recorder()
    provider = read_provider(raw, 3, report)
    assert provider == Provider(
        name="Cloud",
        source="Trust page",
        url="https://t.example/",
        as_of=date(2025, 9, 1),
        scope="Business plans, bought direct.",
    )
    assert report.errors == [] and report.warnings == []


def test_a_provider_without_a_date_is_an_error_at_its_line_in_a_bank_in_use():
    raw = yaml_map("title: x\nprovider:\n  name: Cloud\n  source: Trust page\n")
    report = Recorder()
    assert read_provider(raw, 2, report).as_of is None
    assert [line for line, _ in report.errors] == [2]
    report = Recorder()
    read_provider(raw, 1, report)  # a schema 1 snapshot had no dates
    assert report.errors == []


def test_a_missing_provider_is_an_error_in_a_bank_in_use_and_a_warning_in_a_snapshot():
    report = Recorder()
    assert read_provider(yaml_map("title: x\n"), 2, report) == Provider(name="the provider")
    assert [line for line, _ in report.errors] == [1] and report.warnings == []
    report = Recorder()
    assert read_provider(yaml_map("title: x\n"), 1, report) == Provider(name="the provider")
    assert report.errors == [] and [line for line, _ in report.warnings] == [1]


def test_a_provider_that_is_not_a_mapping_is_an_error_at_its_line():
    report = Recorder()
    assert read_provider(yaml_map("title: x\nprovider: Cloud\n"), 3, report).name == "the provider"
    assert [line for line, _ in report.errors] == [2]


def test_a_bad_provider_url_date_or_scope_is_an_error_at_its_line_and_left_out():
    raw = yaml_map(
        "provider:\n  name: Cloud\n  source: Trust page\n  url: nowhere\n  as_of: 2025-13-01\n"
        f"  scope: {'x' * 1001}\n"
    )
    report = Recorder()
    provider = read_provider(raw, 3, report)
    assert (provider.url, provider.as_of, provider.scope) == ("", None, "")
    assert [line for line, _ in report.errors] == [4, 5, 6]


def test_a_scope_of_1000_characters_is_kept():
    raw = yaml_map(
        f"provider:\n  name: Cloud\n  source: S\n  as_of: 2025-09-01\n  scope: {'x' * 1000}\n"
    )
    assert read_provider(raw, 3, Recorder()).scope == "x" * 1000


@pytest.mark.parametrize(
    ("text", "schema", "grade", "errors", "warnings"),
    [
        ("evidence: contract", 3, CONTRACT, [], []),
        ("evidence: independent", 2, INDEPENDENT, [], []),
        ("statement: x", 3, ASSERTION, [1], []),
        ("statement: x", 2, ASSERTION, [], [1]),
        ("statement: x\nevidence: written", 3, ASSERTION, [2], []),
        ("statement: x\nevidence: signed", 3, ASSERTION, [2], []),
    ],
)
def test_a_commitment_grade_is_one_of_the_banks_grades(text, schema, grade, errors, warnings):
    report = Recorder()
    assert read_grade(yaml_map(text), schema, report, "the commitment") == grade
    assert [line for line, _ in report.errors] == errors
    assert [line for line, _ in report.warnings] == warnings


def test_a_written_grade_in_a_bank_is_told_why_it_cannot_be():
    report = Recorder()
    read_grade(yaml_map("evidence: written"), 3, report, "c")
    assert "never in the bank" in report.errors[0][1]
    report = Recorder()
    read_grade(yaml_map("evidence: signed"), 3, report, "c")
    assert "never in the bank" not in report.errors[0][1]


PROVIDER_OF_RECORD = Provider(
    name="Cloud", source="Trust page", url="https://t.example/", as_of=date(2025, 9, 1)
)


def test_a_commitment_quoting_the_provider_takes_its_address_and_date():
    report = Recorder()
    found = read_evidence(yaml_map("statement: x\n"), PROVIDER_OF_RECORD, 3, report, "c")
    assert found == Evidence("Trust page", "https://t.example/", date(2025, 9, 1))
    page = yaml_map("statement: x\nsource: Trust page - Privacy\n")
    found = read_evidence(page, PROVIDER_OF_RECORD, 3, report, "c")
    assert found == Evidence("Trust page - Privacy", "https://t.example/", date(2025, 9, 1))
    own = yaml_map("source: Trust page\nurl: https://t.example/p\nas_of: 2025-10-01\n")
    found = read_evidence(own, PROVIDER_OF_RECORD, 3, report, "c")
    assert found == Evidence("Trust page", "https://t.example/p", date(2025, 10, 1))
    assert report.errors == []


def test_a_commitment_quoting_another_source_takes_nothing_from_the_provider():
    report = Recorder()
    raw = yaml_map("statement: x\nsource: An audit report\nas_of: 2024-01-01\n")
    found = read_evidence(raw, PROVIDER_OF_RECORD, 3, report, "c")
    assert found == Evidence("An audit report", "", date(2024, 1, 1))
    assert report.errors == []


def test_another_source_needs_its_own_date_in_a_bank_in_use():
    raw = yaml_map("statement: x\nsource: An audit report\n")
    report = Recorder()
    assert read_evidence(raw, PROVIDER_OF_RECORD, 2, report, "c").as_of is None
    assert [line for line, _ in report.errors] == [2]
    report = Recorder()
    read_evidence(raw, PROVIDER_OF_RECORD, 1, report, "c")
    assert report.errors == []


def test_a_commitment_needs_a_source_when_the_provider_names_none():
    report = Recorder()
    found = read_evidence(yaml_map("statement: x\n"), Provider(name="Cloud"), 3, report, "c")
    assert found == Evidence("", "", None)
    assert [line for line, _ in report.errors] == [1]
    report = Recorder()
    found = read_evidence(
        yaml_map("statement: x\nsource: Own\nas_of: 2024-01-01\n"),
        Provider(name="Cloud"),
        3,
        report,
        "c",
    )
    assert found == Evidence("Own", "", date(2024, 1, 1)) and report.errors == []


def test_a_bad_commitment_url_or_date_is_an_error_at_its_line():
    raw = yaml_map("statement: x\nurl: 'not a url'\nas_of: soon\n")
    report = Recorder()
    found = read_evidence(raw, PROVIDER_OF_RECORD, 3, report, "c")
    assert found == Evidence("Trust page", "https://t.example/", date(2025, 9, 1))
    assert [line for line, _ in report.errors] == [2, 3]


def test_a_date_with_a_time_is_refused():
    from datetime import datetime

    with pytest.raises(ValueError, match="without a time"):
        parse_date(datetime(2025, 1, 1, 12, 0))  # noqa: DTZ001  YAML reads a time as naive
    with pytest.raises(ValueError, match="expected a date like 2014-04-01"):
        parse_date(20250101)
    assert parse_date(" 2025-01-31 ") == date(2025, 1, 31)


@pytest.mark.parametrize("schema", ["3", "2"])
def test_a_provider_needs_a_name_and_in_a_dated_bank_a_source(schema):
    def problems(provider: str) -> list[str]:
        return problems_of(with_provider(provider).replace("schema: 3", f"schema: {schema}"))

    line = line_of(SMALL_BANK, "provider:")
    assert problems("provider: {source: Trust page, as_of: 2025-09-01}") == [
        f"q.yaml:{line}: provider is missing 'name'"
    ]
    assert problems("provider: {name: X, as_of: 2025-09-01}") == [
        f"q.yaml:{line}: provider is missing 'source'"
    ]
    assert problems("provider: {name: X, source: '  ', as_of: 2025-09-01}") == [
        f"q.yaml:{line}: 'source' must be non-empty text"
    ]


def test_a_commitments_bad_date_names_the_question_it_belongs_to():
    stated = (
        '{value: true, statement: "Encryption at rest", source: "Trust page", evidence: contract'
    )
    text = SMALL_BANK.replace(f"{stated}}}", f"{stated}, as_of: soon}}")
    assert problems_of(text) == [
        f"q.yaml:{line_of(text, 'as_of: soon')}: as_of of the commitment of 'encrypt': "
        "expected a date like 2014-04-01, got 'soon'"
    ]


def test_a_commitment_quoting_another_source_keeps_its_own_address():
    raw = yaml_map("source: An audit report\nurl: https://audit.example/r\nas_of: 2024-01-01\n")
    report = Recorder()
    found = read_evidence(raw, PROVIDER_OF_RECORD, 3, report, "c")
    assert found == Evidence("An audit report", "https://audit.example/r", date(2024, 1, 1))
    assert report.errors == []
