# The two commands: `make run` (server with demo data) and `make test` (the whole suite).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
export AANWEZIG_INSTANCE_PATH ?= $(CURDIR)/instance

.PHONY: run test lint bench system-packages browser display proxy clean

$(STAMP): setup.cfg pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	@# The headless OpenCV of earlier checkouts shares the cv2 folder with the GUI build.
	@if $(BIN)/pip show --quiet opencv-python-headless 2>/dev/null; then \
	  $(BIN)/pip uninstall --quiet --yes opencv-python-headless opencv-python; fi
	$(BIN)/pip install --quiet -e '.[test,scanner]'
	@touch $(STAMP)

# Installed when missing and we may (root + apt), for the laptop scanner and its tests (the
# server itself loads none of them): libzbar0 backs the pyzbar decoder; the GUI build of OpenCV
# needs libGL, GLib and a few X libraries for the scanner's window; DejaVu is the banner's font.
system-packages:
	@bash scripts/system-packages.sh libzbar0 libgl1 'libglib2.0-0t64|libglib2.0-0' libsm6 libxext6 libxcb1 fonts-dejavu-core

# Xvfb and xdotool for the scanner's window tests (a virtual screen and a hand scanner typing).
display:
	@bash scripts/system-packages.sh xvfb xdotool

# nginx for the production test, which runs deploy/nginx/aanwezig.conf in front of two servers.
proxy:
	@bash scripts/system-packages.sh nginx

# Debian's Chromium for the browser tests (Playwright cannot download its own here).
browser:
	@bash scripts/system-packages.sh chromium

# Every link in a mail is built from the public address, and the server answers only to its
# host (localhost and 127.0.0.1 both, here); another address can be given on the command line.
run: export AANWEZIG_PUBLIC_URL ?= http://127.0.0.1:5000
run: $(STAMP) system-packages
	$(BIN)/flask --app wsgi db upgrade
	$(BIN)/flask --app wsgi demo-data
	$(BIN)/flask --app wsgi run --host 127.0.0.1 --port 5000

# Lint and type-check first: a change that breaks the code's shape or its types fails the build
# like a failing test (mypy reads what to check and how strictly from setup.cfg).
test: $(STAMP) system-packages browser display proxy
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python bench/scan_load.py
	$(BIN)/python bench/decode.py
	$(BIN)/python bench/outbox.py
	$(BIN)/python bench/figures.py
	$(BIN)/python bench/audit.py
	$(BIN)/python bench/exchange.py
	$(BIN)/python bench/exchange.py --postgres

clean:
	rm -rf $(VENV) instance .pytest_cache
