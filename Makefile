# Newsroom: `make run` for a working newsroom on http://127.0.0.1:8000, `make test` for the suite.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8000
HOST ?= 127.0.0.1

.PHONY: run serve install install-dev test lint format bench bench-api bench-import bench-import-queries faults bench-ingest check-python clean cluster cluster-test bench-cluster bench-webhooks bench-autosave bench-media

check-python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else "Newsroom needs Python 3.12 or newer; found " + sys.version.split()[0] + ". Set PYTHON=python3.12.")'

$(VENV)/.runtime: requirements.lock | check-python
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check --require-hashes -r requirements.lock
	@touch $@

$(VENV)/.dev: requirements-dev.lock $(VENV)/.runtime
	$(VENV)/bin/pip install --quiet --disable-pip-version-check --require-hashes -r requirements-dev.lock
	@touch $@

install: $(VENV)/.runtime

install-dev: $(VENV)/.dev

# Install, migrate, load the demo newsroom, then serve it with the task worker beside it, as
# readers will see it: DEBUG off (the styled 404 and 410 pages, static files through WhiteNoise,
# media served) with a secret generated once into an ignored file; `DEBUG=1 make run` for
# Django's debug pages. E-mails show as one line each ("mail to ...: subject"). The worker is
# restarted if it ever exits (it waits out database outages by itself).
LOCAL_SECRET := .local-secret-key
RUN_ENV = DEBUG=$${DEBUG:-0} SECRET_KEY="$${SECRET_KEY:-$$(cat $(LOCAL_SECRET))}" \
	SITE_URL=$${SITE_URL:-http://$(HOST):$(PORT)} ALLOWED_HOSTS=$${ALLOWED_HOSTS:-$(HOST),localhost} \
	SERVE_MEDIA=$${SERVE_MEDIA:-1} EMAIL_BACKEND=$${EMAIL_BACKEND:-articles.mail.OneLineEmailBackend} \
	ROUTINE_LOG_LEVEL=$${ROUTINE_LOG_LEVEL:-ERROR} DJANGO_RUNSERVER_HIDE_WARNING=true

$(LOCAL_SECRET):
	@umask 077 && $(PYTHON) -c 'import secrets; print(secrets.token_urlsafe(50))' > $@

run: install $(LOCAL_SECRET)
	@echo "Preparing the demo newsroom (database, static files, demo stories)..."
	@$(RUN_ENV) $(PY) manage.py migrate --noinput -v 0
	@$(RUN_ENV) $(PY) manage.py collectstatic --noinput -v 0
	@$(RUN_ENV) $(PY) manage.py load_demo
	@echo "Serving on http://$(HOST):$(PORT)/  (admin: http://$(HOST):$(PORT)/admin/)  Ctrl-C stops."
	@$(RUN_ENV) bash -c 'trap "kill 0" EXIT INT TERM; \
		while :; do $(PY) manage.py run_worker --interval 1; echo "Task worker exited; restarting it." >&2; sleep 1; done & \
		$(PY) manage.py runserver --noreload $(HOST):$(PORT)'

# The browser tests (tests/browser, marked `browser`) drive Debian's Chromium; without it they
# are skipped with a message, except in CI (CI=true), where a missing browser fails the run.
CHROMIUM ?= /usr/bin/chromium
BROWSER_DEPS := tests/browser/node_modules/.package-lock.json

$(BROWSER_DEPS): tests/browser/package-lock.json
	cd tests/browser && npm ci --no-audit --no-fund --loglevel=error

test: install-dev
	@if [ -x "$(CHROMIUM)" ]; then \
		$(MAKE) -s --no-print-directory $(BROWSER_DEPS) && $(PY) -m pytest $(PYTEST_ARGS); \
	elif [ "$${CI:-}" = "true" ]; then \
		echo "Chromium is missing at $(CHROMIUM): CI runs the browser tests. Install it with: apt-get install chromium" >&2; \
		exit 1; \
	else \
		echo "*** Browser tests SKIPPED: Chromium not found at $(CHROMIUM)."; \
		echo "*** Install it with: sudo apt-get install chromium   (then run make test again)"; \
		$(PY) -m pytest -m "not browser" $(PYTEST_ARGS); \
	fi

lint: install-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install-dev
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache

# Faults on purpose against a throwaway PostgreSQL and Redis: the worker through outages,
# side effects with the worker killed at random. FAULTS_ARGS=--quick shortens the long outages.
faults: install
	$(PY) bench/faults.py $(FAULTS_ARGS)
	@if [ -f bench/faults_cache.py ]; then $(PY) bench/faults_cache.py; fi

# The public pages against the framework floor, uncached and cached (PostgreSQL, Redis, wrk).
# BENCH_COUNT=10000 articles by default; see bench/README.md for the other knobs.
bench: install
	$(PY) bench/run.py

# The read API's answers alone (list, filtered list, story, ninjs), uncached and cached.
bench-api: install
	BENCH_ONLY=api $(PY) bench/run.py

# Import a generated WordPress export (20,000 posts) on PostgreSQL, then again unchanged;
# BENCH_IMPORT_BIG=1 adds a 1 GB export for the memory ceiling. See bench/README.md.
bench-import: install
	$(PY) bench/import_wordpress.py

# Queries a WordPress import makes per post (BENCH_IMPORT_POSTS, default 300; a fresh SQLite
# file, or BENCH_IMPORT_QUERIES_DATABASE_URL).
bench-import-queries: install
	$(PY) bench/import_queries.py

# The wire desk's numbers: 10,000 ninjs files, the desk at 100,000 items, polling 50 sources.
# BENCH_INGEST_DATABASE_URL picks the database (default: a fresh SQLite file).
bench-ingest: install
	$(PY) bench/ingest.py

# Scaled out on loopback: Varnish, two gunicorn servers, the worker, Redis, and a PostgreSQL
# primary with a streaming replica, all fresh in a temporary directory (deploy/cluster.py).
# Installs the Debian packages it needs when run as root. Ctrl-C stops it all.
cluster: install
	$(PY) deploy/cluster.py

# The cluster's tests (tests/cluster, marked `cluster`): they start the topology themselves,
# on the same ports as `make cluster` (stop that first). Skipped when varnishd is missing.
cluster-test: install-dev
	$(PY) -m pytest -p no:cacheprovider -m cluster tests/cluster $(PYTEST_ARGS)

# The cluster's numbers (bench/cluster.py): cached article through Varnish against nginx, a
# publish storm, uncached pages on one application server and on two. Uses `make cluster`'s
# topology when it runs, else starts one. Needs wrk and nginx (nginx-light).
bench-cluster: install
	$(PY) bench/cluster.py

# How soon a webhook delivery leaves after a commit or a go-live, with the real task worker.
# BENCH_WEBHOOKS_DATABASE_URL picks the database (default: a fresh SQLite file).
bench-webhooks: install
	$(PY) bench/webhooks.py

# What one autosave of the article form costs the server, on the `make bench` database;
# see bench/README.md.
bench-autosave: install
	$(PY) bench/autosave.py

# The media library's list at 10,000 pictures: the first page, a deep page, searches, details.
# BENCH_MEDIA_DATABASE_URL picks the database (default: a fresh SQLite file).
bench-media: install
	$(PY) bench/media_library.py
