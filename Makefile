# pinnkit — one command per job. Everything installs into ./.venv from the package registries.
PY      ?= python3
VENV    ?= .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed
# Quick mode (PINNKIT_QUICK=1: smoke budgets) is for tests only: the test targets and the root
# conftest.py set it. `make lab` and `make gallery` leave it unset and run the real budgets.
QUICK   ?= 0

.PHONY: install test test-unit test-notebooks test-browser gallery lab student bench clean browser-deps

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	# the CPU build of torch first, pinned, so nothing pulls a CUDA build
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -e '.[widgets,notebooks,dev,discovery]'
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 >/dev/null
	touch $(STAMP)

install: $(STAMP)

# Debian's chromium for the browser tests. Without it and without root, say so and go on:
# tests/test_browser.py then skips itself, naming what is missing.
browser-deps:
	@if command -v chromium >/dev/null 2>&1 || test -x /usr/bin/chromium; then :; \
	elif [ "$$(id -u)" != 0 ]; then \
	  echo "make: chromium is not installed and installing it needs root (apt-get install chromium);" \
	       "the browser tests will be skipped"; \
	else apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; fi

## Everything, from scratch: unit tests, every notebook (papermill + nbval, quick mode), browser tests
test test-unit: export PINNKIT_QUICK ?= 1
test: install browser-deps
	$(BIN)/python -m pytest -q -p no:cacheprovider tests -m "not notebook and not browser"
	$(BIN)/python -m pytest -q -p no:cacheprovider -n 2 --dist load tests -m "notebook"
	$(BIN)/python -m pytest -q -p no:cacheprovider -n 2 --dist loadfile --nbval-lax --nbval-current-env notebooks gallery
	$(BIN)/python -m pytest -q -p no:cacheprovider tests -m "browser"

test-unit: install
	$(BIN)/python -m pytest -q tests -m "not notebook and not browser"

## Execute every notebook headlessly at its full budget and write build/gallery/index.html
## (QUICK=1: the smoke budgets of the tests; FULL=1, the old switch, is the default now and changes nothing)
gallery: install
	$(BIN)/python scripts/build_gallery.py --out build/gallery $(if $(filter 1 true yes,$(QUICK)),--quick,)

## JupyterLab on the course, real budgets (paired .py files open as notebooks too)
lab: install
	$(BIN)/jupyter lab --notebook-dir=. notebooks

## The student version of the course (solution cells removed) in build/student/
student: install
	$(BIN)/python scripts/student_version.py --out build/student

bench: install
	$(BIN)/pip install -q -e '.[bench]'   # DeepXDE, compared against, for the benchmarks only
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf build runs .pytest_cache
