"""Pieces of the grading core, unit by unit (no nbgrader run, no kernel):

- the re-check outside the kernel reproduces nbgrader's test idioms faithfully, against a fake kernel (a
  namespace served by the kernel side's own remote.answer): names a test cell uses inside a lambda, a nested
  function or a comprehension are the student's too (Python looks those up in the globals, so the re-check's
  namespace must be the globals, not only the locals); a helper the test deletes is gone for the student's
  functions too, until the test puts it back;
- a test the re-check cannot reproduce (it reads the kernel's own state, or puts a stand-in for a student's
  helper) keeps its kernel verdict, decided on the test's source alone;
- RestoreLockedCells restores in place: a locked cell keeps its nbformat id and tags.
"""

from __future__ import annotations

import json

import pytest

from convcourse.grading import remote
from convcourse.grading.idioms import kernel_verdict_reason
from convcourse.grading.recheck import KernelSide, Recheck

NOTEBOOK = """
def fun(x):
    return 2 * x

def squares(n):
    return [i * i for i in range(1, n + 1)]

def sum_of_squares(n):
    return sum(squares(n))

answer = 42
"""
# nbgrader's own "does the answer reuse the helper?" test (its tests' test-hidden-tests.ipynb)
USES_SQUARES = '''"""Check that sum_of_squares relies on squares."""
orig_squares = squares
del squares
try:
    sum_of_squares(1)
except NameError:
    pass
else:
    raise AssertionError("sum_of_squares does not use squares")
finally:
    squares = orig_squares
'''


def student_kernel(source: str = NOTEBOOK) -> dict:
    kernel: dict = {}
    exec(source, kernel)
    return kernel


def served_by(kernel: dict):
    """The fake kernel: requests answered by remote.answer, the code a real kernel runs, on ``kernel``."""
    return lambda request: json.loads(remote.answer(json.dumps(request), kernel))


@pytest.fixture
def kernel() -> dict:
    return student_kernel()


@pytest.fixture
def recheck(kernel) -> Recheck:
    return Recheck(["import math"], served_by(kernel), offset=1)


@pytest.mark.parametrize("source", [
    "assert (lambda: fun(-4))() == -8",
    "assert [fun(i) for i in range(3)] == [0, 2, 4]",
    "def twice_of_two():\n    return fun(2)\nassert twice_of_two() == 4",
    "assert sum(squares(3)) == 14 and math.isclose(answer, 42)",
    "assert all(fun(x) > x for x in (1, 2, 3))",
])
def test_names_inside_lambdas_nested_functions_and_comprehensions_come_from_the_kernel(recheck, source):
    failure, _, _ = recheck.run(source)
    assert failure is None, failure


def test_a_wrong_answer_still_fails_and_an_unknown_name_is_a_name_error(recheck):
    assert recheck.run("assert fun(1) == 3")[0].startswith("AssertionError")
    assert recheck.run("assert (lambda: missing_helper(1))() == 1")[0].startswith("NameError")


def test_a_test_cells_last_expression_is_its_value(recheck):
    assert recheck.run("fun(1.5) + 1") == (None, 4.0, "")


def test_a_deleted_helper_is_gone_for_the_students_functions_until_the_test_puts_it_back(kernel, recheck):
    assert recheck.run(USES_SQUARES)[0] is None
    assert kernel["sum_of_squares"](3) == 14  # the kernel has its helper back
    assert recheck.run(USES_SQUARES + "assert sum_of_squares(2) == 5")[0] is None
    assert recheck.run("del squares\nsquares(2)")[0].startswith("NameError")


def test_an_answer_that_does_not_reuse_the_helper_still_fails_the_helper_test():
    reimplemented = NOTEBOOK.replace("sum(squares(n))", "sum(i * i for i in range(1, n + 1))")
    recheck = Recheck([], served_by(student_kernel(reimplemented)), offset=1)
    assert recheck.run(USES_SQUARES)[0] == "AssertionError: sum_of_squares does not use squares"


def test_a_helper_the_kernels_run_of_the_test_deleted_for_good_is_no_error_in_the_recheck():
    """The re-check runs after the kernel's run of the test, which left the kernel without the helper."""
    kernel = student_kernel()
    del kernel["squares"]
    recheck = Recheck([], served_by(kernel), offset=1)
    assert recheck.run("del squares\ntry:\n    sum_of_squares(1)\nexcept NameError:\n    pass\n"
                       "else:\n    raise AssertionError('does not use squares')")[0] is None


@pytest.mark.parametrize("source", [
    USES_SQUARES,
    "assert (lambda: fun(-4))() == -8",
    "result = squares(3)\nresult = result + [16]\nfor _ in range(2):\n    assert result[-1] == 16",
    "import numpy as np\nassert np.allclose(fun(np.ones(2)), 2)",
    "assert 'shape' not in dir(answer)",
])
def test_the_recheck_reproduces_nbgraders_idioms(source):
    assert kernel_verdict_reason(source) is None


@pytest.mark.parametrize("source, reason", [
    ("assert 'squares' in globals()", "reads the kernel's own state (globals)"),
    ("assert 'squares' in dir()", "reads the kernel's own state (dir)"),
    ("assert get_ipython().user_ns['answer'] == 42", "reads the kernel's own state (get_ipython)"),
    ("%time squares(3)", "reads the kernel's own state (get_ipython)"),
    ("assert 'def squares' in In[-2]", "reads the kernel's own state (In)"),
    ("def reset():\n    global answer\n    answer = 0\nreset()", "binds answer from inside a function (global)"),
    ("saved = squares\nsquares = lambda n: [0] * n\nassert sum_of_squares(3) == 0\nsquares = saved",
     "replaces the notebook's squares with a stand-in"),
])
def test_a_test_that_needs_more_of_the_kernel_than_its_names_keeps_its_kernel_verdict(source, reason):
    from convcourse.grading.preprocessors import ResilientExecute
    from nbformat.v4 import new_code_cell

    assert kernel_verdict_reason(source) == reason
    cell = new_code_cell(source, metadata={"nbgrader": {"grade_id": "inspects_kernel"}})
    assert not ResilientExecute()._reproducible(cell)


def test_every_test_of_the_course_is_rechecked_outside_the_kernel():
    """None of the lessons' test cells may fall back to its kernel verdict (that would let a patched kernel win)."""
    import nbformat

    from convcourse import COURSE_ROOT

    tests = [cell for path in sorted((COURSE_ROOT / "solutions").glob("*/*.ipynb"))
             for cell in nbformat.read(path, as_version=4).cells
             if cell.cell_type == "code" and cell.metadata.get("nbgrader", {}).get("grade")]
    assert tests
    assert {cell.metadata.nbgrader.grade_id: kernel_verdict_reason(cell.source) for cell in tests
            if kernel_verdict_reason(cell.source)} == {}


def test_restored_locked_cells_keep_their_id_and_tags_and_missing_ones_get_an_id():
    """RestoreLockedCells puts the instructor's text back into the student's cell object itself."""
    from types import SimpleNamespace

    from nbformat import validate
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

    from convcourse.grading.preprocessors import RestoreLockedCells

    edited = new_code_cell("assert True  # edited by the student", id="student-kept-id")
    edited.metadata = {"tags": ["mine"], "nbgrader": {"grade_id": "check_two", "locked": True}}
    answer = new_code_cell("def two():\n    return 2", id="answer-id")
    answer.metadata = {"nbgrader": {"grade_id": "two", "solution": True}}
    nb = new_notebook(cells=[new_markdown_cell("intro", id="intro-id"), answer, edited])
    source = {"check_two": SimpleNamespace(name="check_two", source="assert two() == 2", cell_type="code"),
              "given": SimpleNamespace(name="given", source="import math", cell_type="code")}
    RestoreLockedCells()._restore(nb, ["given", "two", "check_two"], source, {"check_two": 1})

    restored = next(c for c in nb.cells if c.get("metadata", {}).get("nbgrader", {}).get("grade_id") == "check_two")
    assert restored is edited and restored.id == "student-kept-id" and restored.metadata.tags == ["mine"]
    assert restored.source == "assert two() == 2" and restored.metadata.nbgrader.points == 1
    given = next(c for c in nb.cells if c.get("metadata", {}).get("nbgrader", {}).get("grade_id") == "given")
    assert given.id and given.source == "import math"
    validate(nb)  # every cell has an id nbformat accepts


def test_a_model_with_tensorflow_activation_functions_crosses_to_the_recheck_as_the_same_model():
    """tf.nn.softmax is stored by Keras as an opaque function that safe mode will not rebuild; it crosses by name."""
    import json
    import warnings

    import numpy as np
    import tensorflow as tf

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Keras's notice about input_shape=
        model = tf.keras.models.Sequential([
            tf.keras.layers.Flatten(input_shape=(28, 28, 1)),
            tf.keras.layers.Dense(16, activation=tf.nn.relu),
            tf.keras.layers.Dense(10, activation=tf.nn.softmax),
        ])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    rebuilt = remote.decode(json.loads(json.dumps(remote.encode(model))))
    images = np.random.default_rng(0).random((3, 28, 28, 1)).astype("float32")
    np.testing.assert_allclose(rebuilt(images), model(images), atol=1e-6)
    assert rebuilt.layers[-1].get_config()["activation"] == "softmax"


# --- a check that calls the student's function a thousand times asks for every answer in one request ---------

PREFETCHING_TESTS = {"02_whole_image": "check_conv_output_size_all", "03_pooling": "check_pooled_size_all"}


def _graded_test(lesson: str, check: str) -> tuple[str, str]:
    """(the set-up cell's source, the source of the test cell that calls ``check``) of the lesson."""
    from convcourse import notebooks

    cells = notebooks.read(lesson).cells
    setup = next(c.source for c in cells if notebooks.nbgrader_meta(c).get("grade_id") == "setup")
    return setup, next(c.source for c in cells if f"checks.{check}(" in c.source)


def _prefetch_cases():
    from corpus_cases import all_cases

    for case in all_cases():
        if case.lesson in PREFETCHING_TESTS and {"conv_output_size", "pooled_size"} & set(case.answers):
            yield pytest.param(case, id=case.name)
    for lesson in PREFETCHING_TESTS:
        yield pytest.param(lesson, id=f"{lesson} solution")


@pytest.mark.parametrize("case", [*_prefetch_cases()])
def test_a_thousand_case_check_is_rechecked_in_a_few_requests_with_the_kernels_own_verdict(case):
    """The re-check of check_conv_output_size_all / check_pooled_size_all asks the kernel for all of its ~1,000
    calls at once (a round trip costs ~4 ms) and still fails each classic mistake with the message the check
    gives in the notebook, first failing case first."""
    from convcourse import notebooks

    lesson = case if isinstance(case, str) else case.lesson
    answers = {} if isinstance(case, str) else case.answers
    kernel = notebooks.definitions(notebooks.with_answers(notebooks.read(lesson), answers))
    setup, test = _graded_test(lesson, PREFETCHING_TESTS[lesson])
    try:
        exec(test, dict(kernel))
        in_the_notebook = None
    except Exception as error:  # noqa: BLE001
        in_the_notebook = f"{type(error).__name__}: {error}"
    requests = []
    serve = served_by(kernel)
    failure, _, _ = Recheck([setup], lambda request: requests.append(request) or serve(request), offset=1).run(test)
    assert failure == in_the_notebook
    # the name, the worked sizes at once, the test's own printed call, then every hidden case at once
    assert len(requests) <= 4, [sorted(r) for r in requests]


def test_calls_asked_at_once_answer_each_in_order_with_its_own_exception_and_the_test_s_deleted_names_hidden():
    kernel = student_kernel("def half(n):\n    if n < 0:\n        raise ValueError(f'negative {n}')\n"
                            "    return helper(n) // 2\n\ndef helper(n):\n    return n\n")
    requests = []
    serve = served_by(kernel)
    side = KernelSide(lambda request: requests.append(request) or serve(request))
    half = side.lookup("half").prefetched([(4,), (-1,), (9,)])
    assert half(4) == 2
    with pytest.raises(ValueError, match="negative -1"):
        half(-1)
    assert half(5) == 2  # not asked for: a call of its own
    assert half(9) == 4
    assert [sorted(r) for r in requests] == [["describe"], ["call", "each"], ["args", "call", "kwargs"]]
    side.hidden = {"helper"}
    with pytest.raises(NameError):
        side.lookup("half").prefetched([(4,)])(4)
    assert "helper" in kernel  # back after the calls


@pytest.mark.parametrize("reply", [{"each": [{"value": 1}]}, {"each": "all correct"}, {"value": 1}, {}])
def test_a_kernel_that_does_not_answer_the_calls_asked_at_once_fails_the_test_in_the_recheck(reply):
    """An honest kernel answers every call; anything else is a failure here, never the kernel's own verdict."""
    def kernel(request):
        return {"kind": "function"} if "describe" in request else reply

    with pytest.raises(RuntimeError, match="did not answer the grader's 2 calls of half"):
        KernelSide(kernel).lookup("half").prefetched([(1,), (2,)])
