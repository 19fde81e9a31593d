# Two commands do all the set-up on a fresh machine (python3 and make are all they need):
#   make run    create .venv, install Crossroads, start the bot (console chat without a token)
#   make test   create .venv, install Crossroads with its test tools, run every test
#   make bench  the benchmark (BENCH_ARGS=--quick for a smoke run)
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run console test check-content bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/python -m bot

console: $(STAMP)
	$(BIN)/python -m bot --console

test: $(STAMP)
	$(BIN)/python -m pytest -q

check-content: $(STAMP)
	$(BIN)/python -m bot check-content

bench: $(STAMP)
	$(BIN)/python -m bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) build *.egg-info
