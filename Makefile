# Two commands for a newcomer: `make demo` and `make test`. Both set everything up first (a .venv from the
# committed lockfile, node_modules/ from package-lock.json), so a fresh machine needs only Python 3.11, npm and make.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat requirements.lock pyproject.toml | sha256sum | cut -c1-12)
# The npm packages of package-lock.json (map background layers, axe-core), installed again only when the lock changes.
NODE_STAMP := node_modules/.installed-$(shell cat package-lock.json | sha256sum | cut -c1-12)
UV_VERSION := 0.13.9
export DAGSTER_HOME := $(CURDIR)/.dagster_home
UI_PORT ?= 3000
# pytest-xdist workers for `make test` (the session fixtures are built once and shared, tests/conftest.py).
TEST_WORKERS ?= 2

.PHONY: setup demo test lint ui ui-stop lock clean bench bench-pages FORCE

setup: $(STAMP) $(NODE_STAMP)

$(STAMP): requirements.lock pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' || \
		{ echo "Python 3.11 is required (found $$($(PYTHON) --version))"; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install -q --disable-pip-version-check uv==$(UV_VERSION)
	$(BIN)/uv pip sync -q --python $(BIN)/python requirements.lock
	$(BIN)/uv pip install -q --python $(BIN)/python --no-deps -e .
	@rm -f $(VENV)/.installed-* && touch $@

# Offline front-end files: npm ci (exact versions and hashes of package-lock.json, no install scripts) into node_modules/.
$(NODE_STAMP): package.json package-lock.json
	@command -v npm >/dev/null 2>&1 || { echo "npm is required: the map's background layers and axe-core come from the npm registry (Debian: apt-get install npm)"; exit 1; }
	npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	@rm -f node_modules/.installed-* && touch $@

# DAGSTER_HOME with telemetry off (dagster.yaml), for the UI and the dagster CLI. Runs on SQLite by default;
# DAGSTER_CONFIG=dagster.postgres.yaml keeps them on PostgreSQL (URL from QPV_DAGSTER_PG_URL).
DAGSTER_CONFIG ?= dagster.yaml
$(DAGSTER_HOME)/dagster.yaml: $(DAGSTER_CONFIG) FORCE
	@mkdir -p $(DAGSTER_HOME) && { cmp -s $(DAGSTER_CONFIG) $@ || cp $(DAGSTER_CONFIG) $@; }

FORCE:

demo: setup
	$(BIN)/qpv demo

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test: lint $(DAGSTER_HOME)/dagster.yaml
	$(BIN)/dagster definitions validate -w workspace.yaml
	$(BIN)/pytest -n $(TEST_WORKERS) --dist loadfile --durations=30

# The Dagster UI (webserver + daemon) on 127.0.0.1, in the background; `make ui-stop` stops it by PID.
# It reads the demo warehouse and data unless QPV_DATA_DIR / QPV_WAREHOUSE / QPV_DASHBOARDS_DIR say otherwise.
ui: setup $(DAGSTER_HOME)/dagster.yaml
	@set -m; \
	QPV_DATA_DIR=$${QPV_DATA_DIR:-$(CURDIR)/build/demo_data} \
	QPV_WAREHOUSE=$${QPV_WAREHOUSE:-$(CURDIR)/warehouse/qpv.duckdb} \
	QPV_DASHBOARDS_DIR=$${QPV_DASHBOARDS_DIR:-$(CURDIR)/build/dashboards} \
	QPV_DATA_DOCS_DIR=$${QPV_DATA_DOCS_DIR:-$(CURDIR)/build/data_docs} \
	nohup $(BIN)/dagster dev -w workspace.yaml -h 127.0.0.1 -p $(UI_PORT) > $(DAGSTER_HOME)/ui.log 2>&1 & \
	echo $$! > $(DAGSTER_HOME)/ui.pid; \
	for i in $$(seq 1 60); do \
		if $(BIN)/python -c "import urllib.request as u; u.urlopen('http://127.0.0.1:$(UI_PORT)/server_info', timeout=1)" 2>/dev/null; then \
			echo "Dagster UI: http://127.0.0.1:$(UI_PORT)  (stop: make ui-stop; log: $(DAGSTER_HOME)/ui.log)"; exit 0; fi; \
		sleep 1; done; \
	echo "the Dagster UI did not answer within 60 s; see $(DAGSTER_HOME)/ui.log"; exit 1

ui-stop:
	@if [ -f $(DAGSTER_HOME)/ui.pid ]; then kill -- -$$(cat $(DAGSTER_HOME)/ui.pid) 2>/dev/null || true; \
		rm -f $(DAGSTER_HOME)/ui.pid; echo "Dagster UI stopped"; else echo "no Dagster UI running"; fi

# SIRENE -> ESS jobs per QPV at national scale: the project's path against pandas + geopandas (benchmarks/README.md).
# Not part of `make test` (a 100,000-establishment run is, in tests/test_bench.py). Results: build/bench/results.json.
SIZES ?= 1000000,5000000,10000000
bench: setup
	$(BIN)/python -m benchmarks.sirene --sizes $(SIZES)

# Every stakeholder page of a warehouse (fiches written by forked workers) against one process, same run
# (benchmarks/README.md). WAREHOUSE= a built warehouse, e.g. `qpv run --data-dir ../shared/data --warehouse W`.
WAREHOUSE ?= warehouse/qpv.duckdb
bench-pages: setup
	$(BIN)/python -m benchmarks.pages --warehouse $(WAREHOUSE)

# Recompute the lockfile after editing the dependencies in pyproject.toml (needs the package registry).
lock: setup
	$(BIN)/uv pip compile -q pyproject.toml --extra dev --python-version 3.11 -o requirements.lock

clean:
	rm -rf build warehouse .pytest_cache .ruff_cache $(DAGSTER_HOME) node_modules
