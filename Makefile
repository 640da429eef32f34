# syndicate: two commands on a fresh machine.
#   make run    set up .venv and run the service on the embedded default (SQLite, built-in server, demo sources)
#   make test   set up .venv with the test extras and run the whole test suite
#   make lint   ruff + mypy --strict;  make bench   benchmarks with same-run baselines
#   make i18n   extract messages into syndicate/locales/syndicate.pot and update the it/en/ja catalogs
#   make reliability   the hostile-input and fault suite, with its table;  make fuzz   atheris
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
CONFIG ?= config.toml

.PHONY: run test lint bench i18n venv clean browser reliability fuzz

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

test: $(VENV)/.installed-dev browser
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Hostile feeds, SSRF, faults, 50 kill -9s, properties, secrets: prints a table of every case
# (case, expected, observed, result). The same tests also run within `make test`.
reliability: $(VENV)/.installed-dev
	$(BIN)/python -m pytest tests/reliability -q $(PYTEST_ARGS)

# Coverage-guided fuzzing (atheris), bounded in time: the parse + normalize path, then
# parse -> store -> publish, FUZZ_SECONDS each; a crash leaves its input in var/crash-*.
FUZZ_SECONDS ?= 60
fuzz: $(VENV)/.installed-dev
	$(BIN)/python -m pip install --quiet 'atheris>=2.3'
	mkdir -p var/fuzz-corpus
	$(BIN)/python fuzz/parse_normalize.py -max_total_time=$(FUZZ_SECONDS) -rss_limit_mb=2048 \
	  -artifact_prefix=var/ var/fuzz-corpus syndicate/demo
	$(BIN)/python fuzz/parse_store_publish.py -max_total_time=$(FUZZ_SECONDS) -rss_limit_mb=2048 \
	  -artifact_prefix=var/ var/fuzz-corpus syndicate/demo

# Headless Chromium for tests/server/test_browser.py: Debian's chromium, chromium-driver and a
# Japanese font, installed when missing and this user may (root with apt-get); otherwise
# the browser tests skip, and say so loudly.
BROWSER_PACKAGES := chromium chromium-driver fonts-ipafont-gothic
browser:
	@if ! command -v chromedriver >/dev/null 2>&1 || ! command -v chromium >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing $(BROWSER_PACKAGES) for the browser tests"; \
	    export DEBIAN_FRONTEND=noninteractive; \
	    apt-get install -y -q $(BROWSER_PACKAGES) >/dev/null 2>&1 || \
	    { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q $(BROWSER_PACKAGES) >/dev/null 2>&1; } || \
	    echo "WARNING: could not install $(BROWSER_PACKAGES): the browser tests will be SKIPPED"; \
	  else \
	    echo "WARNING: chromium/chromium-driver missing and not installable here: the browser tests will be SKIPPED"; \
	  fi; \
	fi

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check syndicate tests bench fuzz
	$(BIN)/ruff format --check syndicate tests bench fuzz
	$(BIN)/mypy --strict syndicate

bench: $(VENV)/.installed-dev
	$(BIN)/python bench/run.py
	$(BIN)/python bench/ingest.py $(INGEST_ARGS)
	$(BIN)/python bench/ingest.py --many-hosts
	$(BIN)/python bench/terms.py
	$(BIN)/python bench/routing.py
	$(BIN)/python bench/routing.py --set bench/data/routing_holdout.toml
	$(BIN)/python bench/analysers.py
	$(BIN)/python bench/translate.py
	$(BIN)/python bench/qa.py
	$(BIN)/python bench/publish.py
	$(BIN)/python bench/backlog.py $(BACKLOG_ARGS)
	$(BIN)/python bench/serve.py
	$(BIN)/python bench/protocol.py
	$(BIN)/python bench/splitter.py
	$(BIN)/python bench/scale.py $(SCALE_ARGS)

# The template is replaced only when its messages changed, not for a new POT-Creation-Date.
# Catalogs are read as .po at run time (syndicate/i18n.py): nothing to compile.
I18N_LANGS := it en ja
POT        := syndicate/locales/syndicate.pot

i18n: $(VENV)/.installed-dev
	$(BIN)/pybabel -q extract -F babel.cfg --no-location --no-wrap -c TRANSLATORS: \
	  --project=syndicate --header-comment="# Messages of syndicate; the msgids are English." \
	  -o $(POT).new syndicate
	if [ -f $(POT) ] && diff -q -I '^"POT-Creation-Date: ' -I '^"Generated-By: ' $(POT) $(POT).new >/dev/null; \
	  then rm $(POT).new; else mv $(POT).new $(POT); fi
	for lang in $(I18N_LANGS); do \
	  $(BIN)/pybabel -q update -i $(POT) -d syndicate/locales -D syndicate -l $$lang --init-missing \
	    --no-fuzzy-matching --no-wrap || exit 1; \
	done

clean:
	rm -rf $(VENV) var feeds/*/ feeds/index.opml .pytest_cache .mypy_cache .ruff_cache
