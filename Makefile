# airkit — Apache Airflow 2.11.2 reference platform.
# `make` (or `make help`) lists the targets. Everything runs against RUNTIME=compose|local;
# the default is compose when a Docker engine answers, else local.

.DEFAULT_GOAL := help
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c

PYTHON_BOOTSTRAP ?= python3.11
VENV ?= .venv
UV_VERSION := 0.13.9
ENV_FILE ?= .env
STATE_DIR ?= .state/local
COMPOSE_PROJECT ?= airkit
PYTEST_ARGS ?=

export ENV_FILE STATE_DIR COMPOSE_PROJECT
# uv reads the system CA store, so it works behind the TLS-intercepting proxies pip also trusts.
export UV_NATIVE_TLS := 1

ifeq ($(origin RUNTIME), undefined)
  RUNTIME := $(shell docker info >/dev/null 2>&1 && echo compose || echo local)
  RUNTIME_NOTE := (auto-detected: $(if $(filter compose,$(RUNTIME)),a Docker engine answers,no Docker engine answers))
endif
RUNTIME_NOTE ?= (set explicitly)
export RUNTIME

STACK := $(VENV)/bin/python tools/localstack.py
ifeq ($(RUNTIME),local)
  STACK_UP := local-up
else ifeq ($(RUNTIME),compose)
  STACK_UP := compose-up
else
  $(error RUNTIME must be compose or local, not '$(RUNTIME)')
endif

##@ Getting started

.PHONY: help
help: ## Show this help
	@awk 'BEGIN {FS = ":.*##"; printf "Usage: make \033[36m<target>\033[0m [RUNTIME=compose|local]\n"} \
	  /^[a-zA-Z0-9_-]+:.*?##/ { printf "  \033[36m%-18s\033[0m %s\n", $$1, $$2 } \
	  /^##@/ { printf "\n\033[1m%s\033[0m\n", substr($$0, 5) }' $(MAKEFILE_LIST)

.PHONY: runtime
runtime:
	@echo "==> RUNTIME=$(RUNTIME) $(RUNTIME_NOTE)"

.PHONY: up
up: runtime install env $(STACK_UP) ## Start the stack and wait until every component is healthy
	@echo "==> Airflow UI: http://$$(tools/envfile.py get --file $(ENV_FILE) BIND_ADDRESS | sed 's/^0.0.0.0$$/127.0.0.1/'):$$(tools/envfile.py get --file $(ENV_FILE) AIRFLOW_WEBSERVER_PORT)"
	@echo "==> Admin credentials: _AIRFLOW_WWW_USER_USERNAME / _AIRFLOW_WWW_USER_PASSWORD in $(ENV_FILE)"

.PHONY: down
down: runtime ## Stop the stack (state is kept)
	@$(MAKE) --no-print-directory $(RUNTIME)-down

.PHONY: status
status: runtime ## Show each component's state and health
	@$(MAKE) --no-print-directory $(RUNTIME)-status

.PHONY: logs
logs: runtime ## Show a component's log: make logs SERVICE=airflow-scheduler [FOLLOW=1]
	@test -n "$(SERVICE)" || { echo "usage: make logs SERVICE=<postgres|redis|events-api|airflow-webserver|airflow-scheduler|airflow-worker|airflow-triggerer|mailsink|sentrysink>"; exit 2; }
	@$(MAKE) --no-print-directory $(RUNTIME)-logs

.PHONY: reset
reset: runtime ## Stop the stack and wipe its state (databases, logs, landing files)
	@$(MAKE) --no-print-directory $(RUNTIME)-reset

.PHONY: airflow
airflow: runtime ## Run the Airflow CLI in the stack: make airflow ARGS="dags list"
	@$(MAKE) --no-print-directory $(RUNTIME)-airflow

##@ Set-up

$(VENV)/.installed: requirements/lock.txt pyproject.toml
	@command -v $(PYTHON_BOOTSTRAP) >/dev/null || { echo "$(PYTHON_BOOTSTRAP) not found: install Python 3.11 or set PYTHON_BOOTSTRAP"; exit 1; }
	@test -x $(VENV)/bin/python || $(PYTHON_BOOTSTRAP) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"
	VIRTUAL_ENV=$(VENV) $(VENV)/bin/uv pip install --quiet -r requirements/lock.txt
	VIRTUAL_ENV=$(VENV) $(VENV)/bin/uv pip install --quiet --no-deps -e .
	@touch $@

.PHONY: install
install: $(VENV)/.installed ## Build .venv from the committed lock (the only way dependencies get in)

.PHONY: lock
lock: ## Re-resolve requirements/lock.txt from pyproject.toml and requirements/bounds.txt
	$(VENV)/bin/python -m pip install --quiet "uv==$(UV_VERSION)"
	$(VENV)/bin/uv pip compile --python-version 3.11 --python-platform x86_64-manylinux_2_28 \
	  pyproject.toml --extra dev -c requirements/bounds.txt --no-emit-package airkit \
	  --custom-compile-command "make lock" -o requirements/lock.txt

.PHONY: env
env: ## Create .env from .env.example with fresh secrets (never overwrites)
	@python3 tools/envfile.py generate --example .env.example --out $(ENV_FILE)
	@python3 tools/envfile.py check --example .env.example --file $(ENV_FILE)

.PHONY: deps
deps: ## Install the local runtime's system packages with apt (run as root)
	@test "$$(id -u)" -eq 0 || { echo "make deps installs Debian packages: run it as root (sudo make deps)"; exit 1; }
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
	  postgresql-15 redis-server util-linux
	@# The Debian packages start system-wide servers; the stack runs its own.
	-service redis-server stop >/dev/null 2>&1
	-service postgresql stop >/dev/null 2>&1

# --- Local-process runtime (supervisord): what the generic targets call for RUNTIME=local

.PHONY: local-up local-down local-status local-logs local-reset local-airflow
local-up: install env
	@$(STACK) up
local-down:
	@$(STACK) down
local-status:
	@$(STACK) status
local-logs:
	@$(STACK) logs $(SERVICE) $(if $(FOLLOW),--follow)
local-reset:
	@$(STACK) reset
local-airflow:
	@$(STACK) airflow $(ARGS)

##@ Pipelines

.PHONY: demo
demo: runtime ## Run events_etl for the sample week on the running stack and show what landed
	$(VENV)/bin/python tools/demo.py

##@ Tests

.PHONY: test
test: test-unit test-integration ## Run everything: unit tests, then the integration suite on RUNTIME

.PHONY: test-unit
test-unit: install ## Unit tests (DAG integrity, package, operators against a throwaway Postgres)
	$(VENV)/bin/python -m pytest tests/unit $(PYTEST_ARGS)

.PHONY: test-integration
test-integration: install runtime ## Integration suite against an isolated stack (or AIRKIT_STACK=running)
	$(VENV)/bin/python -m pytest tests/integration --durations=10 $(PYTEST_ARGS)

# >>> compose runtime
##@ Docker Compose runtime

# Docker Compose runtime: what the generic targets call for RUNTIME=compose, plus its own extras.
# Everything goes through compose/bin/dc = docker compose -p $(COMPOSE_PROJECT) --env-file $(ENV_FILE)
#   -f compose/docker-compose.yaml [-f each of COMPOSE_OVERLAYS] [--profile each of PROFILES],
# which also picks CI's local stand-in base images when the official ones are not on this engine
# (AIRKIT_STANDIN=auto|1|0). Knobs: PROFILES="flower", COMPOSE_OVERLAYS=compose/overlays/x.yaml,
# COMPOSE_UP_TIMEOUT=600, WORKERS=3, EXTRA_CA=<pem> (default: the host's CA bundle, trusted by pip
# during the image build only; empty to disable).
DC := compose/bin/dc
WORKERS ?= 3
EXTRA_CA ?= $(wildcard /etc/ssl/certs/ca-certificates.crt)
AIRKIT_CI_CACHE ?= /var/cache/airkit-ci
export PROFILES COMPOSE_OVERLAYS COMPOSE_UP_TIMEOUT AIRKIT_STANDIN AIRKIT_CI_CACHE
export PYTHON_BASE_IMAGE POSTGRES_IMAGE REDIS_IMAGE AIRKIT_IMAGE

.PHONY: compose-up compose-down compose-status compose-logs compose-reset compose-airflow compose-scale \
        compose-build compose-config-check standin-images docker-engine wheels

.PHONY: scale local-scale
scale: runtime ## Run WORKERS Celery workers (compose only): make scale WORKERS=3
	@$(MAKE) --no-print-directory $(RUNTIME)-scale
local-scale:
	@echo "make scale: the local runtime runs one Celery worker under supervisord; use RUNTIME=compose to scale" >&2; exit 2

# `make test RUNTIME=compose` builds (cached) first; the suite starts its own isolated project.
ifeq ($(RUNTIME),compose)
test-integration: compose-build
endif

compose-up: env compose-build ## Compose: build if needed, start, wait (bounded) until every service is healthy
	@compose/bin/up

compose-down: ## Compose: stop and remove the containers (volumes kept)
	@$(DC) down --remove-orphans

compose-status: ## Compose: every container with its state and health
	@AIRKIT_DC_QUIET=1 $(DC) ps -a --format 'table {{.Name}}\t{{.Service}}\t{{.Status}}\t{{.Ports}}'

compose-logs: ## Compose: logs of SERVICE (all if empty), FOLLOW=1 to follow, TAIL=n lines (default 200)
	@AIRKIT_DC_QUIET=1 $(DC) logs --tail $(or $(TAIL),200) $(if $(FOLLOW),--follow) $(SERVICE)

compose-reset: ## Compose: stop and DELETE state: Postgres and data volumes, task logs
	@-AIRKIT_DC_QUIET=1 $(DC) run --rm --no-deps --user 0:0 --entrypoint bash airflow-init \
	   -c 'rm -rf /opt/airflow/logs/* /opt/airflow/data/*' 2>/dev/null
	@$(DC) down --volumes --remove-orphans

compose-airflow: ## Compose: Airflow CLI in the running scheduler: make compose-airflow ARGS="dags list"
	@AIRKIT_DC_QUIET=1 $(DC) exec $(if $(shell test -t 0 && echo tty),,-T) airflow-scheduler airflow $(ARGS)

compose-scale: ## Compose: run WORKERS Celery workers (default 3) and wait until healthy
	@compose/bin/up --no-recreate --scale airflow-worker=$(WORKERS)

compose-build: env ## Compose: build our Airflow image (lock + package); EXTRA_CA, wheelhouse/ honoured
	@if [ -n "$(EXTRA_CA)" ]; then install -m 0644 "$(EXTRA_CA)" compose/airflow/extra-ca/build-extra-ca.crt; \
	 else rm -f compose/airflow/extra-ca/build-extra-ca.crt; fi
	@s=$$(date +%s); $(DC) build airflow-init; echo "==> image built in $$(( $$(date +%s) - s ))s"

compose-config-check: ## Compose: `docker compose config` for every file/profile combination we use
	@compose/bin/config-check

standin-images: docker-engine ## CI/test tooling: build local stand-ins for python/postgres/redis (no registry)
	@ci/standin-images.sh

docker-engine: ## CI/test tooling: install/start a Docker engine and compose v2 if missing
	@ci/docker-engine.sh

wheels: ## Fill wheelhouse/ with a wheel for every lock pin (+ uv, setuptools) for offline image builds
	@mkdir -p wheelhouse
	@# pip wheel: binary wheels as published, the few sdist-only pins built here (pure Python).
	@# The host must be CPython 3.11 on x86_64 glibc, like the image.
	python3 -m pip wheel --quiet --disable-pip-version-check --no-deps -w wheelhouse \
	  -r requirements/lock.txt "uv==$(UV_VERSION)" "setuptools>=68" wheel
	@# The isolated environment's pins differ from the lock's on purpose: a second pip run.
	python3 -m pip wheel --quiet --disable-pip-version-check --no-deps -w wheelhouse -r requirements/isolated.txt
	@echo "==> $$(ls wheelhouse/*.whl | wc -l) wheels in wheelhouse/ (compose-build now installs offline)"
# <<< compose runtime

# >>> catalogue
# The lesson DAGs' platform pieces: a second, isolated Python environment for the dependency-isolation
# lesson (built by `make install`), backfills and metadata hygiene through the runtime's Airflow CLI.
ISOLATED_VENV ?= $(VENV)-isolated
RETENTION_DAYS ?= 90

# `install` also builds the isolated environment: a venv with requirements/isolated.txt (a version
# the main venv does NOT have) and a wheelhouse of the same pins for offline PythonVirtualenvOperator
# installs. tools/localstack.py points AIRKIT_ISOLATED_PYTHON / AIRKIT_WHEELHOUSE at them.
install: $(ISOLATED_VENV)/.installed

$(ISOLATED_VENV)/.installed: requirements/isolated.txt
	@test -x $(ISOLATED_VENV)/bin/python || $(PYTHON_BOOTSTRAP) -m venv $(ISOLATED_VENV)
	rm -rf $(ISOLATED_VENV)/wheelhouse
	$(ISOLATED_VENV)/bin/python -m pip download --quiet --disable-pip-version-check --no-deps \
	  --only-binary=:all: -d $(ISOLATED_VENV)/wheelhouse -r requirements/isolated.txt
	$(ISOLATED_VENV)/bin/python -m pip install --quiet --disable-pip-version-check --no-deps \
	  --no-index --find-links $(ISOLATED_VENV)/wheelhouse -r requirements/isolated.txt
	@touch $@

##@ Catalogue

.PHONY: backfill db-clean
backfill: ## Backfill a DAG on the stack: make backfill DAG=events_etl START=2024-01-01 END=2024-01-07 [BACKFILL_ARGS="--reset-dagruns --yes"]
	@test -n "$(DAG)" -a -n "$(START)" -a -n "$(END)" || { echo "usage: make backfill DAG=<dag_id> START=YYYY-MM-DD END=YYYY-MM-DD [BACKFILL_ARGS=...]"; exit 2; }
	@$(MAKE) --no-print-directory airflow ARGS="dags backfill --start-date $(START) --end-date $(END) $(BACKFILL_ARGS) $(DAG)"

db-clean: ## Delete metadata rows (runs, task instances, logs, XComs...) older than RETENTION_DAYS (default 90)
	@case "$(RETENTION_DAYS)" in ''|*[!0-9]*) echo "RETENTION_DAYS must be a whole number of days, not '$(RETENTION_DAYS)'"; exit 2;; esac
	@# --skip-archive: the point is to shrink the database, not to copy old rows into _airflow_deleted__* tables.
	@$(MAKE) --no-print-directory airflow ARGS="db clean --clean-before-timestamp $$(date -u -d '-$(RETENTION_DAYS) days' +%Y-%m-%dT%H:%M:%S+00:00) --yes --skip-archive"
# <<< catalogue

# >>> bench
##@ Benchmarks

# Knobs: QUICK=1 (smoke run for CI: 20k rows, tuned config only, no warm restart; ~2-3 min),
# BENCH_SECTIONS=load,stack[,suite], BENCH_SUITE=1 (also time `make test`), BENCH_SIZES=100000,1000000,
# BENCH_PG_DSN=<libpq URI> (load into that database, e.g. a warehouse, instead of a throwaway one),
# BENCH_NOTE="..." (stored in the results). Targets are reported, never enforced.
.PHONY: bench
bench: install runtime ## Benchmarks: load speed, scheduling, start-up, idle memory -> bench/results/<time>.json
	$(VENV)/bin/python -m bench --runtime $(RUNTIME) $(if $(filter 1,$(QUICK)),--quick)
# <<< bench
