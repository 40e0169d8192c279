# cardgraph — `make run` starts the service, `make test` runs lint, types and the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
CODE := src workers tests $(wildcard bench)

.PHONY: install run test pytest lint format schema bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/cardgraph dev

test: lint pytest

pytest: $(STAMP)
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check $(CODE)
	$(BIN)/ruff format --check $(CODE)
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff format $(CODE)
	$(BIN)/ruff check --fix $(CODE)

schema: $(STAMP)
	$(BIN)/cardgraph export-schema --output schema.graphql

# The benchmarks; the other modules of bench/ are their parts. table.py prints them as one.
BENCHMARKS := bench/http_load.py bench/pdf_render.py bench/batch_export.py bench/subscription_fanout.py

bench: $(STAMP)
	@for script in $(BENCHMARKS); do echo "== $$script"; $(BIN)/python $$script || exit 1; done
	@$(BIN)/python bench/table.py

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
