# Tawtiq: one command per chore, the same on a laptop and in CI.
#   make demo   set up .venv and walk through the credential loop
#   make test   set up .venv with the dev tools; lint, type-check every package (mypy --strict), import
#               contracts, tests with coverage
#   make test-fast  the engine and unit tests only, for the inner loop (under a minute)
#   make bench  benchmarks; the last line printed is one JSON object of figures and ratios
#   make bench-engine  the engine's figures only (a minute), the same JSON keys

PYTHON ?= python3
# The service tests run on SQLite and on this PostgreSQL server (each test gets a database of its own).
export TAWTIQ_TEST_DATABASE_URL ?= postgresql://postgres@127.0.0.1:5432/test
# The browser tests drive this Chromium.
export TAWTIQ_CHROMIUM ?= /usr/bin/chromium
VENV   ?= .venv
BIN    := $(VENV)/bin

.PHONY: demo test test-fast lint typecheck contracts pytest bench bench-engine clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Reinstall whenever pyproject.toml changes; the stamp records what was installed.
$(VENV)/.installed-run: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

# The dev tools are pinned by constraints-dev.txt, so lint and type-check results do not drift.
$(VENV)/.installed-dev: pyproject.toml constraints-dev.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]' -c constraints-dev.txt
	touch $(VENV)/.installed-run $@

demo: $(VENV)/.installed-run
	$(BIN)/tawtiq demo

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(VENV)/.installed-dev
	$(BIN)/mypy --strict vc keys schemas common issuer verifier wallet_cli eid exams portal tawtiq

contracts: $(VENV)/.installed-dev
	$(BIN)/lint-imports

# The independent OpenID4VP and SD-JWT implementations the interoperability tests drive (Node.js packages pinned by
# tests/interop/package-lock.json, from the npm registry).
INTEROP := tests/interop
$(INTEROP)/node_modules/.installed: $(INTEROP)/package.json $(INTEROP)/package-lock.json
	npm ci --prefix $(INTEROP) --no-audit --no-fund --loglevel=error
	touch $@

# Coverage of vc/ and keys/ with the floor in pyproject.toml ([tool.coverage.report] fail_under).
# The tests run in PYTEST_WORKERS processes (pytest-xdist; a file's tests stay in one process): most of them wait
# on servers, browsers and databases of their own. PYTEST_WORKERS=0 runs them in this process.
PYTEST_WORKERS ?= 2
pytest: $(VENV)/.installed-dev $(INTEROP)/node_modules/.installed
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist loadfile --cov --cov-report=term $(PYTEST_ARGS)

test: lint typecheck contracts pytest

# The engine, the key layer, the data package and the README's engine example: no services, no browser.
test-fast: $(VENV)/.installed-dev
	$(BIN)/python -m pytest -q tests/vc tests/keys tests/schemas tests/tawtiq/test_readme.py $(PYTEST_ARGS)

bench: $(VENV)/.installed-dev
	$(BIN)/python -m tawtiq.bench

bench-engine: $(VENV)/.installed-dev
	$(BIN)/python -m tawtiq.bench engine

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .import_linter_cache .coverage build *.egg-info $(INTEROP)/node_modules
