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
# The report-queue tests start throw-away redis-servers. Java runs the Nu Html Checker. The
# HTTPS journey puts nginx, with a certificate made by openssl, in front of gunicorn
# (deploy/nginx-site.conf).
TEST_DEBS := chromium poppler-utils nodejs redis-server default-jre-headless nginx openssl

.PHONY: run serve serve-worker bench test test-postgres lint format lock mutation system-deps test-system-deps clean

# Installs come from the lock file: every package make installs (the app's and the tests'),
# at an exact version with its hashes, for Python 3.11 on Linux. `make lock` writes it from
# pyproject.toml (README: "Dependencies"). A changed lock or pyproject.toml installs again;
# `pip check` fails when pyproject.toml asks for something the lock does not give.
LOCK := requirements.lock
PIP_VERSION := 26.3
$(STAMP): pyproject.toml $(LOCK)
	[ "$(PYTHON)" != /usr/bin/python3.11 ] || scripts/install-debian-packages $(PYTHON_DEBS)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet pip==$(PIP_VERSION)
	$(BIN)/pip install --quiet --require-hashes -r $(LOCK)
	$(BIN)/pip install --quiet --no-deps --no-build-isolation -e .
	$(BIN)/pip check
	touch $(STAMP)

# pip-tools in a venv of its own (.cache/pip-tools), so it never shares a resolver with the
# app. Pins already in the lock are kept; `make lock LOCK_ARGS=--upgrade` takes the newest
# of everything, `LOCK_ARGS='--upgrade-package weasyprint'` of one package.
PIP_TOOLS := pip-tools==7.7.0
LOCK_ARGS ?=
lock:
	$(PYTHON) -m venv .cache/pip-tools
	.cache/pip-tools/bin/pip install --quiet pip==$(PIP_VERSION) $(PIP_TOOLS)
	.cache/pip-tools/bin/pip-compile --quiet --extra test --generate-hashes --allow-unsafe \
		--strip-extras --no-emit-index-url --no-emit-find-links $(LOCK_ARGS) \
		--output-file $(LOCK) pyproject.toml

system-deps:
	scripts/install-debian-packages $(RUNTIME_DEBS)

test-system-deps: system-deps
	scripts/install-debian-packages $(TEST_DEBS)

instance/secret_key:
	mkdir -p instance
	umask 077 && $(PYTHON) -c "import secrets; print(secrets.token_hex(32))" > $@

# make run PORT=8000 serves on another port.
PORT ?= 5000
run: $(STAMP) system-deps instance/secret_key
	$(FLASK) db upgrade
	$(FLASK) users check
	$(FLASK) run --host 127.0.0.1 --port $(PORT)

# Production serving: gunicorn with settings from gunicorn.conf.py (WEB_CONCURRENCY workers,
# BIND address); needs SECRET_KEY (or instance/secret_key) and optionally DATABASE_URL.
serve: $(STAMP) system-deps instance/secret_key
	$(FLASK) db upgrade
	$(BIN)/gunicorn --config gunicorn.conf.py "questionnaire.app:create_app()"

# A report worker: draws the PDFs that web processes put on the REPORT_QUEUE_URL queue
# (redis://host:port/db; docs/deploy.md). Run one or more beside `make serve`.
serve-worker: $(STAMP) system-deps instance/secret_key
	$(FLASK) reports worker

# Outside checkers the browser tests run on every page type, pinned: axe-core
# (accessibility, injected into the page) and the Nu Html Checker (vnu.jar: HTML, on Java).
# The stamp names the versions, so changing a pin installs it again.
NODE_TOOLS := axe-core@4.14.1 vnu-jar@26.9.27
empty :=
NODE_STAMP := .cache/node/.installed-$(subst $(empty) $(empty),+,$(NODE_TOOLS))
$(NODE_STAMP):
	command -v npm >/dev/null || scripts/install-debian-packages npm
	npm install --silent --no-audit --no-fund --save-exact --prefix .cache/node $(NODE_TOOLS)
	touch $@

# The benchmark: a readable table, then one JSON line with the figures (docs/performance.md).
bench: $(STAMP) system-deps
	scripts/install-debian-packages wrk redis-server
	$(BIN)/python bench/run.py

# pytest exits 5 when it collects no tests; make treats that, like any failure, as an error.
# Two pytest-xdist workers halve the run on two cores (make test TEST_WORKERS=0: one process).
# Branch coverage of the whole run, combined across the workers, must reach the floor in
# pyproject.toml (docs/testing.md); the per-file figures land in test-artifacts/coverage/.
TEST_WORKERS ?= 2
test: $(STAMP) test-system-deps $(NODE_STAMP) lint
	$(BIN)/pytest -n $(TEST_WORKERS) --cov --cov-report=html:test-artifacts/coverage

# CI's second run (.ci/run): the suite again on a throw-away PostgreSQL 15 server
# (scripts/with-postgres sets DATABASE_URL). Left out, as nothing in them can differ on
# PostgreSQL: `make lint` (the same files), tests/core (the pure core: no app, no database,
# held so by the import contracts), coverage (its floor is the SQLite run's), and the
# outside checkers' verdicts on markup and PDF (axe-core and the Nu Html Checker on every
# page type, pdfua on the report), drawn from the same templates and plain data; every
# page and report is still drawn on PostgreSQL by the journeys and web tests.
POSTGRES_SAME := tests/core tests/browser/test_pages.py tests/reports/test_report_checks.py
test-postgres: $(STAMP) test-system-deps $(NODE_STAMP)
	scripts/with-postgres $(BIN)/pytest -n $(TEST_WORKERS) $(POSTGRES_SAME:%=--ignore=%)

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
