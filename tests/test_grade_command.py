"""`convcourse grade` on a mixed class: the same scores as stock serial nbgrader, CSV, feedback, resuming, Dask."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import types
import zipfile
from pathlib import Path

import nbformat
import psutil
import pytest
from nbgrader.api import Gradebook

from convcourse import checks, notebooks
from convcourse.grading.intake import import_submissions, student_id
from convcourse.grading.protocol import OWNER_FILE, WORKSPACE_PREFIX
from convcourse.release import nbgrader_environment
from corpus_cases import all_cases
from nbgrader_course import Course, assert_feedback_names_the_mistake_first, error_text
from nbgrader_course import convcourse_grade as run_convcourse_grade

pytestmark = pytest.mark.slow
# Only the class graded once (`graded`) runs the canary, and test_summary reads its verdict; the other runs
# here pass --no-canary: they test resuming, interrupts, Dask and imports, not the canary (test_canary.py).
# The tests that read the class graded once (the `graded` fixture) stay on one xdist worker; the others (Ctrl-C,
# a killed run, imports) grade classes of their own and may run on either worker.
ON_THE_GRADED_CLASS = pytest.mark.xdist_group("grade_command")

LESSON = "01_one_pixel"
TESTS = ("weighted_sum_seed_pixel", "filter_pixel_small_image")
WRITTEN = "why_keep_577"
CASES = {case.name: case for case in all_cases() if case.lesson == LESSON}


def solved() -> nbformat.NotebookNode:
    source = notebooks.read(LESSON)
    answers = {notebooks.nbgrader_meta(c)["grade_id"]: c.source for c in source.cells
               if notebooks.nbgrader_meta(c).get("solution") and c.cell_type == "code"}
    return notebooks.with_answers(notebooks.read(LESSON, release=True), answers)


def class_of_twelve() -> dict[str, nbformat.NotebookNode | bytes]:
    """Correct, correct another way, six classic mistakes, blank, written answer, broken file, syntax error."""
    release = notebooks.read(LESSON, release=True)
    students: dict[str, nbformat.NotebookNode | bytes] = {
        "alice": solved(),
        "written": notebooks.with_answers(solved(), {WRITTEN: "Clipping would turn every strong edge into 255."}),
        "blank": release,
        "truncated": nbformat.writes(solved()).encode()[:500],
        "syntax": notebooks.with_answers(solved(), {"weighted_sum": "def weighted_sum(patch, kernel)\n    return 0"}),
    }
    for case in CASES.values():
        students[case.name] = notebooks.with_answers(solved(), case.answers)
    assert len(students) >= 12
    return students


def submit_all(course: Course, students: dict) -> None:
    for name, content in students.items():
        if isinstance(content, bytes):
            folder = course.root / "submitted" / name / LESSON
            folder.mkdir(parents=True)
            (folder / f"{LESSON}.ipynb").write_bytes(content)
        else:
            course.submit(name, LESSON, content)


def convcourse_grade(course_root: Path, *args: str, timeout: int = 900,
                     env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return run_convcourse_grade(course_root, LESSON, *args, timeout=timeout, env=env)


def gradebook_scores(root: Path) -> dict[str, dict[str, float | None]]:
    """student -> test cell -> auto score, for everyone the gradebook has a submission of."""
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gradebook:
        return {submission.student.id: {grade.name: grade.auto_score for grade in submission.notebooks[0].grades}
                for submission in gradebook.assignment_submissions(LESSON)}


def csv_rows(root: Path) -> list[dict[str, str]]:
    with open(root / "grading" / LESSON / "test-results.csv", newline="") as handle:
        return list(csv.DictReader(handle))


# Session scope: xdist may interleave other modules' tests on this worker, and pytest ends a module-scoped
# fixture whenever the next test comes from another module; this class is graded once per run.
@pytest.fixture(scope="session")
def graded(tmp_path_factory, artifacts):
    """One class graded twice from the same files: `convcourse grade` in one copy, stock serial autograde in another."""
    ours = Course(tmp_path_factory.mktemp("ours"), (LESSON,))
    submit_all(ours, class_of_twelve())
    # Both graders shift the hidden tests' seeds by the course's secret (grader/README.md): the same one here.
    secret = ours.root / "grading" / "recheck-secret"
    secret.parent.mkdir()
    secret.write_text("a secret both graders read")
    stock_root = tmp_path_factory.mktemp("stock") / "course"
    shutil.copytree(ours.root, stock_root)
    run = convcourse_grade(ours.root, "--jobs", "2")
    assert run.returncode == 0, run.stdout + run.stderr
    stock = subprocess.run([sys.executable, "-m", "nbgrader", "autograde", LESSON, "--create", "--force"],
                           cwd=stock_root, env=nbgrader_environment(), capture_output=True, text=True, timeout=1800)
    shutil.copytree(ours.root / "grading", artifacts / "grade_command", dirs_exist_ok=True)
    return ours, stock_root, run, stock


@ON_THE_GRADED_CLASS
def test_scores_equal_stock_serial_autograde(graded):
    ours, stock_root, _, stock = graded
    mine, theirs = gradebook_scores(ours.root), gradebook_scores(stock_root)
    # Stock nbgrader stops on the broken file and leaves it ungraded; `convcourse grade` scores it 0 and says why.
    assert stock.returncode != 0 and all(score is None for score in theirs["truncated"].values())
    assert all(score == 0 for score in mine["truncated"].values())
    assert set(mine) == set(theirs)
    for student in set(theirs) - {"truncated"}:
        assert mine[student] == theirs[student], student


@ON_THE_GRADED_CLASS
def test_each_student_loses_exactly_the_points_of_their_mistakes(graded):
    scores = gradebook_scores(graded[0].root)
    full = {test: 3.0 for test in TESTS}
    assert {t: scores["alice"][t] for t in TESTS} == full
    assert {t: scores["written"][t] for t in TESTS} == full
    for student in ("blank", "truncated", "syntax"):
        assert {t: scores[student][t] for t in TESTS} == {t: 0.0 for t in TESTS}, student
    for name, case in CASES.items():
        assert {t for t in TESTS if scores[name][t] == 0} == case.failing, name
        assert scores[name][WRITTEN] == 0, "a written answer left as released scores 0"
    with Gradebook(f"sqlite:///{graded[0].root / 'gradebook.db'}") as gradebook:
        written = gradebook.find_grade(WRITTEN, LESSON, LESSON, "written")
        assert written.needs_manual_grade and written.auto_score is None, "a written answer waits for the instructor"


@ON_THE_GRADED_CLASS
def test_csv_has_one_row_per_student_and_graded_cell_with_the_mistake_named(graded):
    rows = csv_rows(graded[0].root)
    assert list(rows[0]) == ["student", "lesson", "test", "points", "max_points", "passed", "marked_by", "mistake",
                             "message", "outcome", "notes"]
    # The tests in the notebook's order, not alphabetical (filter_pixel... would come first).
    assert [row["test"] for row in rows if row["student"] == "alice"] == [*TESTS, WRITTEN]
    assert len(rows) == len(class_of_twelve()) * 3
    by_cell = {(row["student"], row["test"]): row for row in rows}
    alice = by_cell[("alice", TESTS[0])]
    assert (alice["points"], alice["max_points"], alice["passed"], alice["message"], alice["outcome"]) == \
        ("3", "3", "true", "", "graded")
    assert by_cell[("written", WRITTEN)]["points"] == "" and by_cell[("written", WRITTEN)]["passed"] == ""
    for name, case in CASES.items():
        for test in case.failing:
            row = by_cell[(name, test)]
            assert row["passed"] == "false" and row["points"] == "0"
            assert checks.MISTAKES[case.mistake] in row["message"], (name, row["message"])  # whole, never cut
            assert row["mistake"] == case.mistake, (name, row["mistake"])
    broken = by_cell[("truncated", TESTS[0])]
    assert broken["outcome"].startswith("not a notebook") and "JSON" in broken["outcome"]


@ON_THE_GRADED_CLASS
def test_stock_autograde_gives_the_untouched_release_not_implemented_in_every_test(graded):
    autograded = nbformat.read(graded[1] / "autograded" / "blank" / LESSON / f"{LESSON}.ipynb", as_version=4)
    for grade_id in notebooks.graded_cells(notebooks.read(LESSON)):
        assert "NotImplementedError" in error_text(autograded, grade_id), grade_id


# The pages come from stock `nbgrader generate_feedback` in each student's job, with the course's configuration.
@ON_THE_GRADED_CLASS
@pytest.mark.parametrize("student, mistake", [("weighted_sum_flipped", "flipped"), ("filter_pixel_corner", "corner")])
def test_feedback_html_names_the_mistake_first_wrapped_and_without_the_graders_paths(graded, student, mistake):
    assert_feedback_names_the_mistake_first(graded[0].feedback_html(student, LESSON), mistake)


@ON_THE_GRADED_CLASS
def test_feedback_html_for_every_student_and_why_when_not_graded(graded):
    ours = graded[0]
    for student in class_of_twelve():
        assert (ours.root / "feedback" / student / LESSON / f"{LESSON}.html").exists(), student
    assert "Score: 6.0" in ours.feedback_html("alice", LESSON)
    unreadable = ours.feedback_html("truncated", LESSON)
    assert "could not be graded: <strong>not a notebook: the file is not valid JSON" in unreadable


def test_the_progress_line_is_redrawn_whole_on_a_terminal():
    from convcourse.grading.command import Progress

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    terminal = Terminal()
    progress = Progress(3, stream=terminal)
    progress.started -= 61  # the first update: "ETA 2m02s"; the last: "ETA 0s", shorter
    for student in ("a", "b", "c"):
        progress.update(types.SimpleNamespace(outcome="graded", student=student))
    redraws = terminal.getvalue().split("\r")[1:]
    assert len(redraws) == 3 and all(line.endswith("\033[K") for line in redraws), "the rest of a longer line is cleared"


@ON_THE_GRADED_CLASS
def test_summary_names_every_student_and_what_happened(graded):
    out = graded[2].stdout
    assert f"{len(class_of_twelve())} submissions, {len(class_of_twelve())} to grade" in out
    for student in class_of_twelve():
        assert f"\n{student} " in out
    assert "not a notebook" in out and "Peak memory per student" in out
    assert "Canary: the reference solution earns every automatic point and the release none." in out
    assert "ETA" in graded[2].stderr, "a progress line with the time left"


@ON_THE_GRADED_CLASS
def test_second_run_grades_nobody_and_force_regrades_only_the_named_students(graded):
    ours = graded[0]
    before = gradebook_scores(ours.root)
    again = convcourse_grade(ours.root)
    assert again.returncode == 0 and f"{len(before)} submissions, 0 to grade" in again.stdout
    one = convcourse_grade(ours.root, "--students", "alice", "--force", "--no-canary")
    assert one.returncode == 0 and "1 submission, 1 to grade" in one.stdout
    assert gradebook_scores(ours.root) == before
    unknown = convcourse_grade(ours.root, "--students", "nobody")
    assert unknown.returncode == 2 and "no submission of 01_one_pixel from: nobody" in unknown.stderr


def _folders_of(pid: int, temporary: Path) -> list[Path]:
    """The job folders the grading process ``pid`` made in ``temporary`` (jobs.Workspace writes its owner)."""
    return [folder for folder in temporary.glob(f"{WORKSPACE_PREFIX}*")
            if (folder / OWNER_FILE).is_file() and (folder / OWNER_FILE).read_text().split()[:1] == [str(pid)]]


@pytest.fixture
def temporary():
    """A temporary folder for one test's grading runs: any run removes the abandoned job folders it finds, so
    one started by another test at the same time could take this test's first. Short, for ipc sockets."""
    folder = Path(tempfile.mkdtemp(prefix="convcourse-test-"))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def test_killed_run_resumes_with_only_the_students_left_and_leaves_no_process(tmp_path, temporary):
    course = Course(tmp_path / "course", (LESSON,))
    submit_all(course, {"p1": solved(), "p2": solved(), "p3": notebooks.read(LESSON, release=True)})
    records = course.root / "grading" / LESSON / "students"
    env = {**nbgrader_environment(), "TMPDIR": str(temporary)}
    process = subprocess.Popen([sys.executable, "-m", "convcourse.cli", "grade", LESSON, "--jobs", "1", "--no-canary"],
                               cwd=course.root, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, start_new_session=True)
    deadline = time.monotonic() + 300
    while not (records.is_dir() and any(records.glob("*.json"))) and time.monotonic() < deadline:
        time.sleep(0.2)
    family = psutil.Process(process.pid).children(recursive=True)
    assert family, "the job's processes (nbgrader, its kernel) were running"
    process.send_signal(signal.SIGKILL)  # as if the machine went down: no clean-up code runs
    process.wait()
    left = _folders_of(process.pid, temporary)  # the job it was grading keeps its folder: a copy of the course
    assert left, "the killed run left the folder of the job it was grading"
    graded_before = {path.stem for path in records.glob("*.json")}
    assert 1 <= len(graded_before) < 3
    _, alive = psutil.wait_procs(family, timeout=30)
    assert not [p for p in alive if p.status() != psutil.STATUS_ZOMBIE], "grading processes outlived the command"

    resumed = convcourse_grade(course.root, "--no-canary", env=env)
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert f"3 submissions, {3 - len(graded_before)} to grade" in resumed.stdout
    assert not _folders_of(process.pid, temporary), "the resumed run removes the killed run's job folders"
    assert all(f"Removed {folder}, left by a grading run that was killed." in resumed.stdout for folder in left)
    scores = gradebook_scores(course.root)
    assert [sum(scores[s][t] for t in TESTS) for s in ("p1", "p2", "p3")] == [6, 6, 0]


@ON_THE_GRADED_CLASS
def test_dask_cluster_grades_the_same_as_the_local_pool(graded):
    from distributed import LocalCluster

    ours = graded[0]
    students = ["alice", "blank", "weighted_sum_flipped"]
    before = gradebook_scores(ours.root)
    with LocalCluster(n_workers=2, threads_per_worker=1, host="127.0.0.1", dashboard_address=None,
                      processes=True) as cluster:
        run = convcourse_grade(ours.root, "--dask", cluster.scheduler_address, "--students", ",".join(students),
                               "--force", "--no-canary")
    assert run.returncode == 0, run.stdout + run.stderr
    assert "3 to grade" in run.stdout
    after = gradebook_scores(ours.root)
    assert {s: after[s] for s in students} == {s: before[s] for s in students}
    records = {s: json.loads((ours.root / "grading" / LESSON / "students" / f"{s}.json").read_text()) for s in students}
    assert all(record["outcome"] == "graded" for record in records.values())


@ON_THE_GRADED_CLASS
def test_notebooks_exported_from_a_learning_platform_are_imported_and_graded(graded, tmp_path):
    ours = graded[0]
    export = tmp_path / "export.zip"
    with zipfile.ZipFile(export, "w") as archive:
        archive.writestr(f"Section 1/zoe_{LESSON}.ipynb", nbformat.writes(solved()))
        archive.writestr("../../escape.ipynb", "{}")  # a path that tries to leave the course: name only is used
        archive.writestr("bad name!.ipynb", "{}")
        archive.writestr("notes.txt", "not a notebook")
    run = convcourse_grade(ours.root, "--from", str(export), "--students", "zoe", "--no-canary")
    assert run.returncode == 0, run.stdout + run.stderr
    assert "Imported 2 submissions" in run.stdout and "bad name!.ipynb: cannot tell the student id" in run.stdout
    assert f"expected <student>.ipynb or <student>_{LESSON}.ipynb" in run.stdout
    assert (ours.root / "submitted" / "zoe" / LESSON / "timestamp.txt").exists()
    assert not (ours.root.parent / "escape.ipynb").exists()
    assert sum(gradebook_scores(ours.root)["zoe"][t] for t in TESTS) == 6


def test_student_ids_come_from_file_names():
    assert student_id(f"alice_{LESSON}.ipynb", LESSON) == "alice"
    assert student_id(f"bob-{LESSON}.ipynb", LESSON) == "bob"
    assert student_id("carol.ipynb", LESSON) == "carol"
    assert student_id("../x y.ipynb", LESSON) is None


def test_import_keeps_the_latest_file_of_a_student_and_never_changes_the_export(tmp_path):
    export = tmp_path / "export"
    export.mkdir()
    (export / "dan.ipynb").write_text("old")
    (export / f"dan_{LESSON}.ipynb").write_text("new")
    os.utime(export / "dan.ipynb", (1_700_000_000, 1_700_000_000))
    imported = import_submissions(tmp_path / "course", LESSON, export)
    assert imported.students == ["dan"] and "latest" in imported.problems[0]
    assert (tmp_path / "course" / "submitted" / "dan" / LESSON / f"{LESSON}.ipynb").read_text() == "new"
    assert (export / "dan.ipynb").read_text() == "old"


def interrupt_when(course_root: Path, ready, *args: str, deaf: bool = False) -> subprocess.CompletedProcess:
    """`convcourse grade` started as from a terminal, then Ctrl-C (SIGINT to its process group) once ready().
    ``deaf``: started as from a script in the background instead, which ignores SIGINT. Either way the
    disposition is set here: this test process may have inherited either (a run started with `&`)."""
    disposition = signal.SIG_IGN if deaf else signal.SIG_DFL
    process = subprocess.Popen([sys.executable, "-m", "convcourse.cli", "grade", LESSON, "--jobs", "1", "--no-canary",
                                *args],
                               cwd=course_root, env=nbgrader_environment(), stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, start_new_session=True,
                               preexec_fn=lambda: signal.signal(signal.SIGINT, disposition))
    deadline = time.monotonic() + 300
    while not ready(process) and time.monotonic() < deadline:
        time.sleep(0.1)
    family = psutil.Process(process.pid).children(recursive=True)
    os.killpg(process.pid, signal.SIGINT)
    stdout, stderr = process.communicate(timeout=120)
    _, alive = psutil.wait_procs(family, timeout=30)
    assert not [p for p in alive if p.status() != psutil.STATUS_ZOMBIE], "grading processes outlived Ctrl-C"
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)


def test_ctrl_c_says_how_to_go_on_and_prints_no_traceback(tmp_path):
    course = Course(tmp_path / "course", (LESSON,))
    submit_all(course, {"p1": solved(), "p2": solved(), "p3": notebooks.read(LESSON, release=True)})
    records = course.root / "grading" / LESSON / "students"
    # Started deaf to Ctrl-C (a script's background job), the run and its jobs ignore it: nobody "crashed".
    deaf = interrupt_when(course.root, lambda process: any(records.glob("*.json")), deaf=True)
    assert deaf.returncode == 0 and "crashed" not in deaf.stdout, deaf.stdout + deaf.stderr
    assert sorted(path.stem for path in records.glob("*.json")) == ["p1", "p2", "p3"]
    started = time.time()

    def one_regraded(process) -> bool:
        return any(path.stat().st_mtime > started for path in records.glob("*.json"))

    forced = interrupt_when(course.root, one_regraded, "--force")
    assert forced.returncode == 130 and "Traceback" not in forced.stderr, forced.stderr
    left = sorted(path.stem for path in records.glob("*.json") if path.stat().st_mtime <= started)
    assert left, "Ctrl-C came before the last student"
    # As it is, --force would grade everyone again: the hint names the students the run did not reach.
    assert f"run the same command with --students {','.join(left)}" in forced.stderr

    def server_starting(process) -> bool:
        return any("forkserver" in " ".join(p.cmdline()) for p in psutil.Process(process.pid).children())

    early = interrupt_when(course.root, server_starting, "--force")
    assert early.returncode == 130 and "Traceback" not in early.stderr, early.stderr
    assert "Interrupted" in early.stderr


@ON_THE_GRADED_CLASS
def test_the_class_report_counts_the_mistakes_the_class_made(graded):
    """`convcourse report` on the class graded for real: each corpus mistake once, by the student who made it."""
    from convcourse.grading.records import Course as Records
    from convcourse.grading.report import read_lesson

    ours = graded[0]
    run = subprocess.run([sys.executable, "-m", "convcourse.cli", "report", LESSON], cwd=ours.root,
                         env=nbgrader_environment(), capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr
    assert (ours.root / "grading" / LESSON / "report" / "index.html").exists()
    stats = read_lesson(Records(ours.root), LESSON)
    named = {m.key: sorted(m.students) for m in stats.misconceptions}
    expected: dict[str, list[str]] = {}
    for name, case in CASES.items():
        if not case.correct:
            expected.setdefault(case.mistake, []).append(name)
    assert named == {key: sorted(students) for key, students in expected.items()}
    assert "truncated" in stats.unreadable and stats.pending == {WRITTEN: ["written"]}
