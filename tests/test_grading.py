"""Stock nbgrader, end to end: four students submit lesson 02; exact scores and feedback from the gradebook.

Lesson 01's same checks (stock serial autograde's exact scores, the untouched release's NotImplementedError in every
test, feedback naming the mistake first) are test_grade_command.py's, on the class it grades both with stock serial
nbgrader and with `convcourse grade`: grading lesson 01 here too would prove nothing more.
"""

from __future__ import annotations

import shutil

import pytest

from convcourse import notebooks
from nbgrader_course import Course, assert_feedback_names_the_mistake_first, error_text

# All tests here share one expensive module fixture: keep them on one xdist worker.
pytestmark = pytest.mark.xdist_group("grading_lesson_02")

LESSONS = ("02_whole_image",)

# What each student changes in the release notebook (answer-cell grade id -> new source).
FLIPPED_CORRELATE2D = '''
from scipy.signal import convolve2d

def correlate2d(image, kernel, stride=1, padding="valid"):
    image, kernel, stride, padding = validate.image_and_kernel(image, kernel, padding, stride)
    return convolve2d(image.astype(float), kernel, mode=padding)[::stride, ::stride]
'''
SHORT_OUTPUT_SIZE = '''
def conv_output_size(n, k, padding="valid", stride=1):
    n, k, padding, stride = validate.size_arguments(n, k, padding, stride)
    pad = (k - 1) // 2 if padding == "same" else 0
    return (n + 2 * pad - k) // stride
'''


def _solution_answers(lesson: str) -> dict[str, str]:
    source = notebooks.read(lesson)
    return {notebooks.nbgrader_meta(cell)["grade_id"]: cell.source for cell in source.cells
            if notebooks.nbgrader_meta(cell).get("solution")}


STUDENTS = {
    # student: {lesson: answers}, built on the lesson's release notebook
    "alice_solution": {"02_whole_image": _solution_answers("02_whole_image")},
    "bob_untouched": {"02_whole_image": {}},
    "carol_flipped": {"02_whole_image": {**_solution_answers("02_whole_image"), "correlate2d": FLIPPED_CORRELATE2D}},
    "dave_off_by_one": {"02_whole_image": {**_solution_answers("02_whole_image"), "conv_output_size": SHORT_OUTPUT_SIZE}},
}

EXPECTED_TOTALS = {
    "alice_solution": {"02_whole_image": 9},
    "bob_untouched": {"02_whole_image": 0},
    "carol_flipped": {"02_whole_image": 4},   # correlate2d's 5 points lost
    "dave_off_by_one": {"02_whole_image": 2},  # conv_output_size and every correlate2d cell
}


# Session scope: xdist may interleave other modules' tests on this worker, and pytest ends a module-scoped
# fixture whenever the next test comes from another module; this class is graded once per run.
@pytest.fixture(scope="session")
def graded_class(tmp_path_factory, artifacts):
    course = Course(tmp_path_factory.mktemp("class"), LESSONS)
    for student, lessons in STUDENTS.items():
        for lesson, answers in lessons.items():
            course.submit(student, lesson, notebooks.with_answers(course.release_notebook(lesson), answers))
    for lesson in LESSONS:
        course.autograde(lesson)
        course.generate_feedback(lesson)
    shutil.copytree(course.root / "feedback", artifacts / "feedback", dirs_exist_ok=True)
    return course


@pytest.mark.slow
@pytest.mark.parametrize("student", STUDENTS)
@pytest.mark.parametrize("lesson", LESSONS)
def test_each_student_gets_exactly_the_expected_score(graded_class, student, lesson):
    assert graded_class.total_score(student, lesson) == EXPECTED_TOTALS[student][lesson]


@pytest.mark.slow
def test_the_solution_gets_every_point_of_every_test_cell(graded_class):
    for lesson in LESSONS:
        points = notebooks.graded_cells(notebooks.read(lesson))
        scores = graded_class.cell_scores("alice_solution", lesson)
        assert {cell: scores[cell] for cell in points} == points


@pytest.mark.slow
def test_untouched_release_scores_zero_without_crashing_the_grader(graded_class):
    for lesson in LESSONS:
        autograded = graded_class.autograded_notebook("bob_untouched", lesson)
        for grade_id in notebooks.graded_cells(notebooks.read(lesson)):
            assert "NotImplementedError" in error_text(autograded, grade_id)


@pytest.mark.slow
def test_partial_marks_land_on_the_right_cells(graded_class):
    carol = graded_class.cell_scores("carol_flipped", "02_whole_image")
    assert carol["conv_output_size_worked_sizes"] == 2 and carol["pad2d_border"] == 1
    assert all(carol[cell] == 0 for cell in ("correlate2d_valid", "correlate2d_stride", "correlate2d_same",
                                            "correlate2d_uint8"))


@pytest.mark.slow
@pytest.mark.parametrize("student, lesson, mistake", [
    ("carol_flipped", "02_whole_image", "flipped"),
    ("dave_off_by_one", "02_whole_image", "size_short"),
])
def test_feedback_html_names_the_mistake_first_wrapped_and_without_the_graders_paths(graded_class, student, lesson,
                                                                                     mistake):
    assert_feedback_names_the_mistake_first(graded_class.feedback_html(student, lesson), mistake)
