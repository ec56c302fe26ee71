"""Tests re-run outside the student's kernel, so nothing done inside it can make a test pass.

A test cell that passed in the student's kernel is run again here, in nbgrader's own process: its
source (restored from the gradebook), the lesson's locked set-up cell and ``convcourse.checks`` are the
grader's; only the student's functions and variables come from the kernel, as plain data through
remote.py. A monkeypatched ``numpy.testing`` or check function, a swallowed exception, an object whose
``__eq__`` always says True, or answers fished out of the checks' frames in the kernel change nothing
here. Every ``seed=`` a hidden test passes is shifted by a number the kernel never sees, so answers
memorised during the kernel's run of the same test do not help either.

A test that fails here although it passed in the kernel loses its points; the cell gets an error
output saying so. A test that uses something that cannot cross as data (a class, such as the capstone's
callback) keeps the kernel's verdict, and the log says it was not re-checked; so does a test whose source
needs more of the kernel than its names (idioms.py decides, on the source alone).
"""

from __future__ import annotations

import builtins
import contextlib
import hashlib
import io
import json
import types

from . import remote
from .idioms import python_source
from .protocol import SECRET_FILE


class Unverifiable(Exception):
    """The test needs something from the kernel that cannot cross as data."""


class KernelSide:
    """Names of the student's kernel, fetched on demand: functions become callables that run there."""

    def __init__(self, request):
        self._request = request  # sends one JSON request to the kernel, returns the decoded JSON reply
        self.hidden: set[str] = set()  # names the running test deleted: the student's functions must not see them

    def _send(self, request: dict) -> dict:
        if "call" in request and self.hidden:
            request = {**request, "hidden": sorted(self.hidden)}
        return self._request(request)

    def lookup(self, name: str):
        reply = self._request({"describe": name})
        kind = reply.get("kind")
        if kind == "missing":
            raise KeyError(name)
        if kind == "function":
            return RemoteFunction(name, self._send)
        if kind == "value":
            return remote.decode(reply["value"])
        raise Unverifiable(f"{name} is a {reply.get('what') or kind}, which cannot be re-checked outside the kernel")


class RemoteFunction:
    """Calls the student's function in the kernel; arguments and result cross as plain data."""

    def __init__(self, name: str, request):
        self.__name__ = self.__qualname__ = name
        self._request = request

    def __call__(self, *args, **kwargs):
        return _result(self._request({"call": self.__name__, "args": [remote.encode(a) for a in args],
                                      "kwargs": {k: remote.encode(v) for k, v in kwargs.items()}}))

    def prefetched(self, calls: list[tuple]) -> "PrefetchedFunction":
        """This function with the replies to ``calls`` (tuples of positional arguments) asked for in one request,
        the kernel calling it on each in turn (convcourse.checks.core.prefetched says when checks ask)."""
        encoded = [[remote.encode(a) for a in args] for args in calls]
        replies = self._request({"call": self.__name__, "each": encoded}).get("each")
        if not isinstance(replies, list) or len(replies) != len(calls):  # an honest kernel always does
            raise RuntimeError(f"the kernel did not answer the grader's {len(calls)} calls of {self.__name__}")
        return PrefetchedFunction(self, list(zip(encoded, replies)))

    def __repr__(self):
        return f"<function {self.__name__}>"


class PrefetchedFunction:
    """A RemoteFunction whose next calls were answered already, in order; any other call goes to the kernel."""

    def __init__(self, function: RemoteFunction, answered: list[tuple[list, dict]]):
        self.__name__ = self.__qualname__ = function.__name__
        self._function, self._answered = function, answered[::-1]

    def __call__(self, *args, **kwargs):
        if self._answered and not kwargs and self._answered[-1][0] == [remote.encode(a) for a in args]:
            return _result(self._answered.pop()[1])
        return self._function(*args, **kwargs)

    def __repr__(self):
        return repr(self._function)


def _result(reply: dict):
    """A call's reply as the call's outcome: the value, or the student's exception raised again."""
    if "raised" in reply:
        raise remote.builtin_exception(reply["raised"])(reply["message"])
    if "not_data" in reply:
        # What the checks say about a result that is not a number, in the words they use.
        return UncheckableObject(reply["not_data"])
    return remote.decode(reply["value"])


class UncheckableObject:
    """Stands for a returned object that could not cross: it equals nothing and is no number."""

    def __init__(self, what: str):
        self.what = what

    def __eq__(self, other):
        return False

    __hash__ = None

    def __repr__(self):
        return f"<{self.what}>"


class _Namespace(dict):
    """A test cell's globals: the grader's names (set-up imports, the checks) first; anything else is looked
    up in the student's kernel. As the globals, not just the locals, it also answers for names used inside
    the test's lambdas, nested functions and comprehensions (Python looks those up in the globals).

    ``del name`` (nbgrader's "delete the helper, the answer must now fail" idiom) hides the name from the
    student's functions too, until the test binds it again (puts back the original it saved). The kernel
    no longer has a name the test deleted in its own run without putting it back, so deleting a name
    that is not there is not an error here: the test passed in the kernel, so it was there then."""

    def __init__(self, trusted: dict, kernel: KernelSide):
        super().__init__(trusted)
        self._kernel = kernel
        kernel.hidden = set()

    def __missing__(self, name):
        if hasattr(builtins, name) or name in self._kernel.hidden:
            raise KeyError(name)  # a builtin: Python then finds it there; a deleted name: NameError
        value = self._kernel.lookup(name)
        super().__setitem__(name, value)
        return value

    def __setitem__(self, name, value):
        self._kernel.hidden.discard(name)
        super().__setitem__(name, value)

    def __delitem__(self, name):
        self.pop(name, None)
        self._kernel.hidden.add(name)


class SecretSeeds(types.ModuleType):
    """``convcourse.checks`` with every ``seed=`` shifted by a secret offset."""

    def __init__(self, checks, offset: int):
        super().__init__("checks")
        self._checks, self._offset = checks, offset

    def __getattr__(self, name):
        value = getattr(self._checks, name)
        if not callable(value) or isinstance(value, type):
            return value

        def shifted(*args, **kwargs):
            if "seed" in kwargs:
                kwargs["seed"] = (kwargs["seed"] + self._offset) % (2 ** 31)
            return value(*args, **kwargs)

        return shifted


def secret_offset(assignment: str) -> int:
    """The same for every student of a lesson in a course (fair, repeatable), unknown to their kernels."""
    from pathlib import Path

    secret = Path(SECRET_FILE).read_text().strip() if Path(SECRET_FILE).is_file() else ""
    secret = secret or "convcourse"  # a course without a secret: the offset is public, the re-check still holds
    return int.from_bytes(hashlib.sha256(f"{secret}/{assignment}".encode()).digest()[:4], "big") + 1


class Recheck:
    """Re-runs test cells with the grader's code against the student's kernel (see the module docstring)."""

    def __init__(self, setup_sources: list[str], request, offset: int):
        from convcourse import checks

        self.kernel = KernelSide(request)
        self.globals: dict = {"__name__": "__recheck__", "__builtins__": builtins}
        with _quiet():
            for source in setup_sources:
                exec(compile(source, "<setup>", "exec"), self.globals)
        self.globals["checks"] = SecretSeeds(checks, offset)

    def run(self, source: str) -> tuple[str | None, object, str]:
        """(None, the last expression's value, what it printed) when the test passes here; (the failure's
        message, None, what it printed) otherwise. A number as the value is the cell's partial credit."""
        import ast

        from convcourse.checks.capstone import training_by_grader  # the capstone trains here, for real

        namespace = _Namespace(self.globals, self.kernel)
        body = ast.parse(python_source(source)).body
        last = body.pop() if body and isinstance(body[-1], ast.Expr) else None
        printed = io.StringIO()
        try:
            with _quiet(printed), training_by_grader():
                exec(compile(ast.Module(body=body, type_ignores=[]), "<test>", "exec"), namespace)
                value = eval(compile(ast.Expression(last.value), "<test>", "eval"), namespace) \
                    if last is not None else None
        except Unverifiable:
            raise
        except Exception as error:  # the test's own verdict: an AssertionError, or the student's error
            return f"{type(error).__name__}: {error}", None, printed.getvalue()
        return None, value, printed.getvalue()


@contextlib.contextmanager
def _quiet(printed: io.StringIO | None = None):
    with contextlib.redirect_stdout(printed or io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        yield


def reply_from_user_expression(result: dict) -> dict:
    """The JSON our request expression returned, from a kernel's user_expressions entry."""
    if result.get("status") != "ok":
        return {"raised": result.get("ename", "RuntimeError"), "message": result.get("evalue", "")}
    import ast

    text = result.get("data", {}).get("text/plain", "")
    try:
        return json.loads(ast.literal_eval(text))
    except (ValueError, SyntaxError, TypeError):
        return {"not_data": "an answer the grader could not read"}
