# Hazard Log — the two commands a newcomer needs are `make run` and `make test`.
# Everything they need is installed by the targets below; nothing has to be set up by hand.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
DEV_ENV := DEBUG=true
DEMO_USER ?= demo
DEMO_PASSWORD ?= demo-hazard-log

.DEFAULT_GOAL := help
.PHONY: help run test lint bench load assets browser migrate demo clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

static/.built: node_modules/.installed $(wildcard frontend/*) package.json
	npm run build
	touch $@

assets: static/.built ## Build the NHS.UK frontend CSS/JS into static/

browser: ## Install Debian's Chromium for the browser tests (needs root and apt)
	@if [ -x /usr/bin/chromium ]; then echo "Chromium is installed."; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium; \
	else echo "Browser tests will be skipped: install Debian's chromium (sudo apt-get install chromium)."; fi

migrate: $(VENV)/.installed ## Apply the migrations to the database (SQLite file by default)
	$(DEV_ENV) $(PY) manage.py migrate --no-input

demo: migrate ## Load the NHS reference data and the demo hazard log, and create the demo login
	$(DEV_ENV) $(PY) manage.py load_demo --username $(DEMO_USER) --password $(DEMO_PASSWORD)

run: $(VENV)/.installed assets demo ## Install, build, migrate, load the demo and serve on http://127.0.0.1:8000
	@echo ""
	@echo "  Hazard Log is at http://127.0.0.1:8000  —  sign in as $(DEMO_USER) / $(DEMO_PASSWORD)"
	@echo ""
	$(DEV_ENV) $(PY) manage.py runserver 127.0.0.1:8000

lint: $(VENV)/.installed ## ruff check, ruff format --check, makemigrations --check
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(DEV_ENV) $(PY) manage.py makemigrations --check --dry-run

test: $(VENV)/.installed assets browser lint ## Install what tests need, lint, and run every test
	$(DEV_ENV) $(VENV)/bin/pytest

bench: $(VENV)/.installed assets ## Speed and memory benchmarks, measured side by side
	$(DEV_ENV) $(PY) -m bench

load: $(VENV)/.installed assets ## Load test of gunicorn in production settings on PostgreSQL (127.0.0.1:5432)
	$(PY) -m bench.load

clean: ## Remove the virtualenv, node_modules, built assets and the SQLite database
	rm -rf $(VENV) node_modules static staticfiles db.sqlite3
