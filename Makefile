# Every target builds .venv on first use, so a bare machine with python3 + make is enough.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint install clean bench

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/watcher demo

test: $(STAMP)
	$(BIN)/ruff check watcher tests
	$(BIN)/pytest -q

lint: $(STAMP)
	$(BIN)/ruff check watcher tests
	$(BIN)/ruff format --check watcher tests

# Benchmarks (docs/benchmarks.md): a few minutes at these sizes; each script takes --size for more.
bench: $(STAMP)
	$(BIN)/python -m bench.ingest
	$(BIN)/python -m bench.polling
	$(BIN)/python -m bench.soak
	$(BIN)/python -m bench.articles

clean:
	rm -rf $(VENV) data build *.egg-info
