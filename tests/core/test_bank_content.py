"""The content rules of the shipped questions.yaml: run these after any edit to the bank.

They check what `questions validate` cannot: that every quote is the source's own words,
that no prompt, option or help claims more than its quote, that evidence is graded as the
quote deserves, that the topics buyers ask about are there, and that framework tags and
wording follow the rules in docs/questions.md. They never pin a version, a count of a
particular kind or a score, so a correct edit passes; each failure says in words what to
change and where (``questions.yaml:LINE``). The results of the example answers files are
pinned separately, in test_examples.py.

The sources live in docs/sources/ (copies of the shared seed and content notes) so these
tests run on a fresh clone.
"""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import date
from pathlib import Path

import pytest

from questionnaire.core.bank import Bank, Question, load_bank
from questionnaire.core.evidence import ASSERTION, CONTRACT, POLICY
from questionnaire.core.frameworks import CCM_DOMAINS as CCM_NAMES
from questionnaire.core.frameworks import NCSC_PRINCIPLES

ROOT = Path(__file__).resolve().parents[2]
BANK_PATH = ROOT / "questions.yaml"
SEED_PATH = ROOT / "docs" / "sources" / "office365-trust-center.txt"
NOTES_PATH = ROOT / "docs" / "sources" / "CONTENT-NOTES.md"

PILLARS = {
    "security": "Built-in security",
    "privacy": "Privacy by design",
    "compliance": "Continuous compliance",
    "transparency": "Transparent operations",
}
SECTIONS = {**PILLARS, "continuity": "Continuity and change", "contract": "Contract and exit"}
PAGE_MARKER = "The Office 365 Trust Center"  # the line that starts each page of the seed
LINKS_MARKER = "FAQs & lists"  # after it, a page only describes the pages it links to
SEED_SOURCE_PREFIX = "Office 365 Trust Center — "
# Other public sources that CONTENT-NOTES.md allows, when named in a commitment's source.
OTHER_SOURCES = ("Microsoft Online Services SLA",)
MIN_QUESTIONS = 85
CCM_DOMAINS = set(CCM_NAMES)  # the names the pages print: one list for both
# Contract terms that no NCSC Cloud Security Principle covers: tagged `ncsc: []` on purpose.
NO_NCSC_PRINCIPLE = {
    "liability_cap",
    "insurance",
    "indemnity",
    "governing_law",
    "data_portability",
    "export_terms",
    "exit_plan",
    "exit_transition_days",
    "uptime_service_credit",
    "supervisor_cooperation",
    "termination_for_breach",
    "termination_material_change",
    "termination_supervision",
    "termination_notice_days",
}
# Context questions: they only decide which other questions are shown.
GATES = ("sensitive_data", "critical_function", "data_location_needed")
# The questions the scoping gate opens: the contract terms DORA asks for a service that
# supports a critical or important function, from termination rights to testing.
CRITICAL_FUNCTION_TERMS = (
    "termination_for_breach",
    "termination_material_change",
    "termination_supervision",
    "termination_notice_days",
    "incident_notification_hours",
    "incident_assistance",
    "exit_transition_days",
    "provider_failure_data",
    "processing_locations",
    "location_change_notice_days",
    "subcontractor_flow_down",
    "supervisor_cooperation",
    "tlpt_participation",
    "continuity_testing",
)
# The only sentence of the source that two questions may quote, each a different part of
# it: the subcontractor sentence (flow-down, and the list of subcontractors).
SPLIT_SENTENCES = {
    "We hold our subcontractors to security and privacy standards equivalent to our own and "
    "in the interest of transparency, we let you know which subcontractors we use and what "
    "they do.": {"subcontractor_flow_down", "subcontractors"},
}
# Trust Center sentences graded above `assertion`, and why (a comment in the bank says so).
GRADED_ABOVE_ASSERTION = {
    # The page's own paragraph calls these "our policy".
    "no_advertising": POLICY,
    "service_use_only": POLICY,
    # The SLA's term; its credits below 99.9% are quoted from the SLA in CONTENT-NOTES.md.
    "min_uptime": CONTRACT,
}
# Pairs of questions about one control: together they weigh no more than one question.
ONE_CONTROL = (
    ("engineer_access_supervised", "admin_oversight"),
    ("independent_verification", "security_certifications"),
)
# Commitments that hold only for some plans (the page covers only some offerings).
PLAN_DEPENDENT = {"protection_features", "legal_tools", "support_phone"}


def normalise(text: str) -> str:
    return " ".join(text.split())


def words(*texts: str) -> str:
    return normalise(" ".join(texts)).lower()


def at(q: Question) -> str:
    """Where an editor finds a question: ``questions.yaml:LINE (id)``."""
    return f"questions.yaml:{q.line} ({q.id})"


def no_problems(problems: list[str]) -> None:
    assert not problems, "\n".join(["", *problems])


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
    names = ["overview", *PILLARS.values()]
    return {
        name: normalise("\n".join(chunk)) for name, chunk in zip(names, chunks[1:], strict=True)
    }


@pytest.fixture(scope="module")
def sentences() -> list[str]:
    """Every sentence of the seed, whitespace-normalised (a line may hold several)."""
    found = []
    for raw in SEED_PATH.read_text(encoding="utf-8").splitlines():
        line = normalise(raw.lstrip(" •"))
        found.extend(s for s in re.split(r"(?<=[.?!])\s+(?=[A-Z])", line) if s)
    return found


def overview_bullets(overview: str, pillar: str) -> str:
    """The overview page's bullets under one pillar ("Learn more<Pillar>" up to the next)."""
    match = re.search(rf"Learn more{re.escape(pillar)}(.*?)(?:Learn more|FAQs & lists)", overview)
    assert match, pillar
    return match.group(1)


def seed_place(pages: dict[str, str], source: str, statement: str) -> str | None:
    """Where on its named page a statement stands: "body", "links", "overview" or None."""
    pillar = source.removeprefix(SEED_SOURCE_PREFIX)
    if pillar not in pages:
        return None
    body, _, links = pages[pillar].partition(LINKS_MARKER)
    statement = normalise(statement)
    if statement in body:
        return "body"
    if statement in links:
        return "links"
    if statement in overview_bullets(pages["overview"], pillar):
        return "overview"
    return None


def committed(bank: Bank) -> list[Question]:
    return [q for q in bank.questions if q.commitment is not None]


# --- the file as a whole -----------------------------------------------------------------


def test_the_bank_loads_as_schema_3_without_errors_or_warnings(bank):
    no_problems([str(w) for w in bank.warnings])
    assert bank.schema == 3, "set 'schema: 3': every commitment is graded by its evidence"
    assert bank.provider.name == "Microsoft Office 365"
    assert [r.min for r in bank.ratings] == sorted((r.min for r in bank.ratings), reverse=True)


def test_the_source_scope_says_which_offerings_and_purchase_routes_it_covers(bank):
    """Source l.63: the page applies only to some offerings, which it links a list of, and
    "Plans must be purchased directly from or provided by Microsoft"."""
    scope = bank.provider.scope
    assert scope, "provider.scope is empty: say which offerings the source covers"
    for needed in ("only to some", "purchased directly from or provided by Microsoft", "list"):
        assert needed in scope, f"provider.scope should say {needed!r}"


def test_no_text_says_the_public_page_is_a_written_commitment(bank):
    texts = [bank.intro, bank.provider.scope]
    texts += [t for q in bank.questions for t in (q.prompt, q.help, q.follow_up)]
    for text in texts:
        assert "committed to in writing" not in text, text


def test_sections_follow_the_four_pillars_then_continuity_and_contract(bank):
    assert [(s.id, s.title) for s in bank.sections] == list(SECTIONS.items())
    assert all(s.intro for s in bank.sections)


def test_enough_questions_and_no_section_much_longer_than_another(bank):
    assert len(bank.questions) >= MIN_QUESTIONS, (
        f"the bank has {len(bank.questions)} questions; it should keep at least {MIN_QUESTIONS}"
    )
    sizes = {s.id: len(s.questions) for s in bank.sections}
    assert min(sizes.values()) >= 8, sizes
    assert max(sizes.values()) <= 1.5 * min(sizes.values()), (
        f"no section should be more than half as long again as the shortest: {sizes}"
    )


# --- each question -----------------------------------------------------------------------


def test_every_question_has_help(bank):
    no_problems([f"{at(q)}: add a 'help' text" for q in bank.questions if not q.help.strip()])


def test_every_question_is_tagged_with_ncsc_principles_and_ccm_domains(bank):
    problems = []
    for q in bank.questions:
        ncsc, ccm = q.frameworks.get("ncsc"), q.frameworks.get("ccm")
        if ncsc is None or ccm is None:
            problems.append(f"{at(q)}: give both 'ncsc' and 'ccm' under frameworks")
            continue
        bad = [r for r in ncsc if r not in NCSC_PRINCIPLES]
        if bad:
            problems.append(f"{at(q)}: NCSC principles are numbers 1-14 in quotes, not {bad}")
        if set(ccm) - CCM_DOMAINS:
            problems.append(f"{at(q)}: {sorted(set(ccm) - CCM_DOMAINS)} are not CCM v4 domains")
        if q.scored and not ccm:
            problems.append(f"{at(q)}: a scored question needs at least one CCM domain")
        if q.scored and not ncsc and q.id not in NO_NCSC_PRINCIPLE:
            problems.append(
                f"{at(q)}: 'ncsc: []' is only for contract terms no principle covers; "
                "tag a principle, or add the id to NO_NCSC_PRINCIPLE with a reason"
            )
        if q.scored and ncsc and q.id in NO_NCSC_PRINCIPLE:
            problems.append(f"{at(q)}: now tagged with a principle: drop it from NO_NCSC_PRINCIPLE")
    no_problems(problems)


def test_framework_tags_a_review_found_wrong_stay_fixed(bank):
    def tags(qid, framework):
        return bank.question(qid).frameworks.get(framework, ())

    # NCSC 13 is audit information and alerting for the customer: records and alerts it
    # receives, not uptime guarantees or eDiscovery.
    for qid in ("min_uptime", "published_uptime", "legal_tools"):
        assert "13" not in tags(qid, "ncsc"), qid
    assert {q.id for q in bank.questions if "13" in q.frameworks.get("ncsc", ())} == {
        "activity_logs",
        "log_retention_days",
        "provider_access_log",
        "service_health",
    }
    # CCM STA is the supply chain; law-enforcement transparency reports are DSP.
    assert "STA" not in tags("transparency_reports", "ccm")
    assert "DSP" in tags("transparency_reports", "ccm")
    # Outages and support are business continuity (BCR), not security incidents (SEF).
    for qid in (
        "support_phone",
        "support_escalation",
        "support_response_minutes",
        "incident_analysis",
        "incident_prevention",
        "incident_notification_hours",
    ):
        assert "BCR" in tags(qid, "ccm") and "SEF" not in tags(qid, "ccm"), qid
    # A contractual remedy is not asset protection.
    assert tags("uptime_service_credit", "ncsc") == ()
    # Universal Endpoint Management: the question on devices the buyer does not manage.
    assert {q.id for q in bank.questions if "UEM" in q.frameworks.get("ccm", ())} == {
        "unmanaged_devices"
    }


def test_every_ccm_domain_is_used_and_every_ncsc_principle_by_two_questions(bank):
    ccm = {ref for q in bank.questions if q.scored for ref in q.frameworks.get("ccm", ())}
    assert ccm == CCM_DOMAINS, f"no scored question is tagged {sorted(CCM_DOMAINS - ccm)}"
    uses = defaultdict(int)
    for q in bank.questions:
        if q.scored:
            for ref in q.frameworks.get("ncsc", ()):
                uses[ref] += 1
    thin = {str(n): uses[str(n)] for n in range(1, 15) if uses[str(n)] < 2}
    # Principle 1 (data in transit) and 3 (separation between customers) are one question
    # each by nature; every other principle deserves more than a token question.
    assert set(thin) <= {"1", "3", "6", "7"}, thin


def test_every_scored_question_has_a_follow_up_and_asks_are_questions(bank):
    problems = []
    for q in bank.questions:
        if q.scored and not q.follow_up.strip():
            problems.append(f"{at(q)}: add a 'follow_up', the question to put to the provider")
        elif q.scored and q.commitment is None and "?" not in q.follow_up:
            problems.append(f"{at(q)}: with no commitment, the follow-up must ask something (?)")
    no_problems(problems)


def test_all_five_types_are_used_and_texts_are_bounded(bank):
    assert {q.type for q in bank.questions} == {"yesno", "choice", "multi", "number", "text"}
    texts = [q for q in bank.questions if q.type == "text"]
    assert len(texts) >= 2
    assert all(q.weight == 0 and q.settings.max_length <= 2000 for q in texts)


def test_every_choice_offers_no_requirement_unless_its_gate_asks_it(bank):
    """A buyer must be able to say "no requirement", except after a gate's "Yes" (a choice
    of region shown only to a buyer who has rules on location)."""
    problems = []
    for q in bank.questions:
        if any(not isinstance(o.key, str) for o in q.options):
            problems.append(f"{at(q)}: quote every option key")
        if q.type != "choice":
            continue
        live = [o for o in q.options if not o.retired]
        if any(o.requires is None for o in live):
            continue
        gated = q.show_if is not None and any(
            ref in GATES and bank.question(ref).type == "yesno" for ref in q.show_if.references()
        )
        if not gated:
            problems.append(f"{at(q)}: add an option 'No requirement' (requires: null)")
    no_problems(problems)


def test_retired_options_are_never_documented_offerings(bank):
    for q in bank.questions:
        for o in q.options:
            if o.retired and q.commitment is not None:
                assert o.key not in (q.commitment.value or ()), (at(q), o.key)
    assert bank.question("user_sign_in").option("password").retired
    assert bank.question("data_regions").option("none").retired


def test_weights_are_whole_numbers_from_0_to_5(bank):
    no_problems([f"{at(q)}: weight {q.weight:g}" for q in bank.questions if q.weight % 1])


def test_two_questions_about_one_control_share_one_controls_weight(bank):
    for pair in ONE_CONTROL:
        total = sum(bank.question(qid).weight for qid in pair)
        assert total <= 5, f"{pair} weigh {total:g} together: one control, counted twice"


def test_weights_are_importance_not_the_strength_of_the_quote(bank):
    """The topics that matter most to a buyer weigh most, documented or not; a link blurb
    about something buyers need (the subcontractor list) is not weighted down for being one."""
    for qid in ("encryption_at_rest", "breach_notification_hours", "min_uptime"):
        assert bank.question(qid).weight == 5, qid
    assert bank.question("subcontractors").weight >= 3
    assert bank.question("data_ownership").weight <= 3  # a legal default: it pads every result
    assert bank.question("data_portability").weight <= 3  # a one-line promise: see export_terms


def test_at_least_four_conditional_questions(bank):
    conditional = [q for q in bank.questions if q.show_if is not None]
    assert len(conditional) >= 4
    # At least one condition looks back at a question in an earlier section.
    assert any(
        bank.question(ref).section_id != q.section_id
        for q in conditional
        for ref in q.show_if.references()
    )


def test_gates_open_others_never_score_and_offer_not_sure(bank):
    referenced = {ref for q in bank.questions if q.show_if for ref in q.show_if.references()}
    problems = []
    for qid in GATES:
        q = bank.question(qid)
        if qid not in referenced:
            problems.append(f"{at(q)}: a gate that opens nothing is not a gate")
        if q.scored:
            problems.append(f"{at(q)}: a gate has weight 0")
        if not q.gate_not_sure:
            problems.append(f"{at(q)}: add 'not_sure: true', so an unsure buyer sees what it opens")
    # An unscored question with a commitment would show a quote that proves nothing.
    for q in bank.questions:
        if not q.scored and q.commitment is not None:
            problems.append(f"{at(q)}: an unscored question takes no commitment")
    no_problems(problems)


def test_each_kind_of_sensitive_data_opens_a_scored_question(bank):
    sensitive = bank.question("sensitive_data")
    assert {"personal", "special_category", "payment"} <= {o.key for o in sensitive.options}
    for option in sensitive.options:
        answers = {"sensitive_data": [option.key]}
        opened = [
            q.id
            for q in bank.questions
            if q.scored and q.show_if is not None and q.show_if.holds(answers)
        ]
        assert opened, option.key


def test_a_european_hospital_is_not_asked_to_sign_a_hipaa_baa(bank):
    """EU/UK health data is special-category; only HIPAA-covered data opens the BAA."""
    sensitive = bank.question("sensitive_data")
    health = sensitive.option("health").label
    assert "HIPAA" in health and "US" in health
    assert "HIPAA" not in sensitive.option("special_category").label
    assert "special-category" in sensitive.help and "HIPAA" in sensitive.help
    assert not bank.question("hipaa_baa").show_if.holds({"sensitive_data": ["special_category"]})
    assert bank.question("data_processing_agreement").show_if.holds(
        {"sensitive_data": ["special_category"]}
    )


def test_the_scoping_gate_opens_the_contract_terms_for_a_critical_function(bank):
    gate = bank.question("critical_function")
    assert gate.prompt.startswith("Will this service support a critical or important function")
    assert (gate.weight, gate.type, gate.gate_not_sure) == (0, "yesno", True)
    opened_by = {}
    for q in bank.questions:
        if q.show_if is None:
            continue
        for answer in ("yes", "not_sure"):
            if q.show_if.holds({"critical_function": answer}):
                opened_by.setdefault(q.id, set()).add(answer)
    for qid in CRITICAL_FUNCTION_TERMS:
        assert opened_by.get(qid) == {"yes", "not_sure"}, qid
        assert bank.question(qid).scored, qid
        assert not bank.question(qid).show_if.holds({"critical_function": "no"}), qid
    # Placed before everything it opens: a condition may only look back.
    order = [q.id for q in bank.questions]
    assert all(order.index("critical_function") < order.index(qid) for qid in opened_by)


def test_audit_reports_are_asked_whatever_the_buyer_says_of_audit_rights(bank):
    """ "The reports of the provider's own auditors are enough" must not hide the question
    that asks for them."""
    assert bank.question("audit_reports").show_if is None
    order = [q.id for q in bank.questions]
    assert order.index("audit_reports") < order.index("audit_rights")
    reports = bank.question("audit_rights").option("reports")
    assert reports.requires is None and not reports.retired


def test_regions_beyond_the_eu_uk_and_us_and_combinations_can_be_required(bank):
    regions = bank.question("data_regions")
    assert regions.type == "choice"  # stays a single choice: stored answers are one key
    keys = {o.key for o in regions.options if o.requires is not None and not o.retired}
    assert {"eu", "uk", "us", "uk_or_eea", "eea_or_switzerland"} <= keys
    assert len(keys) >= 8


def test_number_fields_where_more_is_better_say_leave_blank_for_no_requirement(bank):
    """0 in a `better: higher` field states no requirement (the method says so); the help
    tells the buyer to leave it blank instead."""
    for q in bank.questions:
        if q.type == "number" and q.settings.better == "higher" and q.settings.min == 0:
            assert "Leave blank" in q.help, at(q)
    assert (
        bank.question("deletion_after_exit").settings.min >= 1
    )  # 0: deleted before you can export


# --- wording -----------------------------------------------------------------------------


def says_must(prompt: str) -> bool:
    """ "Must ...?" or "... you must ..." makes Yes the obvious answer, wherever it stands."""
    return re.search(r"\bmust\b", prompt, re.I) is not None


def test_the_must_rule_finds_must_anywhere_in_a_prompt():
    assert says_must("Must your data be encrypted?")
    assert says_must("In which region must your data be stored?")
    assert not says_must("Do you need a mustering point?")


def test_prompts_never_say_must(bank):
    no_problems(
        [
            f"{at(q)}: the prompt says 'must'; ask what the buyer needs instead"
            for q in bank.questions
            if says_must(q.prompt)
        ]
    )


def test_no_option_asks_for_what_no_provider_can_lawfully_offer(bank):
    for q in bank.questions:
        for o in q.options:
            assert not re.search(r"\b(refuse|in every case)\b", o.label, re.I), (q.id, o.label)


@pytest.mark.parametrize(
    "term",
    [
        *("SOC 1", "SSAE 16", "SOC 2", "Type II", "FISMA", "FedRAMP", "27017", "27018"),
        *("27701", "22301", "STAR", "C5", "Cyber Essentials", "standard contractual clauses"),
        *("PCI DSS", "Article 28(3)", "TLPT", "TIBER-EU", "shared-responsibility matrix"),
        *("resolution", "passkeys", "vulnerability disclosure"),
    ],
)
def test_jargon_in_a_prompt_or_option_is_explained_in_its_help(bank, term):
    using = [
        q for q in bank.questions if term.lower() in words(q.prompt, *(o.label for o in q.options))
    ]
    assert using, f"no question uses {term!r}: drop it from this list"
    for q in using:
        assert term.lower() in q.help.lower(), f"{at(q)}: explain {term!r} in the help"


def test_help_texts_are_of_2026(bank):
    """SMS codes are phishable (NCSC, CISA); since Schrems II transfers need an assessment,
    and adequacy is an alternative to standard contractual clauses."""
    sign_in = bank.question("user_sign_in").help
    assert "phishing-resistant" in sign_in and "stops most account break-ins" not in sign_in
    clauses = bank.question("eu_model_clauses").help
    for needed in ("Schrems II", "transfer impact assessment", "adequate"):
        assert needed in clauses, needed
    assert "You need them if" not in clauses


def test_help_texts_do_not_argue_for_yes_on_questions_that_cannot_fail(bank):
    """The review's list of help texts that pushed Yes where the bullet makes Yes always met."""
    pushy = {
        "attack_detection": "finds problems before they do",
        "regulation_tracking": "saves you from finding out",
        "legal_tools_no_equipment": "add cost and another system",
        "support_escalation": "lasts until morning",
        "no_advertising": "pay their way",
    }
    for qid, phrase in pushy.items():
        assert phrase not in bank.question(qid).help, qid


def test_plan_dependent_commitments_are_marked_and_their_follow_ups_say_so(bank):
    marked = {q.id for q in committed(bank) if q.commitment.plan_dependent}
    assert marked == PLAN_DEPENDENT
    for qid in PLAN_DEPENDENT:
        follow_up = bank.question(qid).follow_up
        assert "plan" in follow_up and "does not say which" in follow_up, qid


# --- topics ------------------------------------------------------------------------------

TOPICS = {
    "backup, disaster recovery, RPO and RTO": (
        "backups",
        "recovery_point_hours",
        "recovery_time_hours",
    ),
    "the customer's or regulator's right to audit": ("audit_rights", "audit_reports"),
    "logs the customer can see, and how long they are kept": (
        "access_to_data_visible",
        "activity_logs",
        "log_retention_days",
        "provider_access_log",
    ),
    "key management and customer-managed keys": ("encryption_keys",),
    "liability caps, insurance and indemnity": ("liability_cap", "insurance", "indemnity"),
    "subprocessor changes": ("subprocessor_change_notice", "subprocessor_objection"),
    "single sign-on, admin accounts and unmanaged devices": (
        "single_sign_on",
        "admin_account_protection",
        "unmanaged_devices",
    ),
    "customer penetration testing": ("customer_pen_testing",),
    "support response times": ("support_response_minutes", "support_escalation"),
    "notice periods for changes": ("change_notice_days",),
    "governing law and exit plan": ("governing_law", "exit_plan"),
    "non-US sensitive data": ("eu_model_clauses", "special_category_dpia", "pci_dss"),
    # The double-barrelled questions of 2026.11, each split in two.
    "faulty and retired hardware": ("faulty_drive_destruction", "retired_hardware_disposal"),
    "incident analysis and prevention": ("incident_analysis", "incident_prevention"),
    "uptime and service credits": ("min_uptime", "uptime_service_credit"),
    "supervised and customer-approved access": (
        "engineer_access_supervised",
        "staff_access_approval",
    ),
    "export, and its formats, window and cost": ("data_portability", "export_terms"),
    # What a regulated buyer asks in 2026 (issue 23).
    "termination rights and notice": (
        "termination_for_breach",
        "termination_material_change",
        "termination_supervision",
        "termination_notice_days",
    ),
    "notice of major incidents, outages included, and help with them": (
        "incident_notification_hours",
        "incident_assistance",
    ),
    "exit transition and the provider's failure": ("exit_transition_days", "provider_failure_data"),
    "where data is processed and reached from, and notice of moves": (
        "processing_locations",
        "location_change_notice_days",
    ),
    "subcontractors held to the provider's standards": ("subcontractor_flow_down",),
    "cooperation with supervisors and resolution authorities": ("supervisor_cooperation",),
    "threat-led penetration tests and continuity tests": (
        "tlpt_participation",
        "continuity_testing",
    ),
    "AI training and AI features": ("ai_training", "ai_features_control"),
    "network segregation and data integrity": ("network_segregation", "data_integrity"),
    "vulnerability fixes and disclosure": ("vulnerability_fix_days", "vulnerability_disclosure"),
    "who configures what": ("shared_responsibility",),
}


@pytest.mark.parametrize("topic", TOPICS)
def test_topics_buyers_ask_about_are_scored_questions(bank, topic):
    for qid in TOPICS[topic]:
        assert qid in bank.by_id, f"{topic}: question {qid!r} is missing"
        assert bank.question(qid).scored, (topic, qid)


# The questions added in 2026.12.2 (issue 23).
NEW_IN_2026 = (
    "critical_function",
    *CRITICAL_FUNCTION_TERMS,
    *("ai_training", "ai_features_control", "unmanaged_devices", "network_segregation"),
    *("data_integrity", "log_retention_days", "provider_access_log", "vulnerability_fix_days"),
    *("vulnerability_disclosure", "shared_responsibility", "service_health", "export_terms"),
)


def test_new_questions_of_2026_have_a_follow_up_and_framework_tags(bank):
    problems = []
    for qid in NEW_IN_2026:
        q = bank.question(qid)
        if q.scored and not q.follow_up:
            problems.append(f"{at(q)}: add a follow-up")
        if not q.frameworks.get("ccm") or "ncsc" not in q.frameworks:
            problems.append(f"{at(q)}: tag it with NCSC and CCM references")
    no_problems(problems)


def test_certifications_a_2026_buyer_asks_for_are_options(bank):
    certs = {o.key for o in bank.question("security_certifications").options}
    wanted = {"soc2_type2", "iso27017", "iso27701", "iso22301", "csa_star2", "bsi_c5"}
    assert wanted | {"cyber_essentials_plus", "iso27001_certificate"} <= certs
    sign_in = {o.key for o in bank.question("user_sign_in").options if not o.retired}
    assert "phishing_resistant" in sign_in


def test_many_scored_questions_have_no_commitment_so_the_buyer_must_ask(bank):
    ask = {q.id for q in bank.questions if q.scored and q.commitment is None}
    assert len(ask) >= 40
    assert {"breach_notification_hours", "deletion_after_exit", "backups", "hipaa_baa"} <= ask


# --- commitments -------------------------------------------------------------------------


def test_every_commitment_quotes_its_named_source_verbatim(bank, pages):
    notes = normalise(NOTES_PATH.read_text(encoding="utf-8"))
    problems = []
    for q in committed(bank):
        c = q.commitment
        if c.source.startswith(SEED_SOURCE_PREFIX):
            if not seed_place(pages, c.source, c.statement):
                problems.append(
                    f"{at(q)}: the statement is not word for word on the page {c.source!r} "
                    "(copy and paste it; keep curly apostrophes and the page's typos)"
                )
            continue
        # Another public source: one that CONTENT-NOTES.md lists, named with its date, and
        # the statement copied from the notes.
        if not c.source.startswith(OTHER_SOURCES) or c.source.split(" (")[0] not in notes:
            problems.append(f"{at(q)}: {c.source!r} is not a source CONTENT-NOTES.md lists")
        elif not re.search(r"\(.*\b\d{4}-\d{2}-\d{2}\)$", c.source):
            problems.append(f"{at(q)}: name the source with its date, e.g. (…, 2013-04-29)")
        elif normalise(c.statement) not in notes:
            problems.append(f"{at(q)}: the statement is not word for word in CONTENT-NOTES.md")
    no_problems(problems)


def test_no_sentence_meets_two_questions(bank, sentences):
    """Each sentence of the source supports one question. The only exception is a sentence
    listed in SPLIT_SENTENCES, of which each question quotes its own part."""
    quoted: dict[str, list[tuple[Question, str]]] = defaultdict(list)
    for q in committed(bank):
        statement = normalise(q.commitment.statement)
        for sentence in sentences:
            if statement in sentence or sentence in statement:
                quoted[sentence].append((q, statement))
    problems = []
    for sentence, users in quoted.items():
        ids = {q.id for q, _ in users}
        if len(ids) < 2:
            continue
        if SPLIT_SENTENCES.get(sentence) != ids:
            problems.append(
                f"{', '.join(at(q) for q, _ in users)} quote the same sentence "
                f"{sentence[:70]!r}…: one sentence meets one question"
            )
            continue
        spans = sorted((sentence.index(s), sentence.index(s) + len(s)) for _, s in users)
        if any(end > start for (_, end), (start, _) in zip(spans, spans[1:], strict=False)):
            problems.append(f"{sorted(ids)} quote overlapping parts of {sentence[:70]!r}…")
    no_problems(problems)
    # The exception is used as intended: the two halves of the subcontractor sentence.
    assert set().union(*SPLIT_SENTENCES.values()) <= {q.id for q in committed(bank)}


def test_every_commitment_is_graded_no_higher_than_its_words_allow(bank, pages):
    """A Trust Center sentence is the provider's public word (`assertion`) unless listed in
    GRADED_ABOVE_ASSERTION; a link blurb or an overview bullet never more; the SLA's own
    terms are `contract`; nothing is `independent` (no report the buyer can see is quoted)."""
    problems = []
    for q in committed(bank):
        c = q.commitment
        if c.source.startswith(SEED_SOURCE_PREFIX):
            place = seed_place(pages, c.source, c.statement)
            expected = GRADED_ABOVE_ASSERTION.get(q.id, ASSERTION)
            if place in ("links", "overview"):
                expected = ASSERTION
        else:
            expected = CONTRACT
        if c.evidence != expected:
            problems.append(
                f"{at(q)}: evidence {c.evidence!r}, but this quote is {expected!r} "
                "(see the grading rule at the top of questions.yaml)"
            )
    no_problems(problems)
    assert set(GRADED_ABOVE_ASSERTION) <= {q.id for q in committed(bank)}


def test_not_offered_is_used_only_for_absences_the_source_documents(bank):
    """The 2014 page states no absence of any offering: silence is "ask the provider". A
    future `not_offered` needs the sentence that documents the absence (add it here)."""
    documented_absences: dict[str, str] = {}
    for q in committed(bank):
        if q.commitment.not_offered:
            assert q.id in documented_absences, (
                f"{at(q)}: not_offered {list(q.commitment.not_offered)} needs a sentence of "
                "the source that says the offering is absent"
            )


# What each quote does NOT say: words the prompt, or an option the commitment marks as
# offered, must not use (the over-claims of the 2026.11 bank).
NOT_IN_THE_QUOTE = {
    "engineer_access_supervised": ("only", "approval", "approved", "never"),
    "admin_oversight": ("permission", "approval", "consent"),
    "faulty_drive_destruction": ("retired", "old"),
    "incident_analysis": ("prevent", "again", "stop"),
    "independent_verification": ("regularly", "every year"),
    "min_uptime": ("money back", "refund"),
    "data_portability": ("all", "format", "formats", "free"),
    "access_to_data_visible": ("staff", "provider's", "whether someone has accessed"),
    "security_certifications": ("contract", "agreement", "authorisation", "certification"),
    "user_sign_in": ("phishing", "security key", "passkey"),
    "attack_detection": ("service for weaknesses",),
    "subcontractor_flow_down": ("obligations", "contract", "same duties"),
    "protection_features": ("anyone", "outside your organisation"),
    "government_requests": ("every demand", "tell us"),
    "service_health": ("guarantee", "alert"),
}


@pytest.mark.parametrize("qid", NOT_IN_THE_QUOTE)
def test_prompt_and_offered_options_claim_no_more_than_the_quote(bank, qid):
    q = bank.question(qid)
    assert q.commitment is not None
    offered = [o.label for o in q.options if o.key in (q.commitment.value or ())]
    text = words(q.prompt, *offered)
    for word in NOT_IN_THE_QUOTE[qid]:
        assert not re.search(rf"\b{re.escape(word)}\b", text), (
            f"{at(q)}: the prompt or an offered option says {word!r}, which the quote does not"
        )


# What help texts must not say of a quote (the review found these in 2026.12.1).
NOT_IN_THE_HELP = {
    "engineer_access_supervised": ("overseen while using",),
}


@pytest.mark.parametrize("qid", NOT_IN_THE_HELP)
def test_help_claims_no_more_than_the_quote(bank, qid):
    for phrase in NOT_IN_THE_HELP[qid]:
        assert phrase not in bank.question(qid).help, (qid, phrase)


def test_verified_to_meet_requirements_is_neither_a_certificate_nor_a_signed_contract(bank):
    statement = "Our service is verified to meet requirements specified in ISO 27001"
    certs = bank.question("security_certifications")
    assert certs.commitment.statement.startswith(statement)
    assert certs.commitment.value == ("iso27001",)
    label = certs.option("iso27001").label
    assert label.startswith("Verified against ISO/IEC 27001") and "not quoted" in label
    # The certificate is asked for by name, and its follow-up is asked whenever required.
    assert certs.option("iso27001_certificate").key not in certs.commitment.value
    assert "certificate" in certs.follow_up
    # The contracts and the authorisation the same sentence names are asked, not assumed.
    for qid in ("hipaa_baa", "eu_model_clauses", "us_federal_authorisation"):
        q = bank.question(qid)
        assert q.commitment is None, qid
        assert "verified to meet" in q.follow_up, qid


def test_a_2014_dpa_is_not_taken_for_a_gdpr_article_28_one(bank):
    """The GDPR (2016, applied 2018) postdates the page: the DPA it names is quoted back in
    the follow-up, and an Art. 28(3) DPA is asked."""
    dpa = bank.question("data_processing_agreement")
    assert dpa.commitment is None
    assert "Article 28(3)" in dpa.prompt
    assert "Our data processing agreement details privacy" in dpa.follow_up


def test_uptime_is_a_guarantee_backed_by_service_credits_with_a_near_miss_margin(bank):
    q = bank.question("min_uptime")
    s = q.settings
    assert (q.type, s.unit, s.min, s.max, s.step, s.better, s.near) == (
        "number",
        "%",
        90,
        100,
        0.01,
        "higher",
        0.05,
    )
    assert q.commitment.value == 99.9
    assert q.commitment.source == "Office 365 Trust Center — Transparent operations"
    assert "99.9% up-time" in q.commitment.statement
    assert "service credits" in q.help
    credit = bank.question("uptime_service_credit")
    assert credit.commitment.value == 25  # the tier for a month below 99.9%
    assert credit.commitment.source == "Microsoft Online Services SLA (TechNet blog, 2013-04-29)"


def test_government_requests_offers_what_most_buyers_want_which_the_quote_does_not_settle(bank):
    """Both documented options were decorative: every buyer's answer was met. "Tell us of
    every demand unless the law forbids it" is what most buyers want, and it is asked."""
    q = bank.question("government_requests")
    notify = q.option("notify_unless_prohibited")
    assert notify.requires == "notify_unless_prohibited" and not notify.retired
    assert notify.key not in q.commitment.value and not q.commitment.not_offered
    assert "every demand" in q.follow_up


def test_the_source_is_dated_no_later_than_the_seed_allows(bank):
    """questions.yaml dates the Trust Center copy 2014-05-22: its newest quarterly uptime is
    2014 Q1 (so before the 2014 Q2 figure appeared), and it links Microsoft's post on the
    National Security Letter challenge, published 2014-05-22."""
    seed = SEED_PATH.read_text(encoding="utf-8")
    years, _, quarters = re.search(
        r"Recent worldwide uptimes:\s*\n(.*)\n(.*)\n(.*)\n", seed
    ).groups()
    assert (years.split()[-1], quarters.split()[-1]) == ("2014", "Q1")
    assert "successful challenge of National Security Letter" in seed
    assert bank.provider.as_of == date(2014, 5, 22)
    dates = {q.commitment.source: q.commitment.as_of for q in committed(bank)}
    for source, as_of in dates.items():
        expected = date(2013, 4, 29) if source.startswith(OTHER_SOURCES) else date(2014, 5, 22)
        assert as_of == expected, source
