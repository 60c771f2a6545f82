"""How `make mutation` counts (scripts/mutation_report.py): which mutants change only a
message's words, which are listed as equivalent, and the per-module figure."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))

import mutation_report as report  # noqa: E402


def mutant(
    original: str, mutated: str, function: str = "check", module: str = "m"
) -> report.Mutant:
    return report.Mutant(
        name=f"questionnaire.core.{module}.x_{function}__mutmut_1",
        module=module,
        function=function,
        status=report.SURVIVED,
        original=original,
        mutated=mutated,
    )


CHECK = """def check(value):
    if value < 0:
        raise ValueError(f"{value} is below zero")
    return value
"""


@pytest.mark.parametrize(
    ("mutated", "only_words"),
    [
        (CHECK.replace("is below zero", "XXis below zeroXX"), True),
        (CHECK.replace("raise ValueError(f", "raise TypeError(f"), False),
        (CHECK.replace("value < 0", "value <= 0"), False),
        (CHECK.replace("return value", "return None"), False),
    ],
)
def test_a_mutant_is_message_only_when_it_changes_only_an_errors_words(mutated, only_words):
    assert report.message_only(mutant(CHECK, mutated)) is only_words


ERROR = """def size_error(value):
    if value > 10:
        return f"{value} is too big"
    return None
"""


def test_what_an_error_function_returns_is_words_but_whether_it_returns_none_is_not():
    words = ERROR.replace("is too big", "XXis too bigXX")
    assert report.message_only(mutant(ERROR, words, function="size_error"))
    assert not report.message_only(
        mutant(ERROR, ERROR.replace("return None", 'return ""'), "size_error")
    )
    assert not report.message_only(mutant(ERROR, ERROR.replace("> 10", ">= 10"), "size_error"))


def test_a_listed_equivalent_is_matched_by_module_function_and_changed_line():
    changed = mutant(CHECK, CHECK.replace("return value", "return value * 1"))
    other_module = mutant(CHECK, CHECK.replace("return value", "return value * 1"), module="n")
    entry = {
        "module": "m",
        "function": "check",
        "before": "return value",
        "after": "return value * 1",
        "why": "the same expression",
    }
    unmatched = report.classify([changed, other_module], [entry])
    assert (changed.kind, changed.why) == ("equivalent", "the same expression")
    assert other_module.kind == "" and unmatched == []
    assert report.classify([other_module], [entry]) == [entry]


def test_the_figure_leaves_out_message_only_and_equivalent_mutants_and_counts_the_rest():
    row = report.Row("m")
    for key in ["killed"] * 7 + ["timeout", "survived", "no tests", "not run"]:
        row.add("total")
        row.add(key)
    for kind in ("message-only", "equivalent"):
        row.add("total")
        row.add(kind)
    assert (row.counted, row.killed) == (11, 8)
    assert row.percent == pytest.approx(100 * 8 / 11)


def test_every_listed_equivalent_says_why():
    for entry in report.read_equivalents():
        assert set(entry) == {"module", "function", "before", "after", "why"}, entry
        assert entry["before"] != entry["after"] and entry["why"].strip(), entry


def test_a_changed_def_line_is_matched_without_mutmuts_suffix_of_the_name():
    changed = mutant(
        "def x_f__mutmut_orig(a, b=False): ...", "def x_f__mutmut_7(a, b=True): ...", "f"
    )
    assert changed.changed_lines() == (["def x_f(a, b=False): ..."], ["def x_f(a, b=True): ..."])


def test_a_module_none_of_whose_mutants_ran_has_no_figure():
    row = report.Row("m")
    for _ in range(3):
        row.add("total")
        row.add("not run")
    assert not row.ran and row.percent is None
    row.add("total")
    row.add("killed")
    assert row.ran and row.percent == 25.0


def test_an_equivalent_with_an_empty_after_matches_a_mutant_that_only_removes_the_line():
    removed = mutant(CHECK, CHECK.replace("    if value < 0:\n", "    if value < 0 or value:\n"))
    gone = mutant("def check(v):\n    v.a = 1\n    return v\n", "def check(v):\n    return v\n")
    entry = {"module": "m", "function": "check", "before": "v.a = 1", "after": "", "why": "w"}
    report.classify([removed, gone], [entry])
    assert (removed.kind, gone.kind) == ("", "equivalent")


def test_a_def_line_that_differs_only_by_mutmuts_name_is_not_a_change():
    changed = mutant(
        "def x_f__mutmut_orig(v):\n    v.a = 1\n    return v\n",
        "def x_f__mutmut_3(v):\n    return v\n",
        "f",
    )
    assert changed.changed_lines() == (["v.a = 1"], [])


def test_the_docs_list_every_equivalent_as_the_report_reads_them():
    docs = (Path(__file__).resolve().parent.parent / "docs" / "testing.md").read_text()
    listed = "\n".join(report.equivalents_table(report.read_equivalents()))
    assert listed + "\n" in docs
