"""The student release is generated from solutions/ and stays in sync; solutions pass, stubs fail."""

from __future__ import annotations

import subprocess
import sys

import pytest

from convcourse import COURSE_ROOT, notebooks
from convcourse.release import lessons, nbgrader_environment, release_differences

LESSONS = lessons()


def test_there_are_lessons_and_each_has_a_release():
    assert LESSONS[:2] == ["01_one_pixel", "02_whole_image"]
    for lesson in LESSONS:
        assert notebooks.notebook_path(lesson, release=True).exists(), f"run `make release` for {lesson}"


def test_notebooks_folder_is_exactly_what_nbgrader_generates_from_solutions():
    assert release_differences() == [], "notebooks/ is out of date: run `make release`"


def test_release_hides_solutions_and_hidden_tests_but_keeps_every_graded_cell():
    for lesson in LESSONS:
        source, release = notebooks.read(lesson), notebooks.read(lesson, release=True)
        assert notebooks.graded_cells(source) == notebooks.graded_cells(release)
        text = "\n".join(cell.source for cell in release.cells)
        assert "BEGIN SOLUTION" not in text and "BEGIN HIDDEN TESTS" not in text and "MARK SCHEME" not in text
        for cell in release.cells:
            meta = notebooks.nbgrader_meta(cell)
            if meta.get("solution") and cell.cell_type == "code":
                assert "raise NotImplementedError()" in cell.source
                assert '"""' in cell.source, "the stub keeps the docstring that states shapes"


def _validate(*args: str) -> str:
    result = subprocess.run([sys.executable, "-m", "nbgrader", "validate", *args], cwd=COURSE_ROOT,
                            env=nbgrader_environment(), capture_output=True, text=True, timeout=900)
    return result.stdout + result.stderr


# That every solution passes every test, hidden ones included, is proven where real nbgrader grades it: lesson 01's
# in test_grade_command.py (stock and ours), 02-05's as the reference student of test_corpus.py's classes, and the
# capstone's in test_capstone_grading.py; a `nbgrader validate` of each here ran the same cells a second time.


@pytest.mark.slow
@pytest.mark.parametrize("lesson", LESSONS)
def test_untouched_release_fails_every_graded_test(lesson):
    output = _validate("--invert", str(notebooks.notebook_path(lesson, release=True)))
    assert "Success! The notebook does not pass any tests." in output, output
