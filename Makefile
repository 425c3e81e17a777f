# The README's commands. Each installs what it needs first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: install run test bench lint

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $@

install: $(VENV)/.installed

run: install
	$(BIN)/python -m config.run

test: install
	$(BIN)/python -m pytest

bench: install
	$(BIN)/python -m bench.run

lint: install
	$(BIN)/ruff check .
