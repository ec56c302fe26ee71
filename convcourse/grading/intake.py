"""Submissions exported from a learning platform: one notebook per student in a folder or a zip.

The student id is the file name without ``.ipynb`` and without a trailing lesson name
(``alice.ipynb``, ``alice_01_one_pixel.ipynb`` and ``alice-01_one_pixel.ipynb`` are all ``alice``).
Each is copied to ``submitted/<student>/<lesson>/<lesson>.ipynb`` with a ``timestamp.txt`` from the
file's time, where ``nbgrader autograde`` and ``convcourse grade`` look. The export is only read.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from .records import MAX_SUBMISSION_BYTES

STUDENT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,127}$")


@dataclass
class ExportedFile:
    name: str
    content: bytes | None       # None: too large to import
    modified: datetime


@dataclass
class Imported:
    students: list[str]
    problems: list[str]         # files that could not be imported, and why


def import_submissions(course_root: Path, lesson: str, export: Path) -> Imported:
    exported = _read_zip(export) if zipfile.is_zipfile(export) else _read_folder(export)
    students, problems, chosen = [], [], {}
    for item in sorted(exported, key=lambda f: f.modified):
        student = student_id(item.name, lesson)
        if student is None:
            problems.append(f"{item.name}: cannot tell the student id from this file name (expected "
                            f"<student>.ipynb or <student>_{lesson}.ipynb, the id made of letters, digits and . _ @ -, "
                            f"starting with a letter or digit, at most 128 characters)")
        elif item.content is None:
            problems.append(f"{item.name}: larger than {MAX_SUBMISSION_BYTES >> 20} MB, not imported")
        else:
            if student in chosen:
                problems.append(f"{item.name}: {student} has several files; the latest ({item.name}) is graded")
            chosen[student] = item
    for student, item in chosen.items():
        _write_submission(course_root / "submitted" / student / lesson, lesson, item)
        students.append(student)
    return Imported(sorted(students), problems)


def student_id(file_name: str, lesson: str) -> str | None:
    stem = Path(file_name).name.removesuffix(".ipynb")
    for separator in ("_", "-", "."):
        stem = stem.removesuffix(separator + lesson)
    return stem if STUDENT_ID.match(stem) else None


def _read_folder(folder: Path) -> list[ExportedFile]:
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder} is neither a folder nor a zip file")
    files = []
    for path in sorted(folder.rglob("*.ipynb")):
        if path.is_file() and ".ipynb_checkpoints" not in path.parts:
            size = path.stat().st_size
            files.append(ExportedFile(path.name, path.read_bytes() if size <= MAX_SUBMISSION_BYTES else None,
                                      datetime.fromtimestamp(path.stat().st_mtime, timezone.utc)))
    return files


def _read_zip(path: Path) -> list[ExportedFile]:
    files = []
    with zipfile.ZipFile(path) as archive:
        for info in archive.infolist():
            name = Path(info.filename).name  # never a path from the archive: no writing outside the course
            if info.is_dir() or not name.endswith(".ipynb") or "__MACOSX" in info.filename:
                continue
            content = archive.read(info) if info.file_size <= MAX_SUBMISSION_BYTES else None
            files.append(ExportedFile(name, content, datetime(*info.date_time, tzinfo=timezone.utc)))
    return files


def _write_submission(folder: Path, lesson: str, item: ExportedFile) -> None:
    notebook = folder / f"{lesson}.ipynb"
    if notebook.exists() and notebook.read_bytes() == item.content:
        return  # imported before: keep its timestamp, so a rerun changes nothing
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.ipynb"):
        old.unlink()
    notebook.write_bytes(item.content)
    (folder / "timestamp.txt").write_text(item.modified.strftime("%Y-%m-%d %H:%M:%S.%f %Z"))
