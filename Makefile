# cardgraph — `make run` starts the service, `make test` runs lint, types and the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
RUN_STAMP := $(VENV)/.run-installed-stamp
CODE := src workers tests $(wildcard bench)

.PHONY: install run test pytest lint format schema lock bench clean graphiql system-packages test-system-packages

# Exactly a locked set (every package pinned, each file checked against its hash), then
# cardgraph itself without resolving anything more. `make run` needs the runtime and the
# embedded servers only (requirements-run.lock); `make test` and `make install` add the
# development tools (requirements-dev.lock, a superset at the same versions).
define install_locked
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --require-hashes -r $(1)
	$(BIN)/python -m pip install --quiet --no-deps -e .
	$(BIN)/python -m pip check
endef

$(RUN_STAMP): pyproject.toml requirements-run.lock
	$(call install_locked,requirements-run.lock)
	touch $(RUN_STAMP)

$(STAMP): pyproject.toml requirements-dev.lock
	$(call install_locked,requirements-dev.lock)
	touch $(STAMP) $(RUN_STAMP)

install: $(STAMP)

# Debian's libraries WeasyPrint needs (and Chromium for the browser tests), when missing.
system-packages:
	deploy/system_packages.sh run

test-system-packages:
	deploy/system_packages.sh test

run: $(RUN_STAMP) system-packages
	$(BIN)/cardgraph dev

test: lint pytest

pytest: $(STAMP) test-system-packages
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check $(CODE)
	$(BIN)/ruff format --check $(CODE)
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache

format: $(STAMP)
	$(BIN)/ruff format $(CODE)
	$(BIN)/ruff check --fix $(CODE)

schema: $(STAMP)
	$(BIN)/cardgraph export-schema --output schema.graphql

# Re-resolve the locks after changing pyproject.toml (existing pins are kept where they still
# fit; `UPGRADE=--upgrade make lock` takes the newest versions). The image's lock
# (requirements.lock) is the runtime subset of the development one, and `make run`'s
# (requirements-run.lock) the runtime plus the embedded servers, at the same versions.
LOCK := $(BIN)/uv pip compile pyproject.toml --universal --python-version 3.11 --generate-hashes --quiet $(UPGRADE)

lock:
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	test -x $(BIN)/uv || $(BIN)/python -m pip install --quiet "uv>=0.13.8"
	$(LOCK) --extra dev -o requirements-dev.lock
	$(LOCK) -c requirements-dev.lock -o requirements.lock
	$(LOCK) --extra embedded -c requirements-dev.lock -o requirements-run.lock

# The benchmarks; the other modules of bench/ are their parts. table.py prints them as one.
BENCHMARKS := bench/http_load.py bench/pdf_render.py bench/batch_export.py bench/subscription_fanout.py bench/revocation_latency.py bench/event_loop_hold.py bench/cold_list.py bench/list_fields.py bench/history.py

bench: $(STAMP)
	@for script in $(BENCHMARKS); do echo "== $$script"; $(BIN)/python $$script || exit 1; done
	@$(BIN)/python bench/table.py

# GraphiQL's browser files, served from the package (offline IDE): fetched again from npm.
graphiql:
	deploy/vendor_graphiql.sh

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
