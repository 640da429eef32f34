# syndicate: two commands on a fresh machine.
#   make run    set up .venv and run the service on the embedded default (SQLite, built-in server, demo sources)
#   make test   set up .venv with the test extras and run the whole test suite
#   make lint   ruff + mypy --strict;  make bench   benchmarks with same-run baselines
#   make i18n   extract messages into locales/syndicate.pot and update the it/en/ja catalogs
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
CONFIG ?= config.toml

.PHONY: run test lint bench i18n venv clean

$(BIN)/python:
	$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11) and "syndicate needs Python >= 3.11")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@ $(VENV)/.installed

venv: $(VENV)/.installed

run: $(VENV)/.installed
	$(BIN)/syndicate --config $(CONFIG) run

test: $(VENV)/.installed-dev
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check syndicate tests bench
	$(BIN)/ruff format --check syndicate tests bench
	$(BIN)/mypy --strict syndicate

bench: $(VENV)/.installed-dev
	$(BIN)/python bench/run.py
	$(BIN)/python bench/ingest.py $(INGEST_ARGS)
	$(BIN)/python bench/terms.py
	$(BIN)/python bench/translate.py
	$(BIN)/python bench/publish.py

# The template is replaced only when its messages changed, not for a new POT-Creation-Date.
# Catalogs are read as .po at run time (syndicate/i18n.py): nothing to compile.
I18N_LANGS := it en ja
POT        := locales/syndicate.pot

i18n: $(VENV)/.installed-dev
	$(BIN)/pybabel -q extract -F babel.cfg --no-location --no-wrap -c TRANSLATORS: \
	  --project=syndicate --header-comment="# Messages of syndicate; the msgids are English." \
	  -o $(POT).new syndicate
	if [ -f $(POT) ] && diff -q -I '^"POT-Creation-Date: ' $(POT) $(POT).new >/dev/null; \
	  then rm $(POT).new; else mv $(POT).new $(POT); fi
	for lang in $(I18N_LANGS); do \
	  $(BIN)/pybabel -q update -i $(POT) -d locales -D syndicate -l $$lang --init-missing \
	    --no-fuzzy-matching --no-wrap || exit 1; \
	done

clean:
	rm -rf $(VENV) var feeds/*/ feeds/index.opml .pytest_cache .mypy_cache .ruff_cache
