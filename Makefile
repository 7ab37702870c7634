# The two commands: `make run` (server with demo data) and `make test` (the whole suite).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
export AANWEZIG_INSTANCE_PATH ?= $(CURDIR)/instance

.PHONY: run test lint bench system-packages browser clean

$(STAMP): setup.cfg pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	@touch $(STAMP)

# libzbar0 backs the optional pyzbar decoder; installed when missing and we may (root + apt).
system-packages:
	@bash scripts/system-packages.sh libzbar0

# Debian's Chromium for the browser tests (Playwright cannot download its own here).
browser:
	@bash scripts/system-packages.sh chromium

run: $(STAMP) system-packages
	$(BIN)/flask --app wsgi db upgrade
	$(BIN)/flask --app wsgi demo-data
	$(BIN)/flask --app wsgi run --host 127.0.0.1 --port 5000

test: $(STAMP) system-packages browser
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

bench: $(STAMP)
	$(BIN)/python bench/scan_load.py
	$(BIN)/python bench/decode.py
	$(BIN)/python bench/figures.py

clean:
	rm -rf $(VENV) instance .pytest_cache
