# Tierwise: `make run` to try it, `make test` to check it. See README.md.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
# Links in emails point at the server make run starts.
export SITE_URL ?= http://127.0.0.1:$(PORT)
# A laptop run is a development run unless the environment says otherwise.
export DEBUG ?= true
# The Procfile's commands (gunicorn, celery, localstripe) come from the venv.
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)

.PHONY: run test test-only test-under-load test-fast mutate mutate-all install lint bench bench-renewals clean

# The packages are installed by uv (itself from PyPI into the venv): with a warm cache it
# installs the dev set in about 5 s where pip took 52 s on this machine (README, "Tests
# and CI"); the same releases, resolved from the same pyproject.toml.
UV := $(BIN)/uv pip install --python $(BIN)/python --quiet --compile-bytecode

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet uv

# Reinstall only when the dependencies change. `make run` needs only what the site runs
# on; the tools that check it (pytest, Playwright, ruff, mutmut…) come with the first
# make test, lint or mutate. uv byte-compiles the packages on every core: not compiling
# them at all was slower (the web workers, the Celery worker and beat then compile the
# same modules side by side as they start).
$(VENV)/.installed-run: pyproject.toml | $(BIN)/python
	$(UV) -e .
	touch $@

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(UV) -e '.[dev]'
	touch $@ $(VENV)/.installed-run

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

install: $(VENV)/.installed

# No collectstatic: a make run is a DEBUG run (the demo refuses any other), and with
# DEBUG on, WhiteNoise serves each file from static/ and the apps under its plain name.
# Collecting copies 195 files under hashed names and writes 776 gzip and Brotli copies
# at their highest levels: 40 s of CPU on this machine, for production only (README).
run: $(VENV)/.installed-run
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py demo
	@echo
	@echo "  Tierwise is starting on http://127.0.0.1:$(PORT)/  (Ctrl-C stops web, worker, beat and localstripe)"
	@echo "  Sign in with any login above; the password is tierwise-demo."
	@echo "  Test clock on: move the site's date at /admin/clock/ or with manage.py clock advance --to YYYY-MM-DD."
	@echo
	@echo "  Cards pay against localstripe, a fake Stripe on http://localhost:8420: card 4242 4242 4242 4242."
	@echo
	SITE_URL=$${SITE_URL:-http://127.0.0.1:$(PORT)} TEST_CLOCK=$${TEST_CLOCK:-on} PORT=$(PORT) $(BIN)/honcho -f Procfile.dev start --port $(PORT)

# The whole suite, after the lint (so CI checks the dependency direction too).
test: lint test-only

# The suite alone (CI lints and tests as two timed phases), on every core: pytest-xdist,
# each worker with its own test database and Celery queue; tests that share something
# outside their process carry an xdist_group and run in one worker (--dist loadgroup).
TEST_WORKERS ?= auto
# The test databases are thrown away, so no commit of a test waits for the disk:
# PostgreSQL's synchronous_commit is off for every connection of the run (libpq reads
# PGOPTIONS; the Celery workers and servers the tests start inherit it). A commit took
# 3.5 ms here with it on and 0.17 ms with it off; what the tests check is unchanged.
test-only test-fast test-under-load: export PGOPTIONS := -c synchronous_commit=off
test-only: install node_modules/.installed
	DJANGO_ALLOW_ASYNC_UNSAFE=true $(BIN)/pytest -n $(TEST_WORKERS) --dist loadgroup $(PYTEST_ARGS)

# The suite while a busy process per core competes for the CPU (.ci/under_load.py starts
# and stops them): no test may depend on an idle machine. See README, "Tests and CI".
test-under-load: lint node_modules/.installed
	$(BIN)/python .ci/under_load.py $(MAKE) --no-print-directory test-only

# Mutation testing of the pure modules whose inputs changed since they last passed (their
# hashes are in .ci/mutation-hashes.txt, which it updates: commit it). Fails on any mutant
# not killed by a test that ran and failed, unless .ci/equivalent-mutants.txt lists it.
# See README, "Mutation testing". CI runs it with MUTATE_ARGS=--check.
mutate: install
	$(BIN)/python .ci/mutate.py $(MUTATE_ARGS)

# The same over every pure module, whatever changed.
mutate-all: install
	$(BIN)/python .ci/mutate.py --all

# A quick local loop: everything but the tests that need a real service (browser,
# integration) or throw hostile input in bulk (fuzz). `make test` stays the whole suite.
test-fast: install
	$(BIN)/pytest -q -n auto -m "not browser and not integration and not fuzz" $(PYTEST_ARGS)

# ruff; the dependency direction (import-linter, contracts in pyproject.toml); no
# model change without its migration.
lint: install
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/python manage.py makemigrations --check --dry-run

# Both benchmarks (bench/run.py): wrk against gunicorn on PostgreSQL + Redis; see README.
bench: install
	$(BIN)/python bench/run.py

# Renewals and reminders at scale on real workers (bench/renewals.py; README, "Renewals at
# scale"): minutes to an hour, so not part of make bench. BENCH_ARGS="--n 5000 --sizes ''".
bench-renewals: install
	$(BIN)/python bench/renewals.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) node_modules staticfiles var mutants
