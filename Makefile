# The README's two commands: `make run` starts the app, `make test` runs the whole test suite.
# `make test-fast` skips the browser, server, slow and tooling tiers (pyproject.toml's pytest
# markers): the engine, UI and lab tests in about three minutes, for the edit-test loop.
# Each creates .venv with pip on first use and reuses it afterwards. `make run` needs only
# Python 3.11; `make test` also needs Chromium, a CJK font and HAProxy, and installs them when
# it can.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# Debian's Chromium drives the browser tests (Playwright cannot download browsers offline);
# Noto Sans CJK lets cards and screenshots show the 简体中文 UI; fontconfig brings `fc-list`;
# HAProxy balances the replica test (tests/test_replicas.py, `make serve-replicas`).
BROWSER_PACKAGES := chromium fonts-noto-cjk fontconfig haproxy
HAVE_BROWSER := command -v chromium >/dev/null 2>&1 && fc-list 2>/dev/null | grep -qi "Noto Sans CJK" && command -v haproxy >/dev/null 2>&1

.PHONY: run test test-fast browser lint typecheck format bench train clean serve-replicas

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --upgrade --quiet pip

$(VENV)/.runtime: requirements.txt pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -r requirements.txt
	$(PY) -m pip install --quiet --no-deps -e .
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -r requirements-dev.txt
	$(PY) -m pip install --quiet --no-deps -e .
	touch $(VENV)/.runtime $@

run: $(VENV)/.runtime
	$(PY) app.py $(ARGS)

# N app processes behind HAProxy on port 7860, each browser kept on one (docs/deploy.md).
# ARGS: the balancer's --host/--port and app.py flags for every replica, e.g.
# make serve-replicas N=4 ARGS="--host 0.0.0.0 --password CODE".
N ?= 2
serve-replicas: $(VENV)/.runtime
	@command -v haproxy >/dev/null 2>&1 || { echo "serve-replicas needs HAProxy; run: sudo apt-get install -y haproxy" >&2; exit 1; }
	$(PY) deploy/replicas.py --replicas $(N) $(ARGS)

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
	    echo "make test needs Chromium, a CJK font and HAProxy; run: sudo apt-get update && sudo apt-get install -y $(BROWSER_PACKAGES)" >&2; \
	    exit 1; \
	  fi; \
	  echo "Installing $(BROWSER_PACKAGES) with apt-get (the browser tests need them)"; \
	  export DEBIAN_FRONTEND=noninteractive; \
	  apt-get update -qq && apt-get install -y -qq $(BROWSER_PACKAGES) >/dev/null || exit 1; \
	  { $(HAVE_BROWSER); } || { echo "Chromium, Noto Sans CJK or HAProxy still missing after apt-get install $(BROWSER_PACKAGES)" >&2; exit 1; }; \
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
