# convcourse: `make lab` opens the course, `make test` runs every test.
# Both build the environment in .venv first if it is missing (Python 3.11+, pip; no conda needed).

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.convcourse-installed
# Offline copies of the public data sets, laid out like the libraries' caches (see README, "Offline").
CONVCOURSE_OFFLINE_DATA ?= $(wildcard ../shared/data)
export CONVCOURSE_OFFLINE_DATA
# nbgrader runs `alembic` by name: the environment's bin/ must come first on PATH.
export PATH := $(abspath $(BIN)):$(PATH)

.PHONY: lab instructor test bench release check-release env grade progress reset

# Extra JupyterLab options, e.g. make lab LAB_ARGS="--port=8899 --no-browser"
LAB_ARGS ?=

# The learner's JupyterLab: lessons and Validate, nothing of the instructor's (convcourse/lab.py).
lab: $(STAMP)
	$(BIN)/python -m convcourse.lab $(LAB_ARGS)

# The instructor's JupyterLab: formgrader (Nbgrader menu), Create Assignment, course and assignment lists.
instructor: $(STAMP)
	$(BIN)/python -m convcourse.lab --instructor $(LAB_ARGS)

test: $(STAMP)
	$(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py

# Autograde every submission of a lesson: make grade LESSON=01_one_pixel ARGS="--jobs 4" (grader/README.md)
grade: $(STAMP)
	@test -n "$(LESSON)" || { echo "usage: make grade LESSON=01_one_pixel [ARGS='--students a,b --force']"; exit 2; }
	$(BIN)/convcourse grade $(LESSON) $(ARGS)

# Where you stand in each lesson, from your saved notebooks: make progress [LESSON=01_one_pixel]
progress: $(STAMP)
	$(BIN)/convcourse progress $(LESSON)

# Start a lesson over from a fresh copy (yours is backed up in backups/ first): make reset LESSON=01_one_pixel
reset: $(STAMP)
	@test -n "$(LESSON)" || { echo "usage: make reset LESSON=01_one_pixel (your notebook is backed up in backups/ first)"; exit 2; }
	$(BIN)/convcourse reset $(LESSON)

release: $(STAMP)
	$(BIN)/python -m convcourse.release

check-release: $(STAMP)
	$(BIN)/python -m convcourse.release --check

env: $(STAMP)

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "convcourse needs Python 3.11 or newer, found " + sys.version.split()[0]'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade pip
	$(BIN)/python -m pip install -e ".[dev]"
	$(BIN)/jupyter server extension enable --sys-prefix nbgrader.server_extensions.formgrader
	$(BIN)/jupyter server extension enable --sys-prefix nbgrader.server_extensions.assignment_list
	$(BIN)/jupyter server extension enable --sys-prefix nbgrader.server_extensions.course_list
	$(BIN)/jupyter server extension enable --sys-prefix nbgrader.server_extensions.validate_assignment
	$(BIN)/jupyter labextension enable @jupyter/nbgrader
	@# JupyterHub's proxy (grader/JUPYTERHUB.md: a class on JupyterHub). Major 4 runs on Debian's node 20.
	if command -v npm >/dev/null; then \
	  npm install --silent --no-audit --no-fund --prefix $(VENV)/node configurable-http-proxy@4 && \
	  ln -sf ../node/node_modules/.bin/configurable-http-proxy $(BIN)/configurable-http-proxy; \
	else echo "npm not found: skipping configurable-http-proxy (only JupyterHub needs it)"; fi
	touch $(STAMP)
