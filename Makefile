# The README's two commands: `make run` starts the app, `make test` runs the whole test suite.
# `make test-fast` skips the browser, server, slow and tooling tiers (pyproject.toml's pytest
# markers): the engine, UI and lab tests in about three minutes, for the edit-test loop.
# Each creates .venv with pip on first use and reuses it afterwards. `make run` needs only
# Python 3.11; `make test` also needs Chromium and a CJK font, and installs them when it can.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# Debian's Chromium drives the browser tests (Playwright cannot download browsers offline);
# Noto Sans CJK lets cards and screenshots show the 简体中文 UI; fontconfig brings `fc-list`.
BROWSER_PACKAGES := chromium fonts-noto-cjk fontconfig
HAVE_BROWSER := command -v chromium >/dev/null 2>&1 && fc-list 2>/dev/null | grep -qi "Noto Sans CJK"

.PHONY: run test test-fast browser lint typecheck format bench train clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --upgrade --quiet pip

$(VENV)/.runtime: requirements.txt | $(PY)
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt | $(PY)
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $(VENV)/.runtime $@

run: $(VENV)/.runtime
	$(PY) app.py $(ARGS)

test: browser $(VENV)/.dev
	$(PY) -m pytest $(PYTEST_ARGS)

FAST := not browser and not server and not slow and not tooling

test-fast: $(VENV)/.dev
	$(PY) -m pytest -m "$(FAST)" $(PYTEST_ARGS)

# Installs Chromium and the CJK font with apt-get when missing and run as root; otherwise
# stops with the one command to run.
browser:
	@if ! { $(HAVE_BROWSER); }; then \
	  if [ "$$(id -u)" != 0 ]; then \
	    echo "make test needs Chromium and a CJK font; run: sudo apt-get update && sudo apt-get install -y $(BROWSER_PACKAGES)" >&2; \
	    exit 1; \
	  fi; \
	  echo "Installing $(BROWSER_PACKAGES) with apt-get (the browser tests need them)"; \
	  export DEBIAN_FRONTEND=noninteractive; \
	  apt-get update -qq && apt-get install -y -qq $(BROWSER_PACKAGES) >/dev/null || exit 1; \
	  { $(HAVE_BROWSER); } || { echo "Chromium or Noto Sans CJK still missing after apt-get install $(BROWSER_PACKAGES)" >&2; exit 1; }; \
	fi

lint: $(VENV)/.dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

typecheck: $(VENV)/.dev
	$(VENV)/bin/mypy

format: $(VENV)/.dev
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

bench: $(VENV)/.dev
	$(PY) -m pip install --quiet grad-cam==1.5.7
	$(PY) benchmarks/bench_analysis.py
	$(PY) benchmarks/bench_lab.py
	$(PY) benchmarks/bench_methods.py

train: $(VENV)/.runtime
	$(PY) -m training.train_embedded
	$(PY) -m training.train_embedded --stochastic-depth 0
	$(PY) -m training.train_deep --minutes 70 --seed 1 --n-train 80000 --threads 2
	$(PY) -m training.measure_deep

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache
