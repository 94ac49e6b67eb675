# WeCare: `make run` starts everything with a demo; `make test` runs the whole suite.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
# uv from the PATH, else installed with pip on first use
UV := $(shell command -v uv 2>/dev/null || echo "python3 -m uv")
PYPROJECTS := pyproject.toml $(wildcard libs/*/pyproject.toml services/*/pyproject.toml) gateway/pyproject.toml web/pyproject.toml
export UV_PYTHON_DOWNLOADS := never

.PHONY: help install run migrate topology test test-unit test-browser test-faults test-lifecycle bench-faults browser-deps lint deploy-check image base-image test-image k8s-images k8s-smoke backup restore bench-restore bench bench-slice bench-wallet bench-profile bench-catalog bench-grants bench-notifications bench-notifications-profile bench-ledger bench-web bench-telemetry dlq clean

help:
	@echo "make run           install, migrate, start every service with a demo, print the logins"
	@echo "make test          the whole test suite (needs PostgreSQL and RabbitMQ; see README)"
	@echo "make test-unit     only the tests that need no infrastructure (seconds; prints the time)"
	@echo "make test-browser  only the browser tests (Playwright driving Debian's chromium)"
	@echo "make test-faults   only the fault tests: parts killed under load, nothing lost (figures)"
	@echo "make test-lifecycle  only the lifecycle tests: rolling restarts, two replicas, an upgrade (figures)"
	@echo "make browser-deps  install Debian's chromium for the browser tests when missing"
	@echo "make lint          ruff, and mypy (make typecheck)"
	@echo "make typecheck     mypy on the shared library, the gateway and the services ([tool.mypy])"
	@echo "make deploy-check  render and validate the Kubernetes manifests offline"
	@echo "make image         build the container image (wecare:<version>, and wecare:dev); BASE_IMAGE=..."
	@echo "make base-image    a Python 3.11 base image from Debian's packages (no registry needed)"
	@echo "make test-image    build the image, start every command of the manifests in it read-only"
	@echo "make k8s-smoke     play deploy/overlays/local with podman kube play, smoke through the gateway"
	@echo "make backup        pg_dump of every service's schema (and local receipts) into var/backups/"
	@echo "make restore       FROM=var/backups/<time>: all of it back into DATABASE_URL"
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

# Two processes: `nameko test` monkey-patches with eventlet, which breaks Playwright's sync API,
# so the browser tests run under plain pytest. Both always run; either failing fails the target.
test: install
	@status=0; \
	$(VENV)/bin/nameko test --ignore=tests/browser --ignore=tests/containers \
	  --ignore=tests/lifecycle || status=$$?; \
	$(VENV)/bin/pytest tests/browser || status=$$?; \
	exit $$status

# The base of the test pyramid: the tests that need no PostgreSQL, RabbitMQ, SMTP server or
# running service, which conftest.py marks `unit` from the fixtures they use (none of
# INFRASTRUCTURE_FIXTURES); `slow` ones are left to make test. Plain pytest, without the
# plugins that only the API and browser tests load, on every core (pytest-xdist); under 15 s.
UNIT_PATHS := libs/common/tests services gateway/tests web/tests tests/test_docs.py
test-unit: install
	@start=$$EPOCHREALTIME; status=0; \
	$(VENV)/bin/pytest $(UNIT_PATHS) -m "unit and not slow" -q -p no:schemathesis -p no:hypothesispytest \
	  -p no:anyio --suppress-nameko-eventlet-notification -n auto || status=$$?; \
	echo "make test-unit: $$(awk "BEGIN {printf \"%.1f\", $$EPOCHREALTIME - $$start}") s"; \
	exit $$status

test-browser: install browser-deps
	$(VENV)/bin/pytest tests/browser

# RabbitMQ (a node of the test's own) stopped 5 s, kill -9 of wallet, benefits, notifications, gateway, under load from
# careful clients (tests/faults; part of make test too); prints each fault's figures
test-faults: install
	$(VENV)/bin/nameko test tests/faults -q -s -p no:logging

bench-faults: test-faults

# Two replicas of every service and of the gateway behind Services (tests/lifecycle/cluster.py): a rolling
# restart under load from careful clients, rounds of events to two replicas of every consumer, an upgrade from the
# previous version under load; prints their figures. Not in make test (about 15 minutes of ~40 replicas
# starting): CI runs it after make test (.ci/run)
test-lifecycle: install
	$(VENV)/bin/nameko test tests/lifecycle -q -s -p no:logging

# Debian's chromium for the browser tests (Playwright's own browser download cannot reach its host here, and is
# never needed): installed when missing; .ci/run calls this. CHROMIUM_PATH names another binary.
CHROMIUM_PATH ?= /usr/bin/chromium
export CHROMIUM_PATH
browser-deps:
	@if [ -x "$(CHROMIUM_PATH)" ]; then \
	  echo "chromium: $$("$(CHROMIUM_PATH)" --version 2>/dev/null)"; \
	elif [ "$(CHROMIUM_PATH)" != /usr/bin/chromium ]; then \
	  echo "CHROMIUM_PATH=$(CHROMIUM_PATH) is not an executable file" >&2; exit 1; \
	elif [ "$$(id -u)" = 0 ]; then \
	  export DEBIAN_FRONTEND=noninteractive; \
	  apt-get update && apt-get install -y chromium fonts-dejavu-core; \
	else \
	  echo "The browser tests need Debian's chromium at /usr/bin/chromium; installing it needs root:" >&2; \
	  echo "  sudo apt-get update && sudo apt-get install -y chromium fonts-dejavu-core" >&2; \
	  echo "(or sudo make browser-deps). Not on Debian? Install Chromium or Chrome and set" >&2; \
	  echo "CHROMIUM_PATH to its binary." >&2; \
	  exit 1; \
	fi

lint: install typecheck
	$(VENV)/bin/ruff check .

# mypy on the packages that pyproject.toml's [tool.mypy] lists (make lint runs it; so does CI)
typecheck: install
	$(VENV)/bin/mypy

deploy-check: install
	$(PY) -m scripts.deploy_check

# One image for every service (deploy/Dockerfile), tagged with the project's version (the
# tag deploy/base/kustomization.yaml names) and `dev` (the local overlay's); docker when it
# reaches an engine, else podman (CONTAINER_ENGINE chooses); its size printed. BASE_IMAGE: the
# public python:3.11-slim, or where no registry is reachable the one make base-image makes.
BASE_IMAGE ?= python:3.11-slim
image:
	python3 -m scripts.image build $(BASE_IMAGE)

base-image:
	python3 -m scripts.image base

# What deploy/overlays/local runs beside WeCare, from Debian's packages on BASE_IMAGE:
# wecare-postgres:dev and wecare-rabbitmq:dev (deploy/overlays/local/images)
k8s-images:
	python3 -m scripts.image local $(BASE_IMAGE)

# deploy/overlays/local rendered and played by podman kube play: PostgreSQL, RabbitMQ, an SMTP sink,
# the migration Job, every service, the gateway and the web app; then a smoke through the gateway's
# published port (scripts/k8s_smoke.py; slow: not in make test; .ci/run runs it where podman is)
k8s-smoke: install image k8s-images
	$(PY) -m scripts.k8s_smoke

# The image built (canaries planted in the build context must stay out), then every command the
# manifests name started in it as they start it: non-root, read-only, only /tmp writable (slow:
# not in make test; tests/containers)
test-image: install
	BASE_IMAGE=$(BASE_IMAGE) $(VENV)/bin/pytest tests/containers/test_image_runs.py -q -s -p no:schemathesis

bench: bench-slice bench-wallet bench-ledger bench-catalog bench-grants bench-notifications bench-web bench-restore

bench-slice: install
	$(VENV)/bin/nameko test bench/test_slice_latency.py -q -s -p no:logging --no-header

bench-wallet: install
	$(PY) bench/wallet_bench.py

# where one service's CPU goes under bench-wallet's path (a), by cProfile (CPU time):
# make bench-profile SERVICE=gateway (default wallet); the profile stays in var/bench/
bench-profile: install
	SERVICE=$(or $(SERVICE),wallet) $(PY) -W ignore bench/profile_bench.py

bench-ledger: install
	$(PY) -W ignore bench/ledger_bench.py

bench-catalog: install
	$(PY) -W ignore bench/catalog_bench.py

# 25k/50k/100k employees, issue 15's target beside; where the CPU goes (cProfile, over the
# grants only): BENCH_PROFILE=benefits,wallet make bench-grants (var/bench-grants/*.prof)
bench-grants: install
	$(PY) -W ignore bench/grants_bench.py

bench-notifications: install
	$(PY) -W ignore bench/notifications_bench.py

# where the notifications service's CPU goes under bench-notifications, by cProfile (CPU time)
bench-notifications-profile: install
	BENCH_PROFILE=1 BENCH_SIZES=$(or $(SIZES),3000) $(PY) -W ignore bench/notifications_bench.py

bench-web: install
	$(PY) -W ignore bench/web_bench.py

# what metrics and traces cost: bench-wallet's purchases and bench-web's pages with tracing
# exported to a local collector stand-in and every /metrics scraped, beside off (BENCH_ROUNDS)
bench-telemetry: install
	$(PY) -W ignore bench/telemetry_bench.py

# Every service's schema (pg_dump: one snapshot) and, with WECARE_RECEIPTS_STORE=local, the receipts
# folder, from DATABASE_URL into var/backups/<time>/ (or TO=folder); make restore FROM=folder puts
# them back into DATABASE_URL (an empty database; CLEAN=1 replaces the schemas it holds)
backup: install
	$(PY) -m scripts.backup backup $(if $(TO),--to $(TO))

restore: install
	@if [ -z "$(FROM)" ]; then echo "make restore FROM=var/backups/<time> (the folder make backup wrote)" >&2; exit 2; fi
	$(PY) -m scripts.backup restore $(FROM) $(if $(CLEAN),--clean)

# make backup and make restore for 1,000 and 10,000 vouchers (BENCH_RESTORE_SIZES), beside the target
bench-restore: install
	$(PY) -W ignore bench/restore_bench.py

dlq: install
	$(PY) -m wecare_common.dlq list

clean:
	rm -rf var .pytest_cache .ruff_cache
