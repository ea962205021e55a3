# Every target is a one-liner over the project's virtual environment (.venv), created on first use.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin
PYTEST_ARGS ?= -n 2

.PHONY: install lint test schema sdk check-generated demo bench emulator clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $@

lint: install
	$(BIN)/ruff check provider tests examples
	$(BIN)/mypy

test: lint
	$(PY) -m pytest $(PYTEST_ARGS)

schema: install
	$(BIN)/ecsreboot schema > schema.json

sdk: install
	rm -rf sdk/python
	$(PY) -m ecsreboot.sdkgen schema.json sdk/python

check-generated: install
	$(PY) -m pytest -q -p no:xdist tests/test_generated_fresh.py

demo: install
	$(PY) examples/demo.py

bench: install
	$(PY) -m tests.bench

emulator: install
	$(BIN)/ecsreboot emulator --instances 5

clean:
	rm -rf $(VENV) build *.egg-info provider/*.egg-info .pytest_cache .mypy_cache .ruff_cache
