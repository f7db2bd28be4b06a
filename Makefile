# village-credit: the two first commands are `make run` and `make test` (see README.md).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/pip
# Headless browser of the /docs test (tests/browser): Debian's chromium, driven by Playwright (PyPI).
CHROMIUM ?= /usr/bin/chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test bench lint openapi routes clean install install-test docs-assets

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

# Installed once; later runs find the file and skip this step.
$(CHROMIUM):
	@command -v apt-get >/dev/null || { echo "$(CHROMIUM) is missing and there is no apt-get: install Chromium and set CHROMIUM=/path/to/chromium"; exit 1; }
	@echo "installing Debian's chromium for the browser test of /docs (apt-get; once) ..."
	$(SUDO) apt-get update -qq
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium

# The Swagger UI files served at /docs are committed (chalicelib/reference/docs/, see SOURCES.md); this copies
# them again from the pinned npm package after a version change in package.json.
docs-assets: node_modules/.installed
	cp node_modules/swagger-ui-dist/swagger-ui-bundle.js node_modules/swagger-ui-dist/swagger-ui-bundle.js.LICENSE.txt \
	   node_modules/swagger-ui-dist/swagger-ui.css \
	   node_modules/swagger-ui-dist/LICENSE node_modules/swagger-ui-dist/NOTICE chalicelib/reference/docs/

install: $(VENV)/.installed
install-test: $(VENV)/.installed-model node_modules/.installed $(CHROMIUM)

## run: the local stack (moto) + API on http://127.0.0.1:8000, seeded, with demo users
run: install
	$(BIN)/village-credit run

## test: the whole suite (unit, contract, infra, integration on the local stack, model training)
test: install-test
	CHROMIUM=$(CHROMIUM) $(BIN)/pytest -n 2 --dist loadfile

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
