# The front door: `make run` serves the demo, `make test` runs every test.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.PHONY: install run demo serve superuser curator test test-fast bench bench-smoke lint format messages clean

# Commands run on this machine: development settings unless the environment says otherwise.
LOCAL := DEBUG=$${DEBUG:-true}

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

demo: install
	DEBUG=true $(PY) manage.py migrate --no-input
	DEBUG=true $(PY) manage.py load_demo --demo-curator

run: demo
	@echo ""
	@echo "Essaim runs on http://127.0.0.1:8000/"
	@echo "Admin: http://127.0.0.1:8000/admin/ — demo curator 'curateur', password 'essaim-demo'"
	@echo "(local demo database only; 'make superuser' creates an administrator)."
	@echo ""
	DEBUG=true $(PY) manage.py runserver 127.0.0.1:8000

# The production server, locally: gunicorn (gunicorn.conf.py) with WhiteNoise serving the
# collected static files, on SQLite or on DATABASE_URL. Production settings, so it needs a
# SECRET_KEY; a throwaway one is made up when none is set.
serve: install
	@export SECRET_KEY="$${SECRET_KEY:-$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(50))')}" \
	  SECURE_COOKIES="$${SECURE_COOKIES:-false}"; \
	$(PY) manage.py migrate --no-input && $(PY) manage.py collectstatic --no-input -v0 && \
	exec $(VENV)/bin/gunicorn config.wsgi

superuser: install
	$(LOCAL) $(PY) manage.py createsuperuser

curator: install
	@read -p "Curator username: " name && $(LOCAL) $(PY) manage.py create_curator "$$name"

# The suite without a browser runs on two processes (pytest-django's order, committing tests
# last, holds in each); then, in one, the browser tests and the production stack on loopback
# (tests/deployment/: skipped without root, nginx and wrk, except in CI).
PARALLEL := -n 2

test: install
	$(PY) -m pytest -m "not browser and not deployment" $(PARALLEL)
	$(PY) -m pytest -m "browser or deployment"

test-fast: install
	$(PY) -m pytest -m "not browser and not deployment" $(PARALLEL)

# The benchmark (docs/performance.md): the production stack on PostgreSQL (BENCH_DATABASE_URL's
# server), with wrk, at 1,000 and SIZE initiatives; `make bench SIZE=1000000` for the million.
SIZE ?= 100000
bench: install
	$(LOCAL) $(PY) manage.py bench --sizes 1000,$(SIZE)

bench-smoke: install
	$(LOCAL) $(PY) manage.py bench --smoke

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

messages: install
	$(LOCAL) $(PY) manage.py makemessages --locale fr --locale en --ignore "$(VENV)/*"
	$(LOCAL) $(PY) manage.py compilemessages --ignore "$(VENV)/*"

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles
