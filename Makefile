# Two commands do all the set-up on a fresh machine: `make demo` and `make test`.
# TORCH_SPEC pins the CPU build of PyTorch that this project's machines carry on disk; elsewhere,
# `make TORCH_SPEC='torch>=2.2' test` (or any torch you already have in the venv) works as well.
PYTHON ?= python3
VENV ?= .venv
TORCH_SPEC ?= torch==2.13.0
PY := $(VENV)/bin/python
STAMP := $(VENV)/.autoassist-installed

.PHONY: install demo test test-slow typecheck bench clean wheel-check

$(STAMP): pyproject.toml Makefile
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -c "import torch" 2>/dev/null || $(PY) -m pip install --quiet "$(TORCH_SPEC)"
	$(PY) -m pip install --quiet -e ".[dev,lightning,hf]"
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

# The wheel, built with `python -m build` and installed into a fresh virtual environment (torch from
# TORCH_SPEC, the rest from the package's own requirements), runs `autoassist demo` (CI runs this).
WHEEL_VENV ?= .wheel-venv
wheel-check: $(STAMP)
	rm -rf dist $(WHEEL_VENV) runs/wheel-demo
	$(PY) -m build --wheel --outdir dist .
	$(PYTHON) -m venv $(WHEEL_VENV)
	$(WHEEL_VENV)/bin/python -m pip install --quiet "$(TORCH_SPEC)"
	$(WHEEL_VENV)/bin/python -m pip install --quiet dist/autoassist-*.whl
	cd $(WHEEL_VENV) && bin/python -c "import autoassist, sys; assert 'site-packages' in autoassist.__file__, autoassist.__file__"
	$(WHEEL_VENV)/bin/autoassist demo --epochs 1 --limit-train 300 --out runs/wheel-demo
	test -s runs/wheel-demo/results.json

clean:
	rm -rf $(VENV) $(WHEEL_VENV) build dist src/*.egg-info .pytest_cache .mypy_cache
