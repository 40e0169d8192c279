# cardgraph — `make run` starts the service, `make test` runs lint, types and the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
CODE := src workers tests $(wildcard bench)

.PHONY: install run test pytest lint format schema lock bench clean

# Exactly the locked set (requirements-dev.lock: every package pinned, each file checked against
# its hash), then cardgraph itself without resolving anything more.
$(STAMP): pyproject.toml requirements-dev.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements-dev.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	$(BIN)/python -m pip check
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

# Re-resolve the locks after changing pyproject.toml (existing pins are kept where they still
# fit; `UPGRADE=--upgrade make lock` takes the newest versions). The image's lock is the
# runtime subset of the development one, at the same versions.
LOCK := $(BIN)/uv pip compile pyproject.toml --universal --python-version 3.11 --generate-hashes --quiet $(UPGRADE)

lock:
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	test -x $(BIN)/uv || $(BIN)/python -m pip install --quiet "uv>=0.13.8"
	$(LOCK) --extra dev -o requirements-dev.lock
	$(LOCK) -c requirements-dev.lock -o requirements.lock

# The benchmarks; the other modules of bench/ are their parts. table.py prints them as one.
BENCHMARKS := bench/http_load.py bench/pdf_render.py bench/batch_export.py bench/subscription_fanout.py bench/revocation_latency.py bench/event_loop_hold.py

bench: $(STAMP)
	@for script in $(BENCHMARKS); do echo "== $$script"; $(BIN)/python $$script || exit 1; done
	@$(BIN)/python bench/table.py

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
