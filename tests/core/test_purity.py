"""The core is importable without the frameworks (docs/architecture.md, the import rules).

import-linter checks the import statements; this checks what a fresh interpreter really
loads, lazy imports and package ``__init__`` files included."""

import subprocess
import sys

FRAMEWORKS = ["flask", "sqlalchemy", "werkzeug", "jinja2", "wtforms", "weasyprint"]

LOAD_THE_CORE = """
import importlib, pkgutil, sys
import questionnaire.core
for module in pkgutil.iter_modules(questionnaire.core.__path__):
    importlib.import_module("questionnaire.core." + module.name)
print(" ".join(sorted({name.split(".")[0] for name in sys.modules})))
"""


def test_importing_every_core_module_loads_no_framework():
    out = subprocess.run(
        [sys.executable, "-c", LOAD_THE_CORE], capture_output=True, text=True, check=True
    ).stdout
    loaded = set(out.split())
    assert "questionnaire" in loaded and "yaml" in loaded  # it did load the core
    assert loaded.isdisjoint(FRAMEWORKS), sorted(loaded & set(FRAMEWORKS))
