"""The answer library in the core: fingerprints of a question's value space, the buyer's
requirement in words, an answer judged against one buyer, the open questions ranked by
what unblocks the deal, and the export as commitments an editor can paste."""

from __future__ import annotations

from datetime import UTC, date, datetime

import yaml

from questionnaire.core.bank import parse_bank
from questionnaire.core.library import (
    DEAL_BREAKER_GROUP,
    OTHER_GROUP,
    UNRESOLVED_GROUP,
    Exported,
    export_yaml,
    judge,
    lift_plan,
    rank_open,
    requirement_text,
    value_hint,
    value_space,
)
from questionnaire.core.scoring import score
from questionnaire.core.written import WrittenAnswer, answerable, written_commitments
from tests.support import SMALL_BANK


def test_the_fingerprint_changes_with_options_or_range_and_nothing_else(small_bank):
    before = {q.id: value_space(q) for q in small_bank.questions}
    reworded = parse_bank(
        SMALL_BANK.replace("Must data be encrypted at rest?", "Is data encrypted at rest?")
        .replace("weight: 5", "weight: 4")
        .replace('version: "1.0"', 'version: "1.1"'),
        "b.yaml",
    )
    assert {q.id: value_space(q) for q in reworded.questions} == before
    for old, new, qid in (
        ("max: 720", "max: 168", "breach_hours"),
        ('unit: "%"', 'unit: "per cent"', "uptime"),
        ("label: In Switzerland", "label: In Switzerland or Liechtenstein", "region"),
        (
            "{key: pci, label: PCI DSS}",
            "{key: pci, label: PCI DSS}\n          - {key: c5, label: C5}",
            "certs",
        ),
    ):
        changed = parse_bank(SMALL_BANK.replace(old, new), "c.yaml")
        assert value_space(changed.question(qid)) != before[qid], qid
        others = {q.id: value_space(q) for q in changed.questions if q.id != qid}
        assert others == {k: v for k, v in before.items() if k != qid}


def test_requirements_in_words_say_which_way_a_figure_goes(small_bank):
    assert requirement_text(small_bank.question("breach_hours"), 24) == "At most 24 hours"
    assert requirement_text(small_bank.question("uptime"), 99.95) == "At least 99.95%"
    assert requirement_text(small_bank.question("certs"), ["soc2", "pci"]) == "SOC 2; PCI DSS"
    assert requirement_text(small_bank.question("smime"), "not_sure") == "Not sure"


def test_an_answer_to_an_earlier_version_of_the_question_is_shown_as_stored(small_bank):
    # A library answer written before the question changed sends its review the old answer.
    earlier = ", answered to an earlier version of the question"
    hours, smime, certs = (small_bank.question(q) for q in ("breach_hours", "smime", "certs"))
    assert requirement_text(hours, "yes") == "“yes”" + earlier
    assert requirement_text(hours, ["soc2", "pci"]) == "“soc2, pci”" + earlier
    assert requirement_text(smime, 30) == "“30”" + earlier  # not "No"
    assert requirement_text(certs, ["soc2", "dropped"]) == "“soc2, dropped”" + earlier
    assert requirement_text(smime, "yes") == "Yes"


def test_the_number_hint_uses_the_questions_own_unit_and_range(small_bank):
    hours = value_hint(small_bank.question("breach_hours"))
    assert "hours" in hours and "1 hour to 720 hours" in hours and "99.9" not in hours
    uptime = value_hint(small_bank.question("uptime"))
    assert "percentage" in uptime and "90% to 100%" in uptime
    assert value_hint(small_bank.question("smime")) == ""


def test_an_answer_is_judged_by_the_results_own_rule(small_bank):
    judged = judge(small_bank, "breach_hours", 24, True, 12, "written")
    assert judged.meets and judged.status == "met"
    assert "at most 24 hours" in judged.text
    short = judge(small_bank, "breach_hours", 6, True, 12, "contract")
    assert not short.meets and short.status == "not_met" and short.text.startswith("Falls short")
    near = judge(small_bank, "uptime", 99.95, False, 99.9, "written")
    assert near.near_miss and not near.meets and near.text.startswith("A near miss")
    # A written answer lists what is offered: the rest counts as not offered, never unknown.
    assert judge(small_bank, "certs", ["pci"], False, ["iso27001"], "written").status == "not_met"


def test_a_judgement_keeps_the_capitals_of_names_in_the_requirement(small_bank):
    region = judge(small_bank, "region", "eu", False, ["eu"], "written")
    assert region.text == "Meets what the buyer asked for: in the EU"
    certs = judge(small_bank, "certs", ["pci", "soc2"], False, ["soc2"], "written")
    assert certs.text == "Falls short of what the buyer asked for: PCI DSS; SOC 2"


ANSWERS = {"encrypt": "yes", "smime": "yes", "certs": ["soc2", "pci"], "breach_hours": 24}


def test_open_questions_rank_unsettled_must_haves_then_deal_breakers_then_weight(small_bank):
    must = ["smime", "breach_hours", "encrypt"]
    result = score(small_bank, {**ANSWERS, "uptime": 99.0}, must).to_dict()
    open_ids = answerable(result)
    items = rank_open(small_bank, {**ANSWERS, "uptime": 99.0}, result, open_ids, None)
    groups = [(i.id, i.group) for i in items]
    # breach_hours: a must-have with nothing documented; smime: a must-have documented as
    # not offered (a deal-breaker); certs (weight 4) before uptime (weight 5 but... not open).
    assert groups[0] == ("breach_hours", UNRESOLVED_GROUP)
    assert ("smime", DEAL_BREAKER_GROUP) in groups
    others = [i.id for i in items if i.group == OTHER_GROUP]
    weights = [small_bank.question(q).weight for q in others]
    assert weights == sorted(weights, reverse=True)
    smime = next(i for i in items if i.id == "smime")
    assert smime.requirement == "Yes" and smime.documented == "No" and smime.must_have


def test_the_lift_plan_counts_the_fewest_answers_that_rate_the_result(small_bank):
    answers = {"encrypt": "yes", "certs": ["pci"], "breach_hours": 24, "uptime": 99.0}
    result = score(small_bank, answers, ["breach_hours"]).to_dict()
    assert result["state"] == "provisional"
    order = {q.id: n for n, q in enumerate(small_bank.questions)}
    plan = lift_plan(result, answerable(result), order)
    assert plan is not None and plan.possible
    assert plan.needed[0] == "breach_hours"
    # Answering exactly those rates it, whatever else stays open.
    at = datetime(2026, 12, 1, tzinfo=UTC)
    values = {"breach_hours": 48, "certs": ("iso27001",)}
    written = {q: WrittenAnswer(q, values[q], "s", "", "A", at) for q in plan.needed}
    lifted = score(
        small_bank, answers, ["breach_hours"], written_commitments(written, small_bank)
    ).to_dict()
    assert lifted["state"] == "rated"
    fewer = dict(list(written.items())[:-1])
    if fewer:
        less = score(
            small_bank, answers, ["breach_hours"], written_commitments(fewer, small_bank)
        ).to_dict()
        assert less["state"] == "provisional"


def test_a_must_have_only_the_buyer_can_settle_blocks_the_lift(small_bank):
    answers = {"encrypt": "yes", "smime": "not_sure", "breach_hours": 24}
    result = score(small_bank, answers, ["smime"]).to_dict()
    plan = lift_plan(result, answerable(result), {})
    assert plan is not None and not plan.possible and plan.blocked == ("smime",)
    rated = score(small_bank, {"encrypt": "yes"}).to_dict()
    assert lift_plan(rated, [], {}) is None


def test_the_export_is_yaml_of_commitments_with_what_to_check(small_bank):
    items = [
        Exported(
            1,
            "breach_hours",
            24,
            "We report within 24 hours.",
            "DPA clause 9",
            "contract",
            "Sam Seller",
            date(2026, 12, 3),
            ("1.0",),
        ),
        Exported(
            2,
            "certs",
            ("iso27001", "soc2"),
            "ISO and SOC 2.",
            "https://trust.example/certs",
            "written",
            "Sam Seller",
            date(2026, 12, 4),
            ("1.0",),
        ),
    ]
    text = export_yaml(small_bank, items, {3: "no reference: no public source to name"})
    assert "source's own" in text and "library answer 3: no reference" in text
    data = yaml.safe_load(text)
    assert data[0] == {
        "question": "breach_hours",
        "commitment": {
            "value": 24,
            "statement": "We report within 24 hours.",
            "source": "DPA clause 9",
            "evidence": "contract",
            "as_of": date(2026, 12, 3),
        },
    }
    certs = data[1]["commitment"]
    assert certs["evidence"] == "assertion"  # never more than the editor can check
    assert certs["value"] == ["iso27001", "soc2"] and certs["not_offered"] == ["fedramp", "pci"]
