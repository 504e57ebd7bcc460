# Two entry points: `make run` (the console chat on its demo database) and `make test` (everything CI runs).
# Both create .venv on first use and reinstall when pyproject.toml changes.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
READY := $(VENV)/.ready

.PHONY: run test pytest lint extract catalogs compile check-catalogs bench clean

$(READY): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "diaspora-bot needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $@

run: $(READY)
	$(BIN)/python -m bot console

test: $(READY)
	$(BIN)/python -m bot.catalogs check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/python -m pytest

pytest: $(READY)
	$(BIN)/python -m pytest

lint: $(READY)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .
	$(BIN)/mypy

# Write locales/messages.pot from the code.
extract: $(READY)
	$(BIN)/python -m bot.catalogs extract

# Re-extract the strings from the code and merge them into the four catalogs (then translate).
catalogs: $(READY)
	$(BIN)/python -m bot.catalogs update

# .mo files for tools that want them; the bot itself reads the .po files at start.
compile: $(READY)
	$(BIN)/python -m bot.catalogs compile

check-catalogs: $(READY)
	$(BIN)/python -m bot.catalogs check

bench: $(READY)
	$(BIN)/python bench/engine.py

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
