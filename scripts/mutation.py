"""`make mutation`: mutmut 3 on questionnaire/core against tests/core, then the table.

Mutants that change only an error message's words (scripts/mutation_report.py says which)
are left out of the run as they are left out of the count: each survives by design and
would cost a run of every test that reaches its function (about an hour of the run).

    .venv/bin/python scripts/mutation.py                    # every core module, afresh
    .venv/bin/python scripts/mutation.py scoring presenter  # these modules; other results kept
    .venv/bin/python scripts/mutation.py --unkilled evidence # only its mutants not yet killed

Runs under the "mutation" hypothesis profile (tests/conftest.py): few examples each.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

import mutation_report  # noqa: E402


def generate(workers: int) -> None:
    """mutmut's own first step of `mutmut run`: copy the sources and write every mutant.
    (mutmut==3.8.1 is pinned in pyproject.toml: these are its internals.)"""
    from mutmut.__main__ import copy_src_dir, create_mutants, store_lines_covered_by_tests
    from mutmut.utils.file_utils import copy_also_copy_files, setup_source_paths

    copy_src_dir()
    copy_also_copy_files()
    setup_source_paths()
    store_lines_covered_by_tests()
    create_mutants(workers)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("modules", nargs="*", help="core modules to run (default: all, afresh)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--unkilled",
        action="store_true",
        help="only the mutants not killed in the last run (after adding tests for survivors)",
    )
    args = parser.parse_args()
    os.chdir(ROOT)
    if not args.modules:
        shutil.rmtree(ROOT / "mutants", ignore_errors=True)
    started = time.monotonic()
    generate(args.workers)
    mutants = mutation_report.read_mutants()
    mutation_report.classify(mutants, mutation_report.read_equivalents())
    chosen = [
        m.name
        for m in mutants
        if m.kind != "message-only"
        and (not args.modules or m.module in args.modules)
        and not (args.unkilled and m.status in (mutation_report.KILLED, mutation_report.TIMEOUT))
    ]
    print(f"running {len(chosen)} mutants (message-only ones left out)", flush=True)
    env = {**os.environ, "TRUSTCHECK_HYPOTHESIS_PROFILE": "mutation"}
    mutmut = [str(Path(sys.executable).with_name("mutmut")), "run"]
    subprocess.run([*mutmut, "--max-children", str(args.workers), *chosen], env=env, check=False)
    minutes = (time.monotonic() - started) / 60
    print(f"mutation run: {minutes:.0f} minutes")
    report = [sys.executable, str(ROOT / "scripts" / "mutation_report.py")]
    return subprocess.run(report, check=False).returncode


if __name__ == "__main__":
    sys.exit(main())
