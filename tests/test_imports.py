"""Importing the course's modules changes nothing process-wide: no environment variable, no multiprocessing
setting, no signal handler (settings go explicitly to what needs them). The grading package's imports point
one way down its layers, with no cycle, and only its protocol module spells the names processes share."""

from __future__ import annotations

import ast
import importlib
import json
import subprocess
import sys

from convcourse import COURSE_ROOT

MODULES = ["convcourse.checks", "convcourse.widgets", "convcourse.grading.command", "convcourse.grading.jobs",
           "convcourse.grading.records", "convcourse.grading.report", "convcourse.grading.sandbox",
           "convcourse.grading.warm_kernels", "convcourse.grading.preprocessors", "convcourse.grading.recheck",
           "convcourse.grading.kernel_guard", "convcourse.grading.canary", "convcourse.grading.protocol",
           "convcourse.grading.process_tree", "convcourse.grading.kernel_launcher", "convcourse.grading.run_nbgrader",
           "convcourse.grading.intake", "convcourse.grading.idioms", "convcourse.grading.remote",
           "convcourse.lab", "convcourse.progress"]

PROBE = f"""
import importlib, json, multiprocessing, multiprocessing.forkserver as forkserver, os, signal
def state():
    return {{"environ": dict(os.environ), "preload": list(forkserver._forkserver._preload_modules),
             "start_method": multiprocessing.get_start_method(allow_none=True),
             "signals": {{s.name: str(signal.getsignal(s)) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGCHLD)}}}}
before = state()
for name in {MODULES!r}:
    importlib.import_module(name)
print(json.dumps([before, state()]))
"""


def test_importing_the_course_changes_no_process_wide_state():
    run = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=300, check=True)
    before, after = json.loads(run.stdout.splitlines()[-1])
    for part in before:
        assert after[part] == before[part], part


# --- the grading package reads top-down: layers, one way, no cycle ---------------------------------------

GRADING = COURSE_ROOT / "convcourse" / "grading"
# The package's layers, top to bottom, as its docstring draws them. A module may import its own layer's
# modules (without a cycle) and any layer further down; checking and isolation share a rank and may not
# import each other. Every module must be placed here, so a new one is placed on purpose.
LAYERS = {
    "course side": (3, {"command", "records", "canary", "intake", "report"}),
    "job": (2, {"jobs", "run_nbgrader"}),
    "checking": (1, {"preprocessors", "recheck", "remote", "idioms"}),
    "isolation": (1, {"kernel_launcher", "warm_kernels", "sandbox", "process_tree", "kernel_guard"}),
    "protocol": (0, {"protocol"}),
}


def _layer_of(module: str) -> str:
    return next(layer for layer, (_, modules) in LAYERS.items() if module in modules)


def grading_imports() -> dict[str, set[str]]:
    """module -> the package's modules it imports anywhere in its body (functions included), from its source."""
    graph = {}
    for path in sorted(GRADING.glob("*.py")):
        if path.stem == "__init__":
            continue
        found = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom):
                if node.level == 1:  # from . import x / from .x import y
                    found.update([node.module.split(".")[0]] if node.module else [a.name for a in node.names])
                elif node.level == 0 and (node.module or "").startswith("convcourse.grading"):
                    parts = node.module.split(".")
                    found.update(parts[2:3] or [a.name for a in node.names])
            elif isinstance(node, ast.Import):
                found.update(a.name.split(".")[2] for a in node.names
                             if a.name.startswith("convcourse.grading.") and a.name.count(".") >= 2)
        graph[path.stem] = found
    return graph


def test_every_grading_module_has_a_layer():
    placed = set().union(*(modules for _, modules in LAYERS.values()))
    assert set(grading_imports()) == placed, "place each module of convcourse/grading in LAYERS (and the docstring)"


def test_grading_imports_point_down_the_layers():
    wrong = []
    for module, imported in grading_imports().items():
        rank, layer = LAYERS[_layer_of(module)][0], _layer_of(module)
        for target in imported:
            target_layer = _layer_of(target)
            if target_layer != layer and LAYERS[target_layer][0] >= rank:
                wrong.append(f"{module} ({layer}) imports {target} ({target_layer})")
    assert wrong == [], wrong


def test_grading_imports_have_no_cycle():
    graph = grading_imports()
    cycles = []

    def visit(module, path):
        for target in sorted(graph[module]):
            if target in path:
                cycles.append(" -> ".join(path[path.index(target):] + [target]))
            else:
                visit(target, path + [target])

    for start in graph:
        visit(start, [start])
    assert cycles == [], cycles


def test_the_protocol_imports_only_the_standard_library():
    tree = ast.parse((GRADING / "protocol.py").read_text())
    imported = {(node.module or "").split(".")[0] if isinstance(node, ast.ImportFrom) else alias.name.split(".")[0]
                for node in ast.walk(tree) if isinstance(node, (ast.Import, ast.ImportFrom))
                for alias in node.names}
    assert all(isinstance(node, ast.Import) or node.level == 0
               for node in ast.walk(tree) if isinstance(node, (ast.Import, ast.ImportFrom)))
    assert imported - {"__future__"} <= set(sys.stdlib_module_names), imported


def test_only_the_protocol_spells_the_grading_environment_variables():
    """No bare "CONVCOURSE_..." string in convcourse/grading/ outside protocol.py (docstrings may name them)."""
    bare = []
    for path in sorted(GRADING.glob("*.py")):
        if path.stem == "protocol":
            continue
        tree = ast.parse(path.read_text())
        docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                      if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
                      and node.body and isinstance(node.body[0], ast.Expr)
                      and isinstance(node.body[0].value, ast.Constant)}
        bare += [f"{path.name}:{node.lineno}: {node.value[:60]!r}" for node in ast.walk(tree)
                 if isinstance(node, ast.Constant) and isinstance(node.value, str) and "CONVCOURSE_" in node.value
                 and id(node) not in docstrings]
    assert bare == [], bare


def test_the_modules_the_protocol_names_exist():
    """The modules one process runs in another (python -m ..., the re-check's expression) are named as strings."""
    import importlib.util

    from convcourse.grading import protocol

    for name in (protocol.KERNEL_LAUNCHER_MODULE, protocol.JOB_PROCESS_MODULE, protocol.KERNEL_ANSWER_MODULE):
        assert importlib.util.find_spec(name) is not None, name
    assert "answer" in dir(importlib.import_module(protocol.KERNEL_ANSWER_MODULE))
    assert 'if __name__ == "__main__":' in (GRADING / "kernel_launcher.py").read_text()
    assert 'if __name__ == "__main__":' in (GRADING / "run_nbgrader.py").read_text()


def test_the_course_wide_offline_data_setting_is_the_one_data_py_reads():
    import inspect

    from convcourse import data
    from convcourse.grading import protocol

    assert f'"{protocol.OFFLINE_DATA_ENV}"' in inspect.getsource(data.use_offline_data)


def test_the_package_docstring_names_every_module_and_layer():
    import convcourse.grading

    doc = convcourse.grading.__doc__
    for module in grading_imports():
        assert f"{module}.py" in doc, module
    for layer in LAYERS:
        assert layer.split()[0] in doc, layer
