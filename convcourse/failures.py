"""How a lesson's kernel reads: a failing cell shows its diagnosis first, and library chatter stays off stderr.

Each lesson's set-up cell calls ``prepare_kernel()``: ``quiet_libraries()`` (TensorFlow's start-up lines
silenced, Python warnings on stdout: nbgrader fails a test cell with any stderr), then ``show_failures_first()``.
From then on, in that kernel (a learner's, or one that nbgrader starts for Validate or grading), an error
that passes through the course's own code, say an ``AssertionError`` from a check, is shown as

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

import contextlib
import importlib.abc
import importlib.machinery
import os
import re
import sys
import textwrap
import warnings
from pathlib import Path

__all__ = ["prepare_kernel", "quiet_libraries", "show_failures_first", "failure_report", "explain_error", "wrapped"]

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


def _ipython():
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    return get_ipython()


def show_failures_first(shell=None) -> None:
    """In an IPython kernel, show errors as ``failure_report`` writes them (see the module docstring).

    Outside IPython (a plain Python process, nbgrader's re-check) it does nothing.
    """
    shell = shell or _ipython()
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


def _show_warning_on_stdout(message, category, filename, lineno, file=None, line=None) -> None:
    sys.stdout.write(warnings.formatwarning(message, category, filename, lineno, line))


@contextlib.contextmanager
def _stderr_descriptor_silenced():
    """Send what C code writes to file descriptor 2 to /dev/null (Python's sys.stderr is not affected)."""
    saved, devnull = os.dup(2), os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


class _SilencedLoader(importlib.abc.Loader):
    """Runs a module's code with C-level stderr silenced; everything else goes to the real loader."""

    def __init__(self, loader):
        self._loader = loader

    def create_module(self, spec):
        return self._loader.create_module(spec)

    def exec_module(self, module) -> None:
        with _stderr_descriptor_silenced():
            self._loader.exec_module(module)

    def __getattr__(self, name):
        return getattr(self._loader, name)


class _QuietFirstImport(importlib.abc.MetaPathFinder):
    """The first import of ``package`` runs silenced: TensorFlow's C++ start-up lines (oneDNN notices,
    absl's "before InitializeLog" warning) go straight to file descriptor 2, whatever TF_CPP_MIN_LOG_LEVEL
    says, and ipykernel would turn them into the cell's stderr."""

    def __init__(self, package: str):
        self.package = package

    def find_spec(self, name, path=None, target=None):
        if name != self.package:
            return None
        sys.meta_path.remove(self)
        spec = importlib.machinery.PathFinder.find_spec(name, path)
        if spec is not None and spec.loader is not None:
            spec.loader = _SilencedLoader(spec.loader)
        return spec


def quiet_libraries() -> None:
    """Keep library chatter off stderr in this kernel: TensorFlow's start-up lines silenced, Python warnings
    (Keras's notice about input_shape=, deprecations, NumPy's) shown on stdout, where they are still read.

    nbgrader fails a test cell that wrote anything to stderr, so in the kernels it starts this is what keeps
    correct code from losing points; in a learner's kernel it keeps the red text for real errors.
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # TensorFlow's later log lines, read at its import
    if "tensorflow" not in sys.modules and not any(isinstance(f, _QuietFirstImport) for f in sys.meta_path):
        sys.meta_path.insert(0, _QuietFirstImport("tensorflow"))
    warnings.showwarning = _show_warning_on_stdout


def prepare_kernel(shell=None) -> None:
    """What each lesson's set-up cell calls first, in an IPython kernel: failures shown diagnosis first,
    library chatter quiet. Elsewhere (nbgrader's re-check runs the set-up cell in its own process) nothing."""
    shell = shell or _ipython()
    if shell is None:
        return
    quiet_libraries()
    show_failures_first(shell)
