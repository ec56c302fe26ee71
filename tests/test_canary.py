"""The canary: before anything is merged, `convcourse grade` grades the reference solution and the untouched
release in the students' conditions, and stops with the reason in words when the reference loses a point
or the release earns one, instead of giving a class zeros."""

from __future__ import annotations

import subprocess
import sys

import nbformat
import pytest
from nbgrader.api import Gradebook

from convcourse import notebooks
from convcourse.grading import canary
from convcourse.grading.jobs import CellResult, GradingResult
from convcourse.release import nbgrader_environment
from nbgrader_course import Course

STOPPED = 3  # the exit status grader/README.md documents for a failed canary


def result(student: str, cells: list[CellResult], outcome: str = "graded", files=None) -> GradingResult:
    return GradingResult(lesson="01_one_pixel", student=student, outcome=outcome, notes=[], cells=cells,
                         files=files or {}, timestamp=None, seconds=1.0, peak_memory_mb=0.0, submission_sha256="")


def test_a_reference_with_every_point_and_a_release_with_none_pass():
    reference = result(canary.REFERENCE, [CellResult("a", 3.0, 3.0, True), CellResult("essay", None, 2.0, False)])
    release = result(canary.RELEASE, [CellResult("a", 0.0, 3.0, True), CellResult("essay", 0.0, 2.0, False)])
    assert canary.verdict({canary.REFERENCE: reference, canary.RELEASE: release}) is None


@pytest.mark.parametrize("message, cause", [
    ("NameError: name 'x_train' is not defined", "no longer agree with solutions/"),
    ("ModuleNotFoundError: No module named 'scipy'", "a library the lesson imports is missing"),
    ("FileNotFoundError: [Errno 2] No such file or directory: '/course/data/patch_192.json'", "missing in the grading kernel"),
])
def test_a_reference_that_loses_points_stops_grading_with_the_cause(message, cause):
    reference = result(canary.REFERENCE, [CellResult("a", 0.0, 3.0, True, message=message)])
    release = result(canary.RELEASE, [CellResult("a", 0.0, 3.0, True)])
    problem = canary.verdict({canary.REFERENCE: reference, canary.RELEASE: release})
    assert problem.startswith("The reference solution loses points on 1 test, so your students would too")
    assert cause in problem.splitlines()[0] and message in problem


def test_the_first_error_in_the_reference_notebook_is_named():
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(outputs=[nbformat.v4.new_output(
        "error", ename="DataUnavailableError", evalue="Fashion-MNIST is not cached in /x", traceback=[])])])
    files = {"autograded/canary-reference/01_one_pixel/01_one_pixel.ipynb": nbformat.writes(notebook).encode()}
    reference = result(canary.REFERENCE, [CellResult("a", 0.0, 3.0, True, message="NameError: x")], files=files)
    release = result(canary.RELEASE, [CellResult("a", 0.0, 3.0, True)])
    problem = canary.verdict({canary.REFERENCE: reference, canary.RELEASE: release})
    assert "missing in the grading kernel" in problem.splitlines()[0]
    assert "The first error in its notebook: DataUnavailableError: Fashion-MNIST is not cached" in problem


def test_a_release_that_earns_points_or_a_reference_that_cannot_run_stops_grading():
    reference = result(canary.REFERENCE, [CellResult("a", 3.0, 3.0, True)])
    release = result(canary.RELEASE, [CellResult("a", 3.0, 3.0, True)])
    assert canary.verdict({canary.REFERENCE: reference, canary.RELEASE: release}).startswith(
        "The untouched release earns points on a (3)")
    crashed = result(canary.REFERENCE, [CellResult("a", 0.0, 3.0, True)], outcome="timeout: still running")
    assert canary.verdict({canary.REFERENCE: crashed, canary.RELEASE: release}).startswith(
        "The reference solution could not be graded (timeout")


# --- the canary in real runs ------------------------------------------------------------------------

def nothing_merged(root, lesson: str) -> None:
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gradebook:
        assert gradebook.assignment_submissions(lesson) == []
    assert not (root / "grading" / lesson / "students").exists()
    assert not (root / "feedback").exists() and not (root / "autograded").exists()


def stopped_run(tmp_path, lesson: str, env: dict | None = None, release_with_answers: bool = False) -> str:
    """A course where alice did everything right, graded with `convcourse grade`; the canary must stop the run
    (exit 3) and nothing may be merged. Returns what the command said on stderr."""
    course = Course(tmp_path / "course", (lesson,))
    course.submit("alice", lesson, notebooks.completed(lesson))
    if release_with_answers:
        release = course.root / "notebooks" / lesson / f"{lesson}.ipynb"
        nbformat.write(notebooks.completed(lesson, root=course.root), release)
    run = subprocess.run([sys.executable, "-m", "convcourse.cli", "grade", lesson, "--jobs", "2"], cwd=course.root,
                         env=env or nbgrader_environment(), capture_output=True, text=True, timeout=900)
    assert run.returncode == STOPPED, run.stdout + run.stderr
    assert "Grading stopped, nothing merged: the canary failed." in run.stderr
    nothing_merged(course.root, lesson)
    return run.stderr


@pytest.mark.slow
@pytest.mark.xdist_group("canary")
def test_a_release_that_gives_points_away_merges_nothing(tmp_path):
    said = stopped_run(tmp_path, "01_one_pixel", release_with_answers=True)
    assert "The untouched release earns points on weighted_sum_seed_pixel (3), filter_pixel_small_image (3)" in said


@pytest.mark.slow
@pytest.mark.xdist_group("canary")
def test_missing_data_sets_stop_grading_before_a_class_gets_zeros(tmp_path):
    """Lesson 05 with no Fashion-MNIST in the grader's Keras cache and no way to download it."""
    empty = tmp_path / "empty"
    empty.mkdir()
    offline = {**nbgrader_environment(), "KERAS_HOME": str(empty), "XDG_CACHE_HOME": str(empty),
               "HTTPS_PROXY": "http://127.0.0.1:9", "HTTP_PROXY": "http://127.0.0.1:9"}  # a closed port
    offline.pop("CONVCOURSE_OFFLINE_DATA", None)
    said = stopped_run(tmp_path, "05_cnn_in_keras", offline)
    # First the command tried to cache it for the kernels (which have no network), and said it could not.
    assert "convcourse grade: a data set could not be cached for the kernels: Fashion-MNIST is not cached" in said
    assert "a file the lesson reads is missing in the grading kernel" in said
    assert "DataUnavailableError: Fashion-MNIST is not cached" in said


def test_a_course_without_the_lessons_release_is_told_how_to_make_it(tmp_path):
    from convcourse.grading.records import CourseError

    with pytest.raises(CourseError, match="no release of 01_one_pixel .* run `nbgrader generate_assignment"):
        canary.submissions(tmp_path, "01_one_pixel")
