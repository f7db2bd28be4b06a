# village-credit: the two first commands are `make run` and `make test` (see README.md).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/pip
# Generators the contract tests run, in their own venv: their pins clash with the project's (constraints-tools.txt).
TOOLS := .venv-tools

.PHONY: run test bench lint openapi routes clean install install-test build deploy docs-assets

# The first run installs ~100 pinned packages (boto3, moto, chalice, powertools, ...): 160 s measured for
# `pip install -c constraints.txt '.[dev]'` with an empty pip cache on a busy 2-core machine, plus the venv and
# pip upgrade; seconds afterwards. Say so before pip goes quiet.
INSTALL_NOTE := about 3 minutes on a first run; later runs start in seconds

# Headless browser of the /docs test (tests/browser): Debian's chromium, driven by Playwright (PyPI).
CHROMIUM ?= /usr/bin/chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

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
install-test: $(VENV)/.installed-model node_modules/.installed $(TOOLS)/.installed $(CHROMIUM)

## run: the local stack (moto) + API on http://127.0.0.1:8000, seeded, with demo users
run: install
	$(BIN)/village-credit run

## test: the gates (make lint), the Lambda build, then the whole suite (unit, contract incl. client generation, infra and build checks,
## integration on the local stack, the /docs page in headless Chromium, the fuzz layer from docs/openapi.json,
## benchmarks at tiny sizes, model training)
test: install-test lint build
	CHROMIUM=$(CHROMIUM) $(BIN)/pytest -n 2 --dist loadfile

# ---------------------------------------------------------------- Lambda build (docs/decisions/0005)
# The template's Runtime and Architectures: python3.11 on arm64 is Amazon Linux 2 (glibc 2.26) on aarch64, so
# the layer takes wheels for CPython 3.11 (cp311, abi3 or pure Python) tagged manylinux2014 / manylinux_2_17 ..
# manylinux_2_26 aarch64, and never builds from source. Change these with the template's Globals.
LAMBDA_PYTHON := 3.11
LAMBDA_PLATFORMS := manylinux2014_aarch64 $(foreach v,26 25 24 23 22 21 20 19 18 17,manylinux_2_$(v)_aarch64)
SAMVENV := .venv-sam
SAM := SAM_CLI_TELEMETRY=0 $(SAMVENV)/bin/sam
LAYER := .build/layer
LAYER_PIP := $(BIN)/python -m pip install -q --no-compile --only-binary=:all: --implementation cp \
	--python-version $(LAMBDA_PYTHON) $(addprefix --platform ,$(LAMBDA_PLATFORMS)) \
	-c constraints.txt --target $(LAYER)/python
# the folders too: a deleted or renamed module changes its folder, so it does not linger in .build/app
APP_SOURCES := app.py $(shell find chalicelib functions ! -path '*/__pycache__*' ! -name '*.py[co]')

# aws-sam-cli in its own venv: it pins boto3, cfn-lint, ... apart from the project's versions.
$(SAMVENV)/.installed: constraints-sam.txt
	$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "Python 3.11 is required"'
	rm -rf $(SAMVENV)
	$(PYTHON) -m venv $(SAMVENV)
	$(SAMVENV)/bin/pip install -q -c constraints-sam.txt aws-sam-cli
	touch $@

# The functions' code (CodeUri: .build/app), laid out again whenever a source changes.
.build/app.stamp: $(APP_SOURCES) infra/package_app.py | $(BIN)/python
	$(BIN)/python -m infra.package_app .build/app
	touch $@

# The dependencies layer (ContentUri: .build/layer), rebuilt only when its requirements or the pins change.
.build/layer.stamp: layers/dependencies/requirements.txt layers/dependencies/requirements-no-deps.txt \
		constraints.txt Makefile | $(BIN)/python
	rm -rf $(LAYER) $@
	$(LAYER_PIP) -r layers/dependencies/requirements.txt
	rm -rf $(LAYER)/python/bin
	$(LAYER_PIP) --no-deps -r layers/dependencies/requirements-no-deps.txt
	rm -rf $(LAYER)/python/bin
	$(BIN)/python -m compileall -q -j 0 --invalidation-mode unchecked-hash $(LAYER)/python
	touch $@

.aws-sam/build/template.yaml: template.yaml $(wildcard statemachines/*.json) .build/app.stamp .build/layer.stamp \
		$(SAMVENV)/.installed
	$(SAM) build --cached --parallel --template-file template.yaml --build-dir .aws-sam/build --cache-dir .aws-sam/cache
	touch $@

## build: lay out the function code and the dependencies layer, then `sam build` (no container)
build: .aws-sam/build/template.yaml

## lint: the gates on their own (`make test` runs them first): ruff, mypy with the pydantic plugin, and the
## import contracts between layers and contexts (import-linter); configured in pyproject.toml
lint: install
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/lint-imports

## bench: cold starts and throughput benchmarks (figures printed, not asserted); `make test` runs each one at
## tiny sizes (`python -m bench --smoke`, tests/bench) so that none of them rots
bench: install
	$(BIN)/python -m bench

openapi: install
	$(BIN)/village-credit openapi --write

routes: install
	$(BIN)/village-credit template routes --write

## deploy: `make deploy STAGE=staging|prod` (samconfig.toml; AWS credentials of that stage's account): build,
## lint, then `sam deploy` of .aws-sam/build/template.yaml (sam's default once built). docs/deploy.md
deploy:
	@case "$(STAGE)" in staging|prod) ;; *) echo "usage: make deploy STAGE=staging|prod" >&2; exit 2;; esac
	$(MAKE) build
	$(SAM) validate --lint --template-file template.yaml
	$(SAM) deploy --config-env $(STAGE)

clean:
	rm -rf $(VENV) $(TOOLS) $(SAMVENV) node_modules .build .aws-sam .local-stack.json
