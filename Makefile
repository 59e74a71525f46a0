# Two commands on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
RESULTS ?= results

.PHONY: install demo test lint bench data clean

install: $(STAMP)

$(STAMP): setup.cfg pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test,distributed,torch]'
	touch $(STAMP)

data: $(STAMP)
	$(VENV)/bin/photonic-dfa data

demo: data
	$(VENV)/bin/photonic-dfa demo --out $(RESULTS)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(PY) -m mypy

test: lint
	$(PY) -m pytest -q

bench: $(STAMP)
	$(PY) -m pip install -q -e '.[test,distributed,bench]'
	for f in benchmarks/*.py; do echo "== $$f"; $(PY) $$f || exit 1; done

clean:
	rm -rf $(VENV) build *.egg-info
