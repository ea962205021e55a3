# Every target is a one-liner over the project's virtual environment (.venv), created on first use.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin
PYTEST_ARGS ?= -n 2
# The real-engine tiers: `make pulumi` builds the Pulumi CLI (and the YAML language host) and `make tofu` OpenTofu
# from Go modules into .tools/bin when Go is on PATH; `make test` then requires both tiers to run
# (ECSREBOOT_E2E=required): tests/e2e (Pulumi) and tests/e2e_tofu (OpenTofu).
GO := $(shell command -v go 2>/dev/null)
TOOLS_BIN := .tools/bin
PULUMI := $(TOOLS_BIN)/pulumi
TOFU := $(TOOLS_BIN)/tofu
E2E := $(if $(GO),pulumi tofu,no-go)
E2E_ENV := $(if $(GO),ECSREBOOT_E2E=required)
# The TypeScript and Go quickstarts of the real-engine tier, built when npm / Go are on PATH (tools/examples.sh).
NPM := $(shell command -v npm 2>/dev/null)
EXAMPLES := $(if $(NPM),nodejs) $(if $(GO),golang)
GO_RUNNER := $(TOOLS_BIN)/ecsreboot-quickstart-go-automation

.PHONY: install lint test pulumi tofu no-go e2e compat schema sdk check-generated demo bench emulator clean nodejs golang

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml sdk/python/pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	$(PY) -m pip install -q --no-deps -e sdk/python
	touch $@

lint: install
	$(BIN)/ruff check provider tests examples setup.py
	$(BIN)/mypy

test: lint $(E2E) $(EXAMPLES)
	@$(PY) -c "import importlib.metadata as m, sys; print('pulumi (Python SDK) ' + m.version('pulumi') + ', Python ' + sys.version.split()[0])"
	$(E2E_ENV) $(PY) -m pytest $(PYTEST_ARGS)

# Built once per machine (Go's caches keep the modules and objects); rebuilt when a pin changes.
pulumi: $(PULUMI)
	@echo "real engine: $$($(PULUMI) version) ($(PULUMI)), pulumi-language-yaml beside it"

$(PULUMI): tools/build.sh tools/pulumi/go.mod tools/pulumi/go.sum tools/pulumi-yaml/go.mod tools/pulumi-yaml/go.sum
	tools/build.sh $(TOOLS_BIN)

# OpenTofu (the pin is in tools/tofu/build.sh), built once per machine like the Pulumi CLI.
tofu: $(TOFU)
	@echo "real engine: $$(TF_CLI_CONFIG_FILE=/dev/null $(TOFU) version | head -1) ($(TOFU))"

$(TOFU): tools/tofu/build.sh
	tools/tofu/build.sh $(TOOLS_BIN)

# Rebuilt when the SDK, the example or a lock file changes.
nodejs: .tools/nodejs.built
.tools/nodejs.built: tools/examples.sh $(wildcard sdk/nodejs/*.json sdk/nodejs/*.ts sdk/nodejs/*/*.ts sdk/nodejs/*/*/*.ts \
		examples/quickstart-ts/*.json examples/quickstart-ts/*.ts examples/quickstart-ts/.npmrc)
	tools/examples.sh nodejs
	@mkdir -p $(@D) && touch $@

golang: $(GO_RUNNER)
$(GO_RUNNER): tools/examples.sh $(wildcard sdk/go/go.* sdk/go/*/*.go sdk/go/*/*/*.go examples/quickstart-go/go.* \
		examples/quickstart-go/*.go examples/quickstart-go/*/*.go)
	tools/examples.sh go

no-go:
	@echo "real-engine tiers (tests/e2e, tests/e2e_tofu) skipped: Go is not on PATH, so neither the Pulumi CLI nor OpenTofu can be built (make pulumi, make tofu)"

# The real-engine tiers alone.
e2e: install $(E2E) $(EXAMPLES)
	$(E2E_ENV) $(PY) -m pytest $(PYTEST_ARGS) tests/e2e tests/e2e_tofu

# The README's claim of Pulumi CLI versions: the oldest and newest CLI measured besides the pinned one, each built
# from Go modules (tools/compat.sh, into .tools/compat/<version>) and running the real-engine tests that need only
# the CLI. Not part of `make test`: each version is minutes of CPU on cold Go caches (README, "The real Pulumi engine").
COMPAT_VERSIONS ?= v3.182.0 v3.277.0
COMPAT_TESTS ?= tests/e2e/test_lifecycle.py tests/e2e/test_failures.py tests/e2e/test_config.py \
	tests/e2e/test_health.py tests/e2e/test_dynamic.py
compat: install
	tools/compat.sh $(COMPAT_VERSIONS)
	@set -e; for v in $(COMPAT_VERSIONS); do \
	    echo "[compat] $$v: $(COMPAT_TESTS)"; \
	    ECSREBOOT_PULUMI=$(CURDIR)/.tools/compat/$$v/bin/pulumi ECSREBOOT_E2E=required \
	        $(PY) -m pytest $(PYTEST_ARGS) $(COMPAT_TESTS); \
	done; echo "[compat] passed under $(COMPAT_VERSIONS)"

schema: install
	$(BIN)/ecsreboot schema > schema.json

# The Python, Node.js and Go SDKs from schema.json by Pulumi's own code generators (needs Go; tools/sdk.sh).
sdk:
	tools/sdk.sh schema.json sdk

check-generated: install
	$(PY) -m pytest -q -p no:xdist tests/test_generated_fresh.py

demo: install
	$(PY) examples/demo.py

# Byte-compiled first, as pip compiles an installed wheel: an editable install leaves the sources alone, and where
# PYTHONDONTWRITEBYTECODE is set every plugin process the CLIs start would compile its modules again (~30 ms each).
bench: install
	$(PY) -m compileall -q provider/ecsreboot
	$(PY) -m tests.bench

emulator: install
	$(BIN)/ecsreboot emulator --instances 5

clean:
	rm -rf $(VENV) .tools build *.egg-info provider/*.egg-info .pytest_cache .mypy_cache .ruff_cache
