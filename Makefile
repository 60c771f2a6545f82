# Two commands matter: `make run` (serve the app) and `make test` (the whole suite).
# Each creates .venv and installs what it needs on first use.

# Debian's own Python 3.11: built with profile-guided and link-time optimisation, it
# renders a report ~30% faster and serves ~25% more requests a second than a plain
# source build of 3.11 (docs/performance.md). Any Python 3.11 works: make PYTHON=...
PYTHON ?= /usr/bin/python3.11
PYTHON_DEBS := python3.11 python3.11-venv
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app questionnaire
STAMP := $(VENV)/.installed-stamp

# WeasyPrint draws with Pango; the report uses DejaVu Sans.
RUNTIME_DEBS := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core
# Browser journeys drive Debian's Chromium; PDFs are looked at with poppler's pdftoppm.
# The report-queue tests start throw-away redis-servers.
TEST_DEBS := chromium poppler-utils nodejs redis-server

.PHONY: run serve serve-worker bench test lint format mutation system-deps test-system-deps clean

$(STAMP): pyproject.toml
	[ "$(PYTHON)" != /usr/bin/python3.11 ] || scripts/install-debian-packages $(PYTHON_DEBS)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

system-deps:
	scripts/install-debian-packages $(RUNTIME_DEBS)

test-system-deps: system-deps
	scripts/install-debian-packages $(TEST_DEBS)

instance/secret_key:
	mkdir -p instance
	umask 077 && $(PYTHON) -c "import secrets; print(secrets.token_hex(32))" > $@

run: $(STAMP) system-deps instance/secret_key
	$(FLASK) db upgrade
	$(FLASK) users check
	$(FLASK) run --host 127.0.0.1 --port 5000

# Production serving: gunicorn with settings from gunicorn.conf.py (WEB_CONCURRENCY workers,
# BIND address); needs SECRET_KEY (or instance/secret_key) and optionally DATABASE_URL.
serve: $(STAMP) system-deps instance/secret_key
	$(FLASK) db upgrade
	$(BIN)/gunicorn --config gunicorn.conf.py "questionnaire.app:create_app()"

# A report worker: draws the PDFs that web processes put on the REPORT_QUEUE_URL queue
# (redis://host:port/db; docs/deploy.md). Run one or more beside `make serve`.
serve-worker: $(STAMP) system-deps instance/secret_key
	$(FLASK) reports worker

# axe-core checks pages for accessibility in the browser tests (injected by the tests only).
AXE := .cache/node/node_modules/axe-core/axe.min.js
$(AXE):
	command -v npm >/dev/null || scripts/install-debian-packages npm
	npm install --silent --no-audit --no-fund --prefix .cache/node axe-core@4.10

# The benchmark: a readable table, then one JSON line with the figures (docs/performance.md).
bench: $(STAMP) system-deps
	scripts/install-debian-packages wrk redis-server
	$(BIN)/python bench/run.py

# pytest exits 5 when it collects no tests; make treats that, like any failure, as an error.
# Two pytest-xdist workers halve the run on two cores (make test TEST_WORKERS=0: one process).
TEST_WORKERS ?= 2
test: $(STAMP) test-system-deps $(AXE) lint
	$(BIN)/pytest -n $(TEST_WORKERS)

# Style, the layers' import contracts (pyproject.toml) and the core's types.
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy

# Mutation testing of the core against tests/core (docs/testing.md): hours on two busy
# cores, so not part of `make test`. A fresh run of every core module by default;
# MODULES="scoring presenter" re-runs those and keeps the other results in mutants/.
MODULES ?=
MUTATION_WORKERS ?= 2
mutation: $(STAMP)
	$(BIN)/python scripts/mutation.py --workers $(MUTATION_WORKERS) $(MODULES)

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis mutants
