# One entry point for tooling. `make demo` and `make test` each set everything up on a fresh
# machine that has only Python 3.11 and make: a virtual environment in .venv, then the package.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: setup demo test lint format bench baseline clean browser

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

setup: $(STAMP)

demo: setup
	$(BIN)/orgsim demo --reps 20

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: setup
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# The browser tests drive Debian's Chromium (Playwright's own browser download cannot work here).
browser:
	@if [ ! -x /usr/bin/chromium ]; then \
	  if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing Debian's chromium for the browser tests"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else \
	    echo "note: /usr/bin/chromium is missing and this is not root: the browser tests will skip"; \
	  fi; \
	fi

test: lint browser
	$(BIN)/python -m pytest

bench: setup
	$(BIN)/python -m benchmarks

# Regenerate the stored baseline on purpose (see tests/test_baseline.py and CHANGELOG.md).
baseline: setup
	$(BIN)/python tests/update_baseline.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
