# Two commands do all the set-up on a fresh machine: `make demo` (or `make serve`) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo serve test lint clean bench

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/coop demo

serve: $(STAMP)
	$(BIN)/coop serve

test: $(STAMP)
	$(BIN)/python -m pytest

# Quick benchmark run (~5-10 min on 2 cores); full sizes: $(BIN)/python -m bench full (see docs/benchmarks.md).
bench: $(STAMP)
	$(BIN)/pip install -q -e '.[test,bench]'
	$(BIN)/python -m bench $(BENCH_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) .pytest_cache
