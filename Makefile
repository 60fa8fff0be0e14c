# Two entry points, both self-contained on a fresh machine with Python 3.11:
#   make demo   set up, then grade the bundled example submission
#   make test   set up, then run the test suite
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: setup demo test test-unit lint bench clean browser screenshots

setup: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	# The CPU build of torch first: a bare "torch" requirement would pull a multi-GB CUDA build.
	$(BIN)/python -m pip install --quiet "torch==2.13.0" || $(BIN)/python -m pip install --quiet "torch>=2.1"
	$(BIN)/python -m pip install --quiet -e ".[test]"
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 >/dev/null
	touch $(STAMP)

demo: setup
	mkdir -p out
	$(BIN)/grade examples/rnn_bptt_submission.ipynb --json out/results.json --report out/report.md

# Two workers, a test file each at a time (module fixtures are shared within a file); then the
# timing-sensitive hostile tests alone, so a loaded machine can't turn a CPU limit into a wall-clock one.
TEST_JOBS ?= 2
test: setup browser
	status=0; \
	$(BIN)/python -m pytest -q -n $(TEST_JOBS) --dist loadfile -m "not serial" || status=$$?; \
	$(BIN)/python -m pytest -q -m serial || status=$$?; \
	exit $$status

# The marking page's browser tests drive Debian's Chromium (Playwright's own download is not
# reachable here); as root on a fresh Debian machine (CI) it is installed when missing.
CHROMIUM ?= /usr/bin/chromium
browser:
	@if [ ! -x $(CHROMIUM) ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	  else echo "no $(CHROMIUM): install it (sudo apt-get install chromium) for tests/marking" >&2; \
	    exit 1; fi; fi

# docs/marking-*.png: the marking page's views, for the README.
screenshots: setup browser
	$(BIN)/python -m tests.marking.screenshots docs

test-unit: setup
	$(BIN)/python -m pytest -q tests/unit

lint: setup
	$(BIN)/ruff check graders tests benchmarks assignments/*/checks*.py

bench: setup
	$(BIN)/python benchmarks/bench_rnn_3a.py
	$(BIN)/python benchmarks/bench_grade_whole.py
	$(BIN)/python benchmarks/bench_batch.py
	$(BIN)/python benchmarks/bench_vs_nbclient.py --runs 3

clean:
	rm -rf $(VENV) out .pytest_cache
