# rnnmath — two commands do everything: `make book` and `make test`.
PYTHON  ?= python3
VENV    ?= .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.rnnmath-installed
JOBS    ?= 2
# CI and the book build use the quick preset and no progress bars unless told otherwise
export RNNMATH_PROGRESS ?= 0
# sliders of rnnmath.plotting.explore only in a reader's JupyterLab, not in executed chapters
export RNNMATH_INTERACTIVE ?= 0
export PYDEVD_DISABLE_FILE_VALIDATION = 1
# chapters and test files run $(JOBS) at a time: one BLAS/OpenMP thread each avoids
# oversubscribing the cores. Results do not depend on it: `make lab` and `make benchmarks`
# keep torch's default threads (rnnmath.linalg guards the batched-LU fault of torch 2.13.0)
THREADS := OMP_NUM_THREADS=1 MKL_NUM_THREADS=1

.PHONY: help venv book census test test-binder test-unit test-notebooks test-seeds test-threads test-browser lab clean clean-notebooks benchmarks errata

help:
	@echo "make book        build the HTML book into _build/html (executes every chapter)"
	@echo "make test        unit tests + every chapter under nbval + book build, warnings as errors"
	@echo "make test-seeds  execute every chapter again under two other seeds (RNNMATH_SEED_OFFSET=1, 2)"
	@echo "make test-threads  execute every chapter with 1 and with 2 threads and compare the outputs"
	@echo "make test-browser  open every built page in headless Chromium (needs apt packages chromium chromium-driver)"
	@echo "make full        execute chapters at full scale into results/ (CHAPTERS=... for a subset; skips current ones)"
	@echo "make full-status which chapters have a current, stale or missing full result (nothing executed)"
	@echo "make book-published  the HTML to publish: full results where current, quick elsewhere, with banners"
	@echo "make test-binder a fresh venv from binder/ alone executes a chapter; the install cell installs rnnmath (slow, ~5 min)"
	@echo "make lab         JupyterLab on the chapters"
	@echo "make benchmarks  run benchmarks/ (prints speed ratios)"
	@echo "make errata      print the errata registry"
	@echo "make census      count every chapter's checks and verdicts (from the executed chapters)"
	@echo "make clean       remove _build and caches (keeps .venv)"

$(STAMP): requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade pip
	$(BIN)/python -m pip install -r requirements.txt
	$(BIN)/python -m pip install --no-deps -e .
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (rnnmath)"
	touch $(STAMP)

venv: $(STAMP)

book: $(STAMP)
	$(THREADS) $(BIN)/python tools/execute_chapters.py
	$(BIN)/jupyter-book build . -W --keep-going

# `make test` = the book (every chapter executed once into the jupyter-cache, $(JOBS) at a
# time, then Sphinx with warnings as errors) and one pytest run: unit tests, structural
# tests and every chapter under nbval. The quick preset is forced.
test: export RNNMATH_SCALE = quick
test: export RNNMATH_BOOK_BUILT = 1
test: $(STAMP)
	$(THREADS) $(BIN)/python tools/execute_chapters.py
	$(BIN)/jupyter-book build . -W --keep-going
	$(THREADS) $(BIN)/python -m pytest tests book --nbval-lax -n $(JOBS) --dist loadfile -p no:cacheprovider

test-unit: export RNNMATH_SCALE = quick
test-unit: $(STAMP)
	$(THREADS) $(BIN)/python -m pytest tests -n $(JOBS)

test-notebooks: export RNNMATH_SCALE = quick
test-notebooks: $(STAMP)
	$(THREADS) $(BIN)/python -m pytest book --nbval-lax -n $(JOBS) --dist loadfile -p no:cacheprovider

# Seed robustness: every chapter executed again under two other seeds (quick preset).
test-seeds: export RNNMATH_SCALE = quick
test-seeds: $(STAMP)
	cd tools && ../$(BIN)/python run_chapters.py --jobs $(JOBS) --out ../_build/seeds \
		--env RNNMATH_SEED_OFFSET=1 --env RNNMATH_SEED_OFFSET=2

# Thread independence: every chapter with one and with two threads, outputs compared.
test-threads: export RNNMATH_SCALE = quick
test-threads: $(STAMP)
	cd tools && ../$(BIN)/python compare_runs.py --jobs 1 --out ../_build/threads \
		--a OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 --b OMP_NUM_THREADS=2 MKL_NUM_THREADS=2

# The rendered book in a real browser: serves _build/html on localhost, opens every page in
# headless Chromium with non-local hosts unresolvable, checks MathJax, figures, links,
# theorem blocks; screenshots go to artifacts/. Builds the book first if needed.
test-browser: export RNNMATH_BROWSER = 1
test-browser: $(STAMP)
	test -f _build/html/index.html || $(BIN)/jupyter-book build . -W --keep-going
	$(BIN)/python -m pytest tests/browser -p no:cacheprovider -p no:xdist

# Full scale (the notes' sizes): chapters one after another on the available device with torch's
# default threads (set OMP_NUM_THREADS to limit them), stored with provenance in results/;
# chapters whose stored result is current are skipped (FORCE=1 executes them again).
# A failing check fails the run; the failed notebook goes to _build/full/failed/.
CHAPTERS ?=
full: $(STAMP)
	$(BIN)/python tools/full_run.py $(if $(FORCE),--force) $(CHAPTERS)

full-status: $(STAMP)
	$(BIN)/python tools/full_run.py --dry-run $(CHAPTERS)

# The published HTML (what .github/workflows/book.yml deploys): each chapter from its current
# full result, from the quick execution (the jupyter-cache of `make book` / `make test`)
# elsewhere, a banner on every chapter page; output in _build/published/_build/html.
book-published: export RNNMATH_SCALE = quick
book-published: $(STAMP)
	$(THREADS) $(BIN)/python tools/execute_chapters.py
	$(THREADS) $(BIN)/python tools/build_published.py

# The launch buttons, offline: a fresh virtual environment built only from binder/ executes a
# chapter, and the chapters' install cell installs rnnmath into one that lacks it.
test-binder: $(STAMP)
	RNNMATH_BINDER_TEST=1 $(THREADS) $(BIN)/python -m pytest tests/test_binder.py -q -p no:cacheprovider -p no:xdist

lab: $(STAMP)
	RNNMATH_PROGRESS=1 RNNMATH_INTERACTIVE=1 $(BIN)/jupyter lab book

benchmarks: $(STAMP)
	test -d .bench-libs/dca || $(BIN)/python -m pip install -q --no-deps --target .bench-libs -r benchmarks/requirements.txt
	for b in benchmarks/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

errata: $(STAMP)
	$(BIN)/python -m rnnmath.errata

clean-notebooks: $(STAMP)
	$(BIN)/python tools/nbclean.py $$(git ls-files 'book/*.ipynb')

clean:
	rm -rf _build .pytest_cache artifacts
	find . -name __pycache__ -not -path "./$(VENV)/*" -prune -exec rm -rf {} +

census: $(STAMP)
	cd tools && ../$(BIN)/python check_census.py
