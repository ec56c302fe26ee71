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

from convcourse.data import fetch_missing

from . import canary
from .intake import import_submissions
from .jobs import STOP, grade_student, remove_abandoned_workspaces, start_job_server
from .protocol import LONG_LESSONS, GradingResult, Limits
from .records import Course, CourseError
from .sandbox import unavailable_because


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
    p.add_argument("--no-canary", action="store_true",
                   help="skip grading the reference solution and the untouched release first (not recommended)")
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
    jobs = course.jobs(args.lesson, to_grade, limits_for(args.lesson, args), feedback=not args.no_feedback)
    unconfined = None
    if not args.dask:  # this machine's own jobs (Dask workers are other machines)
        for folder in remove_abandoned_workspaces():
            print(f"Removed {folder}, left by a grading run that was killed.")
        if jobs:  # the kernels have no network: the data sets they read come from these caches
            for problem in fetch_missing():
                print(f"convcourse grade: a data set could not be cached for the kernels: {problem}", file=sys.stderr)
            unconfined = unavailable_because()
    if unconfined:
        print(f"Warning: {unconfined}, so students' kernels run unconfined: they can read this machine's files "
              f"(the solutions included) and write wherever you can. The re-check outside the kernel still "
              f"decides every point. Grade on a Linux machine that allows user namespaces, or as root "
              f"(grader/README.md, \"Why nothing inside the kernel can earn points\").", file=sys.stderr)
    watch = Canary(course, jobs, enabled=not args.no_canary)

    started = time.monotonic()
    results: list[GradingResult] = []
    progress = Progress(len(jobs))
    if not args.dask:
        start_job_server(args.lesson)
    executor, closer = _executor(args)
    futures = {executor.submit(grade_student, job): job for job in watch.jobs + jobs}
    grader_errors = []
    try:
        for future in as_completed(futures):
            job = futures[future]
            try:
                result = future.result()
            except Exception as error:  # our fault, not the student's: report it, keep grading the others
                grader_errors.append(f"{job.student}: {type(error).__name__}: {error}")
                if watch.owns(job):
                    return _stopped(futures, f"The grader failed on the canary: {error}")
                continue
            if watch.owns(job):
                problem = watch.record(result)
                if problem:
                    return _stopped(futures, problem)
            else:
                results.append(result)
                progress.update(result)
            for ready in watch.release(results):
                course.save(ready)
    except KeyboardInterrupt:
        _stop(futures)
        saved = watch.saved(results)
        left = [job.student for job in jobs if job.student not in {r.student for r in saved}]
        print(f"\nInterrupted: {len(saved)} of {len(jobs)} graded and saved.", file=sys.stderr)
        if left:
            print(f"To grade the {len(left)} left, {_resume_hint(left, args.force)}", file=sys.stderr)
        return 130
    finally:
        closer()
    progress.finish()
    marks = course.marks(args.lesson)  # one read of the gradebook for the feedback, the CSV and the summary
    problems = ([] if args.no_feedback else
                course.refresh_feedback(args.lesson, course.stale_feedback(args.lesson, marks), marks))
    graded = course.results(args.lesson, marks)
    csv_path = course.export_csv(args.lesson, graded)
    print(summary(graded, len(results), time.monotonic() - started))
    print(f"Per-test results of every graded student: {csv_path}")
    for line in problems:
        print(f"  {line}", file=sys.stderr)
    if grader_errors:
        print("The grader itself failed for these students (not graded, nothing recorded; run again):", file=sys.stderr)
        for line in grader_errors:
            print(f"  {line}", file=sys.stderr)
        return 1
    return 0


class Canary:
    """The run's canary (canary.py): its two jobs go first; students' results wait until it is fine."""

    def __init__(self, course: Course, jobs: list, enabled: bool):
        self.jobs = canary.jobs(jobs[0], course.root) if enabled and jobs else []
        self.results: dict[str, GradingResult] = {}
        self.merged = 0
        if self.jobs:
            print("Canary: grading the reference solution and the untouched release first.")
        elif jobs:
            print("Without the canary (--no-canary): nothing checks that the reference solution still earns "
                  "every point in these conditions.")

    def owns(self, job) -> bool:
        return any(job is mine for mine in self.jobs)

    def record(self, result: GradingResult) -> str | None:
        """What is wrong, once both canary results are in; None while waiting or when all is well."""
        self.results[result.student] = result
        if len(self.results) < len(self.jobs):
            return None
        problem = canary.verdict(self.results)
        if problem is None:
            print("Canary: the reference solution earns every automatic point and the release none.")
        return problem

    @property
    def passed(self) -> bool:
        return len(self.results) == len(self.jobs)

    def release(self, results: list[GradingResult]) -> list[GradingResult]:
        """The students' results that may be merged now (none before the canary passed), each once."""
        if not self.passed:
            return []
        ready = results[self.merged:]
        self.merged = len(results)
        return ready

    def saved(self, results: list[GradingResult]) -> list[GradingResult]:
        return results[:self.merged]


def _stopped(futures: dict, problem: str) -> int:
    _stop(futures)
    print(f"\nGrading stopped, nothing merged: the canary failed.\n{problem}\n"
          f"(The canary grades the reference solution and the untouched release first, in the same conditions "
          f"as the students; see grader/README.md, \"The canary\".)", file=sys.stderr)
    return 3


def _stop(futures: dict) -> None:
    STOP.set()
    for future in futures:
        future.cancel()


def _resume_hint(left: list[str], forced: bool) -> str:
    """How to go on where an interrupted run stopped (with --force, the same command would start over)."""
    if not forced:
        return "run the same command (students graded before are skipped)."
    return f"run the same command with --students {','.join(left)} (as it is, --force grades everyone again)."


def feedback_main(argv: list[str] | None = None) -> int:
    """``convcourse feedback LESSON``: the marks and comments given in formgrader, into the feedback pages."""
    p = argparse.ArgumentParser(prog="convcourse feedback", description=(
        "Regenerate the feedback page of every student whose marks or comments you changed in formgrader "
        "since their page was made (stock `nbgrader generate_feedback --force` for them). `convcourse grade` "
        "does the same at the end of every run."))
    p.add_argument("lesson", help="the assignment id, e.g. 01_one_pixel")
    p.add_argument("--course", type=Path, default=Path.cwd(), help="the course folder (default: here)")
    p.add_argument("--all", action="store_true", help="regenerate every graded student's page")
    args = p.parse_args(argv)
    try:
        course = Course(args.course)
        course.check_lesson(args.lesson)
    except CourseError as error:
        print(f"convcourse feedback: {error}", file=sys.stderr)
        return 2
    marks = course.marks(args.lesson)
    students = course.stale_feedback(args.lesson, marks, everyone=args.all)
    problems = course.refresh_feedback(args.lesson, students, marks)
    print(f"{args.lesson}: {len(students) - len(problems)} feedback page{'s' if len(students) != 1 else ''} "
          f"regenerated with your marks" + (f" ({', '.join(students)})" if 0 < len(students) <= 10 else "")
          + ("; every other page already shows them." if not args.all else "."))
    for line in problems:
        print(f"  {line}", file=sys.stderr)
    return 1 if problems else 0


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
            self.stream.write("\r" + line + "\033[K")  # clear what a longer line left behind
        else:
            self.stream.write(f"{line}  {result.student}: {result.outcome}\n")
        self.stream.flush()

    def finish(self) -> None:
        if self.interactive and self.total:
            self.stream.write("\n")


def summary(results: list[GradingResult], graded_now: int, seconds: float) -> str:
    """Every student graded so far (this run and earlier ones), one line each, with the instructor's marks:
    the scores ``nbgrader export`` reports, and how many written answers still wait for a mark."""
    failed = sum(r.outcome != "graded" for r in results)
    waiting = {r.student: sum(cell.points is None for cell in r.cells) for r in results}
    to_mark = sum(waiting.values())
    lines = [f"This run graded {graded_now} students in {_duration(seconds)}. "
             f"In all: {len(results) - failed} graded, {failed} could not be run (scored 0, reason below)."
             + (f" {_count(to_mark, 'answer')} of {_count(sum(1 for n in waiting.values() if n), 'student')} "
                f"{'waits' if to_mark == 1 else 'wait'} for your marks (make instructor, Formgrader)." if to_mark else "")]
    if results:
        lines.append(f"{'student':<24} {'score':>11}  {'outcome':<15} notes")
        for r in sorted(results, key=lambda r: r.student):
            outcome = r.outcome.split(":")[0]
            pending = [f"{waiting[r.student]} to mark"] if waiting[r.student] else []
            detail = "; ".join(pending + ([r.outcome] if r.outcome != "graded" else []) + r.notes)
            lines.append(f"{r.student:<24} {r.score:>5g}/{r.max_score:<5g}  {outcome:<15} {detail}")
        peaks = [r.peak_memory_mb for r in results if r.peak_memory_mb]
        if peaks:
            lines.append(f"Peak memory per student: median {statistics.median(peaks):.0f} MB, max {max(peaks):.0f} MB.")
    return "\n".join(lines)


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _duration(seconds: float) -> str:
    minutes, seconds = divmod(int(seconds), 60)
    return f"{minutes}m{seconds:02d}s" if minutes else f"{seconds}s"
