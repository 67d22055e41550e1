# The front door: `make run` serves the demo, `make test` runs every test.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.PHONY: install run demo superuser curator test test-fast lint format messages clean

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

superuser: install
	$(PY) manage.py createsuperuser

curator: install
	@read -p "Curator username: " name && $(PY) manage.py create_curator "$$name"

# The suite without a browser runs on two processes (pytest-django's order, committing tests
# last, holds in each); the browser tests run after it, in one.
PARALLEL := -n 2

test: install
	$(PY) -m pytest -m "not browser" $(PARALLEL)
	$(PY) -m pytest -m browser

test-fast: install
	$(PY) -m pytest -m "not browser" $(PARALLEL)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

messages: install
	$(PY) manage.py makemessages --locale fr --locale en --ignore "$(VENV)/*"
	$(PY) manage.py compilemessages --ignore "$(VENV)/*"

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles
