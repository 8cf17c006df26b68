# Two commands do all the set-up on a fresh machine (see README.md):
#   make demo   create .venv, migrate, load the demo county, serve the portal
#   make test   create .venv, run the whole test suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint clean

# pip's and setuptools' output goes to a log, shown only when the installation fails.
$(STAMP): pyproject.toml
	@echo "Installing gridgov and its dependencies into $(VENV) (log: $(VENV)/install.log) …"
	@$(PYTHON) -m venv $(VENV)
	@$(BIN)/pip install --quiet --upgrade pip > $(VENV)/install.log 2>&1 || (cat $(VENV)/install.log; exit 1)
	@$(BIN)/pip install --quiet -e '.[test]' >> $(VENV)/install.log 2>&1 || (cat $(VENV)/install.log; exit 1)
	@touch $(STAMP)

# Options of `gridgov demo`, e.g. make demo DEMO_ARGS="--port 8080"
DEMO_ARGS ?=

demo: $(STAMP)
	@$(BIN)/gridgov demo $(DEMO_ARGS)

test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports --no-cache

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache
