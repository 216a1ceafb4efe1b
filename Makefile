# Two commands on a fresh machine: `make run` and `make test`. See README.md.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: install native run console test faults lint audit lock bench services migrate clean help

help:
	@echo "make run    - install, migrate the embedded database, start the bot (console without BOT_TOKEN)"
	@echo "make test   - install, start PostgreSQL + redis-server for the tests, lint, run the suite"
	@echo "make faults - the long fault runs: FAULT_RUNS (100) random SIGKILLs while orders are placed, and the Redis/PostgreSQL outages"
	@echo "make lint   - ruff (with complexity rules), import-linter, mypy --strict, vulture"
	@echo "make audit  - pip-audit of requirements.lock (fails on the webhook stack); make lock re-pins"
	@echo "make bench  - every benchmark under bench/ (parser, update pipeline, signal to order, tracker, load)"

# requirements.lock pins every package (constraints): the install is the one `make audit` checks
$(STAMP): pyproject.toml requirements.lock
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c requirements.lock -e '.[dev]'
	@touch $(STAMP)

# The parser's hot modules compiled by mypyc into build/native (services/signal_parser/native.py):
# rebuilt when a parser source changes; used only while they match the sources; without a C
# compiler the pure-Python parser runs (same results, slower).
NATIVE := build/native/manifest.json
$(NATIVE): $(STAMP) $(wildcard services/signal_parser/*.py)
	$(BIN)/python -c "from services.signal_parser import native; raise SystemExit(native.main())"

native: $(NATIVE)

install: $(STAMP) $(NATIVE)

# PostgreSQL and redis-server binaries for the test services (the tests start their own
# throwaway instances on loopback; nothing is left running), and Debian's chromium for the
# Mini App's browser tests (Playwright drives it; it cannot download its own browsers here).
services:
	@if ! command -v redis-server >/dev/null 2>&1 || ! command -v chromium >/dev/null 2>&1 || \
	    ! ( command -v initdb >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 ); then \
	  echo "installing postgresql, redis-server and chromium with apt"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq postgresql redis-server chromium >/dev/null; \
	fi

migrate: install
	$(BIN)/tsbot migrate

run: install
	$(BIN)/tsbot migrate
	$(BIN)/tsbot run

console: install
	$(BIN)/tsbot migrate
	$(BIN)/tsbot console

lint: $(STAMP)
	$(BIN)/ruff check api bot core handlers services tests bench migrations
	$(BIN)/ruff format --check --quiet api bot core handlers services tests bench migrations
	$(BIN)/lint-imports
	$(BIN)/mypy
	$(BIN)/vulture

# known vulnerabilities in requirements.lock: one in the webhook stack fails (T13)
audit: $(STAMP)
	$(BIN)/python -m tests.tools.audit

# re-pin requirements.lock to what the virtualenv holds now (after changing pyproject.toml)
lock: install
	@(echo "# Every installed package, pinned: make install installs with these as constraints, and"; \
	  echo "# make audit checks them for known vulnerabilities (pip-audit). Regenerate with make lock."; \
	  $(BIN)/pip freeze --exclude-editable | grep -v '^-e ') > requirements.lock

# two workers (pytest-xdist): each starts its own throwaway PostgreSQL and redis-server
test: $(STAMP) services
	@$(MAKE) --no-print-directory -j2 $(NATIVE) lint audit  # the parser compiles beside the lint
	$(BIN)/pytest -q -n 2

# Not part of `make test` (pyproject's addopts deselect the faults marker; -m here replaces
# it): 100 random SIGKILLs of a real bot process placing a live follower's orders (about 15 s
# each), then the outage tests that stop redis-server and PostgreSQL under a running bot.
# FAULT_RUNS=20 for a shorter round; FAULT_SEED=<n> replays a round (each run's id names its seed).
FAULT_RUNS ?= 100
faults: install services
	FAULT_RUNS=$(FAULT_RUNS) $(BIN)/pytest -q -m "faults or slow" tests/faults tests/bot/test_outages.py

# bench/*.py with their defaults: parser, pipeline (3,000 updates) and signal_to_order (1,000
# auto followers, paper and fake Binance over ccxt, a cold and a warm post: several minutes on
# the 2-core machine; `python bench/signal_to_order.py 200 --only paper` for a quick look).
bench: install services
	@set -e; for f in bench/*.py; do echo "== $$f"; $(BIN)/python $$f; done
	@echo "== bench/pipeline.py --text /nosuch (a command of no router: what the router gates save)"
	@$(BIN)/python bench/pipeline.py 3000 --text /nosuch

clean:
	rm -rf $(VENV) build *.egg-info .ruff_cache
