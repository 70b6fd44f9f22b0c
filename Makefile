# One venv per checkout; every target installs what it needs on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test lint fmt perf clean

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,embedded]'
	touch $(STAMP)

run: install
	$(BIN)/reviewbot serve

test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

PERF_STAMP := $(VENV)/.perf-installed

$(PERF_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev,embedded,perf]'
	touch $(PERF_STAMP)

# Load test against the ceiling in the same run; PERF_DURATION=seconds per phase (default 20),
# WORKERS=n, PERF_ARGS for anything else (see `$(BIN)/python -m perf --help`).
perf: $(PERF_STAMP)
	$(BIN)/python -m perf $(PERF_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

fmt: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) .reviewbot .pytest_cache .mypy_cache .ruff_cache
