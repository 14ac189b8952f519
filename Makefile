# Two commands on a fresh machine: `make demo` and `make test`.
# Both create .venv/ with everything the project needs, from its own files.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
DEMO := demo

.PHONY: demo test lint messages clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

## demo: import the example pages into ./demo and show what was found
demo: $(STAMP)
	$(BIN)/newsletter --project $(DEMO) import examples/pages

## test: lint, then run the whole test suite
test: $(STAMP)
	$(BIN)/ruff check newsletter tests bench
	$(BIN)/python -m pytest

## messages: regenerate locales/messages.pot from the code and templates
messages: $(STAMP)
	$(BIN)/pybabel extract --no-location --sort-by-file -F locales/babel.cfg \
		--project newsletter --copyright-holder "the newsletter authors" \
		-k msg -k msg_plural:1,2 -o locales/messages.pot newsletter templates

clean:
	rm -rf $(VENV) $(DEMO) build dist .pytest_cache .ruff_cache .hypothesis
