# wikimuse: `make demo` and `make test` work on a fresh machine with Python 3.11 and pip.
# Both create .venv once and reinstall only when pyproject.toml changes (the stamp
# file is keyed on its hash, not its mtime, so fresh clones behave the same).

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PYPROJECT_HASH := $(shell $(PYTHON) -c "import hashlib,sys; print(hashlib.sha256(open('pyproject.toml','rb').read()).hexdigest()[:16])")
STAMP := $(VENV)/.installed-$(PYPROJECT_HASH)
export TF_CPP_MIN_LOG_LEVEL ?= 2
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: demo test lint venv clean

demo: $(STAMP)
	$(BIN)/python -m workers.demo

test: $(STAMP)
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports

venv: $(STAMP)

$(STAMP): pyproject.toml
	@# Debian's python3.11 may lack ensurepip (python3.11-venv): then bootstrap pip
	@# into a bare venv with the system pip.
	@test -x $(BIN)/pip || $(PYTHON) -m venv $(VENV) 2>/dev/null || { rm -rf $(VENV) && \
	  $(PYTHON) -m venv --without-pip $(VENV) && \
	  $(PYTHON) -m pip --python $(BIN)/python install --quiet pip; }
	@$(BIN)/python -c "import sys; assert sys.version_info >= (3, 11), 'wikimuse needs Python >= 3.11'"
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]' --config-settings editable_mode=compat
	@rm -f $(VENV)/.installed-*
	@touch $@

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
