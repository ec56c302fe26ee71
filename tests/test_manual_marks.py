"""The instructor's marks round trip: given in the gradebook (as formgrader saves them), into the students'
feedback with the documented command, kept by every regrade, and counted in the summary and the CSV
exactly as `nbgrader export` counts them."""

from __future__ import annotations

import csv
import io
import subprocess
import sys

import pytest
from nbgrader.api import Gradebook

from convcourse import notebooks
from convcourse.release import nbgrader_environment
from nbgrader_course import Course, convcourse_grade

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("manual_marks")]

LESSON = "01_one_pixel"
WRITTEN = "why_keep_577"
COMMENT = "Right: clipping at 255 would flatten every edge brighter than the 192 pixel's."
ANSWER = "Keeping 577 keeps the strength of the edge; clipping loses it."


def give_mark(root, student: str, points: float, comment: str) -> None:
    """What formgrader's Save does for one written answer: manual score, comment, review flag cleared."""
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gradebook:
        notebook = gradebook.find_submission_notebook(LESSON, LESSON, student)
        grade = next(g for g in notebook.grades if g.name == WRITTEN)
        grade.manual_score, grade.needs_manual_grade = points, False
        next(c for c in notebook.comments if c.name == WRITTEN).manual_comment = comment
        gradebook.db.commit()


def written_grade(root, student: str):
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gradebook:
        grade = gradebook.find_grade(WRITTEN, LESSON, LESSON, student)
        return grade.manual_score, grade.needs_manual_grade


def feedback(root, student: str) -> str:
    return (root / "feedback" / student / LESSON / f"{LESSON}.html").read_text()


def exported_scores(course: Course) -> dict[str, float]:
    course.nbgrader("export")
    with open(course.root / "grades.csv", newline="") as handle:
        return {row["student_id"]: float(row["score"]) for row in csv.DictReader(handle)}


def csv_totals(root) -> dict[str, float]:
    totals: dict[str, float] = {}
    for row in csv.DictReader(io.StringIO((root / "grading" / LESSON / "test-results.csv").read_text())):
        totals[row["student"]] = totals.get(row["student"], 0.0) + float(row["points"] or 0)
    return totals


def summary_line(stdout: str, student: str) -> str:
    return next(line for line in stdout.splitlines() if line.startswith(f"{student} "))


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """Two students graded: alice with every answer right (her written answer waits for a mark), bob blank."""
    course = Course(tmp_path_factory.mktemp("marks"), (LESSON,))
    course.submit("alice", LESSON, notebooks.with_answers(notebooks.completed(LESSON), {WRITTEN: ANSWER}))
    course.submit("bob", LESSON, course.release_notebook(LESSON))
    # No canary in these runs (it is test_canary.py's and test_grade_command's): marks are what is tested here.
    run = convcourse_grade(course.root, LESSON, "--jobs", "2", "--no-canary")
    assert run.returncode == 0, run.stdout + run.stderr
    course.first_run = run
    return course


def test_a_written_answer_waits_for_the_instructor_in_the_summary_and_csv(course):
    assert "1 to mark" in summary_line(course.first_run.stdout, "alice")
    assert "1 answer of 1 student waits for your marks" in course.first_run.stdout
    rows = {row["test"]: row for row in csv.DictReader(io.StringIO(
        (course.root / "grading" / LESSON / "test-results.csv").read_text())) if row["student"] == "alice"}
    assert rows[WRITTEN]["points"] == "" and rows[WRITTEN]["passed"] == ""
    assert rows["weighted_sum_seed_pixel"]["marked_by"] == "autograder"


def test_marks_reach_the_feedback_and_survive_a_forced_regrade(course):
    root = course.root
    give_mark(root, "alice", 2.0, COMMENT)
    bob_page = (root / "feedback" / "bob" / LESSON / f"{LESSON}.html").stat().st_mtime_ns

    # The documented command: only the students whose marks changed get a new page.
    run = course_command(root, "feedback", LESSON)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "1 feedback page regenerated with your marks (alice)" in run.stdout
    page = feedback(root, "alice")
    assert COMMENT in page and "Written response</a> (Score: 2.0 / 2.0)" in page
    assert (root / "feedback" / "bob" / LESSON / f"{LESSON}.html").stat().st_mtime_ns == bob_page
    again = course_command(root, "feedback", LESSON)
    assert "0 feedback pages regenerated" in again.stdout

    # A forced regrade keeps the mark, does not flag the unchanged answer again, and its feedback shows it.
    forced = convcourse_grade(root, LESSON, "--students", "alice", "--force", "--no-canary")
    assert forced.returncode == 0, forced.stdout + forced.stderr
    assert written_grade(root, "alice") == (2.0, False)
    page = feedback(root, "alice")
    assert COMMENT in page and "(Score: 8.0 / 8.0)" in page
    assert "8/8" in summary_line(forced.stdout, "alice") and "to mark" not in summary_line(forced.stdout, "alice")

    # The summary, the per-test CSV and nbgrader's own export agree.
    assert exported_scores(course) == csv_totals(root) == {"alice": 8.0, "bob": 0.0}
    rows = [row for row in csv.DictReader(io.StringIO((root / "grading" / LESSON / "test-results.csv").read_text()))
            if row["test"] == WRITTEN]
    assert {row["student"]: row["marked_by"] for row in rows} == {"alice": "instructor", "bob": "autograder"}


def test_a_changed_answer_is_flagged_for_review_with_its_mark_kept(course):
    root = course.root
    give_mark(root, "alice", 1.0, "Half right.")
    course.submit("alice", LESSON, notebooks.with_answers(notebooks.completed(LESSON),
                                                          {WRITTEN: ANSWER + " I also checked it by hand."}))
    run = convcourse_grade(root, LESSON, "--no-canary")  # her submission changed: graded again without --force
    assert run.returncode == 0, run.stdout + run.stderr
    assert written_grade(root, "alice") == (1.0, True)
    assert "1 to mark" in summary_line(run.stdout, "alice")


def course_command(root, *args: str) -> subprocess.CompletedProcess:
    """A `convcourse` command from the course folder, as the instructor types it."""
    return subprocess.run([sys.executable, "-m", "convcourse.cli", *args], cwd=root, env=nbgrader_environment(),
                          capture_output=True, text=True, timeout=600)
