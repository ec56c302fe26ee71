"""The set-up contract: every dependency has a range, the Makefile and README keep their promises.

The lock, the installs and environment.yml: tests/test_install.py.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib

from convcourse import COURSE_ROOT


def _pyproject_requirements() -> list[str]:
    project = tomllib.loads((COURSE_ROOT / "pyproject.toml").read_text())["project"]
    return project["dependencies"] + [r for extra in project["optional-dependencies"].values() for r in extra]


def test_every_dependency_has_a_version_range():
    for requirement in _pyproject_requirements():
        assert re.search(r">=.*<", requirement), f"{requirement} needs a lower and an upper bound"


def test_installed_versions_satisfy_the_design():
    import keras
    import nbgrader
    import numpy

    assert keras.__version__.startswith("3."), "the course is written for Keras 3"
    assert nbgrader.__version__.startswith("0.9."), nbgrader.__version__
    assert numpy.__version__.startswith("2."), numpy.__version__


def test_nbgrader_lab_and_server_extensions_are_enabled():
    jupyter = [sys.executable, "-m", "jupyter"]
    servers = subprocess.run(jupyter + ["server", "extension", "list"], capture_output=True, text=True)
    listing = servers.stdout + servers.stderr
    for extension in ("formgrader", "assignment_list", "course_list", "validate_assignment"):
        assert re.search(rf"nbgrader\.server_extensions\.{extension}\s+\S*enabled", listing), listing
    labs = subprocess.run(jupyter + ["labextension", "list"], capture_output=True, text=True)
    assert re.search(r"@jupyter/nbgrader v0\.9\.\S+\s+\S*enabled", labs.stdout + labs.stderr)


def test_readme_puts_the_two_commands_first_and_names_every_make_target():
    readme = (COURSE_ROOT / "README.md").read_text()
    first_commands = re.findall(r"^make (\w+)", readme, flags=re.M)[:2]
    assert first_commands == ["lab", "test"], first_commands
    makefile = (COURSE_ROOT / "Makefile").read_text()
    phony = re.search(r"^\.PHONY:(.*)$", makefile, flags=re.M).group(1).split()
    assert {"lab", "instructor", "test", "bench", "release", "progress", "reset", "grade"} <= set(phony)
    docs = readme + (COURSE_ROOT / "grader" / "README.md").read_text()
    for target in phony:
        assert re.search(rf"^{target}:", makefile, flags=re.M), f"Makefile has no {target} target"
        assert f"make {target}" in docs, f"neither README.md nor grader/README.md explains make {target}"


def test_ci_script_runs_make_test_and_treats_no_tests_as_failure():
    script = (COURSE_ROOT / ".ci" / "run").read_text()
    assert "make test" in script
    assert "chromium" in script, ".ci/run must install the browser the browser test needs"
    # pytest exits 5 when it collected nothing; make propagates any non-zero exit as failure.
    assert "set -e" in script


def test_notebooks_are_committed_without_outputs():
    import nbformat

    for path in list((COURSE_ROOT / "solutions").rglob("*.ipynb")) + list((COURSE_ROOT / "notebooks").rglob("*.ipynb")):
        notebook = nbformat.read(path, as_version=4)
        for cell in notebook.cells:
            if cell.cell_type == "code":
                assert not cell.outputs and cell.execution_count is None, f"{path} has outputs"


def test_xdist_groups_keep_a_module_on_one_worker(tmp_path):
    """make test relies on xdist_group marks to build each expensive fixture (a graded class, a server) once;
    pytest 9.2 with pytest-xdist 3.8 silently ignores them (pytest-dev/pytest-xdist#1386)."""
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    (tmp_path / "test_grouped.py").write_text(
        "import pytest\npytestmark = pytest.mark.xdist_group('one')\n"
        "@pytest.mark.parametrize('i', range(6))\ndef test_grouped(i):\n    pass\n")
    (tmp_path / "test_free.py").write_text(
        "import pytest, time\n@pytest.mark.parametrize('i', range(6))\ndef test_free(i):\n    time.sleep(0.2)\n")
    run = subprocess.run([sys.executable, "-m", "pytest", "-n", "2", "--dist", "loadgroup", "-v"],
                         cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr
    workers = {line.split()[0] for line in run.stdout.splitlines() if "PASSED test_grouped.py" in line}
    assert len(workers) == 1, f"the grouped tests ran on {sorted(workers)}"
