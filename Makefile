# Reelpay: `make run` serves the demo, `make test` runs the suite. Both set everything up.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export REELPAY_DATABASE_URL ?= sqlite+aiosqlite:///./reelpay.db

.PHONY: install run serve migrate seed test test-dated schema check lint format typecheck audit clean

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: install migrate
	$(BIN)/reelpay seed-demo --if-empty
	$(BIN)/reelpay serve

serve: install
	$(BIN)/reelpay serve

migrate: install
	$(BIN)/reelpay migrate

seed: install
	$(BIN)/reelpay seed-demo

# PostgreSQL tests run when REELPAY_TEST_POSTGRES_URL is set (CI always sets it).
test: install
	$(BIN)/pytest -q

# The tests marked `dated` again, with their clock at awkward instants: a leap day one second
# to midnight, the year's last second and first instant, a Sunday at a month's end.
DATED_AT ?= 2028-02-29T23:59:59Z 2026-12-31T23:59:59Z 2027-01-01T00:00:00Z 2027-02-28T12:00:00Z
test-dated: install
	@for now in $(DATED_AT); do \
	  echo "== dated tests at $$now"; \
	  REELPAY_TEST_NOW=$$now $(BIN)/pytest -q -m dated || exit 1; \
	done

schema: install
	$(BIN)/strawberry export-schema reelpay.graphql.schema:schema --output schema.graphql

lint: install
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src tests

format: install
	$(BIN)/ruff format src tests
	$(BIN)/ruff check --fix src tests

typecheck: install
	$(BIN)/mypy

check: lint typecheck test

# The GraphQL-over-HTTP audit (graphql-http) against a running server.
audit: install
	cd tools/http-audit && npm ci --silent --no-audit --no-fund
	node tools/http-audit/audit.mjs $${AUDIT_URL:-http://127.0.0.1:8000/graphql}

clean:
	rm -rf $(VENV) reelpay.db reelpay.db-shm reelpay.db-wal
