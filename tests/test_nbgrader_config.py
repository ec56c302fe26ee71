"""The course's nbgrader configuration, as stock nbgrader reads it from the course root."""

from __future__ import annotations

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from convcourse import COURSE_ROOT
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
        _graded("sleeps_past_the_timeout", "import time\ntime.sleep(60)"),
        _graded("runs_after_the_timeout", "assert 1 + 1 == 2"),
    ], metadata={"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"}})
    nbformat.write(notebook, lesson / "99_stderr.ipynb")
    course.nbgrader("generate_assignment", "99_stderr", "--force")
    course.submit("student", "99_stderr", course.release_notebook("99_stderr"))
    course.nbgrader("autograde", "99_stderr", "--create", "--force", "--Execute.timeout=10")
    scores = course.cell_scores("student", "99_stderr")
    assert scores == {"imports_tensorflow": 1, "tensorflow_log_lines": 1, "other_stderr": 0,
                      "sleeps_past_the_timeout": 0, "runs_after_the_timeout": 1}
    assert "Timeout" in error_text(course.autograded_notebook("student", "99_stderr"), "sleeps_past_the_timeout") \
        or "interrupted" in str(course.autograded_notebook("student", "99_stderr").cells[3].outputs).lower()
