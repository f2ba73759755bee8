# tongban — the two commands a newcomer needs are `make demo` and `make test`.
PYTHON ?= python3.11
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8000
HOST ?= 127.0.0.1
DEMO_ENV := TONGBAN_DEMO=1
# the host the demo data's SMS links name (rundemo does the same for the SMS it sends itself)
DEMO_LINK_HOST := $(if $(filter 127.0.0.1 0.0.0.0,$(HOST)),localhost,$(HOST))
PG_URL ?= postgres://postgres@127.0.0.1:5432/test

.PHONY: demo test test-pg check lint typecheck migrations-check openapi openapi-check install serve clean

$(VENV)/.installed: pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "需要 Python 3.11 / Python 3.11 is required ($(PYTHON) not found)"; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $@

install: $(VENV)/.installed

## make demo: set up everything, load the demo data, serve on $(PORT) and print the logins.
demo: install
	$(DEMO_ENV) $(PY) manage.py migrate --noinput
	$(DEMO_ENV) $(PY) manage.py createcachetable
	$(DEMO_ENV) TONGBAN_PUBLIC_BASE_URL=$${TONGBAN_PUBLIC_BASE_URL:-http://$(DEMO_LINK_HOST):$(PORT)} $(PY) manage.py load_demo
	$(DEMO_ENV) $(PY) manage.py rundemo --host $(HOST) --port $(PORT)

## make test: set up and run every test (SQLite). CI also runs it on PostgreSQL (.ci/run).
test: install
	$(PY) -m pytest -q -p randomly $(PYTEST_ARGS)

test-pg: install
	DATABASE_URL=$(PG_URL) $(PY) -m pytest -q -p randomly $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check src bench conftest.py manage.py
	$(VENV)/bin/ruff format --check src bench conftest.py manage.py

typecheck: install
	TONGBAN_TESTING=1 $(VENV)/bin/mypy src

migrations-check: install
	TONGBAN_TESTING=1 $(PY) manage.py makemigrations --check --dry-run

openapi: install
	TONGBAN_TESTING=1 $(PY) manage.py spectacular --file docs/openapi.yaml --validate

openapi-check: install
	TONGBAN_TESTING=1 $(PY) manage.py spectacular --file /tmp/tongban-openapi.yaml --validate
	diff -u docs/openapi.yaml /tmp/tongban-openapi.yaml || { echo "docs/openapi.yaml is out of date: run make openapi"; exit 1; }

check: lint typecheck migrations-check openapi-check

clean:
	rm -rf $(VENV) var/tongban.sqlite3* var/media var/static
