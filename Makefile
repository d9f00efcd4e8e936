# Two commands on a fresh machine (see README.md):
#   make book   -- create .venv, install pinned dependencies, execute the notebooks, write
#                  _build/html, print each notebook's execution time
#   make test   -- lint; everything `make book` does; then every test: package, wheel, a fresh
#                  learner's install, notebooks, exercises, browser; the notebook time budget

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(CURDIR)/$(VENV)/bin
STAMP  := $(VENV)/.installed
STAGE  := tools/stage.sh
export PATH := $(BIN):$(PATH)
# Keep TensorFlow's C++ start-up chatter out of logs.
export TF_CPP_MIN_LOG_LEVEL := 2

# PyTorch's CPU wheels: no CUDA libraries, no triton (PyPI's Linux wheel is the ~2 GB CUDA
# build). pip searches this index in addition to PyPI for torch alone, so the lock's
# torch==2.13.0 resolves to 2.13.0+cpu. tools/torch_index.py probes the index first (5 s at
# most): where it cannot be reached (a network that allows only PyPI), torch comes from the
# default index and the install stage prints which build it got. `make TORCH_INDEX=` skips it.
TORCH_INDEX ?= https://download.pytorch.org/whl/cpu
# `make fresh-user FRESH_ALL=1` runs every notebook in the fresh install, not only those that
# read the package's data sets.
FRESH_ALL ?=
FRESH  = $(STAGE) fresh-user $(BIN)/python tools/fresh_user.py --python "$(PYTHON)" \
	  --torch-index "$(TORCH_INDEX)" $(if $(FRESH_ALL),--all)

.PHONY: book test lint fresh-user notebooks-sync chromium clean

$(STAMP): pyproject.toml requirements-lock.txt
	@$(STAGE) install sh -c '$(PYTHON) -m venv $(VENV) && \
	  $(BIN)/python -m pip install -q --upgrade pip && \
	  $(BIN)/python -m pip install -q -c requirements-lock.txt \
	    $$($(BIN)/python tools/torch_index.py "$(TORCH_INDEX)") torch && \
	  $(BIN)/python -m pip install -q -c requirements-lock.txt -e ".[dev]"'
	@$(BIN)/python -c 'import torch; c = torch.version.cuda; \
	  print("[install] torch", torch.__version__, f"(CUDA {c} build)" if c else "(CPU build)")'
	@touch $@

book: $(STAMP)
	@# Execute the notebooks two at a time into the build's cache; the build then only renders
	@# (and re-executes, with a traceback, any notebook that failed here).
	@$(STAGE) execute-notebooks $(BIN)/python tools/prefill_cache.py --jobs 2
	@$(STAGE) book $(BIN)/jupyter-book build . -W -n --keep-going
	@$(STAGE) notebook-times $(BIN)/python tools/notebook_times.py

lint: $(STAMP)
	@$(STAGE) lint sh -c 'rc=0; $(BIN)/ruff format --check . || rc=1; \
	  $(BIN)/ruff check . || rc=1; exit $$rc'

notebooks-sync: $(STAMP)
	@$(STAGE) notebooks-in-sync sh -c '$(BIN)/python tools/notebook_setup.py --check && \
	  $(BIN)/python -m rnnbook.grading.generate --check'

chromium:
	@$(STAGE) chromium tools/ensure_chromium.sh

# A learner's install: the wheel with [data] in a new venv, without the lock; the notebooks that
# read the package's data sets run there, each copied alone into an empty folder.
fresh-user: $(STAMP)
	@$(FRESH)

test: lint notebooks-sync chromium book
	@$(STAGE) unit-and-browser-tests $(BIN)/pytest -n 2 --dist loadfile tests
	@$(FRESH)
	@$(STAGE) solutions-nbval $(BIN)/pytest -n 2 --dist loadfile -p no:cacheprovider \
	  --nbval --nbval-sanitize-with tests/nbval_sanitize.cfg \
	  --junitxml=_build/nbval-solutions.xml solutions
	@# Chapters are not here: the book build has executed them (and fails on any error).
	@$(STAGE) exercises-nbval-lax $(BIN)/pytest -n 2 --dist loadfile -p no:cacheprovider \
	  --nbval-lax exercises
	@$(STAGE) notebook-budget $(BIN)/python tools/notebook_times.py --enforce \
	  --junit _build/nbval-solutions.xml

clean:
	rm -rf _build
