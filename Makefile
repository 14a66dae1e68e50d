# PortGate: two commands on a fresh machine, `make demo` and `make test`.
# Every install step lives here so that CI and a new machine need nothing by hand.

SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
UV ?= $(shell command -v uv 2>/dev/null || echo $(HOME)/.local/bin/uv)
VENV := .venv
BIN := $(VENV)/bin
# Debian packages the tests and the demo talk to (real components, not fakes); wrk loads
# the API in the benchmarks.
DEB_PACKAGES := libzbar0 mosquitto postgresql chromium docker-compose wrk prometheus systemd haproxy rsyslog rsyslog-gnutls
DEB_PACKAGES += slapd ldap-utils
PORT ?= 8000

.PHONY: help deps uv venv test lint typecheck pytest demo api format dlib-blas clean i18n

help:  ## List the targets.
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

deps:  ## Install the Debian packages PortGate needs when they are missing.
	@missing=""; for p in $(DEB_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing Debian packages:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	  else \
	    echo "missing Debian packages:$$missing"; \
	    echo "run: sudo apt-get install -y$$missing"; exit 1; \
	  fi; \
	fi

uv:  ## Bootstrap uv with pip when it is not installed.
	@command -v $(UV) >/dev/null 2>&1 || { echo "installing uv with pip"; $(PYTHON) -m pip install --quiet --user uv || $(PYTHON) -m pip install --quiet uv; }

# --compile-bytecode: where PYTHONDONTWRITEBYTECODE is set (as in the engineers' and
# integrator's sessions), no process writes .pyc files, and each of the hundreds of Python
# processes the tests start compiled every imported module from source again (half of a
# CLI command's start).
$(VENV)/.synced: pyproject.toml uv.lock | uv
	$(UV) sync --frozen --all-extras --compile-bytecode
	@UV=$(UV) ./scripts/build-dlib-blas.sh --swap-only
	@touch $@

venv: $(VENV)/.synced  ## Create or update the virtual environment from uv.lock.

lint: venv  ## ruff lint and format check.
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: venv  ## mypy --strict on every package.
	$(BIN)/mypy

# The project's own packages compiled before each run for the same reason, and the
# dependencies of a venv synced before --compile-bytecode (up to date: a few seconds). A file
# that does not compile fails its own tests, not this step (the leading -).
PY_PACKAGES := biometrics central_api enrollment firmware_bridge gate_agent gate_protocol portgate testkit bench

pytest: deps venv  ## The test suite (real mosquitto, PostgreSQL, Chromium).
	-$(BIN)/python -m compileall -q -j 0 $(PY_PACKAGES) $(VENV)/lib
	$(BIN)/pytest $(PYTEST_ARGS)

test: deps venv lint typecheck pytest  ## Everything CI runs.

format: venv  ## Apply ruff's fixes and formatting.
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

demo: deps venv  ## Start a whole site on this machine (`make demo DEMO=--community`: a hub and two terminals).
	$(BIN)/portgate demo --port $(PORT) $(DEMO)

api: venv  ## Start the central API only.
	$(BIN)/portgate api --port $(PORT)

dlib-blas: deps venv  ## Build dlib against OpenBLAS for this CPU once (about 9 minutes) and swap it in.
	./scripts/build-dlib-blas.sh

# Languages (gate_protocol/i18n): the messages of the pages, reasons, pass cards and CLI.
I18N_DIR := gate_protocol/i18n/locales
I18N_LANGS := nl sv de fr
# The lane displays' own domain (gate_agent/display): more languages, the drivers' own.
LANE_DIR := gate_agent/display/locales
LANE_LANGS := nl sv de fr pl ro lt tr

i18n: venv  ## Extract the messages to the .pot and update every language's catalog.
	$(BIN)/pybabel extract -F babel.cfg -k PG.t -k NavItem:2 --no-location --sort-output \
	  --project=PortGate --copyright-holder="PortGate contributors" \
	  -o $(I18N_DIR)/portgate.pot central_api gate_protocol portgate
	for lang in $(I18N_LANGS); do \
	  if [ -f $(I18N_DIR)/$$lang/LC_MESSAGES/portgate.po ]; then \
	    $(BIN)/pybabel update --no-fuzzy-matching --ignore-obsolete -D portgate -l $$lang -i $(I18N_DIR)/portgate.pot -d $(I18N_DIR); \
	  else \
	    $(BIN)/pybabel init -D portgate -l $$lang -i $(I18N_DIR)/portgate.pot -d $(I18N_DIR); \
	  fi; \
	done
	$(BIN)/pybabel extract -F babel.cfg --no-location --sort-output \
	  --project=PortGate --copyright-holder="PortGate contributors" \
	  -o $(LANE_DIR)/lane.pot gate_agent/display
	for lang in $(LANE_LANGS); do \
	  $(BIN)/pybabel update --no-fuzzy-matching --ignore-obsolete -D lane -l $$lang -i $(LANE_DIR)/lane.pot -d $(LANE_DIR); \
	done
	# Typer's own words (domain cli_library, portgate/library_language.py): from the installed
	# Typer's sources, so an upgrade's new or renamed texts show up here and in the catalogs.
	$(BIN)/pybabel extract --no-location --sort-output \
	  --project=PortGate --copyright-holder="PortGate contributors" -o $(I18N_DIR)/cli_library.pot \
	  $$($(BIN)/python -c 'import typer, pathlib; d = pathlib.Path(typer.__file__).parent; print(d / "core.py", d / "rich_utils.py")')
	for lang in $(I18N_LANGS); do \
	  $(BIN)/pybabel update --no-fuzzy-matching --ignore-obsolete -D cli_library -l $$lang -i $(I18N_DIR)/cli_library.pot -d $(I18N_DIR); \
	done

clean:  ## Remove the virtual environment and caches.
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
