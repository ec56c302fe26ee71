"""The corpus of learner submissions against the graded test cells: every classic mistake loses exactly the
points it should, with a message that names it; every correct alternative, and the reference, gets full marks.

The fast tests run the test cells (with their hidden tests) in-process; the slow ones hand the same
submissions to real nbgrader, one `convcourse grade` per lesson (nbgrader's autograde for each student,
in parallel; test_grade_command.py proves it scores as stock serial autograde does), and read the gradebook.
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
# that between them fail every graded test cell; the fast tier above runs every case. Lesson 01 goes
# through nbgrader whole.
NBGRADER_SUBSET = {
    "02_whole_image": {"conv_output_size_off_by_one", "correlate2d_convolve", "pad2d_top_left", "to_display_wraps",
                       "correlate2d_einsum", "correlate2d_sliding_window", "correlate2d_fft",
                       "pad2d_np_pad_display_interp"},
    "03_pooling": {"max_pool2d_odd_edge", "avg_pool2d_same_counts_padding", "pooled_size_ceil",
                   "pooling_explicit_loops", "pooling_reshape_blocks", "pooling_sliding_window", "pooling_as_strided"},
    "04_filters_to_layers": {"conv2d_flipped", "count_conv_params_bias_forgotten", "layer_shapes_pool_rounds_up",
                             "conv2d_explicit_loops", "conv2d_sliding_window_einsum", "conv2d_tensordot_im2col",
                             "layer_shapes_kind_table"},
    "05_cnn_in_keras": {"keras_model_add_layer_by_layer", "keras_seed_page_style", "keras_imported_layer_names",
                        "keras_functional_api_predict", "keras_layer_objects_sub_model",
                        "build_cnn_logits_without_softmax",
                        "build_dense_model_softmax_from_logits", "feature_maps_before_relu",
                        "reshape_and_normalize_not_normalised"},
}


def _nbgrader_cases(lesson: str) -> list[Case]:
    return [case for case in CASES if case.lesson == lesson and case.name in NBGRADER_SUBSET.get(lesson, {case.name})]


@pytest.mark.parametrize("lesson", sorted(NBGRADER_SUBSET))
def test_nbgrader_subset_fails_every_test_cell_and_keeps_every_correct_alternative(lesson):
    chosen = _nbgrader_cases(lesson)
    assert {case.name for case in chosen} == NBGRADER_SUBSET[lesson], "a name in NBGRADER_SUBSET is not a case"
    test_cells = {grade_id for grade_id in notebooks.graded_cells(notebooks.read(lesson))
                  if any(grade_id in case.failing for case in CASES if case.lesson == lesson)}
    assert test_cells <= {grade_id for case in chosen for grade_id in case.failing}
    correct = {case.name for case in CASES if case.lesson == lesson and case.correct}
    assert correct and correct <= {case.name for case in chosen}, "every correct alternative goes through nbgrader"


@pytest.mark.slow
@pytest.mark.parametrize("lesson", LESSONS)
def test_nbgrader_grades_the_corpus(tmp_path, lesson):
    cases = _nbgrader_cases(lesson)
    course = Course(tmp_path / "course", (lesson,))
    release = course.release_notebook(lesson)
    # What a student hands in: the release with the code answer cells filled in; a case's functions replace
    # their cells, every other answer is the reference one.
    reference = _answer_cells(notebooks.read(lesson))
    course.submit(REFERENCE, lesson, notebooks.with_answers(release, reference))
    for case in cases:
        course.submit(case.name, lesson, notebooks.with_answers(release, {**reference, **case.answers}))
    # No canary: the "reference" student is the canary's reference here, graded and asserted below, and
    # tests/test_canary.py covers the canary itself; skipping it saves two gradings per lesson.
    graded = convcourse_grade(course.root, lesson, "--jobs", "2", "--no-feedback", "--no-canary",
                              "--cell-timeout", "600")
    assert graded.returncode == 0, graded.stdout + graded.stderr

    points = notebooks.graded_cells(notebooks.read(lesson))
    problems = []
    for student, failing, mistake in [(REFERENCE, frozenset(), None)] + [(c.name, c.failing, c.mistake) for c in cases]:
        scores = course.cell_scores(student, lesson)  # also the written answers (0 until graded by hand)
        expected = {grade_id: 0 if grade_id in failing else points[grade_id] for grade_id in points}
        wrong = {g: (scores.get(g), expected[g]) for g in points if scores.get(g) != expected[g]}
        if wrong:
            problems.append(f"{student}: test cells (scored, expected): {wrong}")
        if mistake is not None:
            autograded = course.autograded_notebook(student, lesson)
            for grade_id in sorted(failing):
                text = error_text(autograded, grade_id)
                if checks.MISTAKES[mistake] not in text:
                    problems.append(f"{student}: {grade_id}'s error does not name {mistake!r}: {text[:400]!r}")
    assert not problems, "\n".join(problems)
    assert course.total_score(REFERENCE, lesson) == sum(points.values())
