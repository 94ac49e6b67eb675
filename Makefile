# WeCare: `make run` starts everything with a demo; `make test` runs the whole suite.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
# uv from the PATH, else installed with pip on first use
UV := $(shell command -v uv 2>/dev/null || echo "python3 -m uv")
PYPROJECTS := pyproject.toml $(wildcard libs/*/pyproject.toml services/*/pyproject.toml) gateway/pyproject.toml
export UV_PYTHON_DOWNLOADS := never

.PHONY: help install run migrate topology test lint deploy-check bench bench-slice bench-wallet bench-catalog bench-grants bench-notifications bench-ledger dlq clean

help:
	@echo "make run           install, migrate, start every service with a demo, print the logins"
	@echo "make test          the whole test suite (needs PostgreSQL and RabbitMQ; see README)"
	@echo "make lint          ruff"
	@echo "make deploy-check  render and validate the Kubernetes manifests offline"
	@echo "make bench         every benchmark, printing tables"

$(VENV)/.synced: uv.lock $(PYPROJECTS)
	@command -v uv >/dev/null 2>&1 || python3 -m uv --version >/dev/null 2>&1 || python3 -m pip install --quiet uv
	$(UV) sync --frozen
	@touch $@

install: $(VENV)/.synced

run: install
	$(PY) -m scripts.run

migrate: install
	$(PY) -m wecare_common.migrations

topology: install
	$(PY) -m scripts.topology

test: install
	$(VENV)/bin/nameko test

lint: install
	$(VENV)/bin/ruff check .

deploy-check: install
	$(PY) -m scripts.deploy_check

bench: bench-slice bench-wallet bench-ledger bench-catalog bench-grants bench-notifications

bench-slice: install
	$(VENV)/bin/nameko test bench/test_slice_latency.py -q -s -p no:logging --no-header

bench-wallet: install
	$(PY) bench/wallet_bench.py

bench-ledger: install
	$(PY) -W ignore bench/ledger_bench.py

bench-catalog: install
	$(PY) -W ignore bench/catalog_bench.py

bench-grants: install
	$(PY) -W ignore bench/grants_bench.py

bench-notifications: install
	$(PY) -W ignore bench/notifications_bench.py

dlq: install
	$(PY) -m wecare_common.dlq list

clean:
	rm -rf var .pytest_cache .ruff_cache
