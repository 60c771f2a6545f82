"""The shipped questions.yaml: it loads cleanly, follows the content rules, and scores as expected.

The sources live in docs/sources/ (copies of the shared seed and content notes) so these
tests run on a fresh clone.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from questionnaire.answers import check_file
from questionnaire.bank import Bank, load_bank
from questionnaire.scoring import ASK_PROVIDER, score

ROOT = Path(__file__).resolve().parents[2]
BANK_PATH = ROOT / "questions.yaml"
SEED_PATH = ROOT / "docs" / "sources" / "office365-trust-center.txt"
NOTES_PATH = ROOT / "docs" / "sources" / "CONTENT-NOTES.md"
EXAMPLE_PATH = ROOT / "examples" / "answers.json"

SECTIONS = {
    "security": "Built-in security",
    "privacy": "Privacy by design",
    "compliance": "Continuous compliance",
    "transparency": "Transparent operations",
}
PAGE_MARKER = "The Office 365 Trust Center"  # the line that starts each page of the seed
SEED_SOURCE_PREFIX = "Office 365 Trust Center — "
# Other public sources that CONTENT-NOTES.md allows, when named in a commitment's source.
OTHER_SOURCES = ("Microsoft Online Services SLA",)


def normalise(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture(scope="module")
def bank() -> Bank:
    return load_bank(BANK_PATH)


@pytest.fixture(scope="module")
def pages() -> dict[str, str]:
    """The seed split into its pages: overview, then one page per pillar, whitespace-normalised."""
    chunks: list[list[str]] = [[]]
    for line in SEED_PATH.read_text(encoding="utf-8").splitlines():
        if line.strip() == PAGE_MARKER:
            chunks.append([])
        else:
            chunks[-1].append(line)
    # chunks[0] is the video list before the first page.
    assert len(chunks) == 6, "the seed should hold an overview and four pillar pages"
    names = ["overview", *SECTIONS.values()]
    return {
        name: normalise("\n".join(chunk)) for name, chunk in zip(names, chunks[1:], strict=True)
    }


def overview_bullets(overview: str, pillar: str) -> str:
    """The overview page's bullets under one pillar ("Learn more<Pillar>" up to the next)."""
    match = re.search(rf"Learn more{re.escape(pillar)}(.*?)(?:Learn more|FAQs & lists)", overview)
    assert match, pillar
    return match.group(1)


def test_shipped_bank_loads_without_errors_or_warnings(bank):
    assert bank.warnings == ()
    assert bank.version == "2026.11.1"
    assert bank.provider.name == "Microsoft Office 365"
    assert [(r.min, r.label) for r in bank.ratings] == [
        (85, "Strong fit"),
        (60, "Fit with gaps"),
        (0, "Significant gaps"),
    ]


def test_four_sections_one_per_pillar_in_order(bank):
    assert [(s.id, s.title) for s in bank.sections] == list(SECTIONS.items())
    assert all(s.intro for s in bank.sections)


def test_at_least_36_questions_and_9_per_section(bank):
    assert len(bank.questions) >= 36
    assert all(len(s.questions) >= 9 for s in bank.sections)


def test_every_question_has_help_and_ncsc_and_ccm_tags(bank):
    for q in bank.questions:
        assert q.help.strip(), q.id
        ncsc = q.frameworks.get("ncsc", ())
        assert ncsc, q.id
        assert all(ref.isdigit() and 1 <= int(ref) <= 14 for ref in ncsc), (q.id, ncsc)
        assert q.frameworks.get("ccm"), q.id


def test_every_scored_question_has_a_follow_up(bank):
    for q in bank.questions:
        if q.scored:
            assert q.follow_up.strip(), q.id


def test_all_five_types_are_used_and_texts_are_bounded(bank):
    assert {q.type for q in bank.questions} == {"yesno", "choice", "multi", "number", "text"}
    texts = [q for q in bank.questions if q.type == "text"]
    assert len(texts) >= 2
    assert all(q.weight == 0 and q.max_length <= 2000 for q in texts)


def test_option_keys_are_strings_and_every_choice_has_no_requirement(bank):
    for q in bank.questions:
        assert all(isinstance(o.key, str) for o in q.options), q.id
        if q.type == "choice":
            assert any(o.label == "No requirement" and o.requires is None for o in q.options), q.id


def test_weights_are_whole_numbers_from_0_to_5(bank):
    for q in bank.questions:
        assert q.weight in {0, 1, 2, 3, 4, 5}, q.id


def test_at_least_four_conditional_questions(bank):
    conditional = [q for q in bank.questions if q.show_if is not None]
    assert len(conditional) >= 4
    # At least one condition looks back at a question in an earlier section.
    assert any(
        bank.question(ref).section_id != q.section_id
        for q in conditional
        for ref in q.show_if.references()
    )


def test_some_scored_questions_have_no_commitment_so_the_buyer_must_ask(bank):
    ask = [q.id for q in bank.questions if q.scored and q.commitment is None]
    assert len(ask) >= 4
    assert "breach_notification_hours" in ask


def test_every_commitment_quotes_its_named_page_verbatim(bank, pages):
    notes = NOTES_PATH.read_text(encoding="utf-8")
    for q in bank.questions:
        c = q.commitment
        if c is None:
            continue
        if not c.source.startswith(SEED_SOURCE_PREFIX):
            # Another public source: it must be one that CONTENT-NOTES.md lists.
            assert c.source.startswith(OTHER_SOURCES), (q.id, c.source)
            assert c.source.split(" (")[0] in notes, (q.id, c.source)
            continue
        pillar = c.source.removeprefix(SEED_SOURCE_PREFIX)
        assert pillar in pages, (q.id, c.source)
        statement = normalise(c.statement)
        in_pillar_page = statement in pages[pillar]
        in_overview = statement in overview_bullets(pages["overview"], pillar)
        assert in_pillar_page or in_overview, (q.id, c.statement)


def test_uptime_question_commits_to_99_9_percent(bank):
    q = bank.question("min_uptime")
    assert (q.type, q.unit, q.min, q.max, q.step, q.better) == (
        "number",
        "%",
        90,
        100,
        0.01,
        "higher",
    )
    assert q.commitment.value == 99.9
    assert q.commitment.source == "Office 365 Trust Center — Transparent operations"
    assert "99.9% up-time" in q.commitment.statement


def test_certifications_commitment_lists_only_what_the_seed_names(bank):
    q = bank.question("certifications")
    assert set(q.commitment.value) == {"iso27001", "eu_model_clauses", "hipaa_baa", "fisma"}
    assert len(q.options) > len(q.commitment.value)  # so a buyer can get partial credit


def test_example_answers_score_matches_hand_computation(bank):
    data = json.loads(EXAMPLE_PATH.read_text(encoding="utf-8"))
    answers = check_file(bank, data)
    result = score(bank, answers.values, answers.must_have)

    # Built-in security, points over weight of each scored question:
    #   encryption_at_rest 5/5, encryption_in_transit 5/5, user_sign_in 4/4,
    #   drive_destruction 3/3, engineer_access 0/4 ("never"; only approved access is
    #   documented), attack_detection 3/3. Not scored: datacenter_monitoring "no",
    #   secure_development unanswered, protection_features [] (none), staff_background_checks
    #   (no commitment: ask), security_notes (text).
    security = 100 * (5 + 5 + 4 + 3 + 0 + 3) / (5 + 5 + 4 + 3 + 4 + 3)
    # Privacy by design: data_ownership 5, data_portability 5, no_advertising 3,
    #   service_use_only 3, admin_privacy_controls 3, tenant_separation 4, admin_auditing 3,
    #   all met. Not scored: sensitive_data (weight 0), deletion_after_exit (ask),
    #   government_requests "none", transparency_reports "no".
    privacy = 100 * (5 + 5 + 3 + 3 + 3 + 4 + 3) / (5 + 5 + 3 + 3 + 3 + 4 + 3)
    # Continuous compliance: certifications weight 4 at 2/4 credit (iso27001 and
    #   eu_model_clauses offered; soc2 and iso27018 not), independent_verification 3,
    #   data_processing_agreement 4 (shown because sensitive_data has "personal"),
    #   regulation_tracking 2. Not scored: audit_reports (ask), hipaa_baa (hidden),
    #   ediscovery "no", no_extra_equipment unanswered, regulations_notes (text).
    compliance = 100 * (0.5 * 4 + 3 + 4 + 2) / (4 + 3 + 4 + 2)
    # Transparent operations: support_phone 3 ("office_hours" needs round_the_clock, which is
    #   offered), incident_reviews 3, min_uptime 0/5 (99.95 asked, 99.9 committed),
    #   published_uptime 2, service_changes 2, subcontractors 3, data_location_needed 3.
    #   Not scored: breach_notification_hours, maintenance_hours, data_regions (all ask),
    #   data_location_notes (text).
    transparency = 100 * (3 + 3 + 0 + 2 + 2 + 3 + 3) / (3 + 3 + 5 + 2 + 2 + 3 + 3)
    # Overall: all points over all weights (not the mean of the section scores).
    overall = 100 * (20 + 26 + (2 + 3 + 4 + 2) + 16) / (24 + 26 + 13 + 21)

    assert result.score == pytest.approx(overall)
    assert result.score == pytest.approx(86.905, abs=0.001)
    assert [(s.id, s.score) for s in result.sections] == [
        ("security", pytest.approx(security)),
        ("privacy", pytest.approx(privacy)),
        ("compliance", pytest.approx(compliance)),
        ("transparency", pytest.approx(transparency)),
    ]
    # 86.9 would be "Strong fit", but the must-have min_uptime is not met: capped.
    assert result.deal_breakers == ("min_uptime",)
    assert result.capped
    assert result.rating == "Significant gaps"
    # A must-have the provider does not document is asked about, not a deal-breaker.
    breach = next(r for r in result.questions if r.id == "breach_notification_hours")
    assert (breach.status, breach.must_have, breach.deal_breaker) == (ASK_PROVIDER, True, False)
    assert [f.id for f in result.follow_ups] == [
        "engineer_access",  # not met
        "staff_background_checks",  # ask
        "deletion_after_exit",  # ask
        "certifications",  # partly met
        "audit_reports",  # ask (shown because certifications has at least one)
        "breach_notification_hours",  # ask
        "min_uptime",  # not met
        "maintenance_hours",  # ask
        "data_regions",  # ask (shown because data_location_needed is "yes")
    ]
    assert result.counts == {
        "met": 21,
        "partly_met": 1,
        "not_met": 2,
        "not_required": 11,
        "ask_provider": 6,
    }
