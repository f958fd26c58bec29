# Back office: developer and CI entry points (GNU make).
#
# Everything runs from the project's own virtual environment in .venv, which
# `make venv` creates and installs (editable, with the dev extras). pip only
# runs again when pyproject.toml is newer than the stamp file inside .venv.
#
#   make test                  lint (ruff, mypy, import-linter), then pytest; fails if either failed
#   make test PYTEST_ARGS='-k ledger -x'
#   make demo                  a seeded year of a small company on ./backoffice.db
#   make serve HOST=0.0.0.0 PORT=8000
#
# CI runs `bash .ci/run`, which calls `make test` with PostgreSQL required.

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help
.DELETE_ON_ERROR:

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Written last by the install recipe: a half-finished install has no stamp,
# so the next run installs again.
STAMP := $(VENV)/.installed-from-pyproject

PYTEST_ARGS ?=
DEMO_ARGS ?=
BENCH_ARGS ?=
BENCH_HTTP_ARGS ?=
BENCH_CHAIN_ARGS ?=
BENCH_REPORTS_ARGS ?=
HOST ?= 127.0.0.1
PORT ?= 8000

export PIP_DISABLE_PIP_VERSION_CHECK := 1
export PIP_NO_INPUT := 1

.PHONY: help venv lint pytest test demo bench bench-http bench-chain bench-reports serve clean mutation

help:
	@echo "make venv    create .venv and install the package with dev extras (when pyproject.toml changed)"
	@echo "make test    lint (ruff, mypy), then pytest -q; PYTEST_ARGS='...' passes arguments to pytest"
	@echo "make lint    ruff check ., mypy domain backoffice api, lint-imports (layer contracts)"
	@echo "make pytest  pytest only"
	@echo "make demo    backoffice demo (DEMO_ARGS='...')"
	@echo "make bench   python -m bench (BENCH_ARGS='...')"
	@echo "make bench-http  python -m bench.http: entries/s over HTTP vs in-process (BENCH_HTTP_ARGS='...')"
	@echo "make bench-chain python -m bench.chain: cost of the hash chain on posting, verification speed (BENCH_CHAIN_ARGS='...')"
	@echo "make bench-reports python -m bench.reports: large-cash and trial-balance reports over 1M events vs a raw read (BENCH_REPORTS_ARGS='...')"
	@echo "make serve   backoffice serve on HOST:PORT (default $(HOST):$(PORT))"
	@echo "make mutation  mutmut over the rule modules (resumable), then docs/mutation.md; not part of make test"
	@echo "make clean   remove .venv, caches and build output (keeps *.db files)"

venv: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || { echo "creating $(VENV) with $$($(PYTHON) --version)"; $(PYTHON) -m venv $(VENV); }
	$(BIN)/python -m pip install --quiet --editable '.[dev]'
	@touch $@

# Lint runs both tools even when the first one finds something, then fails.
lint: $(STAMP)
	@status=0; \
	echo "ruff check ."; $(BIN)/ruff check . || status=1; \
	echo "mypy domain backoffice api"; $(BIN)/mypy domain backoffice api || status=1; \
	echo "lint-imports (layers point down: pyproject.toml [tool.importlinter])"; \
	$(BIN)/lint-imports --no-cache || status=1; \
	exit $$status

pytest: $(STAMP)
	$(BIN)/pytest -q $(PYTEST_ARGS)

# pytest runs even when lint failed, so one run shows everything; the target
# fails if either did.
test: $(STAMP)
	@lint_status=0; test_status=0; \
	$(MAKE) --no-print-directory lint || lint_status=$$?; \
	echo "pytest -q $(PYTEST_ARGS)"; \
	$(BIN)/pytest -q $(PYTEST_ARGS) || test_status=$$?; \
	if [ $$lint_status -ne 0 ]; then echo "make test: lint failed (see above)" >&2; fi; \
	if [ $$test_status -ne 0 ]; then echo "make test: pytest exited $$test_status" >&2; fi; \
	[ $$lint_status -eq 0 ] && [ $$test_status -eq 0 ]

demo: $(STAMP)
	$(BIN)/backoffice demo $(DEMO_ARGS)

bench: $(STAMP)
	$(BIN)/python -m bench $(BENCH_ARGS)

bench-http: $(STAMP)
	$(BIN)/python -m bench.http $(BENCH_HTTP_ARGS)

bench-chain: $(STAMP)
	$(BIN)/python -m bench.chain $(BENCH_CHAIN_ARGS)

bench-reports: $(STAMP)
	$(BIN)/python -m bench.reports $(BENCH_REPORTS_ARGS)

.PHONY: bench-payroll bench-inventory bench-billing bench-console
bench-payroll: $(STAMP) ; $(BIN)/python -m bench.payroll $(BENCH_PAYROLL_ARGS)
bench-inventory: $(STAMP) ; $(BIN)/python -m bench.inventory $(BENCH_INVENTORY_ARGS)
bench-billing: $(STAMP) ; $(BIN)/python -m bench.billing $(BENCH_BILLING_ARGS)
bench-console: $(STAMP) ; $(BIN)/python -m bench.console $(BENCH_CONSOLE_ARGS)

# Mutation testing runs from its own environment: the project's dependencies
# without the project, because mutmut imports its mutated copy from mutants/
# and an editable install would shadow it (see .ci/mutation.py).
MUTATION_VENV := .venv-mutation
MUTATION_STAMP := $(MUTATION_VENV)/.installed-from-pyproject

$(MUTATION_STAMP): pyproject.toml
	@test -x $(MUTATION_VENV)/bin/python || $(PYTHON) -m venv $(MUTATION_VENV)
	$(MUTATION_VENV)/bin/python -m pip install --quiet '.[dev]' 'mutmut>=3.8,<4'
	$(MUTATION_VENV)/bin/python -m pip uninstall --quiet --yes backoffice
	@touch $@

mutation: $(MUTATION_STAMP)
	BACKOFFICE_TEST_DATABASE_URL="$${BACKOFFICE_TEST_DATABASE_URL-postgresql://postgres@127.0.0.1:5432/test}" \
		$(MUTATION_VENV)/bin/python .ci/mutation.py run

serve: $(STAMP)
	$(BIN)/backoffice serve --host $(HOST) --port $(PORT)

clean:
	rm -rf $(VENV) $(MUTATION_VENV) mutants build dist *.egg-info .pytest_cache .mypy_cache .ruff_cache .hypothesis
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
