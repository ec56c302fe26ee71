"""What every learner check shares: calling the learner's function safely, comparing, naming mistakes.

A check computes the expected answer independently (by hand-worked values, SciPy,
NumPy or TensorFlow) plus "suspects": the answers that known misconceptions give on
the same input. When the learner's result is wrong and equals a suspect, the
AssertionError names that misconception with its sentence from ``MISTAKES``.
"""

from __future__ import annotations

import numbers
from typing import Iterable

import numpy as np

# One sentence per misconception, so every check names a mistake the same way. Each lesson's
# module adds its own with ``MISTAKES.update``.
MISTAKES: dict[str, str] = {
    "output_transposed": (
        "the output has rows and columns swapped: its shape should be (output rows, output columns), "
        "from the image's height and width in that order."
    ),
    "size_short": (
        "the size is one too small: n - k counts the steps between window positions, not the positions; "
        "add 1 (a 3-wide kernel fits 26 times in 28 pixels)."
    ),
    "size_long": (
        "the size is one too large: a k-wide window fits n - k + 1 times in n pixels, not n - k + 2."
    ),
}

_TOLERANCE = dict(rtol=1e-7, atol=1e-6)


def require_function(fn, check_name: str, fn_name: str) -> None:
    """Learners often pass a result instead of the function; say so plainly."""
    if not callable(fn):
        raise ValueError(
            f"{check_name} needs your function itself, as in {check_name}({fn_name}), without brackets "
            f"after {fn_name}; it got {type(fn).__name__} {fn!r:.60}."
        )


def call(fn, call_text: str, *args, **kwargs):
    """Call the learner's function on copies and fail if it changed its inputs."""
    originals = [np.array(a, copy=True) if isinstance(a, np.ndarray) else a for a in args]
    result = fn(*args, **kwargs)
    for before, after in zip(originals, args):
        if isinstance(after, np.ndarray) and not np.array_equal(before, after):
            raise AssertionError(
                f"{call_text} changed its input array in place; a filter should return a new array "
                f"and leave its inputs as they were (work on a copy)."
            )
    return result


def prefetched(fn, calls: list[tuple]):
    """``fn``, ready to be called on each of ``calls`` (tuples of positional arguments) in that order.

    In a notebook that is ``fn`` itself. The grader re-checks a test by calling the learner's function in
    their kernel, a round trip of milliseconds; there ``fn`` can answer all of ``calls`` in one, which turns
    a thousand-case check from seconds into a blink (convcourse.grading.recheck.RemoteFunction)."""
    ask_all = getattr(fn, "prefetched", None)
    return ask_all(calls) if callable(ask_all) else fn


def as_numeric(result, call_text: str) -> np.ndarray:
    """Accept only genuine numbers or numeric arrays; anything else is reported, never compared."""
    if isinstance(result, (bool, np.bool_)) or result is None:
        raise AssertionError(f"{call_text} returned {result!r}; it should return numbers. Did you forget `return`?")
    if isinstance(result, np.ndarray) or isinstance(result, (numbers.Number, np.generic)):
        array = np.asarray(result)
        if np.issubdtype(array.dtype, np.number):
            return array
    raise AssertionError(
        f"{call_text} returned {type(result).__name__}; it should return a number or a NumPy array of numbers."
    )


def _equal(actual: np.ndarray, expected: np.ndarray, atol: float = _TOLERANCE["atol"]) -> bool:
    return actual.shape == expected.shape and bool(
        np.allclose(actual.astype(np.float64), expected.astype(np.float64), rtol=_TOLERANCE["rtol"], atol=atol)
    )


def assert_matches(result, expected, call_text: str, suspects: Iterable[tuple[object, str]] = (), atol=None):
    """Fail unless ``result`` equals ``expected``; when it equals a suspect, name that mistake."""
    atol = _TOLERANCE["atol"] if atol is None else atol
    actual = as_numeric(result, call_text)
    expected = np.asarray(expected)
    if _equal(actual, expected, atol):
        return
    for wrong, mistake in suspects:
        wrong = np.asarray(wrong)
        if not _equal(wrong, expected, atol) and _equal(actual, wrong, atol):
            if actual.shape == expected.shape and actual.size > 12:
                raise AssertionError(f"{call_text} returned the right shape {actual.shape} but wrong values: "
                                     f"{MISTAKES[mistake]}")
            raise AssertionError(f"{call_text} returned {show(actual)}, expected {show(expected)}: {MISTAKES[mistake]}")
    if actual.shape != expected.shape:
        raise AssertionError(
            f"{call_text} returned shape {actual.shape}, expected {expected.shape}."
            + _shape_hint(actual.shape, expected.shape)
        )
    wrong_cells = ~np.isclose(actual.astype(np.float64), expected.astype(np.float64), rtol=_TOLERANCE["rtol"], atol=atol)
    if actual.ndim == 0:
        raise AssertionError(f"{call_text} returned {show(actual)}, expected {show(expected)}.")
    first = tuple(int(i) for i in np.argwhere(wrong_cells)[0])
    raise AssertionError(
        f"{call_text} differs from the expected result at {int(wrong_cells.sum())} of {wrong_cells.size} "
        f"positions; the first is {first}: got {actual[first]!r}, expected {expected[first]!r}."
    )


def raised_because(call_text: str, error: Exception, mistake: str) -> AssertionError:
    """The AssertionError that names ``mistake`` as the cause of an error the learner's code raised."""
    first_line = (str(error).strip().splitlines() or [""])[0][:160]
    return AssertionError(f"{call_text} raised {type(error).__name__} ({first_line}): {MISTAKES[mistake]}")


def _shape_hint(actual: tuple, expected: tuple) -> str:
    if len(actual) != len(expected):
        return " The number of dimensions differs: return a single 2-D array."
    if actual == expected[::-1]:
        return " " + MISTAKES["output_transposed"]
    differences = {a - e for a, e in zip(actual, expected)}
    if differences <= {-1, 0}:
        return " " + MISTAKES["size_short"]
    if differences <= {0, 1}:
        return " " + MISTAKES["size_long"]
    return " Work the size out with conv_output_size for each dimension."


def show(array: np.ndarray) -> str:
    if array.ndim == 0:
        value = array.item()
        return f"{value:g}" if isinstance(value, float) else str(value)
    if array.size <= 12:
        return np.array2string(array, separator=", ").replace("\n", "")
    return f"an array of shape {array.shape}"


def random_image(rng: np.random.Generator, shape: tuple[int, int], dtype) -> np.ndarray:
    if np.dtype(dtype) == np.uint8:
        return rng.integers(0, 256, size=shape, dtype=np.uint8)
    return rng.normal(0, 50, size=shape)


def random_kernel(rng: np.random.Generator, k: int) -> np.ndarray:
    """An asymmetric kernel, so a flipped or transposed kernel always gives a different answer."""
    return np.round(rng.normal(0, 2, size=(k, k)), 2)


def blame_helper(fn, error: Exception, text: str, helpers: dict) -> AssertionError | None:
    """When ``fn`` failed and it calls one of the learner's earlier functions that is itself wrong, say so.

    A wrong conv_output_size or pooled_size breaks the functions built on it, often with a bare NumPy
    error; the learner should fix the earlier function first. ``helpers`` maps a function name to its
    visible check. Returns the AssertionError to raise, or None when no helper is to blame.
    """
    code, namespace = getattr(fn, "__code__", None), getattr(fn, "__globals__", {})
    for name, check in helpers.items():
        if code is None or name not in code.co_names or not callable(namespace.get(name)):
            continue
        try:
            check(namespace[name])
        except AssertionError as helper_error:
            reason = f"it calls your {name}, which is not right yet; fix that first: {helper_error}"
        except Exception as helper_error:  # noqa: BLE001 - whatever the helper does, it is the thing to fix
            reason = (f"it calls your {name}, which fails its own check first with "
                      f"{type(helper_error).__name__}: {helper_error}")
        else:
            continue
        return AssertionError(f"{text} failed ({type(error).__name__}), and {reason}")
    return None
