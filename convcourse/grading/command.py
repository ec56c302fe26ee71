"""``convcourse grade LESSON``: autograde a whole class in parallel, resumably, with a summary and a CSV.

Each student is one job (jobs.grade_student) run on a thread pool here (each job is its own nbgrader
process) or, with ``--dask ADDRESS``, on a Dask cluster through the same executor interface. Results
are written back one by one as they finish (records.Course.save), so an interrupted run loses only the
students still running, and the next run grades only those not yet graded.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from concurrent.futures import Executor, ThreadPoolExecutor, as_completed
from pathlib import Path

from .intake import import_submissions
from .jobs import STOP, GradingResult, Limits, grade_student
from .records import Course, CourseError

# The capstone's graded cell trains a network for a minute or two; everything else runs in seconds.
LONG_LESSONS = {"06_capstone": Limits(cell_timeout=600, time_limit=1800)}


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="convcourse grade", description=(
        "Autograde every submission of a lesson with nbgrader, in parallel, with limits per student. "
        "Run it again to grade only students not yet graded (or whose submission changed)."))
    p.add_argument("lesson", help="the assignment id, e.g. 01_one_pixel")
    p.add_argument("--course", type=Path, default=Path.cwd(), help="the course folder (default: here)")
    p.add_argument("--from", dest="export", type=Path,
                   help="a folder or zip of notebooks exported from a learning platform (one per student, "
                        "student id from the file name); imported into submitted/ first")
    p.add_argument("--students", help="only these students (comma separated)")
    p.add_argument("--force", action="store_true", help="grade again students already graded")
    p.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="students graded at once (default: cores)")
    p.add_argument("--dask", metavar="ADDRESS", help="run the jobs on this Dask scheduler, e.g. tcp://10.0.0.5:8786")
    p.add_argument("--cell-timeout", type=int, help="seconds one cell may run (default 120; 600 for the capstone)")
    p.add_argument("--time-limit", type=int, help="seconds per student (default 900; 1800 for the capstone)")
    p.add_argument("--memory-mb", type=int, help="memory per student's kernel in MB (default 4096)")
    p.add_argument("--no-feedback", action="store_true", help="skip nbgrader's feedback HTML")
    return p


def limits_for(lesson: str, args) -> Limits:
    base = LONG_LESSONS.get(lesson, Limits())
    chosen = {"cell_timeout": args.cell_timeout, "time_limit": args.time_limit, "memory_mb": args.memory_mb}
    return Limits(**{**base.__dict__, **{k: v for k, v in chosen.items() if v is not None}})


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return grade(args)
    except CourseError as error:
        print(f"convcourse grade: {error}", file=sys.stderr)
        return 2


def grade(args) -> int:
    course = Course(args.course)
    course.check_lesson(args.lesson)
    if args.export:
        imported = import_submissions(course.root, args.lesson, args.export)
        print(f"Imported {len(imported.students)} submissions from {args.export}.")
        for problem in imported.problems:
            print(f"  not imported: {problem}")
    students = course.students(args.lesson)
    if args.students:
        wanted = [s.strip() for s in args.students.split(",") if s.strip()]
        unknown = sorted(set(wanted) - set(students))
        if unknown:
            raise CourseError(f"no submission of {args.lesson} from: {', '.join(unknown)}")
        students = wanted
    to_grade = [s for s in students if args.force or not course.already_graded(args.lesson, s)]
    skipped = len(students) - len(to_grade)
    print(f"{args.lesson}: {len(students)} submission{'s' if len(students) != 1 else ''}, {len(to_grade)} to grade"
          + (f" ({skipped} graded before; --force grades them again)" if skipped else "") + ".")
    jobs = course.jobs(args.lesson, to_grade, limits_for(args.lesson, args),
                       feedback=not args.no_feedback)

    started = time.monotonic()
    results: list[GradingResult] = []
    progress = Progress(len(jobs))
    executor, closer = _executor(args)
    futures = {executor.submit(grade_student, job): job for job in jobs}
    grader_errors = []
    try:
        for future in as_completed(futures):
            job = futures[future]
            try:
                result = future.result()
            except Exception as error:  # our fault, not the student's: report it, keep grading the others
                grader_errors.append(f"{job.student}: {type(error).__name__}: {error}")
                continue
            course.save(result)
            results.append(result)
            progress.update(result)
    except KeyboardInterrupt:
        STOP.set()
        for future in futures:
            future.cancel()
        print(f"\nInterrupted: {len(results)} of {len(jobs)} graded and saved; run the same command to go on.",
              file=sys.stderr)
        return 130
    finally:
        closer()
    progress.finish()
    csv_path = course.export_csv(args.lesson)
    print(summary(course.results(args.lesson), len(results), time.monotonic() - started))
    print(f"Per-test grades of every graded student: {csv_path}")
    if grader_errors:
        print("The grader itself failed for these students (not graded, nothing recorded; run again):", file=sys.stderr)
        for line in grader_errors:
            print(f"  {line}", file=sys.stderr)
        return 1
    return 0


def _executor(args) -> tuple[Executor, callable]:
    if args.dask:
        from distributed import Client

        client = Client(args.dask)
        return client.get_executor(pure=False), client.close
    pool = ThreadPoolExecutor(max_workers=max(1, args.jobs))  # each job waits on its own nbgrader process
    return pool, lambda: pool.shutdown(wait=True, cancel_futures=True)


class Progress:
    """One line, redrawn: a bar, counts and the time left at the pace so far."""

    def __init__(self, total: int, stream=sys.stderr):
        self.total, self.done, self.problems = total, 0, 0
        self.started = time.monotonic()
        self.stream = stream
        self.interactive = stream.isatty()

    def update(self, result: GradingResult) -> None:
        self.done += 1
        self.problems += result.outcome != "graded"
        elapsed = time.monotonic() - self.started
        eta = elapsed / self.done * (self.total - self.done)
        filled = int(30 * self.done / max(1, self.total))
        line = (f"[{'#' * filled}{'.' * (30 - filled)}] {self.done}/{self.total} "
                f"({self.problems} with problems)  elapsed {_duration(elapsed)}  ETA {_duration(eta)}")
        if self.interactive:
            self.stream.write("\r" + line)
        else:
            self.stream.write(f"{line}  {result.student}: {result.outcome}\n")
        self.stream.flush()

    def finish(self) -> None:
        if self.interactive and self.total:
            self.stream.write("\n")


def summary(results: list[GradingResult], graded_now: int, seconds: float) -> str:
    """Every student graded so far (this run and earlier ones), one line each."""
    failed = sum(r.outcome != "graded" for r in results)
    lines = [f"This run graded {graded_now} students in {_duration(seconds)}. "
             f"In all: {len(results) - failed} graded, {failed} could not be run (scored 0, reason below)."]
    if results:
        lines.append(f"{'student':<24} {'score':>11}  {'outcome':<15} notes")
        for r in sorted(results, key=lambda r: r.student):
            outcome = r.outcome.split(":")[0]
            detail = "; ".join(([r.outcome] if r.outcome != "graded" else []) + r.notes)
            lines.append(f"{r.student:<24} {r.score:>5g}/{r.max_score:<5g}  {outcome:<15} {detail}")
        peaks = [r.peak_memory_mb for r in results if r.peak_memory_mb]
        if peaks:
            lines.append(f"Peak memory per student: median {statistics.median(peaks):.0f} MB, max {max(peaks):.0f} MB.")
    return "\n".join(lines)


def _duration(seconds: float) -> str:
    minutes, seconds = divmod(int(seconds), 60)
    return f"{minutes}m{seconds:02d}s" if minutes else f"{seconds}s"
