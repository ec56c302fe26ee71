"""Which test cells the re-check can reproduce outside the kernel, decided on the test's source alone.

The re-check (recheck.py) runs a test cell's source with the student's names fetched from the kernel. It
reproduces nbgrader's test idioms: names used inside lambdas, nested functions and comprehensions, and
``del`` of a helper (the student's functions do not see a name the test deleted until the test puts back
the original it saved). A test that needs more of the kernel than its names keeps the kernel's verdict,
as in stock nbgrader:

- it reads the interpreter's own state: ``get_ipython()`` (magics and shell commands become calls to
  it), ``globals()``, ``locals()``, ``dir()`` or ``vars()`` without an argument, ``In``, ``Out`` and the
  output history (``_``, ``_i``, ``_3``);
- it binds a name from inside a function (``global``), which the re-check cannot follow;
- it replaces one of the notebook's names with a stand-in (a mock helper): the student's functions run in
  the kernel and would never see it.

Only the test's source is read, and RestoreLockedCells has restored it from the gradebook, so no
submission can make a test unreproducible to escape the re-check.
"""

from __future__ import annotations

import ast
import re

INTERPRETER_STATE = {"get_ipython", "In", "Out", "_ih", "_oh", "_dh", "_", "__", "___", "_i", "_ii", "_iii"}
OUTPUT_HISTORY = re.compile(r"_i?\d+")
WHOLE_NAMESPACE = {"globals", "locals"}
CURRENT_NAMESPACE = {"dir", "vars"}  # only without an argument


def python_source(source: str) -> str:
    """The cell as Python: IPython's magics and shell commands become calls to get_ipython()."""
    from IPython.core.inputtransformer2 import TransformerManager

    return TransformerManager().transform_cell(source)


def kernel_verdict_reason(source: str) -> str | None:
    """Why the re-check cannot reproduce this test cell outside the kernel; None when it can."""
    try:
        tree = ast.parse(python_source(source))
    except SyntaxError:
        return "is not Python the grader can read"
    events = _NameEvents()
    events.visit(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.Global):
            return f"binds {', '.join(node.names)} from inside a function (global)"
        state = _state_read(node)
        if state and state not in events.bound:
            return f"reads the kernel's own state ({state})"
    stand_ins = _stand_ins(events.events)
    if stand_ins:
        return f"replaces the notebook's {', '.join(sorted(stand_ins))} with a stand-in"
    return None


def _state_read(node) -> str | None:
    if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and (
            node.id in INTERPRETER_STATE or OUTPUT_HISTORY.fullmatch(node.id)):
        return node.id
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and (
            node.func.id in WHOLE_NAMESPACE or (node.func.id in CURRENT_NAMESPACE and not node.args)):
        return node.func.id
    return None


def _stand_ins(events) -> set[str]:
    """Names the test took from the notebook (used before binding them) and then bound to something else
    than the original it saved (``orig = name`` ... ``name = orig`` puts it back)."""
    own, from_notebook, saved, stand_ins = set(), set(), {}, set()
    for kind, name, statement in events:
        if kind == "use":
            if name not in own:
                from_notebook.add(name)
        elif name in from_notebook:
            if saved.get(_assigned_name(statement)) != name:
                stand_ins.add(name)
        else:
            own.add(name)
            if _assigned_name(statement) in from_notebook:
                saved[name] = _assigned_name(statement)
    return stand_ins


def _assigned_name(statement) -> str | None:
    """``y`` for a statement ``x = y``."""
    if isinstance(statement, ast.Assign) and isinstance(statement.value, ast.Name) and len(statement.targets) == 1:
        return statement.value.id
    return None


class _NameEvents(ast.NodeVisitor):
    """Each use (read or del) of a name and each binding of one in the test's own scope, in the order
    Python runs them (an assignment's value before its targets). Uses inside nested functions count
    too, since they read the same globals; bindings there are local and do not."""

    def __init__(self):
        self.events: list[tuple[str, str, ast.AST | None]] = []
        self.bound: set[str] = set()  # bound anywhere, at any depth
        self._depth = 0
        self._statement = None

    def _bind(self, name: str) -> None:
        self.bound.add(name)
        if self._depth == 0:
            self.events.append(("bind", name, self._statement))

    def visit_Name(self, node):
        if isinstance(node.ctx, ast.Store):
            self._bind(node.id)
        else:
            self.events.append(("use", node.id, None))

    def visit_Assign(self, node):
        self.visit(node.value)
        self._statement = node
        for target in node.targets:
            self.visit(target)
        self._statement = None

    def visit_AugAssign(self, node):
        self.visit(node.value)
        if isinstance(node.target, ast.Name):
            self.events.append(("use", node.target.id, None))
        self.visit(node.target)

    def visit_AnnAssign(self, node):
        if node.value is not None:
            self.visit(node.value)
        self.visit(node.target)

    def visit_For(self, node):
        self.visit(node.iter)
        self.visit(node.target)
        for statement in node.body + node.orelse:
            self.visit(statement)

    visit_AsyncFor = visit_For

    def visit_NamedExpr(self, node):
        self.visit(node.value)
        self.visit(node.target)

    def visit_alias(self, node):
        self._bind(node.asname or node.name.split(".")[0])

    def visit_ExceptHandler(self, node):
        if node.type is not None:
            self.visit(node.type)
        if node.name:
            self._bind(node.name)
        for statement in node.body:
            self.visit(statement)

    def _nested_scope(self, node, name: str | None = None):
        """A function or lambda: its defaults and decorators run now, its body later, in its own scope."""
        for outer in node.args.defaults + [d for d in node.args.kw_defaults if d] + getattr(node, "decorator_list", []):
            self.visit(outer)
        self.bound.update(argument.arg for argument in ast.walk(node.args) if isinstance(argument, ast.arg))
        self._depth += 1
        for child in node.body if isinstance(node.body, list) else [node.body]:
            self.visit(child)
        self._depth -= 1
        if name:
            self._bind(name)

    def visit_FunctionDef(self, node):
        self._nested_scope(node, node.name)

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_ClassDef(self, node):
        for base in node.bases + node.decorator_list:
            self.visit(base)
        self._depth += 1
        for statement in node.body:
            self.visit(statement)
        self._depth -= 1
        self._bind(node.name)

    def visit_Lambda(self, node):
        self._nested_scope(node)

    def _comprehension(self, node):
        self._depth += 1
        self.generic_visit(node)
        self._depth -= 1

    visit_ListComp = visit_SetComp = visit_DictComp = visit_GeneratorExp = _comprehension
