"""The course side of grading: which students to grade, jobs for them, and results written back.

Results land in the course as stock nbgrader would leave them (gradebook rows, ``autograded/``,
``feedback/``) plus ``grading/<lesson>/``: one JSON record per graded student (what makes a rerun skip
them) and ``test-results.csv`` with one row per student and test (nbgrader's own ``grades.csv``, from
``nbgrader export``, has one row per student).

The instructor's marks (formgrader) live in the gradebook only. They survive every regrade, reach the
students' feedback pages (``refresh_feedback``) and are part of every result read back (``results``).
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import html
import json
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from datetime import datetime
from pathlib import Path

import nbformat
from nbgrader.api import Gradebook, MissingEntry
from nbgrader.utils import is_solution, parse_utc
from sqlalchemy.exc import SAWarning

from convcourse import COURSE_ROOT
from convcourse.notebooks import grade_id
from convcourse.release import nbgrader_environment

from .protocol import SECRET_FILE, CellResult, GradingJob, GradingResult, Limits, submission_digest

MAX_SUBMISSION_BYTES = 50 << 20
CSV_COLUMNS = ["student", "lesson", "test", "points", "max_points", "passed", "marked_by", "mistake", "message",
               "outcome", "notes"]
# A record's key (beside the job's result) for the instructor's marks its feedback page shows.
FEEDBACK_MARKS = "feedback_marks"
FEEDBACK_TIMEOUT = 900  # seconds for nbgrader generate_feedback over a whole class


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
        unchanged = self._unchanged_cells(result)
        for kind in ("autograded", "feedback"):
            shutil.rmtree(self.root / kind / result.student / result.lesson, ignore_errors=True)
        files = result.files or _not_graded_feedback(result)
        for relative, content in files.items():
            target = (self.root / relative).resolve()
            if self.root not in target.parents:
                continue  # a path that would leave the course folder
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)
        self._merge_into_gradebook(result, unchanged)
        record = dataclasses.asdict(result)
        record.pop("files")
        record[FEEDBACK_MARKS] = _marks_key({})  # the job's feedback page shows no instructor's marks
        self._write_record(result.lesson, result.student, record)

    def _write_record(self, lesson: str, student: str, record: dict) -> None:
        path = self.record_path(lesson, student)
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(".tmp")
        temporary.write_text(json.dumps(record, indent=1))
        temporary.replace(path)

    def _unchanged_cells(self, result: GradingResult) -> set[str]:
        """Graded cells whose instructor's marks still hold: every cell when the submission is the one graded
        last time, otherwise the answer cells whose text is what it was."""
        record = self._record(result.lesson, result.student)
        if record and record.get("submission_sha256") == result.submission_sha256:
            return {cell.name for cell in result.cells}
        notebook = f"autograded/{result.student}/{result.lesson}/{result.lesson}.ipynb"
        before = _answer_texts((self.root / notebook).read_bytes() if (self.root / notebook).exists() else b"")
        after = _answer_texts(result.files.get(notebook, b""))
        return {name for name, text in after.items() if before.get(name) == text}

    def _merge_into_gradebook(self, result: GradingResult, unchanged: set[str]) -> None:
        """Auto scores and comments as nbgrader autograde writes them. The instructor's marks are kept, and an
        answer already marked waits for review again only if its text changed (stock nbgrader flags them all)."""
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
                    if grade.manual_score is not None:
                        grade.needs_manual_grade = grade.name not in unchanged
                    else:
                        grade.needs_manual_grade = cell.points is None
                for comment in notebook.comments:
                    comment.auto_comment = result.comments.get(comment.name)
            gradebook.db.commit()

    def _record(self, lesson: str, student: str) -> dict | None:
        try:
            return json.loads(self.record_path(lesson, student).read_text())
        except (OSError, ValueError):
            return None

    def results(self, lesson: str, marks: dict | None = None) -> list[GradingResult]:
        """Every graded student's result with the gradebook's current points: the instructor's marks
        included, and ``points`` None where an answer still waits for one (what ``nbgrader export`` reads).
        ``marks``: ``self.marks(lesson)`` when the caller has read them already."""
        folder = self.records_folder(lesson) / "students"
        marks = self.marks(lesson) if marks is None else marks
        results = []
        for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
            record = json.loads(path.read_text())
            record.pop(FEEDBACK_MARKS, None)
            record["cells"] = [CellResult(**cell) for cell in record["cells"]]
            result = GradingResult(files={}, **record)
            for cell in result.cells:
                mark = marks.get(result.student, {}).get(cell.name)
                if mark is not None:
                    cell.points = None if mark["pending"] else mark["score"]
                    cell.marked = mark["manual"] is not None
            results.append(result)
        return results

    def marks(self, lesson: str) -> dict[str, dict[str, dict]]:
        """student -> graded cell -> its score, whether it waits for the instructor, and the instructor's
        own score, comment and extra credit (None where not given), from the gradebook."""
        found: dict[str, dict[str, dict]] = {}
        if not (self.root / "gradebook.db").exists():  # opening one would create it
            return found
        with Gradebook(self.gradebook_url) as gradebook:
            try:
                submissions = gradebook.assignment_submissions(lesson)
            except MissingEntry:
                return found
            for submission in submissions:
                cells = found.setdefault(submission.student_id, {})
                for notebook in submission.notebooks:
                    comments = {comment.name: comment.manual_comment for comment in notebook.comments}
                    for grade in notebook.grades:
                        cells[grade.name] = {"score": grade.score, "pending": grade.needs_manual_grade,
                                             "manual": grade.manual_score, "extra": grade.extra_credit,
                                             "comment": comments.get(grade.name)}
                    for name, comment in comments.items():  # comments on ungraded answers
                        cells.setdefault(name, {"score": None, "pending": False, "manual": None, "extra": None,
                                                "comment": comment})
        return found

    # --- the instructor's marks in the feedback pages ------------------------------------------------

    def stale_feedback(self, lesson: str, marks: dict, everyone: bool = False) -> list[str]:
        """Students whose feedback page does not show the instructor's current marks and comments (``marks``,
        from ``self.marks``; with ``everyone``: every student with a feedback page nbgrader can regenerate)."""
        stale = []
        for student in sorted(marks):
            record = self._record(lesson, student)
            page = self.root / "feedback" / student / lesson / f"{lesson}.html"
            autograded = self.root / "autograded" / student / lesson / f"{lesson}.ipynb"
            if record and page.exists() and autograded.exists() and \
                    (everyone or record.get(FEEDBACK_MARKS) != _marks_key(marks[student])):
                stale.append(student)
        return stale

    def refresh_feedback(self, lesson: str, students: list[str], marks: dict) -> list[str]:
        """Regenerate these students' feedback pages from the gradebook (whose marks are ``marks``) with stock
        ``nbgrader generate_feedback --force``, one process for all of them; return what went wrong, in words."""
        if not students:
            return []
        others = sorted(set(self.students(lesson)) - set(students))
        started = time.time()
        try:
            finished = subprocess.run(
                [sys.executable, "-m", "nbgrader", "generate_feedback", lesson, "--force",
                 "--CourseDirectory.student_id=*", f"--CourseDirectory.student_id_exclude={','.join(others)}"],
                cwd=self.root, env=nbgrader_environment(), capture_output=True, text=True, timeout=FEEDBACK_TIMEOUT)
            log = finished.stdout + finished.stderr
        except subprocess.TimeoutExpired:
            log = f"nbgrader generate_feedback ran past {FEEDBACK_TIMEOUT} s"
        problems = []
        for student in students:
            page = self.root / "feedback" / student / lesson / f"{lesson}.html"
            record = self._record(lesson, student)
            if page.exists() and page.stat().st_mtime >= started - 1 and record is not None:
                record[FEEDBACK_MARKS] = _marks_key(marks.get(student, {}))
                self._write_record(lesson, student, record)
            else:
                problems.append(f"{student}: feedback not regenerated ({_last_error(log)})")
        return problems

    def export_csv(self, lesson: str, results: list[GradingResult]) -> Path:
        """One row per student and graded cell of ``results`` (``self.results(lesson)``; written answers too,
        with empty points until marked)."""
        path = self.records_folder(lesson) / "test-results.csv"
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "w", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=CSV_COLUMNS)
            writer.writeheader()
            for result in results:
                for cell in result.cells:
                    writer.writerow({
                        "student": result.student, "lesson": lesson, "test": cell.name,
                        "points": "" if cell.points is None else f"{cell.points:g}",
                        "max_points": f"{cell.max_points:g}",
                        "passed": "" if cell.points is None else str(cell.points >= cell.max_points).lower(),
                        "marked_by": "instructor" if cell.marked else ("" if cell.points is None else "autograder"),
                        "mistake": cell.mistake, "message": cell.message, "outcome": result.outcome,
                        "notes": "; ".join(result.notes),
                    })
        return path


def _marks_key(cells: dict[str, dict]) -> str:
    """A digest of the instructor's marks, comments and extra credit on one submission."""
    given = {name: [mark["manual"], mark["extra"], mark["comment"]] for name, mark in cells.items()
             if any(value is not None for value in (mark["manual"], mark["extra"], mark["comment"]))}
    return hashlib.sha256(json.dumps(given, sort_keys=True).encode()).hexdigest()


def _answer_texts(notebook: bytes) -> dict[str, str]:
    """grade id -> source of each answer cell of an autograded notebook (empty when there is none)."""
    try:
        cells = nbformat.reads(notebook.decode("utf-8"), as_version=4).cells
    except Exception:  # no notebook, or not one: nothing to compare
        return {}
    return {grade_id(cell): cell.source for cell in cells if is_solution(cell) and grade_id(cell)}


def _not_graded_feedback(result: GradingResult) -> dict[str, bytes]:
    """A feedback page for a submission that could not be graded, saying why (nbgrader makes none)."""
    reason = html.escape(result.outcome)
    notes = "".join(f"<li>{html.escape(note)}</li>" for note in result.notes)
    page = (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(result.lesson)}: not graded"
            f"</title></head><body><h1>{html.escape(result.lesson)}</h1>"
            f"<p>Your submission could not be graded: <strong>{reason}</strong>.</p>"
            f"<p>Score: 0 / {result.max_score:g}. Submit the lesson's notebook, <code>{html.escape(result.lesson)}.ipynb"
            f"</code>, saved from JupyterLab, and ask your instructor to grade it again.</p>"
            + (f"<ul>{notes}</ul>" if notes else "") + "</body></html>")
    return {f"feedback/{result.student}/{result.lesson}/{result.lesson}.html": page.encode()}


def _last_error(log: str) -> str:
    lines = [line.strip() for line in log.splitlines() if "error" in line.lower() or "ran past" in line]
    return lines[-1][:300] if lines else "no page was written"


def _parse_time(text: str | None) -> datetime | None:
    """nbgrader's timestamp.txt, or None when there is none or it does not parse."""
    if not text:
        return None
    try:
        return parse_utc(text)
    except (ValueError, OverflowError, TypeError):
        return None
