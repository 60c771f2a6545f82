"""The per-module table of a mutmut run (`make mutation`), read from mutants/.

killed % = (killed + timed out) / (mutants - message-only - equivalent), where
- *message-only* mutants change nothing but an error message's words: every difference
  from the original function lies in the message argument of an error (an exception, a
  bank problem reported with its line, an answer problem), in the text an ``*_error`` /
  ``*_warning`` / ``*_message`` / ``*_problem`` function returns (a ``None`` it returns
  is kept: no error is not a wording), or in a ``hint`` local (a clause added to a
  message); found by comparing the two functions' syntax trees with those parts blanked;
- *equivalent* mutants behave exactly as the original; each is listed, with why, in
  scripts/mutation-equivalents.toml, matched by its function and its changed line (an
  empty ``after`` for a mutant that only removes the line).
Mutants no test reaches count as not killed.

    .venv/bin/python scripts/mutation_report.py              # the table
    .venv/bin/python scripts/mutation_report.py --survivors  # and every survivor's diff
"""

from __future__ import annotations

import argparse
import ast
import difflib
import json
import re
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MUTANTS = ROOT / "mutants" / "questionnaire" / "core"
EQUIVALENTS = ROOT / "scripts" / "mutation-equivalents.toml"
# The modules a verdict depends on (issue 27): each must reach 90%.
VERDICT_PATH = (
    "scoring",
    "model",
    "summary",
    "presenter",
    "optiontypes",
    "qtypes",
    "questiontype",
    "answers",
    "conditions",
    "progress",
    "evidence",
)
TARGET = 90.0

KILLED, SURVIVED, NO_TESTS, TIMEOUT, OTHER = "killed", "survived", "no tests", "timeout", "other"
STATUS_BY_EXIT_CODE = {1: KILLED, 3: KILLED, 0: SURVIVED, 5: NO_TESTS, 33: NO_TESTS}
STATUS_BY_EXIT_CODE |= {36: TIMEOUT, 24: TIMEOUT, -24: TIMEOUT, 152: TIMEOUT, 255: TIMEOUT}

# Calls whose last positional argument is a message for a person, never read by code.
MESSAGE_CALLS = {
    "AnswerError",
    "AnswersInvalid",
    "BankInvalid",
    "ValueError",
    "YamlSyntaxError",
    "error",
    "error_at",
    "warn",
    "warn_at",
}
MESSAGE_LISTS = {"problems", "warnings"}  # problems.append((line, message)) or (message)
MESSAGE_FUNCTIONS = ("_error", "_warning", "_message", "_problem")
MESSAGE_LOCALS = {"hint"}  # a clause of a message, used nowhere else
MUTMUT_SUFFIX = re.compile(r"__mutmut_(?:orig|\d+)\(")


@dataclass
class Mutant:
    name: str  # questionnaire.core.scoring.x_assess_question__mutmut_12
    module: str
    function: str  # assess_question, or Bank.band for a method
    status: str
    original: str = ""  # the function's source
    mutated: str = ""
    kind: str = ""  # "message-only", "equivalent" or ""
    why: str = ""

    def diff(self) -> list[str]:
        return changed(self.original, self.mutated)

    def changed_lines(self) -> tuple[list[str], list[str]]:
        """The lines the mutant removes and adds, a changed ``def`` line without mutmut's
        suffix of the function's name (__mutmut_orig, __mutmut_12)."""
        diff = changed(MUTMUT_SUFFIX.sub("(", self.original), MUTMUT_SUFFIX.sub("(", self.mutated))
        return (
            [line[1:].strip() for line in diff if line.startswith("-")],
            [line[1:].strip() for line in diff if line.startswith("+")],
        )


def changed(original: str, mutated: str) -> list[str]:
    """The -/+ lines of a diff of two functions' sources, without its headers."""
    lines = difflib.unified_diff(original.splitlines(), mutated.splitlines(), lineterm="", n=0)
    return [line for line in lines if line[:3] not in ("---", "+++", "@@ ")]


@dataclass
class Row:
    module: str
    counts: dict[str, int] = field(default_factory=dict)

    def add(self, key: str) -> None:
        self.counts[key] = self.counts.get(key, 0) + 1

    @property
    def counted(self) -> int:
        return (
            self.counts.get("total", 0)
            - self.counts.get("message-only", 0)
            - self.counts.get("equivalent", 0)
        )

    @property
    def killed(self) -> int:
        return self.counts.get(KILLED, 0) + self.counts.get(TIMEOUT, 0)

    @property
    def ran(self) -> bool:
        """Whether any of the module's counted mutants has been run."""
        return self.counted > self.counts.get("not run", 0)

    @property
    def percent(self) -> float | None:
        return 100 * self.killed / self.counted if self.counted and self.ran else None


def _name_of(func: ast.AST) -> str:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return ""


def _is_text(node: ast.AST) -> bool:
    if isinstance(node, ast.JoinedStr):
        return True
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str)
    if isinstance(node, ast.BinOp):
        return _is_text(node.left) or _is_text(node.right)
    if isinstance(node, ast.IfExp):
        return _is_text(node.body) and _is_text(node.orelse)
    return False


BLANK = ast.Constant(value="<message>")


class _Blank(ast.NodeTransformer):
    """Replaces every message (as defined above) with one placeholder."""

    def __init__(self, function: str):
        self.message_function = function.endswith(MESSAGE_FUNCTIONS)

    def visit_Call(self, node: ast.Call) -> ast.AST:
        self.generic_visit(node)
        name = _name_of(node.func)
        if name in MESSAGE_CALLS and node.args:
            node.args[-1] = BLANK
        elif (
            name == "append"
            and isinstance(node.func, ast.Attribute)
            and _name_of(node.func.value) in MESSAGE_LISTS
            and len(node.args) == 1
        ):
            arg = node.args[0]
            if isinstance(arg, ast.Tuple) and arg.elts:
                arg.elts[-1] = BLANK
            else:
                node.args[0] = BLANK
        return node

    def visit_Return(self, node: ast.Return) -> ast.AST:
        self.generic_visit(node)
        if self.message_function and node.value is not None:
            node.value = _blank_text(node.value)
        return node

    def visit_Assign(self, node: ast.Assign) -> ast.AST:
        self.generic_visit(node)
        names = {t.id for t in node.targets if isinstance(t, ast.Name)}
        if names and names <= MESSAGE_LOCALS:
            node.value = BLANK
        return node


def _blank_text(node: ast.expr) -> ast.expr:
    """The text in an expression blanked, its choices kept: ``None if ok else "why"``."""
    if _is_text(node):
        return BLANK
    if isinstance(node, ast.IfExp):
        node.body, node.orelse = _blank_text(node.body), _blank_text(node.orelse)
    return node


def _function_tree(source: str, function: str) -> str:
    tree = ast.parse(source)
    body = tree.body[0]
    assert isinstance(body, ast.FunctionDef | ast.AsyncFunctionDef)
    body.name = "f"
    return ast.dump(_Blank(function).visit(tree))


def message_only(mutant: Mutant) -> bool:
    try:
        return _function_tree(mutant.original, mutant.function) == _function_tree(
            mutant.mutated, mutant.function
        )
    except SyntaxError:
        return False


def _plain_name(mangled: str) -> str:
    """x_assess_question -> assess_question; xǁBankǁband -> Bank.band."""
    if mangled.startswith("xǁ"):
        return ".".join(part for part in mangled[2:].split("ǁ") if part)
    return mangled[2:]


def load_sources(path: Path) -> dict[str, str]:
    """Every function variant of a mutated module: its name -> its source (dedented)."""
    import textwrap

    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    spans = json.loads(path.with_name(path.name + ".spans").read_text())["spans"]
    return {
        name: textwrap.dedent("\n".join(lines[start - 1 : end]))
        for name, (start, end) in spans.items()
    }


def read_mutants() -> list[Mutant]:
    if not MUTANTS.is_dir():
        sys.exit("No mutants/ here: run `make mutation` first.")
    found = []
    for meta in sorted(MUTANTS.glob("*.py.meta")):
        module = meta.name.removesuffix(".py.meta")
        codes = json.loads(meta.read_text())["exit_code_by_key"]
        if not codes:
            continue
        sources = load_sources(meta.with_suffix(""))
        for name, code in codes.items():
            local = name.rsplit(".", 1)[1]
            mangled, _, _number = local.rpartition("__mutmut_")
            found.append(
                Mutant(
                    name=name,
                    module=module,
                    function=_plain_name(mangled),
                    status=STATUS_BY_EXIT_CODE.get(code, "not run" if code is None else OTHER),
                    original=_strip_decorators(sources.get(f"{mangled}__mutmut_orig", "")),
                    mutated=_strip_decorators(sources.get(local, "")),
                )
            )
    return found


def _strip_decorators(source: str) -> str:
    lines = source.splitlines()
    while lines and lines[0].startswith("@"):
        lines.pop(0)
    return "\n".join(lines)


def read_equivalents() -> list[dict]:
    return tomllib.loads(EQUIVALENTS.read_text(encoding="utf-8")).get("equivalent", [])


def classify(mutants: list[Mutant], equivalents: list[dict]) -> list[dict]:
    """Marks message-only and equivalent mutants; returns the equivalents matched by none."""
    unmatched = list(equivalents)
    for mutant in mutants:
        if message_only(mutant):
            mutant.kind = "message-only"
            continue
        before, after = mutant.changed_lines()
        for entry in equivalents:
            if (
                entry["module"] == mutant.module
                and entry["function"] == mutant.function
                and entry["before"] in before
                and (entry["after"] in after if entry["after"] else not after)  # "": removed
            ):
                mutant.kind, mutant.why = "equivalent", entry["why"]
                if entry in unmatched:
                    unmatched.remove(entry)
                break
    return unmatched


def table(mutants: list[Mutant]) -> list[Row]:
    rows: dict[str, Row] = {}
    for mutant in mutants:
        row = rows.setdefault(mutant.module, Row(mutant.module))
        row.add("total")
        if mutant.kind:
            row.add(mutant.kind)
        else:
            row.add(mutant.status)
    order = {name: index for index, name in enumerate(VERDICT_PATH)}
    return sorted(rows.values(), key=lambda r: (order.get(r.module, len(order)), r.module))


def print_table(rows: list[Row]) -> bool:
    """Prints the table; whether every verdict-path module reaches the target."""
    header = (
        "module",
        "killed %",
        "killed",
        "survived",
        "no tests",
        "not run",
        "message-only",
        "equivalent",
        "mutants",
        "verdict path",
    )
    print("| " + " | ".join(header) + " |")
    print("|" + "|".join("---" for _ in header) + "|")
    ok = True
    for row in rows:
        on_path = row.module in VERDICT_PATH
        percent = row.percent
        if on_path and (percent is None or percent < TARGET):
            ok = False
        c = row.counts
        cells = (
            row.module,
            ("-" if row.ran else "not run") if percent is None else f"{percent:.1f}",
            str(row.killed),
            str(c.get(SURVIVED, 0) + c.get(OTHER, 0)),
            str(c.get(NO_TESTS, 0)),
            str(c.get("not run", 0)),
            str(c.get("message-only", 0)),
            str(c.get("equivalent", 0)),
            str(c.get("total", 0)),
            "yes" if on_path else "",
        )
        print("| " + " | ".join(cells) + " |")
    return ok


def equivalents_table(equivalents: list[dict]) -> list[str]:
    """The equivalent mutants as docs/testing.md lists them (a test keeps the two alike)."""

    def code(text: str) -> str:  # a | inside a table's cell is written \| (GitHub's tables)
        return f"`{text.replace('|', chr(92) + '|')}`" if text else "(line removed)"

    lines = [
        "| module | function | the change (before → after) | why it behaves as the original |",
        "|---|---|---|---|",
    ]
    for e in equivalents:
        change = f"{code(e['before'])} → {code(e['after'])}"
        lines.append(f"| {e['module']} | `{e['function']}` | {change} | {e['why']} |")
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--survivors", action="store_true", help="print each survivor's diff")
    parser.add_argument("--module", help="only this module's survivors (with --survivors)")
    parser.add_argument(
        "--equivalents", action="store_true", help="print the equivalents' table for the docs"
    )
    args = parser.parse_args()
    if args.equivalents:
        print("\n".join(equivalents_table(read_equivalents())))
        return 0
    mutants = read_mutants()
    unmatched = classify(mutants, read_equivalents())
    if args.survivors:
        for mutant in mutants:
            if mutant.kind or mutant.status in (KILLED, TIMEOUT):
                continue
            if args.module and mutant.module != args.module:
                continue
            print(f"# {mutant.name}: {mutant.status}")
            print("\n".join(mutant.diff()))
            print()
    ok = print_table(table(mutants))
    for entry in unmatched:
        print(f"note: equivalent mutant no longer found: {entry['module']}.{entry['function']}")
    not_run = sum(m.status == "not run" and not m.kind for m in mutants)
    if not_run:
        print(f"note: {not_run} mutants not run yet (counted as not killed)")
    print(
        f"Every verdict-path module reaches {TARGET:g}%."
        if ok
        else f"A verdict-path module is below {TARGET:g}%."
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
