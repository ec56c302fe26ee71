"""Docs that run: every nbgrader, convcourse, make and course.py command in the guides' shell blocks exists.

A command that the installed tools do not have (nbgrader 0.9.6 has no `nbgrader formgrader`) cannot be
documented again: each `nbgrader SUB` and `convcourse SUB` is asked for its own --help, each `make TARGET`
must be a target of the Makefile, each `python course.py COMMAND` one of course.py's commands.
Privacy: what grading writes (the re-check secret, grades) is git-ignored by the course's .gitignore.
"""

from __future__ import annotations

import concurrent.futures
import re
import subprocess
import sys
from pathlib import Path

import pytest

from convcourse import COURSE_ROOT

DOCS = ("README.md", "grader/README.md", "grader/JUPYTERHUB.md")
TOOLS = ("nbgrader", "convcourse", "make", "python")


def documented_commands() -> list[tuple[str, list[str]]]:
    """(document, words) of every command line in the docs' sh/bash code blocks, comments dropped."""
    found = []
    for doc in DOCS:
        text = (COURSE_ROOT / doc).read_text()
        for block in re.findall(r"```(?:sh|bash|console)\n(.*?)```", text, flags=re.S):
            for line in block.splitlines():
                words = line.split("#")[0].split()
                for command in " ".join(words).split("&&"):
                    if command.split() and command.split()[0] in TOOLS:
                        found.append((doc, command.split()))
    return found


COMMANDS = documented_commands()


def test_the_docs_name_the_instructors_commands():
    names = {" ".join(words[:2]) for _, words in COMMANDS}
    assert {"nbgrader generate_assignment", "convcourse grade", "make instructor", "make lab", "make test",
            "nbgrader export", "python course.py"} <= names, names


def _help(words: list[str]) -> tuple[list[str], subprocess.CompletedProcess]:
    command = [str(Path(sys.executable).parent / words[0]), *words[1:2], "--help"]
    return words, subprocess.run(command, cwd=COURSE_ROOT, capture_output=True, text=True, timeout=300)


@pytest.mark.slow
def test_every_documented_nbgrader_and_convcourse_command_exists():
    wanted = {(words[0], words[1]) for _, words in COMMANDS if words[0] in ("nbgrader", "convcourse") and len(words) > 1}
    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda pair: _help(list(pair)), sorted(wanted)))
        # nbgrader answers `nbgrader no_such_command --help` with its general help and exit 0: compare with it.
        general = pool.submit(_help, ["nbgrader", "--help"]).result()[1].stdout
    missing = [f"{' '.join(words)}: {run.stderr.strip().splitlines()[-1:] or run.returncode}"
               for words, run in results if run.returncode != 0 or (words[0] == "nbgrader" and run.stdout == general)]
    assert not missing, "documented commands that do not exist:\n" + "\n".join(missing)


def test_every_documented_make_target_and_course_py_command_exists():
    makefile = (COURSE_ROOT / "Makefile").read_text()
    sys.path.insert(0, str(COURSE_ROOT))
    import course

    for doc, words in COMMANDS:
        if words[0] == "make":
            target = words[1] if len(words) > 1 else ""
            assert re.search(rf"^{re.escape(target)}:", makefile, flags=re.M), f"{doc}: no make target {target!r}"
        elif words[:2] == ["python", "course.py"]:
            runs = subprocess.run([sys.executable, "course.py", "--help"], cwd=COURSE_ROOT, capture_output=True,
                                  text=True).stdout
            assert f"python course.py {words[2]}" in runs or words[2] == "env" and words[3] in course.KINDS, (doc, words)


def test_grading_records_and_secrets_are_git_ignored():
    paths = ["grading/recheck-secret", "grading/01_one_pixel/test-results.csv", "grading/01_one_pixel/students/a.json",
             "grades.csv", "gradebook.db", "submitted/a/01_one_pixel/01_one_pixel.ipynb", "feedback/a/x.html",
             "autograded/a/x.ipynb", "backups/01_one_pixel/01_one_pixel-20260101-000000.ipynb"]
    result = subprocess.run(["git", "check-ignore", "--no-index", *paths], cwd=COURSE_ROOT, capture_output=True,
                            text=True)
    assert sorted(result.stdout.split()) == sorted(paths), f"not ignored: {set(paths) - set(result.stdout.split())}"
    source = ["convcourse/grading/jobs.py", "convcourse/grading/new_module.py", "tests/test_grade_command.py"]
    kept = subprocess.run(["git", "check-ignore", "--no-index", *source], cwd=COURSE_ROOT, capture_output=True, text=True)
    assert kept.stdout == "", f"the course's own code must not be ignored: {kept.stdout}"
