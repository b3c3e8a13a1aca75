# Two commands on a fresh machine: `make run` and `make test`. Both set up .venv first.
# `make test-pg` runs the suite on a throwaway PostgreSQL server of its own (.ci/postgres.sh).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
LOCALES := flows/locales
# Calls whose argument is a message id (flows/engine/texts.py EXTRACT_KEYWORDS has the same list).
KEYWORDS := -k t -k tn:1,2 -k t_for:2 -k notify_person:3 -k _tell_trainer:3 -k _pick_step \
	-k N_
BIN := $(VENV)/bin
# One venv, two stamps: `make run` needs only the runtime packages, lint and tests the dev extras
# too. Installing the dev extras also satisfies the runtime stamp; a changed pyproject.toml
# redoes whichever a target needs. -qq: errors only (no setuptools editable-install banner).
RUNTIME := $(VENV)/.installed-runtime
DEV := $(VENV)/.installed-dev
PIP := $(BIN)/python -m pip install -qq --disable-pip-version-check

.PHONY: run test test-pg lint bench clean messages

$(RUNTIME): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@echo "Installing mendbot's packages into $(VENV) ..."
	@$(PIP) --upgrade pip
	@$(PIP) -e .
	@$(BIN)/pybabel -q compile -d $(LOCALES) -D mendbot
	@touch $(RUNTIME)

$(DEV): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@echo "Installing mendbot's packages and the dev tools into $(VENV) ..."
	@$(PIP) --upgrade pip
	@$(PIP) -e '.[dev]'
	@$(BIN)/pybabel -q compile -d $(LOCALES) -D mendbot
	@touch $(DEV) $(RUNTIME)

run: $(RUNTIME)
	$(BIN)/mendbot run

lint: $(DEV)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

PYTEST := $(BIN)/python -m pytest -n auto --dist worksteal
PG_URL := MENDBOT_TEST_POSTGRES_URL

# The suite on SQLite; then, when MENDBOT_TEST_POSTGRES_URL names a PostgreSQL database (a user
# with CREATEDB), the whole suite again on PostgreSQL. The URL is never echoed: it has a password.
test: lint
	@echo "== tests on SQLite"
	env -u $(PG_URL) $(PYTEST)
	@if [ -n "$$$(PG_URL)" ]; then \
		echo "== tests on PostgreSQL ($(PG_URL))"; \
		echo "$(PYTEST)"; $(PYTEST); \
	fi

# The suite on PostgreSQL only, on a server started for it and stopped after (needs initdb and
# pg_ctl; the script says what to install when they are missing).
test-pg: $(DEV)
	@echo "== tests on PostgreSQL (throwaway server)"
	.ci/postgres.sh $(PYTEST)

bench: $(DEV)
	@for script in bench/bench_*.py; do \
		echo "== $$script"; $(BIN)/python $$script || exit 1; \
	done

# Message catalogs: collect the ids used in flows/ and bot/ into mendbot.pot, then update every
# language's .po from it (new ids arrive empty, for a translator); the build compiles the .mo.
messages: $(DEV)
	$(BIN)/pybabel extract --no-default-keywords $(KEYWORDS) --omit-header --sort-by-file --width 100 \
		-o $(LOCALES)/mendbot.pot flows bot
	$(BIN)/pybabel update -i $(LOCALES)/mendbot.pot -d $(LOCALES) -D mendbot --no-fuzzy-matching --width 100
	$(BIN)/pybabel -q compile -d $(LOCALES) -D mendbot

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache
