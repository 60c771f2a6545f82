"""What changed between two banks, and answers moved onto a newer one, without an app."""

from __future__ import annotations

from questionnaire.core.answers import carry_over
from questionnaire.core.bank import next_version, parse_bank
from questionnaire.core.bankdiff import Move, biggest_moves, diff_banks, rescore
from tests.support import SMALL_BANK

NEWER = (
    SMALL_BANK.replace('version: "1.0"', 'version: "1.1"')
    .replace("prompt: Do you need S/MIME?", "prompt: Is S/MIME a requirement for you?")
    .replace("weight: 5", "weight: 2")  # uptime
    .replace(
        '{value: 99.9, statement: "99.9% uptime",', '{value: 99.99, statement: "99.99% uptime",'
    )
    .replace("          - {key: ch, label: In Switzerland}\n", "")
    .replace(
        'show_if: {question: personal, equals: "yes"}', 'show_if: {question: personal, not: "no"}'
    )
    .replace(
        "      - id: notes\n",
        "      - id: backup\n        prompt: Do you need daily backups?\n"
        "        type: yesno\n      - id: notes\n",
    )
)


def test_diff_names_each_kind_of_change():
    old, new = parse_bank(SMALL_BANK), parse_bank(NEWER)
    changes: dict[tuple[str, str], list[str]] = {}
    for change in diff_banks(old, new):
        changes.setdefault((change.kind, change.subject), []).append(change.text)
    assert changes[("reworded", "smime")] == [
        "prompt: 'Do you need S/MIME?' -> 'Is S/MIME a requirement for you?'"
    ]
    assert changes[("weight", "uptime")] == ["5 -> 2"]
    assert changes[("commitment", "uptime")] == [
        "value 99.9 -> 99.99",
        "evidence (statement or source) changed",  # "99.9% uptime" -> "99.99% uptime"
    ]
    assert changes[("options", "region")] == ["option 'ch' removed"]
    assert changes[("condition", "region")] == ["personal equals 'yes' -> personal not 'no'"]
    assert changes[("added", "backup")][0].startswith("'Do you need daily backups?'")
    assert ("removed", "backup") not in changes


def test_a_reworded_prompt_shows_the_old_and_the_new_so_an_editor_can_compare_meanings():
    old = parse_bank(SMALL_BANK)
    new = parse_bank(SMALL_BANK.replace("Where must data live?", "In which region is data kept?"))
    reworded = [str(c) for c in diff_banks(old, new) if c.kind == "reworded"]
    assert reworded == [
        "reworded   region: prompt: 'Where must data live?' -> 'In which region is data kept?'"
    ]


def test_diff_names_the_changes_of_schema_3_keys():
    """Evidence grades, plan-dependence, retired options, near misses, Not sure on a gate
    and the provider's scope: each a change an editor reviews."""
    newer = (
        SMALL_BANK.replace('version: "1.0"', 'version: "1.1"')
        .replace("as_of: 2025-09-01}", 'as_of: 2025-09-01, scope: "Only plans bought directly."}')
        .replace("not_offered: [fedramp]\n", "not_offered: [fedramp, pci]\n")
        .replace("evidence: independent\n", "evidence: assertion\n          plan_dependent: true\n")
        .replace(
            "{key: ch, label: In Switzerland}", "{key: ch, label: In Switzerland, retired: true}"
        )
        .replace("near: 0.05\n", "near: 0.1\n")
        .replace("weight: 0\n", "weight: 0\n        not_sure: true\n", 1)
        .replace("title: Small bank\n", "title: Small bank\ntop_band_evidence: 60\n")
    )
    changes = [str(c) for c in diff_banks(parse_bank(SMALL_BANK), parse_bank(newer))]
    assert changes == [
        "bank       bank: provider scope: (none) -> 'Only plans bought directly.'",
        "bank       bank: top_band_evidence: 50 -> 60",
        "options    personal: now offers Not sure (a gate)",
        "options    region: option 'ch' retired",
        "commitment certs: evidence grade independent -> assertion",
        "commitment certs: not offered ['fedramp'] -> ['fedramp', 'pci']",
        "commitment certs: now plan-dependent",
        "options    uptime: near miss margin 0.05 -> 0.1",
    ]


def test_diff_names_framework_tags_and_intros_that_changed():
    newer = (
        SMALL_BANK.replace("title: Security\n", "title: Security\n    intro: Keys and locks.\n")
        .replace("title: Small bank\n", "title: Small bank\nintro: Tell us what you need.\n")
        .replace(
            "prompt: Do you need S/MIME?\n",
            "prompt: Do you need S/MIME?\n        frameworks: {ncsc: [], ccm: [CEK]}\n",
        )
    )
    changes = [str(c) for c in diff_banks(parse_bank(SMALL_BANK), parse_bank(newer))]
    assert changes == [
        "bank       bank: intro: 'Tell us what you need.'",
        "section    sec: intro: 'Keys and locks.'",
        "frameworks smime: ccm (none) -> ['CEK']",
        "frameworks smime: ncsc (none) -> []",
    ]


def test_diff_of_a_bank_with_itself_is_empty():
    assert diff_banks(parse_bank(SMALL_BANK), parse_bank(SMALL_BANK)) == []


def test_removed_questions_are_listed_after_the_rest():
    old, new = parse_bank(NEWER), parse_bank(SMALL_BANK)
    changes = diff_banks(old, new)
    assert (changes[-1].kind, changes[-1].subject) == ("removed", "backup")


def test_carry_over_drops_what_the_new_bank_no_longer_takes_and_says_which():
    new = parse_bank(NEWER)
    answers = {"personal": "yes", "region": "ch", "uptime": 99.5, "gone": "yes", "smime": "no"}
    carried = carry_over(new, answers, ["region", "uptime", "gone"])
    assert carried.values == {"personal": "yes", "smime": "no", "uptime": 99.5}
    assert carried.dropped == ("region", "gone")
    assert carried.must_have == ("uptime",)


def test_carry_over_drops_answers_a_condition_now_hides():
    bank = parse_bank(SMALL_BANK)
    carried = carry_over(bank, {"personal": "no", "region": "eu"})
    assert carried.values == {"personal": "no"} and carried.dropped == ("region",)


def test_rescore_scores_old_answers_under_the_new_bank():
    old, new = parse_bank(SMALL_BANK), parse_bank(NEWER)
    answers = {"personal": "no", "encrypt": "yes", "uptime": 99.95}
    from questionnaire.core.scoring import score

    before = score(old, answers).score
    after = rescore(new, answers, []).result.score
    assert before < 100 and after == 100  # 99.99 now meets the 99.95 asked for


def test_biggest_moves_puts_band_changes_first_then_the_largest_change():
    moves = [
        Move(1, "A", 90.0, "Strong fit", 88.0, "Strong fit"),
        Move(2, "B", 86.0, "Strong fit", 84.0, "Fit with gaps"),
        Move(3, "C", 50.0, "Significant gaps", 30.0, "Significant gaps"),
    ]
    assert [m.assessment_id for m in biggest_moves(moves, 2)] == [2, 3]


def test_next_version_suggests_the_last_number_plus_one():
    assert next_version("2026.11.1") == "2026.11.2"
    assert next_version("1.9") == "1.10"
    assert next_version("v3-beta") == "v4-beta"
    assert next_version("draft") == "draft.1"
