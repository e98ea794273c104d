# Two commands do all the set-up on a fresh machine: `make demo` and `make test`.
# TORCH_SPEC pins the CPU build of PyTorch that this project's machines carry on disk; elsewhere,
# `make TORCH_SPEC='torch>=2.2' test` (or any torch you already have in the venv) works as well.
PYTHON ?= python3
VENV ?= .venv
TORCH_SPEC ?= torch==2.13.0
PY := $(VENV)/bin/python
STAMP := $(VENV)/.autoassist-installed

.PHONY: install demo test test-slow typecheck bench clean

$(STAMP): pyproject.toml Makefile
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -c "import torch" 2>/dev/null || $(PY) -m pip install --quiet "$(TORCH_SPEC)"
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/autoassist demo

typecheck: $(STAMP)
	$(PY) -m mypy

test: $(STAMP)
	$(PY) -m mypy
	$(PY) -m pytest

test-slow: $(STAMP)
	$(PY) -m pytest -m slow

clean:
	rm -rf $(VENV) build dist src/*.egg-info .pytest_cache .mypy_cache
