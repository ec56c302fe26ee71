"""nbgrader's own tests, run with the course's preprocessors where nbgrader's stand.

nbgrader ships its tests inside the installed package. This runs its OverwriteCells tests and the part of
its autograde tests that exercises what our two classes replace (restoring cells; running, timing out and
re-checking them; nbgrader's test idioms, hidden tests, a cheat attempt, kernelspecs, --no-execute), in a
pytest of its own with the plugin tests/nbgrader_substitution.py. Every one must pass, except the intended
differences the plugin lists, which it marks xfail(strict=True) with the line of grader/README.md that
documents each (one that passes again fails this test too). The autograde tests left out check nbgrader's
own bookkeeping (timestamps, late penalties, permissions, which students and notebooks are graded, files
copied from the source folder), which our classes do not take part in; running them all takes about five
minutes on two cores, this subset about half of that.
"""

from __future__ import annotations

import os
import subprocess
import sys
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import nbgrader
import pytest

import nbgrader_substitution as substitution

NBGRADER_TESTS = Path(nbgrader.__file__).parent / "tests"
AUTOGRADE = "apps/test_nbgrader_autograde.py::TestNbGraderAutograde::"
SELECTED = ["preprocessors/test_overwritecells.py"] + [AUTOGRADE + name for name in [
    "test_grade",                             # scores of an unchanged and a changed submission
    "test_grade_autotest",                    # nbgrader's autotests (generated test cells)
    "test_grade_hashed_autotest",
    "test_grade_complex_autotest",            # lambda: fun(-4) in a test cell
    "test_hidden_tests_single_notebook",      # hidden tests and the "del the helper" idiom
    "test_hidden_tests_autotest",
    "test_showtraceback_exploit",             # a submission that hides its tracebacks
    "test_side_effects",                      # files the notebook writes
    "test_infinite_loop",                     # timeouts
    "test_autograde_timeout",
    "test_no_execute",                        # Execute.enabled=False
    "test_grade_with_validating_envvar",      # what the kernel sees of nbgrader
    "test_incorrect_submitted_kernelspec",    # which kernel runs the notebook
    "test_missing_source_kernelspec",
    "test_force_single_notebook",             # two identical notebooks graded to identical files
    "test_handle_failure",                    # the expected differences
    "test_handle_failure_single_notebook",
]]


def outcomes(junit_xml: Path) -> dict[str, str]:
    """Each test's outcome, keyed like EXPECTED_DIFFERENCES: passed, xfailed, or what went wrong."""
    results = {}
    for case in ElementTree.parse(junit_xml).iter("testcase"):
        module, cls = case.get("classname").split(".")[-2:]
        problem = next(iter(case.findall("failure") + case.findall("error") + case.findall("skipped")), None)
        if problem is None:
            outcome = "passed"
        elif problem.tag == "skipped" and problem.get("type") == "pytest.xfail":
            outcome = "xfailed"
        else:
            outcome = f"{problem.tag}: {(problem.get('message') or '')[:300]}"
        results[f"{module}.py::{cls}::{case.get('name')}"] = outcome
    return results


def run_nbgrader_tests(folder: Path) -> dict[str, str]:
    (folder / "pytest.ini").write_text("[pytest]\n")  # none of the course's pytest settings
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(Path(__file__).parent), os.environ.get("PYTHONPATH", "")]))
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])  # nbgrader runs alembic
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-c", str(folder / "pytest.ini"), "--rootdir", str(NBGRADER_TESTS),
         "-p", "no:cacheprovider", "-p", "nbgrader_substitution", "-q", "--timeout=300",
         f"--junitxml={folder / 'results.xml'}", *(str(NBGRADER_TESTS / test) for test in SELECTED)],
        cwd=folder, env=env, capture_output=True, text=True, timeout=900)
    assert (folder / "results.xml").exists(), run.stdout[-3000:] + run.stderr[-3000:]
    return outcomes(folder / "results.xml")


@pytest.mark.slow
@pytest.mark.xdist_group("nbgrader_suite")
def test_nbgrader_own_tests_pass_with_the_course_preprocessors(tmp_path):
    results = run_nbgrader_tests(tmp_path)
    expected = {test: "xfailed" if test in substitution.EXPECTED_DIFFERENCES else "passed" for test in results}
    assert {test: outcome for test, outcome in results.items() if outcome != expected[test]} == {}
    ran = {test.split("::")[-1] for test in results}
    assert {test.split("::")[-1] for test in SELECTED if "::" in test} <= ran  # none renamed away
    assert set(substitution.EXPECTED_DIFFERENCES) <= set(results)


def test_each_expected_difference_is_documented_on_one_line_of_the_grading_readme():
    for words in set(substitution.EXPECTED_DIFFERENCES.values()):
        assert len(substitution.documented_at(words)) == 1, words
