# Two commands on a fresh machine: `make demo` and `make test`.
# Both create .venv/ with everything the project needs, from its own files.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
DEMO := demo
DEMO_WEEK := 2021-W21
DEMO_EVENT := online-workshop-for-local-and-regional-authorities-setting-up-a-local

.PHONY: demo preview test lint messages catalogs clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

## demo: import the example pages into ./demo, localise them into every configured
## language with the engines this machine has, show the CoR event in Greek and Spanish,
## write every language's feeds and pages, and render one week's digest in every language
demo: $(STAMP)
	$(BIN)/newsletter --project $(DEMO) import examples/pages
	$(BIN)/newsletter --project $(DEMO) localise
	$(BIN)/newsletter --project $(DEMO) show $(DEMO_EVENT) --lang el
	$(BIN)/newsletter --project $(DEMO) show $(DEMO_EVENT) --lang es
	$(BIN)/newsletter --project $(DEMO) build --no-localise
	$(BIN)/newsletter --project $(DEMO) issue $(DEMO_WEEK) --out $(DEMO)/digest

## preview: serve the demo (after `make demo`) on http://127.0.0.1:8000/: the editor
## preview at /editor/, the subscription pages, the site and feeds. The secret below signs
## links for this local demo only; a real site sets its own in NEWSLETTER_SECRET.
preview: $(STAMP)
	NEWSLETTER_SECRET=$${NEWSLETTER_SECRET:-demo-only-secret-not-for-a-real-site} \
		$(BIN)/newsletter --project $(DEMO) serve

## test: lint, then run the whole test suite
test: $(STAMP)
	$(BIN)/ruff check newsletter tests bench
	$(BIN)/python -m pytest

## messages: regenerate locales/messages.pot from the code and templates, then
## bring every catalog (locales/<lang>/LC_MESSAGES/messages.po) up to date
messages: $(STAMP)
	$(BIN)/pybabel extract --no-location --sort-by-file -F locales/babel.cfg \
		--project newsletter --copyright-holder "the newsletter authors" \
		-k msg -k msg_plural:1,2 -o locales/messages.pot newsletter templates
	$(BIN)/pybabel update -i locales/messages.pot -d locales -D messages \
		--no-fuzzy-matching --ignore-obsolete --no-wrap

## catalogs: compile every catalog into a .mo next to its .po (wheels compile
## their own, and a source checkout reads the .po files directly)
catalogs: $(STAMP)
	$(BIN)/pybabel compile -d locales -D messages --statistics

clean:
	rm -rf $(VENV) $(DEMO) build dist .pytest_cache .ruff_cache .hypothesis
