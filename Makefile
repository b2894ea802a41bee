# GNU make. Needs only python3.11 on the machine: everything else goes into $(VENV).
PYTHON ?= python3.11
VENV = .venv
PYTEST_ARGS ?=

# Local commands run with DEBUG on unless the environment says otherwise: DEBUG off needs a
# SECRET_KEY, and a checkout has none.
MANAGE = DEBUG=$${DEBUG:-1} $(VENV)/bin/python manage.py
STAMP = $(VENV)/.installed

.DEFAULT_GOAL := help
.PHONY: help venv install run migrate static test lint schema-lint format schema migrations-check clean

help:
	@echo "make run               install, migrate, then serve web + task cluster (Ctrl+C stops)"
	@echo "make test              install, then run the test suite (PYTEST_ARGS=... to pass options)"
	@echo "make lint              ruff check, ruff format --check and the schema lint (graphql-schema-linter)"
	@echo "make format            ruff check --fix and ruff format"
	@echo "make schema            export graphql_schema/schema.graphql from the code"
	@echo "make migrations-check  fail if a model change has no migration"
	@echo "make venv | install    create $(VENV) and install requirements-dev.txt if they changed"
	@echo "make clean             remove caches and collected static files (keeps $(VENV) and the database)"

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)

# The stamp is newer than both requirements files exactly when the venv matches them.
$(STAMP): requirements.txt requirements-dev.txt | $(VENV)/bin/python
	$(VENV)/bin/python -m pip install --disable-pip-version-check -r requirements-dev.txt
	touch $@

venv install: $(STAMP)

migrate: $(STAMP)
	$(MANAGE) migrate --noinput

# Collected static files are what WhiteNoise serves when DEBUG is off.
static: $(STAMP)
	$(MANAGE) collectstatic --noinput --verbosity 0

# exec: the supervisor replaces the shell, so Ctrl+C and `kill` reach it directly.
run: migrate static
	$(MANAGE) setup_schedules
	DEBUG=$${DEBUG:-1} exec $(VENV)/bin/python manage.py serve

test: $(STAMP)
	$(VENV)/bin/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	@$(MAKE) --no-print-directory schema-lint

# graphql-schema-linter (npm, pinned in package-lock.json, installed into ./node_modules) over
# the exported schema; its rules are in graphql-schema-linter.config.js. A machine without npm
# skips it and says so; CI (REQUIRE_TEST_TOOLS=1) fails instead.
schema-lint:
	@if ! command -v npm >/dev/null 2>&1; then \
		if [ "$${REQUIRE_TEST_TOOLS:-}" = 1 ]; then \
			echo "schema lint: npm is not installed, and REQUIRE_TEST_TOOLS=1 needs it" >&2; exit 1; \
		fi; \
		echo "schema lint skipped: npm is not installed (install Node.js 20 to run graphql-schema-linter)"; \
	else \
		if [ ! node_modules/.installed -nt package-lock.json ]; then \
			npm ci --no-audit --no-fund --loglevel=error && touch node_modules/.installed; \
		fi; \
		npx --no-install graphql-schema-linter graphql_schema/schema.graphql; \
	fi

format: $(STAMP)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

schema: $(STAMP)
	$(MANAGE) export_schema graphql_schema.schema:schema --path graphql_schema/schema.graphql

migrations-check: $(STAMP)
	$(MANAGE) makemigrations --check --dry-run

clean:
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -exec rm -rf {} +
	rm -rf .pytest_cache .ruff_cache staticfiles
