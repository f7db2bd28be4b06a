# village-credit: the two first commands are `make run` and `make test` (see README.md).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/pip
# Generators the contract tests run, in their own venv: their pins clash with the project's (constraints-tools.txt).
TOOLS := .venv-tools

.PHONY: run test bench lint openapi routes clean install install-test

# The first run installs ~100 pinned packages (boto3, moto, chalice, powertools, ...): 160 s measured for
# `pip install -c constraints.txt '.[dev]'` with an empty pip cache on a busy 2-core machine, plus the venv and
# pip upgrade; seconds afterwards. Say so before pip goes quiet.
INSTALL_NOTE := about 3 minutes on a first run; later runs start in seconds

$(BIN)/python:
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "Python 3.11 is required"'
	@echo "first run: creating $(VENV) (Python 3.11) ..."
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml constraints.txt
	@echo "installing dependencies into $(VENV) ($(INSTALL_NOTE)) ..."
	@start=$$(date +%s); $(PIP) install -q -c constraints.txt -e '.[dev]' \
		&& echo "dependencies installed in $$(( $$(date +%s) - start )) s"
	@touch $@

$(VENV)/.installed-model: $(VENV)/.installed
	$(PIP) install -q -c constraints.txt -e '.[dev,model]'
	touch $@

$(TOOLS)/.installed: constraints-tools.txt
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install -q -c constraints-tools.txt openapi-python-client
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --silent
	touch $@

install: $(VENV)/.installed
install-test: $(VENV)/.installed-model node_modules/.installed $(TOOLS)/.installed

## run: the local stack (moto) + API on http://127.0.0.1:8000, seeded, with demo users
run: install
	$(BIN)/village-credit run

## test: the whole suite (unit, contract incl. client generation, infra, integration on the local stack, the fuzz
## layer from docs/openapi.json, model training)
test: install-test
	$(BIN)/pytest -n 2 --dist loadfile

## bench: cold starts and throughput benchmarks (figures printed, not asserted)
bench: install
	$(BIN)/python -m bench

openapi: install
	$(BIN)/village-credit openapi --write

routes: install
	$(BIN)/village-credit template routes --write

clean:
	rm -rf $(VENV) $(TOOLS) node_modules .build .local-stack.json
