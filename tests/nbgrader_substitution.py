"""pytest plugin: run nbgrader's own tests with the course's preprocessors where nbgrader's stand.

Loaded with ``-p nbgrader_substitution`` by tests/test_nbgrader_suite.py. Before any test module is
imported, ``RestoreLockedCells`` takes the place of ``OverwriteCells`` and ``ResilientExecute`` that of
``Execute``: under their names in ``nbgrader.preprocessors`` (what nbgrader's preprocessor tests import)
and at their positions in ``Autograde``'s two preprocessor lists (what ``nbgrader autograde`` runs; the
autograde tests run the app in the test's own process). Validate and generate_solution keep stock
``Execute``, as in the course's configuration.

The tests where the course means to differ from nbgrader are marked xfail(strict=True), with the line of
grader/README.md that documents the difference: one that passes again is a failure too.
"""

from __future__ import annotations

import functools
from pathlib import Path

import nbgrader.api
import nbgrader.converters  # noqa: F401  bind the stock names everywhere but in Autograde's lists first
import nbgrader.preprocessors as stock
import nbgrader.validator  # noqa: F401
import pytest
from nbgrader.converters import Autograde

from convcourse.grading.preprocessors import ResilientExecute, RestoreLockedCells

COURSE_CLASSES = {stock.OverwriteCells: RestoreLockedCells, stock.Execute: ResilientExecute}

README = Path(__file__).resolve().parents[1] / "grader" / "README.md"
UNKNOWN_GRADE_ID = "a cell whose grade id the lesson does not have is graded as ordinary code"
TASK_PUT_BACK = "a deleted task cell is put back in its place"
# nbgrader's test -> the words of the README line that documents why the course differs there
EXPECTED_DIFFERENCES = {
    "test_overwritecells.py::TestOverwriteCells::test_nonexistent_grade_id": UNKNOWN_GRADE_ID,
    "test_nbgrader_autograde.py::TestNbGraderAutograde::test_handle_failure": UNKNOWN_GRADE_ID,
    "test_nbgrader_autograde.py::TestNbGraderAutograde::test_handle_failure_single_notebook": UNKNOWN_GRADE_ID,
    "test_overwritecells.py::TestOverwriteCells::test_add_missing_cells": TASK_PUT_BACK,
}


def substitute() -> None:
    for name in ("sanitize_preprocessors", "autograde_preprocessors"):
        trait = Autograde.class_traits()[name]
        # a traitlets List builds each instance's default from its default_args
        trait.default_args = ([COURSE_CLASSES.get(cls, cls) for cls in trait.default_args[0]],)
    stock.OverwriteCells, stock.Execute = RestoreLockedCells, ResilientExecute


def documented_at(words: str) -> list[int]:
    """The lines of grader/README.md that contain these words."""
    return [number for number, line in enumerate(README.read_text().splitlines(), 1) if words in line]


def pytest_configure(config):
    substitute()
    # Every new gradebook asks the alembic command for the same version string (seconds each): ask once.
    nbgrader.api.get_alembic_version = functools.cache(nbgrader.api.get_alembic_version)


def pytest_collection_modifyitems(config, items):
    for item in items:
        words = next((words for test, words in EXPECTED_DIFFERENCES.items() if item.nodeid.endswith(test)), None)
        if words:
            where = ", ".join(f"grader/README.md:{line}" for line in documented_at(words)) or "undocumented"
            item.add_marker(pytest.mark.xfail(strict=True, reason=f"intended: {words} ({where})"))


def pytest_report_header(config):
    return "nbgrader_substitution: OverwriteCells -> RestoreLockedCells, Execute -> ResilientExecute"
