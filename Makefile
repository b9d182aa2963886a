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
# The Procfile's commands (gunicorn, celery) come from the venv.
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)

.PHONY: run test test-fast mutate mutate-all install lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Reinstall only when the dependencies change.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

install: $(VENV)/.installed

run: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0
	$(BIN)/python manage.py demo
	@echo
	@echo "  Tierwise is starting on http://127.0.0.1:$(PORT)/  (Ctrl-C stops web, worker and beat)"
	@echo "  Sign in with any login above; the password is tierwise-demo."
	@echo
	PORT=$(PORT) $(BIN)/honcho start --port $(PORT)

# The whole suite, after the lint (so CI checks the dependency direction too).
test: lint node_modules/.installed
	DJANGO_ALLOW_ASYNC_UNSAFE=true $(BIN)/pytest $(PYTEST_ARGS)

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

clean:
	rm -rf $(VENV) node_modules staticfiles var mutants
