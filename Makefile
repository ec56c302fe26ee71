# convcourse: `make lab` opens the course, `make test` runs every test.
# Both build the environment in .venv first when it is missing or older than the lock (Python 3.11-3.13; no
# conda needed). course.py does the building, so `python course.py lab` / `test` work where make does not.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# One stamp per kind of install (course.py): the learner's, the instructor's (+ JupyterHub, Dask), dev (+ tests).
LEARNER := $(VENV)/.convcourse-learner
INSTRUCTOR := $(VENV)/.convcourse-instructor
DEV := $(VENV)/.convcourse-dev
# Offline copies of the public data sets, laid out like the libraries' caches (see README, "Offline").
CONVCOURSE_OFFLINE_DATA ?= $(wildcard ../shared/data)
export CONVCOURSE_OFFLINE_DATA
# nbgrader runs `alembic` by name: the environment's bin/ must come first on PATH.
export PATH := $(abspath $(BIN)):$(PATH)

.PHONY: lab play instructor test test-fast bench frontier release check-release env grade feedback report progress reset lock

# Extra JupyterLab options, e.g. make lab LAB_ARGS="--port=8899 --no-browser"
LAB_ARGS ?=

# The learner's JupyterLab: lessons and Validate, nothing of the instructor's (convcourse/lab.py).
lab: $(LEARNER)
	$(BIN)/python -m convcourse.lab $(LAB_ARGS)

# Every widget of the course in one notebook (playground.ipynb), on the reference computation: no exercise needed.
play: $(LEARNER)
	$(BIN)/python -m convcourse.lab --play $(LAB_ARGS)

# The instructor's JupyterLab: formgrader (Nbgrader menu), Create Assignment, course and assignment lists.
instructor: $(INSTRUCTOR)
	$(BIN)/python -m convcourse.lab --instructor $(LAB_ARGS)

test: $(DEV)
	$(BIN)/python -m pytest

# Everything but real nbgrader runs, servers and browsers (the tests marked slow): minutes, not half an hour.
test-fast: $(DEV)
	$(BIN)/python -m pytest -m "not slow"

bench: $(DEV)
	$(BIN)/python benchmarks/run.py

# The capstone's accuracy-per-MAC frontier (about 25 minutes): make frontier ARGS=--write records it for lesson 06
frontier: $(DEV)
	$(BIN)/python benchmarks/capstone_frontier.py $(ARGS)

# Autograde every submission of a lesson: make grade LESSON=01_one_pixel ARGS="--jobs 4" (grader/README.md)
grade: $(INSTRUCTOR)
	@test -n "$(LESSON)" || { echo "usage: make grade LESSON=01_one_pixel [ARGS='--students a,b --force']"; exit 2; }
	$(BIN)/convcourse grade $(LESSON) $(ARGS)

# Your formgrader marks and comments into the students' feedback pages: make feedback LESSON=01_one_pixel
feedback: $(INSTRUCTOR)
	@test -n "$(LESSON)" || { echo "usage: make feedback LESSON=01_one_pixel [ARGS=--all]"; exit 2; }
	$(BIN)/convcourse feedback $(LESSON) $(ARGS)

# How the class did, as an HTML page from the grading records: make report [LESSON=01_one_pixel] [ARGS=--open]
report: $(INSTRUCTOR)
	$(BIN)/convcourse report $(LESSON) $(ARGS)

# Where you stand in each lesson, from your saved notebooks: make progress [LESSON=01_one_pixel]
progress: $(LEARNER)
	$(BIN)/convcourse progress $(LESSON)

# Start a lesson over from a fresh copy (yours is backed up in backups/ first): make reset LESSON=01_one_pixel
reset: $(LEARNER)
	@test -n "$(LESSON)" || { echo "usage: make reset LESSON=01_one_pixel (your notebook is backed up in backups/ first)"; exit 2; }
	$(BIN)/convcourse reset $(LESSON)

release: $(LEARNER)
	$(BIN)/python -m convcourse.release

check-release: $(LEARNER)
	$(BIN)/python -m convcourse.release --check

# The instructor's environment (nbgrader, JupyterHub, Dask) without starting anything.
env: $(INSTRUCTOR)

# Refresh the lock after changing pyproject.toml: uv.lock (every supported platform and Python), then the
# three installs' requirement files with hashes that course.py installs.
lock: $(DEV)
	$(BIN)/uv lock
	$(BIN)/uv export --frozen --no-emit-project --quiet -o requirements/learner.txt
	$(BIN)/uv export --frozen --no-emit-project --quiet --extra grader -o requirements/instructor.txt
	$(BIN)/uv export --frozen --no-emit-project --quiet --extra grader --extra dev -o requirements/dev.txt

$(VENV)/.convcourse-%: requirements/%.txt pyproject.toml course.py
	$(PYTHON) course.py env $*
