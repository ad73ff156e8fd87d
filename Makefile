# pinnkit — one command per job. Everything installs into ./.venv from the package registries.
PY      ?= python3
VENV    ?= .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed
export PINNKIT_QUICK ?= 1
ifeq ($(FULL),1)
PINNKIT_QUICK := 0
endif

.PHONY: install test test-unit test-notebooks test-browser gallery lab bench clean browser-deps

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	# the CPU build of torch first, pinned, so nothing pulls a CUDA build
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -e '.[widgets,notebooks,dev]'
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 >/dev/null
	touch $(STAMP)

install: $(STAMP)

browser-deps:
	@command -v chromium >/dev/null 2>&1 || test -x /usr/bin/chromium || \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null)

## Everything, from scratch: unit tests, every notebook (papermill + nbval, quick mode), browser tests
test: install browser-deps
	$(BIN)/python -m pytest -q -p no:cacheprovider tests -m "not notebook and not browser"
	$(BIN)/python -m pytest -q -p no:cacheprovider -n 2 --dist load tests -m "notebook"
	$(BIN)/python -m pytest -q -p no:cacheprovider -n 2 --dist loadfile --nbval-lax --nbval-current-env notebooks gallery
	$(BIN)/python -m pytest -q -p no:cacheprovider tests -m "browser"

test-unit: install
	$(BIN)/python -m pytest -q tests -m "not notebook and not browser"

## Execute every notebook headlessly and write build/gallery/index.html (FULL=1 for full budgets)
gallery: install
	$(BIN)/python scripts/build_gallery.py --out build/gallery

lab: install
	$(BIN)/jupyter lab --notebook-dir=. notebooks

bench: install
	$(BIN)/pip install -q -e '.[bench]'   # DeepXDE, compared against, for the benchmarks only
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf build runs .pytest_cache
