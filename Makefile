# sluicegate developer commands. `make run` and `make test` set everything up on first use.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
export PYTHONPATH := $(CURDIR)/layers/core:$(CURDIR)/scripts
# Skip pip's check for a newer version of itself on every install.
export PIP_DISABLE_PIP_VERSION_CHECK := 1

REQUIREMENTS := requirements/dev.txt layers/core/requirements.txt layers/inference/requirements.txt

.PHONY: setup models run stop test test-fast bench bench-pii bench-quotas bench-retrieval bench-batches validate build audit report clean

$(VENV)/.installed: $(REQUIREMENTS)
	@echo "==> creating the virtual environment in $(VENV)"
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements/dev.txt
	@touch $@

setup: $(VENV)/.installed

models: setup
	$(PY) scripts/build_models.py

# Extra serve options, e.g. `make run RUN_ARGS=--sagemaker-emulator` for the GPU route.
RUN_ARGS ?=

run: models
	$(PY) -m sglocal.serve --warm $(RUN_ARGS)

# The embedded PostgreSQL servers of `make run` and `make test` keep running for the next run; this stops them.
stop:
	@for data in .local/pgdata .local/test/pgdata; do \
		if [ -f $$data/postmaster.pid ] && kill -INT "$$(head -1 $$data/postmaster.pid)" 2>/dev/null; then \
			echo "stopped the PostgreSQL server of $$data"; \
		else \
			echo "no PostgreSQL server is running for $$data"; \
		fi; \
	done

# SLUICEGATE_REQUIRE_MODELS turns "models not built" skips into failures.
test: models
	SLUICEGATE_REQUIRE_MODELS=1 $(PY) -m pytest

test-fast: setup
	$(PY) -m pytest -m "not model and not slow"

bench: models
	$(PY) bench/engine/run.py

bench-pii: setup
	$(PY) bench/pii/run.py

bench-quotas: setup
	$(PY) bench/quotas/run.py --workers 8 --mode threads --runs 3 --duration 10

bench-retrieval: models
	$(PY) bench/retrieval/run.py

bench-batches: models
	$(PY) bench/batches/run.py --items 20 --max-tokens 32 --runs 3 --direct

validate:
	scripts/sam validate --lint

build:
	scripts/sam build

# Known vulnerabilities in the pinned dependencies. --strict fails when a package
# could not be looked up, so an audit that checked nothing never passes.
audit: setup
	for file in $(REQUIREMENTS); do \
		$(VENV)/bin/pip-audit -r $$file --no-deps --disable-pip --strict --progress-spinner off || exit 1; \
	done

# Summarise EMF records, for example: make report REPORT_ARGS="gateway.log --chart report.png"
report:
	scripts/report $(REPORT_ARGS)

clean:
	rm -rf .aws-sam .pytest_cache
