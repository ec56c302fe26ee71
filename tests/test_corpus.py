"""The corpus of learner submissions against the graded test cells: every classic mistake loses exactly the
points it should, with a message that names it; every correct alternative, and the reference, gets full marks.

The fast tests run the test cells (with their hidden tests) in-process; the slow ones hand the same
submissions to real nbgrader, one `convcourse grade` per lesson (nbgrader's autograde for each student,
in parallel; test_grade_command.py proves it scores as stock serial autograde does), and read the gradebook
(lesson 01's cases are students of test_grade_command.py's class).

Each student nbgrader grades costs a kernel, TensorFlow's import and (lesson 05) a training run, so the slow
test hands in several cases as one student where that hides nothing: plan_submissions puts cases together
only when they answer different cells and no test cell that runs one case's code is a cell another case
fails (TEST_CELLS_RUNNING says which test cells run each answer cell, and a fast test derives it again from
the release's stubs). Then every test cell of a combined submission runs the code of at most one case that
changes its outcome, so its score and error are that case's own, as if handed in alone; the fast test
test_combined_submission_loses_exactly_its_cases_points checks in-process that the cases do not interact
otherwise (the failing cells are exactly the union, each naming its own case's mistake).
"""

from __future__ import annotations

import ast
import builtins
import contextlib
import io
import warnings

import pytest

from convcourse import checks, notebooks
from corpus_cases import Case, all_cases
from nbgrader_course import Course, convcourse_grade, error_text

CASES = all_cases()
LESSONS = sorted({case.lesson for case in CASES})


def _answer_cells(nb) -> dict[str, str]:
    """grade id -> source of every code answer cell."""
    return {notebooks.nbgrader_meta(c)["grade_id"]: c.source for c in nb.cells
            if c.cell_type == "code" and notebooks.nbgrader_meta(c).get("solution")}


def _given_statements(source: str, name: str) -> list[str]:
    """The statements the release gives above the learner's code in function ``name``, as AST dumps."""
    function = next(node for node in ast.parse(source).body if isinstance(node, ast.FunctionDef) and node.name == name)
    body = function.body[1:] if ast.get_docstring(function) is not None else function.body
    given = []
    for statement in body:
        if isinstance(statement, ast.Raise):  # the release's `raise NotImplementedError()`
            break
        given.append(ast.dump(statement))
    return given


def _names(statement: ast.AST) -> tuple[set[str], set[str]]:
    """(names the statement binds or fills in, e.g. `models` in `models[name] = ...`; names it reads first)."""
    nodes = list(ast.walk(statement))
    assigned = {n.id for n in nodes if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
    filled = {n.value.id for n in nodes if isinstance(n, (ast.Subscript, ast.Attribute))
              and isinstance(n.ctx, ast.Store) and isinstance(n.value, ast.Name)}
    read = {n.id for n in nodes if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
    return assigned | filled, read - assigned


def _workspace(nb, namespace: dict) -> None:
    """Add the worked-example variables the test cells read (lesson 01's `patch`, `kernel`) to ``namespace``.

    notebooks.definitions runs only set-up, answer and function cells; a test cell may also print with a
    variable an earlier ordinary cell made (lesson 05's trained `models`). Only the statements that make
    those variables, and the ones they read in turn, run here, in notebook order, never plots or widgets.
    As in nbgrader, a statement that raises ends its cell, and the later cells still run.
    """
    known = set(namespace) | set(dir(builtins))
    needed: set[str] = set()
    for grade_id in notebooks.graded_cells(nb):
        tree = ast.parse(notebooks.cell(nb, grade_id).source)
        names = [n for n in ast.walk(tree) if isinstance(n, ast.Name)]
        stored = {n.id for n in names if isinstance(n.ctx, ast.Store)}
        needed |= {n.id for n in names if isinstance(n.ctx, ast.Load)} - stored
    needed -= known
    cells = []
    for c in nb.cells:
        meta = notebooks.nbgrader_meta(c)
        if c.cell_type != "code" or meta.get("grade") or meta.get("solution") or meta.get("grade_id") == "setup":
            continue
        cells.append([(statement, *_names(statement)) for statement in ast.parse(c.source).body])
    chosen: set[int] = set()
    while True:  # the statements that make a needed variable, and what those read, until nothing is added
        added = {id(statement) for cell in cells for statement, makes, _ in cell
                 if id(statement) not in chosen and makes & needed}
        if not added:
            break
        chosen |= added
        needed |= {name for cell in cells for statement, _, reads in cell if id(statement) in added
                   for name in reads} - known
    for cell in cells:
        for statement, _, _ in cell:
            if id(statement) not in chosen:
                continue
            try:
                with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
                    warnings.simplefilter("ignore")
                    exec(compile(ast.Module([statement], []), "<workspace>", "exec"), namespace)
            except Exception:  # noqa: BLE001 - the test cells that read what is missing fail, as in nbgrader
                break


def failures_of(nb) -> dict[str, str]:
    """Run every autograded test cell of ``nb`` (hidden tests included); grade id -> error of each that fails.

    As in nbgrader, a cell fails when it raises. Warnings do not fail it: the kernels nbgrader starts show
    them on stdout (convcourse/grading/kernel_guard.py), so Keras's notice about input_shape= costs nothing.
    """
    namespace = notebooks.definitions(nb)
    _workspace(nb, namespace)
    failures = {}
    for grade_id in notebooks.graded_cells(nb):
        code = compile(notebooks.cell(nb, grade_id).source, f"<{grade_id}>", "exec")
        with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
            warnings.simplefilter("ignore")
            try:
                exec(code, dict(namespace))
            except Exception as error:  # noqa: BLE001 - any error loses the cell's points
                failures[grade_id] = f"{type(error).__name__}: {error}"
    return failures


def _describe(failures: dict[str, str]) -> str:
    return "\n".join(f"  {grade_id}: {message[:400]}" for grade_id, message in sorted(failures.items()))


# ---------------------------------------------------------------------------------------------------------------
# The corpus itself


def test_corpus_covers_the_misconceptions():
    wrong = [case for case in CASES if not case.correct]
    assert len(wrong) >= 12 and len(CASES) - len(wrong) >= 4
    for mistake in ("flipped", "transposed", "clipped", "uint8", "size_short", "stride_ignored", "valid_for_same",
                    "corner", "row_col_swapped", "pad_one_side", "display_wrapped", "rescale_no_min", "float_size",
                    # lesson 03
                    "averaged_not_max", "overlapping", "odd_edge", "channels_pooled", "pool_dtype_changed",
                    # lesson 04
                    "bias_forgotten", "channels_forgotten", "channels_first", "pool_params", "flatten_off",
                    # lesson 05
                    "not_normalised", "softmax_from_logits", "batch_axis_kept",
                    # named by what they compute or raise, not only by the first differing value
                    "window_fixed_3x3", "matrix_product", "same_symmetric", "same_not_padded", "stride_as_size",
                    "valid_for_same", "bias_once", "batch_axis_missing"):
        assert mistake in {case.mistake for case in wrong}, f"no corpus case for {mistake!r}"


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_case_is_well_formed(case: Case):
    source = notebooks.read(case.lesson)
    answer_cells = _answer_cells(source)
    graded = notebooks.graded_cells(source)
    assert case.description, f"{case.name}: start with a one-sentence docstring"
    assert case.mistake is None or case.mistake in checks.MISTAKES
    assert case.failing <= set(graded), f"unknown test cells: {case.failing - set(graded)}"
    assert bool(case.failing) == (not case.correct), "a wrong case loses points, a correct one loses none"
    assert case.path.parent.name == ("correct" if case.correct else "wrong")
    release = _answer_cells(notebooks.read(case.lesson, release=True))
    for grade_id, answer in case.answers.items():
        assert grade_id in answer_cells, f"{grade_id} is not an answer cell of {case.lesson}"
        functions = ast.parse(answer).body
        assert all(isinstance(function, ast.FunctionDef) for function in functions)
        assert [function.name for function in functions] == list(case.functions_of(grade_id))
        released = [node.name for node in ast.parse(release[grade_id]).body if isinstance(node, ast.FunctionDef)]
        assert released == list(case.functions_of(grade_id)), f"{grade_id} defines {released}: list them in ANSWER_CELLS"
        for function in functions:
            given = _given_statements(release[grade_id], function.name)
            kept = [ast.dump(statement) for statement in function.body[:len(given)]]
            assert kept == given, f"{case.name}: {function.name} must start with the release's argument checks"


# ---------------------------------------------------------------------------------------------------------------
# Fast: the test cells in-process


def test_reference_solutions_pass_every_test_cell():
    for lesson in LESSONS:
        assert failures_of(notebooks.read(lesson)) == {}, lesson


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_case_loses_exactly_its_points(case: Case):
    submission = notebooks.with_answers(notebooks.read(case.lesson), case.answers)
    failures = failures_of(submission)
    assert set(failures) == case.failing, (
        f"{case.name} ({case.description})\nexpected to fail: {sorted(case.failing)}\nfailed:\n{_describe(failures)}")
    if not case.correct:
        expected = checks.MISTAKES[case.mistake]
        unnamed = {grade_id: message for grade_id, message in failures.items() if expected not in message}
        assert not unnamed, f"{case.name}: failures that do not name {case.mistake!r}:\n{_describe(unnamed)}"


@pytest.mark.parametrize("case", [case for case in CASES if not case.correct], ids=lambda case: case.name)
def test_visible_checks_fail_every_cell_the_hidden_tests_fail(case: Case):
    """Validate's "Success" means full marks: hidden tests differ from the visible checks by their inputs only,
    so a mistake that costs a cell's points when graded already fails that cell in the learner's release."""
    reference = _answer_cells(notebooks.read(case.lesson))
    learner = notebooks.with_answers(notebooks.read(case.lesson, release=True), {**reference, **case.answers})
    visible = failures_of(learner)
    assert set(visible) == case.failing, (
        f"{case.name} ({case.description})\ngraded, these cells fail: {sorted(case.failing)}\n"
        f"in the release (visible checks only):\n{_describe(visible)}")


# ---------------------------------------------------------------------------------------------------------------
# Slow: real nbgrader, one `convcourse grade` per lesson

REFERENCE = "reference"
# Grading is slow past lesson 01: lesson 02's notebook filters whole images, lessons 03-05's kernels and
# re-checks load TensorFlow (their checks compare with Keras) and lesson 05's submissions each train. So
# through nbgrader they get a subset: every correct alternative (for 05 the seed page's style and imported
# layer names too, whose warnings on stderr must cost nothing) and mistakes
# that between them fail every graded test cell; the fast tier above runs every case. Lesson 01's cases
# go through nbgrader whole, in test_grade_command.py's class. The subsets are then handed in combined (plan_submissions); the last name of
# 02, 04 and 05 rides along in a submission that is graded anyway, so it costs no extra student.
NBGRADER_SUBSET = {
    "02_whole_image": {"conv_output_size_off_by_one", "correlate2d_convolve", "pad2d_top_left", "to_display_wraps",
                       "correlate2d_einsum", "correlate2d_sliding_window", "correlate2d_fft",
                       "pad2d_np_pad_display_interp", "to_display_rescale_no_min"},
    "03_pooling": {"max_pool2d_odd_edge", "avg_pool2d_same_counts_padding", "pooled_size_ceil",
                   "pooling_explicit_loops", "pooling_reshape_blocks", "pooling_sliding_window", "pooling_as_strided"},
    "04_filters_to_layers": {"conv2d_flipped", "count_conv_params_bias_forgotten", "layer_shapes_pool_rounds_up",
                             "conv2d_explicit_loops", "conv2d_sliding_window_einsum", "conv2d_tensordot_im2col",
                             "layer_shapes_kind_table", "count_conv_params_channels_forgotten"},
    "05_cnn_in_keras": {"keras_model_add_layer_by_layer", "keras_seed_page_style", "keras_imported_layer_names",
                        "keras_functional_api_predict", "keras_layer_objects_sub_model",
                        "build_cnn_logits_without_softmax",
                        "build_dense_model_softmax_from_logits", "feature_maps_before_relu",
                        "reshape_and_normalize_not_normalised", "reshape_and_normalize_no_channel_axis"},
}

# answer cell -> the test cells that run its code, directly (lesson 05's feature_maps_layers calls build_cnn
# and reshape_and_normalize) or through another answer (02's correlate2d pads with pad2d). Checked against
# the release's stubs by test_test_cells_running_are_those_a_stub_fails.
TEST_CELLS_RUNNING = {
    "01_one_pixel": {"weighted_sum": {"weighted_sum_seed_pixel", "filter_pixel_small_image"},
                     "filter_pixel": {"filter_pixel_small_image"}},
    "02_whole_image": {"conv_output_size": {"conv_output_size_worked_sizes", "correlate2d_valid", "correlate2d_stride",
                                            "correlate2d_same", "correlate2d_uint8"},
                       "pad2d": {"pad2d_border", "correlate2d_same", "correlate2d_uint8"},
                       "correlate2d": {"correlate2d_valid", "correlate2d_stride", "correlate2d_same",
                                       "correlate2d_uint8"},
                       "to_display": {"to_display_clip_and_rescale"}},
    "03_pooling": {"pooled_size": {"pooled_size_worked_sizes", "max_pool2d_like_keras", "avg_pool2d_like_keras"},
                   "max_pool2d": {"max_pool2d_like_keras"},
                   "avg_pool2d": {"avg_pool2d_like_keras"}},
    "04_filters_to_layers": {"conv2d": {"conv2d_like_keras"},
                             "count_params": {"count_params_seed_cnn", "layer_shapes_seed_cnn"},
                             "layer_shapes": {"layer_shapes_seed_cnn"}},
    "05_cnn_in_keras": {"reshape_and_normalize": {"reshape_and_normalize_batch", "feature_maps_layers"},
                        "build_dense_model": {"build_dense_model_seed"},
                        "build_cnn": {"build_cnn_seed", "feature_maps_layers"},
                        "feature_maps": {"feature_maps_layers"}},
}


def _test_cells_run_by(case: Case, running: dict[str, set[str]]) -> frozenset[str]:
    return frozenset().union(*(running[grade_id] for grade_id in case.answers))


def _can_share_a_submission(one: Case, other: Case, running: dict[str, set[str]]) -> bool:
    """Whether ``one`` and ``other`` can be one submission and still each be graded as if alone.

    They answer different cells, and neither fails a test cell that runs the other's code: a cell the other
    fails would score 0 whatever this case's code does there, hiding what it scores alone. (A cell that runs
    both and that neither fails still shows both pass.) Implies their failing cells are disjoint.
    """
    return (not set(one.answers) & set(other.answers)
            and not one.failing & _test_cells_run_by(other, running)
            and not other.failing & _test_cells_run_by(one, running))


def plan_submissions(cases: list[Case], running: dict[str, set[str]]) -> list[tuple[Case, ...]]:
    """The cases, packed into as few submissions as first-fit finds: each case joins the first submission
    with whose every case it hides nothing, else starts its own. Deterministic: cases that reach the most
    test cells go first (the hardest to place), ties by failing cells, then name."""
    order = sorted(cases, key=lambda case: (-len(_test_cells_run_by(case, running)), -len(case.failing), case.name))
    submissions: list[list[Case]] = []
    for case in order:
        home = next((submission for submission in submissions
                     if all(_can_share_a_submission(case, other, running) for other in submission)), None)
        if home is None:
            submissions.append([case])
        else:
            home.append(case)
    return [tuple(submission) for submission in submissions]


def _nbgrader_cases(lesson: str) -> list[Case]:
    return [case for case in CASES if case.lesson == lesson and case.name in NBGRADER_SUBSET.get(lesson, {case.name})]


def _nbgrader_submissions(lesson: str) -> list[tuple[Case, ...]]:
    return plan_submissions(_nbgrader_cases(lesson), TEST_CELLS_RUNNING[lesson])


def _student(submission: tuple[Case, ...], number: int) -> str:
    """A case handed in alone is the student of its name; combined ones are numbered (ids stay short)."""
    return submission[0].name if len(submission) == 1 else f"combined-{number}"


def _answers(submission: tuple[Case, ...]) -> dict[str, str]:
    return {grade_id: source for case in submission for grade_id, source in case.answers.items()}


def _owners(submission: tuple[Case, ...]) -> dict[str, Case]:
    """Failing test cell -> the case that fails it (one each: plan_submissions keeps failing cells apart)."""
    return {grade_id: case for case in submission for grade_id in case.failing}


def _describe_submission(submission: tuple[Case, ...]) -> str:
    return " + ".join(case.name for case in submission)


COMBINED = [submission for lesson in LESSONS for submission in _nbgrader_submissions(lesson) if len(submission) > 1]


@pytest.mark.parametrize("lesson", sorted(TEST_CELLS_RUNNING))
def test_test_cells_running_are_those_a_stub_fails(lesson):
    """An answer cell left as the release's `raise NotImplementedError()` fails exactly the test cells that
    run its code (a test cell that calls it, or reads a variable an ordinary cell makes with it, raises)."""
    assert LESSONS == sorted(TEST_CELLS_RUNNING)
    reference = notebooks.read(lesson)
    stubs = _answer_cells(notebooks.read(lesson, release=True))
    assert set(TEST_CELLS_RUNNING[lesson]) == set(stubs)
    for grade_id, stub in stubs.items():
        failures = failures_of(notebooks.with_answers(reference, {grade_id: stub}))
        assert set(failures) == TEST_CELLS_RUNNING[lesson][grade_id], f"{grade_id}:\n{_describe(failures)}"


def test_plan_submissions_keeps_together_only_cases_that_can_share_a_submission():
    cases = {case.name: case for case in CASES}
    running = TEST_CELLS_RUNNING["05_cnn_in_keras"]
    plan = plan_submissions([cases[name] for name in (
        "feature_maps_before_relu", "build_cnn_logits_without_softmax", "reshape_and_normalize_not_normalised",
        "build_dense_model_softmax_from_logits", "keras_seed_page_style", "build_cnn_categorical_crossentropy")],
        running)
    assert [[case.name for case in submission] for submission in plan] == [
        # the seed style answers build_cnn and build_dense_model, whose mistakes go elsewhere; feature_maps_layers
        # runs build_cnn and reshape_and_normalize, so a feature_maps mistake would hide what they score there
        ["keras_seed_page_style", "reshape_and_normalize_not_normalised"],
        ["build_cnn_categorical_crossentropy", "build_dense_model_softmax_from_logits"],
        ["build_cnn_logits_without_softmax"],
        ["feature_maps_before_relu"]]
    assert plan == plan_submissions(list(reversed([case for submission in plan for case in submission])), running)


@pytest.mark.parametrize("lesson", sorted(NBGRADER_SUBSET))
def test_nbgrader_subset_fails_every_test_cell_and_keeps_every_correct_alternative(lesson):
    chosen = _nbgrader_cases(lesson)
    assert {case.name for case in chosen} == NBGRADER_SUBSET[lesson], "a name in NBGRADER_SUBSET is not a case"
    test_cells = {grade_id for grade_id in notebooks.graded_cells(notebooks.read(lesson))
                  if any(grade_id in case.failing for case in CASES if case.lesson == lesson)}
    assert test_cells <= {grade_id for case in chosen for grade_id in case.failing}
    correct = {case.name for case in CASES if case.lesson == lesson and case.correct}
    assert correct and correct <= {case.name for case in chosen}, "every correct alternative goes through nbgrader"
    submissions = _nbgrader_submissions(lesson)
    assert sorted(case.name for submission in submissions for case in submission) == sorted(NBGRADER_SUBSET[lesson])
    for submission in submissions:
        for number, one in enumerate(submission):
            assert all(_can_share_a_submission(one, other, TEST_CELLS_RUNNING[lesson])
                       for other in submission[number + 1:]), _describe_submission(submission)


@pytest.mark.parametrize("submission", COMBINED, ids=lambda submission: "+".join(c.name for c in submission))
def test_combined_submission_loses_exactly_its_cases_points(submission: tuple[Case, ...]):
    """The cases the slow test hands in as one student do not interact: together they fail exactly the
    union of their failing cells, each with its own case's mistake. Should two ever interact, plan_submissions
    must keep them apart (a pair list beside _can_share_a_submission), not this test bend."""
    lesson = submission[0].lesson
    failures = failures_of(notebooks.with_answers(notebooks.read(lesson), _answers(submission)))
    owners = _owners(submission)
    assert set(failures) == set(owners), (
        f"{_describe_submission(submission)}\nexpected to fail: {sorted(owners)}\nfailed:\n{_describe(failures)}")
    unnamed = {grade_id: message for grade_id, message in failures.items()
               if checks.MISTAKES[owners[grade_id].mistake] not in message}
    assert not unnamed, f"failures that do not name their own case's mistake:\n{_describe(unnamed)}"


@pytest.mark.slow
# Lesson 01's cases are students of test_grade_command.py's class, graded by `convcourse grade` and by stock
# nbgrader: there each loses exactly its points, and its CSV row carries the mistake's whole message.
@pytest.mark.parametrize("lesson", [lesson for lesson in LESSONS if lesson != "01_one_pixel"])
def test_nbgrader_grades_the_corpus(tmp_path, lesson):
    submissions = _nbgrader_submissions(lesson)
    course = Course(tmp_path / "course", (lesson,))
    release = course.release_notebook(lesson)
    # What a student hands in: the release with the code answer cells filled in; the submission's cases'
    # functions replace their cells (different cells for each case), every other answer is the reference one.
    reference = _answer_cells(notebooks.read(lesson))
    course.submit(REFERENCE, lesson, notebooks.with_answers(release, reference))
    students = {REFERENCE: ()}
    for number, submission in enumerate(submissions, 1):
        students[_student(submission, number)] = submission
        course.submit(_student(submission, number), lesson,
                      notebooks.with_answers(release, {**reference, **_answers(submission)}))
    # No canary: the "reference" student is the canary's reference here, graded and asserted below, and
    # tests/test_canary.py covers the canary itself; skipping it saves two gradings per lesson.
    graded = convcourse_grade(course.root, lesson, "--jobs", "2", "--no-feedback", "--no-canary",
                              "--cell-timeout", "600")
    assert graded.returncode == 0, graded.stdout + graded.stderr

    points = notebooks.graded_cells(notebooks.read(lesson))
    problems = []
    for student, submission in students.items():
        owners = _owners(submission)
        who = f"{student} ({_describe_submission(submission) or 'the reference answers'})"
        scores = course.cell_scores(student, lesson)  # also the written answers (0 until graded by hand)
        expected = {grade_id: 0 if grade_id in owners else points[grade_id] for grade_id in points}
        wrong = {g: (scores.get(g), expected[g]) for g in points if scores.get(g) != expected[g]}
        if wrong:
            problems.append(f"{who}: test cells (scored, expected): {wrong}")
        if owners:
            autograded = course.autograded_notebook(student, lesson)
            for grade_id, case in sorted(owners.items()):
                text = error_text(autograded, grade_id)
                if checks.MISTAKES[case.mistake] not in text:
                    problems.append(f"{who}: {grade_id}'s error does not name {case.name}'s "
                                    f"{case.mistake!r}: {text[:400]!r}")
    assert not problems, "\n".join(problems)
    assert course.total_score(REFERENCE, lesson) == sum(points.values())
