# Backprop by Hand: everything a fresh machine needs, in two commands.
#
#   make serve   set up (first time only), then serve the site on http://127.0.0.1:8000
#                (--dirty: saving a page rebuilds that page only; --no-strict: a dirty build
#                always warns that it is one, so problems are reported but do not stop it)
#   make test    set up (first time only), then run every check
#
# Set-up is a virtual environment in .venv with the pinned versions of requirements.lock
# (PyTorch 2.13.0, CPU build). It is redone when pyproject.toml or the lock file changes.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

# Material for MkDocs prints a notice about MkDocs 2 on every run; this site pins mkdocs<2.
export NO_MKDOCS_2_WARNING := 1

.PHONY: serve test build build-cold benchmark screenshots sizes audit notebooks downloads zensical update-claims clean setup

setup: $(STAMP)

$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $@

serve: $(STAMP)
	$(BIN)/mkdocs serve --dirty --no-strict

test: $(STAMP)
	$(BIN)/python -m pytest

build: $(STAMP)
	$(BIN)/mkdocs build --strict

build-cold: $(STAMP)   # run every page's code again, whatever the cache holds
	PAGECHECK_CACHE=off $(BIN)/mkdocs build --strict

notebooks: $(STAMP)    # the blank exercises (from the worked solutions), and every page as a download
	$(BIN)/python -m pagecheck.notebooks
	$(BIN)/python -m pagecheck.export

downloads: $(STAMP)    # every page's notebook and Python file, run in a clean environment (minutes)
	$(BIN)/python scripts/downloads.py

zensical: $(STAMP)     # the site built by Zensical through the page checks' extension (CI, after the tests)
	$(BIN)/python scripts/second_generator.py

update-claims: $(STAMP)  # after a torch upgrade: typed numbers that no longer hold get the new values
	$(BIN)/python -m pagecheck.update_claims

benchmark: $(STAMP)
	$(BIN)/python scripts/benchmark.py

screenshots: build
	$(BIN)/python scripts/screenshots.py site screenshots

sizes: build
	$(BIN)/python scripts/page_sizes.py site

audit: build
	npm ci --prefix scripts/audit --no-audit --no-fund --silent
	$(BIN)/python scripts/audit.py site

clean:
	rm -rf site screenshots .cache
