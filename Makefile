# The two commands of the README:
#   make run    set up and start the app with demo data (SQLite, tasks in-process)
#   make test   set up and run the whole test suite
# Both install what is missing (system packages via apt, Python packages in .venv).

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=

.PHONY: run test bench lint format system-deps system-deps-run node-deps migrations-check docs-permissions clean

$(VENV)/.installed: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -r requirements.txt
	touch $@

system-deps-run:
	PYTHON=$(PYTHON) scripts/system-deps.sh run

system-deps:
	PYTHON=$(PYTHON) scripts/system-deps.sh test

tests/e2e/node_modules/axe-core/axe.min.js: tests/e2e/package.json tests/e2e/package-lock.json
	cd tests/e2e && npm ci --silent --no-audit --no-fund
	touch $@

node-deps: tests/e2e/node_modules/axe-core/axe.min.js

run: system-deps-run $(VENV)/.installed
	DEBUG=true $(PY) manage.py migrate --noinput
	@# Quietly: the demo's e-mails are kept in memory and its tasks log nothing, so that the logins come last.
	DEBUG=true EMAIL_URL= EMAIL_BACKEND=django.core.mail.backends.locmem.EmailBackend LOG_LEVEL=WARNING $(PY) manage.py seed_demo --if-empty
	@echo "Open http://$(HOST):$(PORT) and log in with one of the accounts above."
	@# Links in e-mails point where the app is served, unless SITE_URL says otherwise.
	DEBUG=true SITE_URL=$${SITE_URL:-http://$(HOST):$(PORT)} $(PY) manage.py runserver $(HOST):$(PORT)

migrations-check: $(VENV)/.installed
	# Models against migration files only: no database needed.
	env -u DATABASE_URL DEBUG=true $(PY) manage.py makemigrations --check --dry-run

test: system-deps $(VENV)/.installed node-deps migrations-check
	$(PY) -m pytest -n 2 $(PYTEST_ARGS)

bench: system-deps-run $(VENV)/.installed
	$(PY) -m bench

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(VENV)/.installed
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

docs-permissions: $(VENV)/.installed
	$(PY) manage.py permissions_table > docs/permissions.md

clean:
	rm -rf $(VENV) tests/e2e/node_modules db.sqlite3 test*.sqlite3* staticfiles
