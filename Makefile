# One entry point for tooling. `make demo` and `make test` each set everything up on a fresh
# machine that has only Python 3.11 and make: a virtual environment in .venv, then the locked
# dependencies (uv.lock) and orgsim itself, editable.
#
# Setup: `python -m venv .venv`, pip installs into it the uv that uv.lock pins (uv is in the dev
# extra), then `.venv/bin/uv sync --locked --extra dev` makes .venv match the lock exactly
# (packages the lock does not hold are removed; add one to pyproject.toml, not by hand).
# --locked fails when uv.lock no longer matches pyproject.toml: run `.venv/bin/uv lock` and
# commit uv.lock. Setup reruns whenever pyproject.toml or uv.lock changes.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
# The uv that uv.lock pins: the bootstrap installs that very version.
UV_VERSION := $(shell sed -n '/^name = "uv"$$/{n;s/^version = "\(.*\)"$$/\1/p;}' uv.lock)

.PHONY: setup demo test test-fast lint typecheck format bench baseline fit clean browser

$(STAMP): pyproject.toml uv.lock
	@test -n "$(UV_VERSION)" || { echo "uv.lock holds no uv version (uv is in the dev extra)"; exit 1; }
	@if [ "$$($(BIN)/uv --version 2>/dev/null | cut -d' ' -f2)" != "$(UV_VERSION)" ]; then \
	  echo "bootstrapping uv $(UV_VERSION) into $(VENV)"; \
	  $(PYTHON) -m venv $(VENV) && \
	  $(BIN)/python -m pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"; \
	fi
	rm -rf orgsim.egg-info
	UV_PROJECT_ENVIRONMENT=$(VENV) UV_PYTHON_DOWNLOADS=never $(BIN)/uv sync --locked --extra dev
	touch $(STAMP)

setup: $(STAMP)

demo: setup
	$(BIN)/orgsim demo --reps 20

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# Type checking, part of `make test` and `make test-fast`: zero errors, configured in pyproject.
typecheck: setup
	$(BIN)/mypy

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

# Everything, as CI runs it: the directional (slow) tests and the wheel test included.
test: lint typecheck browser
	$(BIN)/python -m pytest

# A quick pass: lint, then every test but the directional ones (slow) and the wheel test.
test-fast: lint typecheck
	$(BIN)/python -m pytest -m "not slow and not wheel"

bench: setup
	$(BIN)/python -m benchmarks

# Regenerate the stored baseline on purpose (see tests/test_baseline.py and CHANGELOG.md).
baseline: setup
	$(BIN)/python tests/update_baseline.py

# Calibrate fit_2016 again and ship it as experiments/fits/fit_2016 (the demo's and --fit's
# parameter draws): after `make baseline`, since the shipped fit belongs to one model output.
fit: setup
	$(BIN)/orgsim calibrate experiments/fit_2016.toml --workers 2 --out results/fit_2016 --fresh
	$(BIN)/python -m sim.experiments.shipped results/fit_2016

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache orgsim.egg-info
