"""How a failing cell reads in a lesson: the diagnosis first, in a few lines, then where it happened.

Each lesson's set-up cell calls ``show_failures_first()``. From then on, in that kernel (a learner's, or one
that nbgrader starts for Validate or grading), an error that passes through the course's own code, say an
``AssertionError`` from a check, is shown as

    AssertionError: weighted_sum(patch, kernel) on the 192 pixel returned 732, expected 577: the kernel
    is flipped 180 degrees ...

    Where (most recent call last):
      Cell In[5], line 2: checks.check_weighted_sum(weighted_sum)

with the course package's internal frames (and the instructor's file paths) left out and long lines wrapped,
so the sentence that helps comes first in the notebook, in Validate's dialog and on the feedback page. An
error raised by the learner's own code that has a known cause gets that cause in a sentence, first; a
NameError says to run the cells above. Errors of the learner's own code keep IPython's usual traceback.
"""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

__all__ = ["show_failures_first", "failure_report", "explain_error", "wrapped"]

_PACKAGE = Path(__file__).resolve().parent  # convcourse/
_WIDTH = 100
_RED, _BOLD_RED, _RESET = "\x1b[0;31m", "\x1b[1;31m", "\x1b[0m"

# Raw errors that learners' code raises inside a check, by their message, and what they usually mean.
_KNOWN_CAUSES = (
    (r"operands could not be broadcast together with shapes",
     "NumPy was asked to combine two arrays of different shapes: print the shapes of both (the window and "
     "the kernel, say) just before the line where it happened."),
    (r"could not broadcast input array from shape",
     "a slice you assign into has another shape than the value: check the output size and the window's "
     "size (k x k), and that 'same' padding was added before sliding."),
    (r"index -?\d+ is out of bounds|out of bounds for axis",
     "an index went past the edge of an array: check the output size and the ranges of your loops."),
    (r"Cannot cast ufunc .* output from dtype\('float64'\) to dtype\('uint8'\)|casting rule",
     "a float result was written into a uint8 array: make the output array float (np.zeros(shape)) "
     "and convert to uint8 only for display."),
    (r"expected (min_)?ndim=4|expected axis -1 of input shape|Input 0 of layer .* is incompatible",
     "Keras layers take a batch of images, shape (n, height, width, channels): add the batch axis with "
     "image[np.newaxis] for one image, and a channel axis with [..., np.newaxis] for grey images."),
    (r"must be a NumPy array|object has no attribute 'shape'",
     "a function received something that is not a NumPy array: wrap lists with np.asarray first."),
    (r"unsupported operand type\(s\) for .*NoneType",
     "a value is None: a function you call is missing its `return` line."),
)


def explain_error(error: BaseException) -> str | None:
    """One sentence on the usual cause of a raw error from a learner's code, or None when none is known."""
    text = f"{type(error).__name__}: {error}"
    for pattern, cause in _KNOWN_CAUSES:
        if re.search(pattern, text):
            return cause
    return None


def _frames(tb):
    while tb is not None:
        yield tb
        tb = tb.tb_next


def _in_course_package(tb) -> bool:
    return Path(tb.tb_frame.f_code.co_filename).resolve().is_relative_to(_PACKAGE)


def wrapped(text: str, indent: str = "") -> list[str]:
    """``text`` as lines of at most 100 characters (a feedback page does not wrap), its own newlines kept."""
    lines = []
    for line in text.splitlines() or [""]:
        lines += textwrap.wrap(line, _WIDTH, initial_indent=indent, subsequent_indent=indent + "  ",
                               break_long_words=False, break_on_hyphens=False) or [indent]
    return lines


def _cell_frames(tb, cell_name) -> list[str]:
    """'Cell In[5], line 2: <code>' for each frame of the learner's notebook (cells), outermost first."""
    import linecache

    places = []
    for entry in _frames(tb):
        code = entry.tb_frame.f_code
        name = cell_name(code.co_filename)
        if name is None:
            continue
        function = "" if code.co_name == "<module>" else f", in {code.co_name}"
        line = linecache.getline(code.co_filename, entry.tb_lineno).strip()
        places.append(f"  {name}, line {entry.tb_lineno}{function}: {line}")
    return places


def failure_report(error: BaseException, tb, cell_name=lambda filename: None) -> tuple[list[str], bool]:
    """The lines to show first for ``error``, and whether IPython's usual traceback should follow them.

    ``cell_name`` turns a code object's file name into IPython's "Cell In[5]" (None for other files).
    """
    frames = list(_frames(tb))
    if not any(_in_course_package(entry) for entry in frames):  # the learner's own code, start to end
        if isinstance(error, NameError):
            return [f"{_BOLD_RED}NameError{_RESET}: {error}",
                    "Run the cells above this one first (Run > Run All Above Selected Cell): a name defined "
                    "in an earlier cell exists only after that cell has run in this kernel."], False
        cause = explain_error(error)
        return (wrapped(f"What this usually means: {cause}") + [""] if cause else []), True
    lines = wrapped(f"{type(error).__name__}: {error}")
    lines[0] = lines[0].replace(type(error).__name__, f"{_BOLD_RED}{type(error).__name__}{_RESET}", 1)
    raised_by_learner = not _in_course_package(frames[-1]) if frames else False
    cause = explain_error(error) if raised_by_learner else None
    if cause:
        lines += [""] + wrapped(f"What this usually means: {cause}")
    places = _cell_frames(tb, cell_name)
    if places:
        lines += ["", f"{_RED}Where (most recent call last):{_RESET}"] + places
    return lines, False


def show_failures_first(shell=None) -> None:
    """In an IPython kernel, show errors as ``failure_report`` writes them (see the module docstring).

    Outside IPython (a plain Python process, nbgrader's re-check) it does nothing.
    """
    if shell is None:
        try:
            from IPython import get_ipython
        except ImportError:
            return
        shell = get_ipython()
    if shell is None:
        return

    def cell_name(filename: str) -> str | None:
        named = shell.compile.format_code_name(filename)
        return " ".join(named) if named else None

    def handler(shell, etype, value, tb, tb_offset=None):
        lines, then_traceback = failure_report(value, tb, cell_name)
        if then_traceback:
            lines += shell.InteractiveTB.structured_traceback(etype, value, tb, tb_offset=tb_offset)
        shell._showtraceback(etype, value, lines)  # what ipykernel sends as the cell's error output
        return None

    shell.set_custom_exc((Exception,), handler)
