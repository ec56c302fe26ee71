"""Grading a class: `convcourse grade` against stock serial `nbgrader autograde`, measured in one run.

1. Throughput per lesson, 01-05: a small synthetic class of each (solutions, untouched releases and classic
   mistakes from tests/corpus/), graded both ways with feedback; the scores must be identical. The ratio is
   stock serial time over `convcourse grade` time (its canary included, as an instructor runs it), measured
   in the same run.
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

LESSONS = ("01_one_pixel", "02_whole_image", "03_pooling", "04_filters_to_layers", "05_cnn_in_keras")
THROUGHPUT_TARGET = 3.0  # issue 17: at least 3x stock serial on 2 cores, across lessons 01-05
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


def _records(root: Path, lesson: str) -> list[dict]:
    """convcourse grade's record of each student (grading/<lesson>/students/*.json)."""
    import json

    return [json.loads(path.read_text()) for path in (root / "grading" / lesson / "students").glob("*.json")]


def class_throughput_benchmark(per_lesson: int = 6) -> None:
    cores = os.cpu_count() or 1
    print(f"\nGrading {per_lesson} submissions per lesson, with feedback, on {cores} cores: stock = `nbgrader autograde` "
          f"then `generate_feedback`, one student after another, with the course's configuration; scores identical.\n"
          f"  Few submissions, to keep make bench short, so convcourse grade's fixed costs (the job server's start, "
          f"the canary's two jobs, the command's own start) weigh more than in a class: 'run' is the whole command, "
          f"'each' the seconds per submission once running (its jobs' seconds / {cores} cores), which a large "
          f"class approaches.")
    runs = {}
    peaks: list[float] = []
    with tempfile.TemporaryDirectory() as folder:
        for lesson in LESSONS:
            stock, ours, each, peak = _grade_both_ways(Path(folder) / lesson, lesson, per_lesson, cores)
            runs[lesson] = (stock, ours, each)
            peaks += peak
            print(f"  {lesson:<22} stock {stock:6.1f} s ({stock / per_lesson:4.1f} s each); convcourse grade run "
                  f"{ours:6.1f} s: {stock / ours:4.2f}x; each {each:4.1f} s: {stock / per_lesson / each:4.2f}x")
    stock_total = sum(stock for stock, _, _ in runs.values())
    run_ratio = stock_total / sum(ours for _, ours, _ in runs.values())
    each_ratio = stock_total / sum(each * per_lesson for _, _, each in runs.values())
    verdict = lambda ratio: "met" if ratio >= THROUGHPUT_TARGET else "MISSED"  # noqa: E731
    print(f"  lessons 01-05 (target >= {THROUGHPUT_TARGET:g}x stock serial on 2 cores): whole runs {run_ratio:.2f}x "
          f"({verdict(run_ratio)}), per submission {each_ratio:.2f}x ({verdict(each_ratio)})")
    print(f"  peak memory per student's job: median {sorted(peaks)[len(peaks) // 2]:.0f} MB, max {max(peaks):.0f} MB")


def _grade_both_ways(folder: Path, lesson: str, size: int, cores: int) -> tuple[float, float, float, list[float]]:
    """Seconds of stock serial nbgrader and of `convcourse grade` on the same class, convcourse grade's seconds per
    submission once running, and its jobs' peak memory; fails on any difference in the scores."""
    ours = Course(folder / "ours", (lesson,))
    for student, notebook in synthetic_class(lesson, size).items():
        ours.submit(student, lesson, notebook)
    stock_root = folder / "stock"
    shutil.copytree(ours.root, stock_root)
    stock_seconds = _run([sys.executable, "-m", "nbgrader", "autograde", lesson, "--create", "--force"], stock_root)
    stock_seconds += _run([sys.executable, "-m", "nbgrader", "generate_feedback", lesson, "--force"], stock_root)
    ours_seconds = _convcourse_grade(ours.root, lesson, "--jobs", str(cores))
    stock_scores, our_scores = _scores(stock_root, lesson), _scores(ours.root, lesson)
    assert our_scores == stock_scores, f"{lesson}: convcourse grade and stock nbgrader disagree:\n{our_scores}\n{stock_scores}"
    records = _records(ours.root, lesson)
    each = sum(record["seconds"] for record in records) / len(records) / min(cores, len(records))
    return stock_seconds, ours_seconds, each, [record["peak_memory_mb"] for record in records]


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
