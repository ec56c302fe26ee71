"""Grading a class: `convcourse grade` against stock serial `nbgrader autograde`, measured in one run.

1. Throughput: a synthetic class of 40 submissions of lessons 01 and 02 (solutions, untouched releases and
   classic mistakes from tests/corpus/), graded both ways with feedback; the scores must match.
2. Hangers: the same lesson-01 class with a tenth of its submissions sleeping forever in an answer cell;
   the run must finish within (hangers x cell timeout / cores) plus the time of the class without them.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from nbgrader.api import Gradebook

from convcourse import COURSE_ROOT, notebooks
from convcourse.release import nbgrader_environment

sys.path.insert(0, str(COURSE_ROOT / "tests"))
from corpus_cases import all_cases  # noqa: E402
from nbgrader_course import Course  # noqa: E402

LESSONS = ("01_one_pixel", "02_whole_image")
HANG = "import time\nwhile True:\n    time.sleep(1)"


def _solved(lesson: str):
    source = notebooks.read(lesson)
    answers = {notebooks.nbgrader_meta(c)["grade_id"]: c.source for c in source.cells
               if notebooks.nbgrader_meta(c).get("solution") and c.cell_type == "code"}
    return notebooks.with_answers(notebooks.read(lesson, release=True), answers)


def synthetic_class(lesson: str, size: int) -> dict:
    """`size` submissions cycling through: the solution, each corpus mistake of the lesson, the blank release."""
    mistakes = [notebooks.with_answers(_solved(lesson), case.answers) for case in all_cases()
                if case.lesson == lesson and not case.correct]
    kinds = [_solved(lesson), *mistakes, notebooks.read(lesson, release=True)]
    return {f"s{index:03d}": kinds[index % len(kinds)] for index in range(size)}


def _scores(root: Path, lesson: str) -> dict[str, dict[str, float]]:
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gradebook:
        return {s.student.id: {g.name: g.auto_score for g in s.notebooks[0].grades}
                for s in gradebook.assignment_submissions(lesson)}


def _run(args: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    subprocess.run(args, cwd=cwd, env=nbgrader_environment(), check=True, capture_output=True)
    return time.perf_counter() - start


def _convcourse_grade(root: Path, lesson: str, *extra: str) -> float:
    return _run([sys.executable, "-m", "convcourse.cli", "grade", lesson, *extra], root)


def _peak_memory(root: Path, lesson: str) -> list[float]:
    import json

    folder = root / "grading" / lesson / "students"
    return [json.loads(p.read_text())["peak_memory_mb"] for p in folder.glob("*.json")]


def class_throughput_benchmark(per_lesson: int = 20) -> None:
    cores = os.cpu_count() or 1
    print(f"\nGrading a class of {per_lesson * len(LESSONS)} submissions (lessons 01 and 02, with feedback; "
          f"{cores} cores)")
    stock_total = ours_total = 0.0
    peaks: list[float] = []
    with tempfile.TemporaryDirectory() as folder:
        for lesson in LESSONS:
            ours = Course(Path(folder) / lesson / "ours", (lesson,))
            for student, notebook in synthetic_class(lesson, per_lesson).items():
                ours.submit(student, lesson, notebook)
            stock_root = Path(folder) / lesson / "stock"
            shutil.copytree(ours.root, stock_root)
            stock_seconds = _run([sys.executable, "-m", "nbgrader", "autograde", lesson, "--create", "--force"],
                                 stock_root)
            stock_seconds += _run([sys.executable, "-m", "nbgrader", "generate_feedback", lesson, "--force"], stock_root)
            ours_seconds = _convcourse_grade(ours.root, lesson, "--jobs", str(cores))
            same = _scores(ours.root, lesson) == _scores(stock_root, lesson)
            peaks += _peak_memory(ours.root, lesson)
            print(f"  {lesson}: stock serial {stock_seconds:6.1f} s, convcourse grade {ours_seconds:6.1f} s, "
                  f"scores {'identical' if same else 'DIFFERENT'}")
            stock_total += stock_seconds
            ours_total += ours_seconds
    ratio = stock_total / ours_total
    print(f"  throughput ratio (stock time / convcourse grade time) = {ratio:.2f}x "
          f"(target >= 1.8x on 2 cores: {'met' if ratio >= 1.8 else 'MISSED'})")
    print(f"  peak memory per student's job: median {sorted(peaks)[len(peaks) // 2]:.0f} MB, max {max(peaks):.0f} MB")


def hanging_submissions_benchmark(size: int = 20, cell_timeout: int = 20) -> None:
    lesson, cores = LESSONS[0], os.cpu_count() or 1
    hangers = max(1, size // 10)
    print(f"\nA lesson-01 class of {size} where {hangers} submissions hang forever (cell timeout {cell_timeout} s, "
          f"{cores} cores)")
    with tempfile.TemporaryDirectory() as folder:
        seconds = {}
        for name, hanging in (("without hangers", 0), ("with hangers", hangers)):
            course = Course(Path(folder) / name.replace(" ", "_"), (lesson,))
            for index, (student, notebook) in enumerate(synthetic_class(lesson, size).items()):
                if index < hanging:
                    notebook = notebooks.with_answers(_solved(lesson), {"filter_pixel": HANG})
                course.submit(student, lesson, notebook)
            seconds[name] = _convcourse_grade(course.root, lesson, "--cell-timeout", str(cell_timeout))
        bound = seconds["without hangers"] + hangers * cell_timeout / cores
        print(f"  without hangers {seconds['without hangers']:6.1f} s, with hangers {seconds['with hangers']:6.1f} s; "
              f"bound (normal + hangers x limit / cores) {bound:6.1f} s: "
              f"{'met' if seconds['with hangers'] <= bound else 'MISSED'}")


if __name__ == "__main__":
    class_throughput_benchmark()
    hanging_submissions_benchmark()
