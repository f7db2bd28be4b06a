# village-credit: the two first commands are `make run` and `make test` (see README.md).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/pip

.PHONY: run test bench lint openapi routes clean install install-test

$(BIN)/python:
	$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "Python 3.11 is required"'
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml constraints.txt
	$(PIP) install -q -c constraints.txt -e '.[dev]'
	touch $@

$(VENV)/.installed-model: $(VENV)/.installed
	$(PIP) install -q -c constraints.txt -e '.[dev,model]'
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --silent
	touch $@

install: $(VENV)/.installed
install-test: $(VENV)/.installed-model node_modules/.installed

## run: the local stack (moto) + API on http://127.0.0.1:8000, seeded, with demo users
run: install
	$(BIN)/village-credit run

## test: the whole suite (unit, contract, infra, integration on the local stack, model training)
test: install-test
	$(BIN)/pytest -n 2 --dist loadfile

## bench: cold starts and throughput benchmarks (figures printed, not asserted); `make test` runs each one at
## tiny sizes (`python -m bench --smoke`, tests/bench) so that none of them rots
bench: install
	$(BIN)/python -m bench

openapi: install
	$(BIN)/village-credit openapi --write

routes: install
	$(BIN)/village-credit template routes --write

clean:
	rm -rf $(VENV) node_modules .build .local-stack.json
