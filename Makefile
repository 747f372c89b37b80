# Two commands: `make run` serves the app with demo data, `make test` runs the whole suite.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
export PORT

.PHONY: run test lint translations bench bench-live bench-http deps system-deps clean

run: deps
	$(BIN)/python -m mapdash.devserver

# In parallel (pytest-xdist, a process per core, each with its own PostGIS cluster), then
# the 15 slowest tests.
test: deps
	scripts/system-deps.sh postgis browser
	$(BIN)/pytest -n auto --durations=15

# Lint and types (ruff.toml, [mypy] in setup.cfg), both reported; CI (.ci/run) runs it first.
lint: $(BIN)/mapdash
	@status=0; \
	$(BIN)/ruff check mapdash tests || status=1; \
	$(BIN)/mypy mapdash || status=1; \
	exit $$status

# After a text changed: gather every message (babel.cfg), add the new ones to both catalogues,
# then (once their Thai is written) compile. README, "Translations".
I18N := mapdash/translations
translations: $(BIN)/mapdash
	$(BIN)/pybabel extract -F $(I18N)/babel.cfg --project mapdash \
	  --copyright-holder "mapdash contributors" --add-location=file -o $(I18N)/messages.pot .
	$(BIN)/pybabel update -i $(I18N)/messages.pot -d $(I18N) --no-fuzzy-matching --ignore-obsolete
	$(BIN)/pybabel compile -d $(I18N) --statistics

deps: system-deps $(BIN)/mapdash

system-deps:
	scripts/system-deps.sh $(if $(DATABASE_URL),,postgis)

# The virtual environment, rebuilt when the declared dependencies change. pip is quiet, so say
# what takes the time; of its output only the notes of this machine's local package index
# ("WARNING: Location 'file:///opt/pypi...' is ignored", one per package) are left out.
PIP_NOISE := ^WARNING: Location 'file:///opt/pypi[^']*' is ignored: it is neither a file nor a directory\.$$
$(BIN)/mapdash: setup.cfg setup.py
	@echo "creating the virtual environment $(VENV) ..."
	@$(PYTHON) -m venv $(VENV)
	@echo "installing Python packages into $(VENV) (about 2 minutes the first time) ..."
	@set -o pipefail; start=$$SECONDS; \
	{ $(BIN)/pip install --quiet --disable-pip-version-check -e '.[test]' 2>&1 1>&3 3>&- \
	  | { grep -v "$(PIP_NOISE)" || true; } >&2; } 3>&1 \
	&& echo "Python packages installed ($$((SECONDS - start)) s)"
	@touch $@

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache .ruff_cache .mypy_cache

# Server and SQL timings with 1,000,000 synthetic cases (BENCH_INCIDENTS=N to change), all in
# one organization (BENCH_LAYOUT=single) or spread over many (BENCH_LAYOUT=national).
# BENCH_DATA=folder keeps the seeded cluster there for the next run (README, Benchmarks).
bench: deps
	$(BIN)/python -m mapdash.bench

# 2,000 dispatcher screens on live streams, gunicorn as the Dockerfile runs it.
bench-live: deps
	$(BIN)/python -m mapdash.bench.live_streams

# The same server under a bounded load (req/s, p50, p95 of the map endpoints), tipg beside it
# on the same table (installed into var/bench-tipg, never .venv), then 2,000 live streams.
# BENCH_CASES=N (default 100,000), BENCH_LAYOUT, BENCH_PORT and BENCH_TIPG_PORT (default free).
bench-http: deps
	$(BIN)/python -m mapdash.bench.http_load

# Reports per second through gunicorn (Open311 and the web form) next to the bare INSERT;
# BENCH_ARGS="--configs 2x8,4x4 --seconds 20" to change (python -m mapdash.bench.intake_http -h).
.PHONY: bench-intake-http
bench-intake-http: deps
	$(BIN)/python -m mapdash.bench.intake_http $(BENCH_ARGS)
