# Liuzhuan — two commands: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
PORT ?= 8000

.PHONY: install run test bench lint migrate seed stop-services

install: $(STAMP)

# Re-installs only when pyproject.toml changed (or the venv is missing).
$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install -q --disable-pip-version-check --upgrade "pip>=24"
	@$(BIN)/python -m pip install -q --disable-pip-version-check -e '.[dev]'
	@touch $(STAMP)

migrate: install
	$(BIN)/python manage.py migrate --noinput

seed: migrate
	$(BIN)/python manage.py seed_demo --port $(PORT)

run: seed
	@$(BIN)/python manage.py ensure_admin
	LIUZHUAN_SANDBOX=$${LIUZHUAN_SANDBOX:-1} PORT=$(PORT) $(BIN)/python manage.py runstack --port $(PORT) --with listen_channels

# Browser journeys need Debian's Chromium: installed here when missing (as root, e.g. CI).
test: install
	@bash scripts/ensure_chromium.sh || echo "Chromium missing: browser tests are skipped outside CI"
	$(BIN)/python -m pytest

bench: install
	@set -e; for script in bench/[!_]*.py; do \
		echo "== $$script"; $(BIN)/python $$script --quick; \
	done

lint: install
	$(BIN)/ruff check .

stop-services: install
	$(BIN)/python manage.py embedded stop
