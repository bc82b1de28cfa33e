# KAM — the two commands: `make run` and `make test`. Everything else is a helper for them.
# Needs only Python 3.11 on the machine; everything else is installed into .venv.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000

# Development defaults; any of them can be overridden from the environment.
export DEBUG ?= 1
export DJANGO_SETTINGS_MODULE ?= kam.settings

.PHONY: run test install lint format migrate seed messages compose-up clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Re-install only when a requirements file changed.
$(VENV)/.installed: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed

migrate: install
	mkdir -p var
	$(BIN)/python manage.py migrate --noinput

seed: migrate
	$(BIN)/python manage.py seed_demo

# With no broker configured and a Redis reachable at DEV_REDIS, `make run` uses it and starts a
# Celery worker beside the server, so a scoring run started from the page runs in the
# background and its progress bar moves; without Redis, jobs run eagerly inside the request.
DEV_REDIS ?= redis://127.0.0.1:6379/0

run: seed
	@echo "KAM is serving on http://$(HOST):$(PORT)/  (Ctrl+C stops it)"
	@if [ -z "$$CELERY_BROKER_URL$$REDIS_URL" ] && $(BIN)/python -c "import redis; redis.Redis.from_url('$(DEV_REDIS)', socket_connect_timeout=1).ping()" 2>/dev/null; then \
	  echo "Redis at $(DEV_REDIS): a Celery worker runs the scoring jobs in the background"; \
	  CELERY_BROKER_URL=$(DEV_REDIS) $(BIN)/celery -A kam worker --pool=solo --loglevel=warning & worker=$$!; \
	  trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	  CELERY_BROKER_URL=$(DEV_REDIS) $(BIN)/python manage.py runserver $(HOST):$(PORT); \
	else \
	  $(BIN)/python manage.py runserver $(HOST):$(PORT); \
	fi

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python manage.py makemigrations --check --dry-run

# After the main run on PostgreSQL, the tests marked both_databases (whose behaviour differs
# between the two databases) run again on the embedded SQLite (no DATABASE_URL: an in-memory
# test database). KAM_REQUIRE_SERVICES is dropped there: a PostgreSQL-only test among them
# skips, having run in the first pass, while the SQLite-only ones run.
test: lint
	$(BIN)/pytest $(PYTEST_ARGS)
	@case "$$DATABASE_URL" in \
	  postgres*|pgsql*) \
	    echo "== again on SQLite: pytest -m both_databases"; \
	    env -u DATABASE_URL -u KAM_REQUIRE_SERVICES $(BIN)/pytest -m both_databases -p no:cacheprovider;; \
	esac

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Regenerate the translation catalogues (needs GNU gettext: apt-get install gettext).
# The compiled .mo files are committed, so running KAM never needs gettext.
messages: install
	$(BIN)/python manage.py makemessages --locale zh_Hans --ignore '.venv/*' --ignore 'var/*' --ignore 'staticfiles/*' --no-location
	$(BIN)/python manage.py compilemessages --locale zh_Hans --ignore '.venv/*'

compose-up:
	docker compose up --build

clean:
	rm -rf $(VENV) var staticfiles .pytest_cache .ruff_cache
