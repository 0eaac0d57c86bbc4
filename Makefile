# Reelpay: `make run` serves the demo, `make test` runs the suite. Both set everything up.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export REELPAY_DATABASE_URL ?= sqlite+aiosqlite:///./reelpay.db

.PHONY: install run serve migrate seed test test-dated schema check lint format typecheck audit clean \
	bench bench-workers

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
# The suite runs on every core (pytest-xdist): each worker migrates its own SQLite file and
# PostgreSQL database. TEST_WORKERS=0 runs it in one process.
TEST_WORKERS ?= auto
test: install
	$(BIN)/pytest -q -n $(TEST_WORKERS)

# The tests marked `dated` again, with their clock at awkward instants: a leap day one second
# to midnight, the year's last second and first instant, a Sunday at a month's end.
DATED_AT ?= 2028-02-29T23:59:59Z 2026-12-31T23:59:59Z 2027-01-01T00:00:00Z 2027-02-28T12:00:00Z
test-dated: install
	@for now in $(DATED_AT); do \
	  echo "== dated tests at $$now"; \
	  REELPAY_TEST_NOW=$$now $(BIN)/pytest -q -n $(TEST_WORKERS) -m dated || exit 1; \
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

# Reelpay against a raw baseline under wrk (bench/run.py), on SQLite and, when
# BENCH_POSTGRES_URL names a server (e.g. postgresql://postgres@127.0.0.1:5432/postgres), on a
# fresh database there. Writes bench/RESULTS.md; BENCH_ARGS=--quick (scale 0.1, one 5 s round,
# about 2 minutes on SQLite) writes bench/RESULTS-quick.md for before/after figures.
BENCH_ARGS ?=
BENCH_POSTGRES_URL ?=
BENCH_RUN = $(BIN)/python bench/run.py $(BENCH_ARGS) \
	$(if $(BENCH_POSTGRES_URL),--postgres-url $(BENCH_POSTGRES_URL))

bench: install
	command -v wrk >/dev/null || apt-get install -y wrk
	$(BENCH_RUN)

# The same with 2 uvicorn workers per server, written to bench/RESULTS-workers.md.
bench-workers: install
	command -v wrk >/dev/null || apt-get install -y wrk
	$(BENCH_RUN) --workers 2 --output bench/RESULTS-workers.md

clean:
	rm -rf $(VENV) reelpay.db reelpay.db-shm reelpay.db-wal
