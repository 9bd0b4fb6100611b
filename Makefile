# Setup, serving and tests. `make run` and `make test` work on a fresh clone.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
FLASK := $(PY) -m flask --app run
INSTANCE ?= instance
SECRET_FILE := $(INSTANCE)/secret_key

.PHONY: install translations migrate setup run serve test test-sqlite test-postgres test-browser bench clean

$(VENV)/.installed: requirements.txt requirements-test.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-test.txt
	touch $@

install: $(VENV)/.installed translations

translations: $(VENV)/.installed
	$(VENV)/bin/pybabel compile --use-fuzzy -d app/translations -D messages --statistics 2>&1 | tail -1

# A random key kept in the instance folder, so sessions survive restarts and
# no development default is ever served.
$(SECRET_FILE):
	mkdir -p $(INSTANCE)
	$(PY) -c "import secrets; print(secrets.token_urlsafe(48))" > $@
	chmod 600 $@

migrate: install $(SECRET_FILE)
	SECRET_KEY=$$(cat $(SECRET_FILE)) $(FLASK) db upgrade

setup: migrate
	SECRET_KEY=$$(cat $(SECRET_FILE)) $(FLASK) platform setup

run: setup
	@echo "打开 http://127.0.0.1:5000/ （Ctrl+C 停止）"
	SECRET_KEY=$$(cat $(SECRET_FILE)) $(FLASK) run --host 127.0.0.1 --port 5000

# Production serving: gunicorn with several workers (gunicorn.conf.py) behind
# one reverse proxy, failed logins counted in Redis. Every variable can be set
# on the command line or in the environment.
BIND ?= 127.0.0.1:8000
PROXY_FIX_HOPS ?= 1
RATELIMIT_STORAGE_URI ?= redis://127.0.0.1:6379/0
serve: migrate
	SECRET_KEY=$${SECRET_KEY:-$$(cat $(SECRET_FILE))} $(FLASK) platform setup --no-demo
	SECRET_KEY=$${SECRET_KEY:-$$(cat $(SECRET_FILE))} BIND=$(BIND) \
	  PROXY_FIX_HOPS=$(PROXY_FIX_HOPS) RATELIMIT_STORAGE_URI=$(RATELIMIT_STORAGE_URI) \
	  $(VENV)/bin/gunicorn -c gunicorn.conf.py run:app

# Everything CI runs: the unit suite on SQLite, the same suite on PostgreSQL,
# then the browser scenarios against a served app.
test: test-sqlite test-postgres test-browser

test-sqlite: install
	$(PY) -m pytest --ignore=tests/e2e

# The same suite on PostgreSQL: one database per test, cloned from a template
# that the fixtures create and drop.
TEST_DATABASE_URL ?= postgresql://postgres@127.0.0.1:5432/test
test-postgres: install
	TEST_DATABASE_URL=$(TEST_DATABASE_URL) $(PY) -m pytest --ignore=tests/e2e

# Debian's chromium, installed when missing, driven by Playwright.
test-browser: install
	scripts/install-browser
	$(PY) -m pytest tests/e2e

# The benchmark on its own database (never the user's), generated once and
# reused; it updates docs/benchmarks.md. BENCH_SCALE and BENCH_REPEAT make a
# smaller run; DATABASE_URL=postgresql://... benchmarks <that db>_bench.
bench: install
	$(PY) -m bench

clean:
	rm -rf $(VENV) .pytest_cache
