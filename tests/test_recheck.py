"""The re-check outside the kernel reproduces nbgrader's test idioms faithfully (a fake kernel, no nbgrader).

Names a test cell uses inside a lambda, a nested function or a comprehension are the student's too: Python
looks those up in the globals, so the re-check's namespace must be the globals, not only the locals.
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
