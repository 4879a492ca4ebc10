# Hezhang: two commands. `make run` sets everything up and serves on http://127.0.0.1:8000;
# `make test` runs lint, import layers, types, migration check and the test suite
# (SpatiaLite always; PostGIS too when TEST_POSTGIS_URL is set).
SHELL := /bin/bash
.DEFAULT_GOAL := help
VENV ?= .venv
PY := $(VENV)/bin/python
PYTEST_ARGS ?= -q
HOST ?= 127.0.0.1
PORT ?= 8000
export DJANGO_SETTINGS_MODULE ?= config.settings.local

.PHONY: help run serve setup system-deps venv vendor migrate demo test lint typecheck layers migrations-check pytest pytest-postgis fuzz clean messages compilemessages

help:
	@echo "make run   - install what is missing, migrate, load demo data, serve on http://$(HOST):$(PORT)"
	@echo "make test  - ruff, import-linter, mypy, makemigrations --check, pytest (SpatiaLite; PostGIS if TEST_POSTGIS_URL)"
	@echo "make fuzz  - fuzz the telemetry decoder for HEZHANG_FUZZ_SECONDS (default 180) seconds"

system-deps:
	@bash scripts/system-deps.sh

$(VENV)/.installed: pyproject.toml
	@test -x $(PY) || { py=$$(bash scripts/find-python.sh) && echo "Creating $(VENV) with $$py" && $$py -m venv $(VENV); }
	@$(PY) -c 'import sqlite3; assert hasattr(sqlite3.Connection, "enable_load_extension")' || \
	  { echo "$(VENV) was built from a Python that cannot load SQLite extensions; remove it and run again"; exit 1; }
	$(PY) -m pip install -q --upgrade pip setuptools wheel
	$(PY) -m pip install -q -e '.[dev]'
	@touch $@

venv: system-deps $(VENV)/.installed vendor
	@mkdir -p var

# The console's front-end parts (htmx, Leaflet, ECharts) come from the npm registry, pinned by
# console/package-lock.json, and are copied into console/static/vendor/ (git-ignored; WhiteNoise serves
# them): third-party minified code is never committed and never loaded from a CDN.
VENDOR := console/static/vendor
$(VENDOR)/.installed: console/package.json console/package-lock.json scripts/console-vendor.sh
	bash scripts/console-vendor.sh

vendor: system-deps $(VENDOR)/.installed

# Translations: each app keeps its own catalogue in <app>/locale/<lang>/LC_MESSAGES/django.po (committed);
# the compiled .mo files are not committed, they are built here (msgfmt, from gettext) at set-up and
# before the tests. `make messages` updates the catalogues after strings change in the code: it runs
# makemessages inside each app that has a locale/ folder, then write the zh_Hans msgstrs by hand.
LOCALE_APPS = $(patsubst %/locale,%,$(wildcard */locale))
compilemessages: venv
	@for app in $(LOCALE_APPS); do (cd $$app && $(abspath $(PY)) $(CURDIR)/manage.py compilemessages -v 0) || exit 1; done

messages: venv
	@for app in $(LOCALE_APPS); do (cd $$app && $(abspath $(PY)) $(CURDIR)/manage.py makemessages \
	  -l zh_Hans -l en --add-location=file --no-obsolete --no-wrap -v 0) || exit 1; done

setup: venv compilemessages
	@mkdir -p var
	$(PY) manage.py migrate --noinput
	$(PY) manage.py load_demo

run: setup serve

serve:
	$(PY) manage.py runserver $(HOST):$(PORT)

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

layers: venv
	$(VENV)/bin/lint-imports

typecheck: venv
	$(VENV)/bin/mypy .

migrations-check: venv
	DJANGO_SETTINGS_MODULE=config.settings.test $(PY) manage.py makemigrations --check --dry-run

pytest: venv compilemessages
	@mkdir -p var
	@echo "== pytest on SpatiaLite =="
	DJANGO_SETTINGS_MODULE=config.settings.test DATABASE_URL=spatialite:///$(CURDIR)/var/test-base.sqlite3 \
	  $(PY) -m pytest $(PYTEST_ARGS)

pytest-postgis: venv compilemessages
	@if [ -n "$$TEST_POSTGIS_URL" ]; then \
	  echo "== pytest on PostGIS =="; \
	  DJANGO_SETTINGS_MODULE=config.settings.test DATABASE_URL="$$TEST_POSTGIS_URL" $(PY) -m pytest $(PYTEST_ARGS); \
	else echo "== PostGIS suite skipped: TEST_POSTGIS_URL is not set (CI sets it) =="; fi

test: lint layers typecheck migrations-check pytest pytest-postgis

# The telemetry decoder fuzz (Hypothesis) for minutes rather than make test's 20 s; it needs no database.
# Its example corpus is kept in tests/water_telemetry/fuzz-corpus/ (commit what a run adds).
HEZHANG_FUZZ_SECONDS ?= 180
fuzz: venv
	@mkdir -p var
	@echo "== fuzzing the telemetry decoder for $(HEZHANG_FUZZ_SECONDS) s =="
	DJANGO_SETTINGS_MODULE=config.settings.test DATABASE_URL=spatialite:///$(CURDIR)/var/test-fuzz.sqlite3 \
	  HEZHANG_FUZZ_SECONDS=$(HEZHANG_FUZZ_SECONDS) HEZHANG_FUZZ_SAVE=1 $(PY) -m pytest tests/water_telemetry/test_fuzz.py -q

clean:
	rm -rf var/test-*.sqlite3 .pytest_cache .mypy_cache .ruff_cache
	find . -path ./.venv -prune -o -name '*.mo' -path '*/locale/*' -print -exec rm -f {} +
