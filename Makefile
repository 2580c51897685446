# Two commands: `make run` (local service + Razorpay simulator) and `make test` (whole suite).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run serve test lint fmt clean

# Reinstalls whenever a requirements file changes; the pinned files are the only source.
$(STAMP): requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

install: $(STAMP)

# PORT (default 8000) and SIM_PORT (default 9000) move its ports: make run PORT=8001 SIM_PORT=9001
run: install
	./scripts/run_local.sh

# Forget what `make run` remembers: its SQLite database and the simulator's state file.
# (An explicit DATABASE_URL's database is left alone.) Stop `make run` first.
.PHONY: reset
reset:
	rm -f var/db.sqlite3 var/db.sqlite3-wal var/db.sqlite3-shm $${SIM_STATE_FILE:-var/simulator-state.json}

# The service alone, configured only by the environment / .env (e.g. real Razorpay test mode).
serve: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/gunicorn

test: install
	$(BIN)/python -m pytest

# Tests over a million rows (PostgreSQL): outside `make test`'s time budget; CI runs them too.
.PHONY: test-scale
test-scale: install
	$(BIN)/python -m pytest -m scale

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python manage.py makemigrations --check --dry-run

fmt: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) var staticfiles .pytest_cache .ruff_cache

# The benchmark (never part of `make test`): production settings, PostgreSQL, Redis and the
# simulator on this machine; writes bench/RESULTS.md. Options: BENCH_ARGS="--duration 5 ...".
.PHONY: bench
bench: install
	./bench/setup.sh
	$(BIN)/python bench/run.py $(BENCH_ARGS)

# Mutation testing of the money paths (never part of `make test`): mutmut copies the project
# into mutants/, mutates the modules setup.cfg's [mutmut] names and runs, for each mutant, the
# tests that reach it, on SQLite. Survivors and why they live: MUTATION.md. Afterwards
# `.venv/bin/mutmut results` lists them and `.venv/bin/mutmut show NAME` shows one.
# By default only the money core (122 mutants, 7 min on 2 shared cores): the functions where
# a surviving mutant means money goes wrong (refund amount checks, the refunded amount, key
# takeover, signatures).
# MUTANTS= runs others (mutmut's names, globs), e.g. make mutate MUTANTS='refunds.services.*';
# `make mutate-all` runs every mutant of the six modules (2,220: 30-60 min).
MONEY_CORE := \
	'refunds.services.x_refund_amount_check*' \
	'refunds.services.x__checked_amount*' \
	'refunds.services.x__check_matches*' \
	'payments.services.x_payment_record_refunded*' \
	'payments.services.x__check_belongs*' \
	'clients.idempotency.x__take_over*' \
	'payments_service.integrations.razorpay.gateway.x*signature_valid*'
MUTANTS ?= $(MONEY_CORE)
MUTATE_CHILDREN ?= 2
.PHONY: mutate mutate-all
mutate: install
	rm -rf mutants
	env -u DATABASE_URL -u REDIS_URL $(BIN)/mutmut run --max-children $(MUTATE_CHILDREN) $(MUTANTS)
	$(BIN)/mutmut results | grep -v ': not checked$$' || true

mutate-all:
	$(MAKE) mutate MUTANTS=
