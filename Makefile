# Two commands: `make demo` (the main job) and `make test` (every check CI runs).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# torch first, pinned: on a CPU machine pip takes the local CPU wheel, on a GPU box the CUDA build.
TORCH ?= torch==2.13.0
PIP := $(BIN)/python -m pip
# The versions the tests last passed with (`make constraints` refreshes them); `make venv CONSTRAINTS=` installs the newest instead.
CONSTRAINTS ?= constraints.txt
PIN := $(if $(CONSTRAINTS),-c $(CONSTRAINTS))

.PHONY: venv constraints chromium demo student test check-sync lint cells nbtest pytest docs docs-check pipeline-page export run-nbs bench lab clean

$(STAMP): settings.ini setup.py $(CONSTRAINTS)
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip setuptools wheel
	$(PIP) install -q $(PIN) "$(TORCH)"
	$(PIP) install -q $(PIN) -e ".[dev]"
	@touch $(STAMP)

venv: $(STAMP)

## Refresh constraints.txt on purpose: a fresh .venv with the newest versions, every check, then its versions.
constraints:
	rm -rf $(VENV)
	$(MAKE) test CONSTRAINTS=
	echo "# The versions every check last passed with (make constraints refreshes them; make venv CONSTRAINTS= ignores them)." > constraints.txt
	$(PIP) freeze --exclude-editable | grep -v '^-e \|^torch==' >> constraints.txt  # torch is pinned by TORCH, CPU or CUDA build
	@echo "constraints.txt: $$(wc -l < constraints.txt) pinned versions, every check passed with them"

## Debian's Chromium for the docs check: installed when missing and root or sudo allows, else the one command to run.
chromium:
	@bash tools/chromium.sh

## The main job: the whole method on the offline testbed (nbs/90_pipeline.ipynb under papermill), into runs/testbed/.
## It resumes a run that stopped; `rm -rf runs/testbed` starts afresh.
demo: venv
	$(BIN)/supercorrect-pipeline --preset testbed

## Pretrain the testbed's student into data/student/: the study row student.SHIPPED and the rows it goes on from, one thread each (about 100 min),
## after the first row, restored from data/student/base/ (`supercorrect-pretrain-student --retrain` trains it too: another draw, not the shipped student).
student: venv
	$(BIN)/supercorrect-pretrain-student

## Every check: clean, in-sync notebooks; ruff on the module; the notebook cells; the tests; the built site in a browser.
test: venv check-sync lint nbtest pytest docs-check

check-sync: venv
	$(BIN)/python tools/sync.py --check

## ruff (rules in ruff.toml) on the exported module: fix a finding in its notebook, then `make export`.
lint: venv
	$(BIN)/ruff check supercorrect_nb

## Exported-cell sizes and demonstrated names of nbs/ (the issue-12 targets; --check fails when missed).
cells:
	$(PYTHON) tools/cell_figures.py nbs

## 90_pipeline is the papermill run itself: tests/test_pipeline.py executes it with the tiny CI preset.
nbtest: venv
	$(BIN)/nbdev_test --n_workers 2 --skip_file_re '^([_.]|90_)'

pytest: venv
	$(BIN)/python -m pytest tests/ -q

## Write the module and README.md from the notebooks, and clean the notebooks.
export: venv
	$(BIN)/python tools/sync.py

## Execute every notebook in place (to refresh the outputs the docs show), then clean them.
run-nbs: venv
	cd nbs && for nb in [0-8]*.ipynb index.ipynb; do ../$(BIN)/jupyter nbconvert --to notebook --execute --inplace "$$nb" || exit 1; done
	$(BIN)/python tools/sync.py

docs: venv
	$(BIN)/python tools/build_docs.py _docs

## Build the site, serve it on localhost and open every page in headless Chromium (Debian's `chromium`
## package): it fails on a request to another host, a JavaScript error, a broken link or anchor, an
## absolute local path, or a warning, progress bar or prompt on a page.
docs-check: docs chromium
	$(BIN)/python tools/check_docs.py _docs

## Keep the demo's results in nbs/90_pipeline.ipynb, for its docs page (runs or resumes `make demo` first).
pipeline-page: venv
	$(BIN)/python tools/pipeline_page.py testbed
	$(BIN)/python tools/sync.py

bench: venv
	$(BIN)/python bench/grading_throughput.py
	$(BIN)/python bench/chat_throughput.py

lab: venv
	$(PIP) install -q -e ".[dev,lab]"
	$(BIN)/jupyter lab nbs

clean:
	rm -rf _docs _build .pytest_cache .hypothesis runs
