"""The course side of grading: which students to grade, jobs for them, and results written back.

Results land in the course as stock nbgrader would leave them (gradebook rows, ``autograded/``,
``feedback/``) plus ``grading/<lesson>/``: one JSON record per graded student (what makes a rerun skip
them) and ``grades.csv`` with one row per student and test.
"""

from __future__ import annotations

import csv
import dataclasses
import json
import secrets
import shutil
import tempfile
import warnings
from datetime import datetime
from pathlib import Path

from nbgrader.api import Gradebook, MissingEntry
from sqlalchemy.exc import SAWarning
from nbgrader.utils import parse_utc

from convcourse import COURSE_ROOT

from .jobs import CellResult, GradingJob, GradingResult, Limits, submission_digest
from .recheck import SECRET_FILE

MAX_SUBMISSION_BYTES = 50 << 20
CSV_COLUMNS = ["student", "lesson", "test", "points", "max_points", "passed", "mistake", "message", "outcome", "notes"]


class CourseError(Exception):
    """Something about the course (not a student) stops grading; the message says what to do."""


class Course:
    def __init__(self, root: Path):
        self.root = Path(root).resolve()
        if not (self.root / "nbgrader_config.py").exists():
            raise CourseError(f"{self.root} has no nbgrader_config.py: run the command from the course folder "
                              f"(the one with solutions/ and gradebook.db) or pass --course.")
        self.gradebook_url = f"sqlite:///{self.root / 'gradebook.db'}"

    def records_folder(self, lesson: str) -> Path:
        return self.root / "grading" / lesson

    def check_lesson(self, lesson: str) -> None:
        try:
            with Gradebook(self.gradebook_url) as gradebook:
                gradebook.find_assignment(lesson)
        except MissingEntry:
            raise CourseError(f"the gradebook has no lesson {lesson!r}: run `nbgrader generate_assignment {lesson}` "
                              f"first (as when releasing it)") from None

    def students(self, lesson: str) -> list[str]:
        """Everyone with a folder in submitted/ for this lesson (as `nbgrader collect` leaves them)."""
        submitted = self.root / "submitted"
        if not submitted.is_dir():
            return []
        return sorted(p.name for p in submitted.iterdir() if (p / lesson).is_dir())

    def submission_files(self, student: str, lesson: str) -> dict[str, bytes]:
        folder = self.root / "submitted" / student / lesson
        files, total = {}, 0
        for path in sorted(folder.iterdir()):
            if path.is_file() and not path.is_symlink():
                total += path.stat().st_size
                if total > MAX_SUBMISSION_BYTES:
                    break
                files[path.name] = path.read_bytes()
        return files

    def course_files(self, lesson: str) -> dict[str, bytes]:
        files = {"nbgrader_config.py": (self.root / "nbgrader_config.py").read_bytes()}
        for folder in [self.root / "grader", self.root / "solutions" / lesson]:
            for path in folder.rglob("*"):
                if path.is_file() and path.suffix not in {".ipynb", ".pyc", ".md"} and "__pycache__" not in path.parts:
                    files[str(path.relative_to(self.root))] = path.read_bytes()
        return files

    def gradebook_template(self, lesson: str) -> bytes:
        """The gradebook with this lesson's cells and no students: all a job needs, none of anyone's work."""
        with tempfile.TemporaryDirectory() as scratch:
            copy = Path(scratch) / "gradebook.db"
            shutil.copyfile(self.root / "gradebook.db", copy)
            with Gradebook(f"sqlite:///{copy}") as gradebook:
                for student in list(gradebook.students):
                    gradebook.remove_student(student.id)
                for assignment in list(gradebook.assignments):
                    if assignment.name != lesson:
                        gradebook.remove_assignment(assignment.name)
            return copy.read_bytes()

    def jobs(self, lesson: str, students: list[str], limits: Limits, feedback: bool = True) -> list[GradingJob]:
        common = dict(lesson=lesson, course_files=self.course_files(lesson), gradebook=self.gradebook_template(lesson),
                      limits=limits, feedback=feedback, hide=self.secrets(), recheck_secret=self.recheck_secret())
        return [GradingJob(student=student, submission=self.submission_files(student, lesson), **common)
                for student in students]

    def recheck_secret(self) -> str:
        """The course's secret for shifting hidden tests' seeds in the re-check (made once, instructor-only)."""
        path = self.root / SECRET_FILE
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_hex(16))
            path.chmod(0o600)
        return path.read_text().strip()

    def secrets(self) -> list[str]:
        """What a student's kernel must not see on this machine: solutions, grades, other students' work.

        The sandbox already shows a kernel only the operating system's folders and what it needs; this
        list is for a course kept inside one of those folders (``/opt/course``), which would stay visible.
        """
        roots = {self.root, COURSE_ROOT}
        parts = ("solutions", "source", "gradebook.db", "submitted", "autograded", "feedback", "grading", ".git",
                 "tests", "benchmarks", "exchange")
        return sorted(str(root / part) for root in roots for part in parts if (root / part).exists())

    # --- resuming -------------------------------------------------------------------------------------

    def record_path(self, lesson: str, student: str) -> Path:
        return self.records_folder(lesson) / "students" / f"{student}.json"

    def already_graded(self, lesson: str, student: str) -> bool:
        """Graded before, from the same files (a new submission is graded again)."""
        path = self.record_path(lesson, student)
        if not path.exists():
            return False
        try:
            recorded = json.loads(path.read_text())["submission_sha256"]
        except (ValueError, KeyError):
            return False
        return recorded == submission_digest(self.submission_files(student, lesson))

    # --- writing results back ----------------------------------------------------------------------

    def save(self, result: GradingResult) -> None:
        """Files, then gradebook, then the record: a run killed in between grades this student again."""
        for kind in ("autograded", "feedback"):
            shutil.rmtree(self.root / kind / result.student / result.lesson, ignore_errors=True)
        for relative, content in result.files.items():
            target = (self.root / relative).resolve()
            if self.root not in target.parents:
                continue  # a path that would leave the course folder
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)
        self._merge_into_gradebook(result)
        path = self.record_path(result.lesson, result.student)
        path.parent.mkdir(parents=True, exist_ok=True)
        record = dataclasses.asdict(result)
        record.pop("files")
        temporary = path.with_suffix(".tmp")
        temporary.write_text(json.dumps(record, indent=1))
        temporary.replace(path)

    def _merge_into_gradebook(self, result: GradingResult) -> None:
        """Auto scores and comments as nbgrader autograde writes them; manual grades are kept."""
        with warnings.catch_warnings(), Gradebook(self.gradebook_url) as gradebook:
            # nbgrader's own autoflush notices under SQLAlchemy 2, harmless (autograde prints them too)
            warnings.simplefilter("ignore", SAWarning)
            gradebook.update_or_create_student(result.student)
            timestamp = _parse_time(result.timestamp)
            submission = gradebook.update_or_create_submission(result.lesson, result.student,
                                                               **({"timestamp": timestamp} if timestamp else {}))
            scores = {cell.name: cell for cell in result.cells}
            for notebook in submission.notebooks:
                for grade in notebook.grades:
                    cell = scores.get(grade.name)
                    if cell is None:
                        continue
                    grade.auto_score = cell.points
                    grade.needs_manual_grade = cell.points is None
                for comment in notebook.comments:
                    comment.auto_comment = result.comments.get(comment.name)
            gradebook.db.commit()

    def results(self, lesson: str) -> list[GradingResult]:
        folder = self.records_folder(lesson) / "students"
        results = []
        for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
            record = json.loads(path.read_text())
            record["cells"] = [CellResult(**cell) for cell in record["cells"]]
            results.append(GradingResult(files={}, **record))
        return results

    def export_csv(self, lesson: str) -> Path:
        """One row per student and graded cell (written answers too, with empty points until marked)."""
        path = self.records_folder(lesson) / "grades.csv"
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "w", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=CSV_COLUMNS)
            writer.writeheader()
            for result in self.results(lesson):
                for cell in result.cells:
                    writer.writerow({
                        "student": result.student, "lesson": lesson, "test": cell.name,
                        "points": "" if cell.points is None else f"{cell.points:g}",
                        "max_points": f"{cell.max_points:g}",
                        "passed": "" if cell.points is None else str(cell.points >= cell.max_points).lower(),
                        "mistake": cell.mistake, "message": cell.message, "outcome": result.outcome,
                        "notes": "; ".join(result.notes),
                    })
        return path


def _parse_time(text: str | None) -> datetime | None:
    """nbgrader's timestamp.txt, or None when there is none or it does not parse."""
    if not text:
        return None
    try:
        return parse_utc(text)
    except (ValueError, OverflowError, TypeError):
        return None
