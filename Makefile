# Two commands do all the set-up on a fresh machine (python3 and make are all they need):
#   make run    create .venv, install Crossroads, start the bot (console chat without a token)
#   make test   create .venv, install Crossroads with its test tools, run every test
#   make bench  the benchmark (BENCH_ARGS=--quick for a smoke run)
#   make lint   ruff and mypy over bot/, dialogs/, bench/ and tests/
#   make train  retrain the understanding models from content/nlu/corpora (scikit-learn)
#   make eval   the understanding figures per language on the held-out test split
#   make lock   re-pin every dependency (with hashes) into requirements.lock after editing pyproject.toml
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
LOCK := requirements.lock
PIP := $(BIN)/python -m pip --quiet --disable-pip-version-check
LINTED := bot dialogs bench tests

.PHONY: run console test lint check-content bench lock clean train eval

# Exactly the pinned, hash-checked versions (runtime and test tools), then Crossroads itself.
$(STAMP): pyproject.toml $(LOCK)
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --require-hashes -r $(LOCK)
	$(PIP) install --no-deps -e .
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/python -m bot

console: $(STAMP)
	$(BIN)/python -m bot --console

test: $(STAMP)
	$(BIN)/python -m pytest -q

train: $(STAMP)
	$(BIN)/python -m bot train

eval: $(STAMP)
	$(BIN)/python -m bot eval --confusions

check-content: $(STAMP)
	$(BIN)/python -m bot check-content

lint: $(STAMP)
	$(BIN)/ruff check $(LINTED)
	$(BIN)/mypy $(LINTED)

# pip-tools is used only here, so it is not pinned itself; index lines are left out of the lock.
lock: $(STAMP)
	$(PIP) install pip-tools
	$(BIN)/pip-compile --quiet --generate-hashes --extra test --extra train --strip-extras --no-emit-index-url \
		--no-emit-trusted-host --no-emit-find-links --output-file $(LOCK) pyproject.toml

bench: $(STAMP)
	$(BIN)/python -m bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) build *.egg-info
