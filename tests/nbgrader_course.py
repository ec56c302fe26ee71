"""A throwaway copy of the course where tests run real nbgrader commands, as an instructor would."""

from __future__ import annotations

import html
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
from nbgrader.api import Gradebook

from convcourse import COURSE_ROOT, checks
from convcourse.release import nbgrader_environment


class Course:
    """solutions/, the nbgrader configuration and a gradebook in ``root``; stock nbgrader commands."""

    def __init__(self, root: Path, lessons: tuple[str, ...]):
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        shutil.copy(COURSE_ROOT / "nbgrader_config.py", self.root)
        shutil.copytree(COURSE_ROOT / "grader", self.root / "grader")
        for lesson in lessons:
            shutil.copytree(COURSE_ROOT / "solutions" / lesson, self.root / "solutions" / lesson)
            self.nbgrader("generate_assignment", lesson, "--force")

    def nbgrader(self, *args: str) -> subprocess.CompletedProcess:
        """Run one nbgrader command from the course root; fail the test if nbgrader itself fails."""
        result = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=self.root, env=nbgrader_environment(),
                                capture_output=True, text=True, timeout=1800)
        if result.returncode != 0:
            raise AssertionError(f"nbgrader {' '.join(args)} exited {result.returncode}:\n{result.stdout}\n{result.stderr}")
        return result

    def release_notebook(self, lesson: str) -> nbformat.NotebookNode:
        return nbformat.read(self.root / "notebooks" / lesson / f"{lesson}.ipynb", as_version=4)

    def submit(self, student: str, lesson: str, notebook: nbformat.NotebookNode) -> None:
        folder = self.root / "submitted" / student / lesson
        folder.mkdir(parents=True, exist_ok=True)
        nbformat.write(notebook, folder / f"{lesson}.ipynb")

    def autograde(self, lesson: str) -> subprocess.CompletedProcess:
        return self.nbgrader("autograde", lesson, "--create", "--force")

    def generate_feedback(self, lesson: str) -> None:
        self.nbgrader("generate_feedback", lesson, "--force")

    def feedback_html(self, student: str, lesson: str) -> str:
        return (self.root / "feedback" / student / lesson / f"{lesson}.html").read_text()

    def autograded_notebook(self, student: str, lesson: str) -> nbformat.NotebookNode:
        return nbformat.read(self.root / "autograded" / student / lesson / f"{lesson}.ipynb", as_version=4)

    def cell_scores(self, student: str, lesson: str) -> dict[str, float]:
        """grade_id -> autograded score of each test cell, from the gradebook."""
        with Gradebook(f"sqlite:///{self.root / 'gradebook.db'}") as gradebook:
            submission = gradebook.find_submission_notebook(lesson, lesson, student)
            return {grade.name: grade.score for grade in submission.grades if grade.auto_score is not None}

    def total_score(self, student: str, lesson: str) -> float:
        with Gradebook(f"sqlite:///{self.root / 'gradebook.db'}") as gradebook:
            return gradebook.find_submission(lesson, student).code_score


def convcourse_grade(root: Path, lesson: str, *args: str, timeout: int = 1800,
                     env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """`convcourse grade LESSON ARGS` from the course folder, as an instructor runs it; the caller checks it."""
    return subprocess.run([sys.executable, "-m", "convcourse.cli", "grade", lesson, *args], cwd=root,
                          env=env or nbgrader_environment(), capture_output=True, text=True, timeout=timeout)


def error_text(notebook: nbformat.NotebookNode, grade_id: str) -> str:
    """The error a test cell raised in an autograded notebook ('' if it passed)."""
    for cell in notebook.cells:
        if cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") == grade_id:
            return "\n".join(f"{o.get('ename', '')}: {o.get('evalue', '')}" for o in cell.get("outputs", [])
                             if o.get("output_type") == "error")
    raise KeyError(grade_id)


def assert_feedback_names_the_mistake_first(page: str, mistake: str) -> None:
    """A feedback page shows the misconception's sentence before the traceback, wrapped, without the grader's paths."""
    feedback = html.unescape(page)
    words = " ".join(feedback.split())  # the page shows the message wrapped at 100 characters
    assert " ".join(checks.MISTAKES[mistake].split()) in words
    assert words.index(checks.MISTAKES[mistake].split(":")[0]) < words.index("Where (most recent call last):")
    assert str(COURSE_ROOT) not in feedback and "convcourse/checks" not in feedback
    errors = re.findall(r'(?s)<div class="output_subarea[^"]*output_error">.*?</pre>', feedback)
    assert errors and all(len(re.sub(r"<[^>]+>", "", line)) <= 110 for error in errors for line in error.splitlines())
