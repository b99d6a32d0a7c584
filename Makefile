# salesops task runner: `make run` and `make test` are all you need.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
DB_FILE := data/salesops.duckdb
PORT ?= 8501

.PHONY: run test test-fast lint format bench demo setup lock clean

# requirements.txt (runtime) and requirements-dev.txt (runtime + dev tools) are lock files: every
# transitive package at an exact version, written by `make lock` from pyproject.toml.
$(VENV)/.installed: requirements-dev.txt
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "error: $(PYTHON) not found — install Python 3.11 (or run: make PYTHON=python3 …)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@touch $@

setup: $(VENV)/.installed

$(DB_FILE): | $(VENV)/.installed
	$(PY) -m salesops demo --db duckdb:///$(DB_FILE) --if-missing --warm outlooks

demo: $(VENV)/.installed
	$(PY) -m salesops demo --db duckdb:///$(DB_FILE)

run: $(VENV)/.installed $(DB_FILE)
	$(PY) -m pages.ui.serve --server.port $(PORT)

# The store-facing tests run on DuckDB and on a throwaway PostgreSQL cluster (tests/pg.py).
test: $(VENV)/.installed
	SALESOPS_TEST_STORES=duckdb,postgresql $(PY) -m pytest -q

test-fast: $(VENV)/.installed
	$(PY) -m pytest -q -m "not slow and not browser"

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

lock: $(VENV)/.installed
	$(VENV)/bin/pip-compile -q --strip-extras --no-emit-index-url --no-emit-find-links -o requirements.txt pyproject.toml
	$(VENV)/bin/pip-compile -q --strip-extras --no-emit-index-url --no-emit-find-links --extra dev -o requirements-dev.txt pyproject.toml

format: $(VENV)/.installed
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

bench: $(VENV)/.installed
	$(PY) bench/run.py --scale small

clean:
	rm -rf $(VENV) .pytest_cache
