"""Pieces of the grading core, unit by unit (no nbgrader run, no kernel):

- the re-check outside the kernel reproduces nbgrader's test idioms faithfully, against a fake kernel: names
  a test cell uses inside a lambda, a nested function or a comprehension are the student's too (Python looks
  those up in the globals, so the re-check's namespace must be the globals, not only the locals);
- RestoreLockedCells restores in place: a locked cell keeps its nbformat id and tags.
"""

from __future__ import annotations

import pytest

from convcourse.grading import remote
from convcourse.grading.recheck import Recheck

KERNEL = {"fun": lambda x: 2 * x, "squares": lambda n: [i * i for i in range(1, n + 1)], "answer": 42}


def fake_kernel(request: dict) -> dict:
    """What the student's kernel answers (convcourse.grading.remote.answer), for the names in KERNEL."""
    if "describe" in request:
        value = KERNEL.get(request["describe"])
        if value is None:
            return {"kind": "missing"}
        return {"kind": "function"} if callable(value) else {"kind": "value", "value": remote.encode(value)}
    function = KERNEL[request["call"]]
    args = [remote.decode(a) for a in request["args"]]
    return {"value": remote.encode(function(*args))}


@pytest.fixture
def recheck() -> Recheck:
    return Recheck(["import math"], fake_kernel, offset=1)


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
