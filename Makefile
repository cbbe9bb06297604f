# wikimuse: `make demo` and `make test` work on a fresh machine with Python 3.11 and pip.
# Both create .venv once and install the locked stack, requirements/lock.txt (every
# package pinned, with hashes), then wikimuse itself without dependencies. They reinstall
# only when pyproject.toml or the lock changes (the stamp is keyed on their hash, not
# their mtime, so fresh clones behave the same). `make lock` refreshes the locks.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
LOCK := requirements/lock.txt
GPU_LOCK := requirements/gpu.txt
INPUTS_HASH := $(shell $(PYTHON) -c "import hashlib; h = hashlib.sha256(); [h.update(open(f, 'rb').read()) for f in ('pyproject.toml', '$(LOCK)')]; print(h.hexdigest()[:16])")
STAMP := $(VENV)/.installed-$(INPUTS_HASH)
# One pip-compile invocation for both locks: no index or find-links lines from this
# machine's pip configuration go into them.
PIP_COMPILE := $(BIN)/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras \
  --no-emit-index-url --no-emit-find-links
export TF_CPP_MIN_LOG_LEVEL ?= 2
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: demo test lint venv lock clean

demo: $(STAMP)
	$(BIN)/python -m workers.demo

# Two pytest-xdist workers, each taking whole test files (their module fixtures and order
# stay together): most tests wait on subprocesses, so the second core halves the suite.
PYTEST_WORKERS ?= 2
test: $(STAMP)
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist loadfile

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports

venv: $(STAMP)

$(STAMP): pyproject.toml $(LOCK)
	@# Debian's python3.11 may lack ensurepip (python3.11-venv): then bootstrap pip
	@# into a bare venv with the system pip.
	@test -x $(BIN)/pip || $(PYTHON) -m venv $(VENV) 2>/dev/null || { rm -rf $(VENV) && \
	  $(PYTHON) -m venv --without-pip $(VENV) && \
	  $(PYTHON) -m pip --python $(BIN)/python install --quiet pip; }
	@$(BIN)/python -c "import sys; assert sys.version_info >= (3, 11), 'wikimuse needs Python >= 3.11'"
	$(BIN)/python -m pip install --quiet --require-hashes -r $(LOCK)
	@# The build backend (setuptools) comes from the lock too: no isolated build env.
	@# Default editable mode: with bot/, workers/ and models/ beside tests/ and bench/ at
	@# the root, setuptools maps the three packages with an import finder (it prints an
	@# "Editable installation" notice saying so; that is information, not a warning).
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	@rm -f $(VENV)/.installed-*
	@touch $@

# Refresh both locks from pyproject.toml: the CPU stack with the dev extra, and the GPU
# workers' CUDA TensorFlow held to the same versions of everything else.
lock: $(STAMP)
	$(PIP_COMPILE) --upgrade --extra dev --output-file $(LOCK) pyproject.toml
	sed -i "s/^tensorflow\[and-cuda\]==.*/tensorflow[and-cuda]==$$(sed -n 's/^tensorflow-cpu==\([^ ]*\).*/\1/p' $(LOCK))/" requirements/gpu.in
	cd requirements && ../$(PIP_COMPILE) --upgrade --output-file gpu.txt gpu.in

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
