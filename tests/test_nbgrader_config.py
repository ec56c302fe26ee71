"""The course's nbgrader configuration, as stock nbgrader reads it from the course root."""

from __future__ import annotations

import copy

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook
from nbgrader.api import Gradebook

from convcourse import COURSE_ROOT, notebooks
from nbgrader_course import Course, error_text


def test_stock_nbgrader_finds_the_course_configuration_from_the_root(monkeypatch):
    from nbgrader.apps import NbGrader

    monkeypatch.chdir(COURSE_ROOT)
    app = NbGrader()
    app.load_config_file()
    config = app.config
    assert config.CourseDirectory.source_directory == "solutions"
    assert config.CourseDirectory.release_directory == "notebooks"
    assert config.CourseDirectory.course_id == "convcourse"
    assert 30 <= config.Execute.timeout <= 600, "a per-cell timeout long enough for training cells"
    assert config.IgnorePattern.enabled and config.IgnorePattern.pattern


def _graded(grade_id: str, source: str):
    return new_code_cell(source, metadata={"nbgrader": {"grade": True, "grade_id": grade_id, "locked": True,
                                                        "points": 1, "schema_version": 3, "solution": False,
                                                        "task": False}})


@pytest.mark.slow
def test_tensorflow_log_lines_on_stderr_cost_no_points_but_other_stderr_does(tmp_path):
    course = Course(tmp_path, ())
    lesson = tmp_path / "solutions" / "99_stderr"
    lesson.mkdir(parents=True)
    notebook = new_notebook(cells=[
        _graded("imports_tensorflow", "import tensorflow as tf\nassert tf.constant(2) * 3 == 6"),
        _graded("tensorflow_log_lines", (
            "import sys\n"
            "_ = sys.stderr.write('2026-11-25 21:39:17.123456: I tensorflow/core/util/port.cc:153] oneDNN custom "
            "operations are on.\\n')\n"
            "_ = sys.stderr.write('W0000 00:00:1764106757.123456   42 cpu_feature_guard.cc:210] This TensorFlow binary "
            "is optimized to use available CPU instructions.\\n')\n"
            "_ = sys.stderr.write('To enable the following instructions: AVX2 FMA, in other operations, rebuild "
            "TensorFlow with the appropriate compiler flags.\\n')")),
        _graded("other_stderr", "import sys\n_ = sys.stderr.write('something went wrong\\n')"),
    ], metadata={"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"}})
    nbformat.write(notebook, lesson / "99_stderr.ipynb")
    course.nbgrader("generate_assignment", "99_stderr", "--force")
    course.submit("student", "99_stderr", course.release_notebook("99_stderr"))
    course.nbgrader("autograde", "99_stderr", "--create", "--force", "--Execute.timeout=40")  # room for TensorFlow's import on a loaded machine
    scores = course.cell_scores("student", "99_stderr")
    assert scores == {"imports_tensorflow": 1, "tensorflow_log_lines": 1, "other_stderr": 0}
    # A cell past the timeout scores 0 and the next still runs: nbgrader's own timeout tests, run with the
    # course's ResilientExecute in its place (test_nbgrader_suite.py), and the hanging hostile cases.


def _solution(lesson: str) -> nbformat.NotebookNode:
    """The release with every answer cell holding the instructor's solution."""
    source = notebooks.read(lesson)
    answers = {notebooks.nbgrader_meta(c)["grade_id"]: c.source for c in source.cells
               if notebooks.nbgrader_meta(c).get("solution") and c.cell_type == "code"}
    return notebooks.with_answers(notebooks.read(lesson, release=True), answers)


def _without(nb, grade_id: str):
    nb = copy.deepcopy(nb)
    nb.cells = [c for c in nb.cells if notebooks.nbgrader_meta(c).get("grade_id") != grade_id]
    return nb


def _moved_to_top(nb, grade_id: str):
    nb = copy.deepcopy(nb)
    cell = notebooks.cell(nb, grade_id)
    nb.cells.remove(cell)
    nb.cells.insert(0, cell)
    return nb


def _edited(nb, grade_id: str, source: str):
    nb = copy.deepcopy(nb)
    notebooks.cell(nb, grade_id).source = source
    return nb


def _duplicated_before_answers(nb, grade_id: str):
    nb = copy.deepcopy(nb)
    duplicate = copy.deepcopy(notebooks.cell(nb, grade_id))
    duplicate.id = "pasted-copy"
    nb.cells.insert(0, duplicate)
    return nb


@pytest.mark.slow
def test_stock_autograde_restores_tampered_test_cells_and_survives_a_dying_kernel(tmp_path):
    """Deleted, moved, edited and duplicated test cells are put back in place and graded; no checksum noise."""
    lesson, test = "01_one_pixel", "weighted_sum_seed_pixel"
    course = Course(tmp_path, (lesson,))
    solved = _solution(lesson)
    students = {
        "correct": solved,
        "deleted": _without(solved, test),
        "moved": _moved_to_top(solved, test),
        "edited": _edited(solved, test, "assert True  # nothing to see here"),
        "duplicated": _duplicated_before_answers(solved, test),
        # The kernel dies in the second answer cell: the first test keeps its points, the rest is graded.
        "dies": notebooks.with_answers(solved, {"filter_pixel": "import os\nos._exit(1)"}),
    }
    for student, notebook in students.items():
        course.submit(student, lesson, notebook)
    log = course.autograde(lesson).stderr

    def test_scores(student):
        scores = course.cell_scores(student, lesson)
        return {name: scores[name] for name in (test, "filter_pixel_small_image")}

    for student in ("correct", "deleted", "moved", "edited", "duplicated"):
        assert test_scores(student) == {test: 3, "filter_pixel_small_image": 3}, student
    assert test_scores("dies") == {test: 3, "filter_pixel_small_image": 0}
    died = course.autograded_notebook("dies", lesson)
    assert "KernelDied" in error_text(died, "filter_pixel")
    assert "NameError" in error_text(died, "filter_pixel_small_image"), "later cells run in a fresh kernel"
    assert "checksum" not in log.lower(), "stock nbgrader warns about checksums of tests with hidden parts"
    assert log.count(f"locked cell '{test}' was missing") == 1
    assert log.count(f"locked cell '{test}' was edited") == 1
    assert log.count("locked cells were moved") >= 1
    assert f"cell '{test}' appeared 2 times" in log
    assert "the kernel died while this cell ran" in log
    with Gradebook(f"sqlite:///{tmp_path / 'gradebook.db'}") as gradebook:
        waiting = [grade.name for student in students for grade in gradebook.find_submission_notebook(
            lesson, lesson, student).grades if grade.needs_manual_grade and grade.name == test]
    assert waiting == [], "a restored test cell must be graded, not left for manual grading"
