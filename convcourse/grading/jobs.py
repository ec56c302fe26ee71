"""One student's autograding, as a self-contained job: bytes in, scores and files out.

``grade_student(job)`` is the only function the instructor's machine and a Dask cluster both run. The
job carries everything it needs (the submission, the course's nbgrader configuration, a gradebook
holding the lesson and no students), so it runs the same in a thread here or on another machine.

It grades in a private folder with stock ``nbgrader autograde`` and ``generate_feedback``, under a
supervisor that enforces a wall-time limit, a memory limit over every process the job started, a cap on
the files in its folder (the one place on disk a kernel may write) and a cap on log output, then kills
whatever is left (processes that outlive their cells included, see run_nbgrader.py) before it reads any
result. The kernel itself starts with limits (kernel_guard.py).
Nothing of the course is touched: the caller merges the result into the gradebook (records.py).
"""

from __future__ import annotations

import json
import multiprocessing
import multiprocessing.forkserver
import multiprocessing.resource_tracker
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import nbformat
import psutil

from convcourse.data import cache_folders, keras_home
from convcourse.notebooks import grade_id

from .process_tree import kill_all
from .protocol import (CONNECTION_FILE, FEEDBACK_FAILED, GRADEBOOK_FILE, HIDE_ENV, JOB_PROCESS_MODULE, JOB_SPEC_FILE,
                       JUPYTER_FOLDER, KERNELSPEC_FILE, KERNEL_LAUNCHER_MODULE, LOG_FILE, MEGABYTE, MESSAGE_LIMIT,
                       OWNER_FILE, REPORT_ENV, REPORT_FILE, SECRET_FILE, TENSORFLOW_LESSONS, TENSORFLOW_MODULES,
                       UNIX_SOCKET_PATH_MAX, WORKSPACE_ENV, WORKSPACE_PREFIX, ZYGOTE_ENV, ZYGOTE_SOCKET, CellResult,
                       GradingJob, GradingResult, kernel_settings, submission_digest)
from .run_nbgrader import grade_in_process
from .sandbox import remove_task_cgroups
from .warm_kernels import WARM_MODULES

# Each job's process is forked from a server that has nbgrader imported already, and so is its kernel
# (warm_kernels.py), which also finds IPython and the lessons' set-up imports loaded: seconds per student.
_FORKS = multiprocessing.get_context("forkserver")
_PRELOAD = ["convcourse.grading.run_nbgrader", "convcourse.grading.preprocessors", "nbconvert.exporters.html",
            "psutil", *WARM_MODULES]

# Set by the command when the instructor presses Ctrl-C: every running job stops its processes.
STOP = threading.Event()


def start_job_server(lesson: str) -> None:
    """Start the forkserver now, with what every job of ``lesson`` imports (``server_modules``), deaf to
    Ctrl-C while it preloads (seconds): the command stops the jobs itself (STOP), and a KeyboardInterrupt
    in the server's imports would only print a traceback. A server that loads TensorFlow gets no terminal:
    TensorFlow announces its CPU's features when imported. Call from the main thread, before any other
    starts; each job restores the usual Ctrl-C and has a log of its own (run_nbgrader.grade_in_process)."""
    modules = server_modules(lesson)
    multiprocessing.resource_tracker.ensure_running()  # not the server: its warnings keep the terminal
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    terminal = os.dup(2)
    try:
        if modules != _PRELOAD:
            with open(os.devnull, "wb") as nowhere:
                os.dup2(nowhere.fileno(), 2)
        _ensure_job_server(modules)
    finally:
        os.dup2(terminal, 2)
        os.close(terminal)
        signal.signal(signal.SIGINT, previous)


def server_modules(lesson: str) -> list[str]:
    """What the job server imports for ``lesson``: nbgrader and the warm kernels' modules, and for a lesson
    whose kernels use TensorFlow, TensorFlow and Keras too, once for every job instead of once in each
    (2-2.5 s apiece), where Keras imported here is configured as it is in a job's own fresh Keras home."""
    if lesson in TENSORFLOW_LESSONS and _keras_settings_are_the_defaults():
        return [*_PRELOAD, *TENSORFLOW_MODULES]
    return _PRELOAD


# keras.json as Keras writes it into a new home: what every job's kernels have (each job has a home of its own).
KERAS_DEFAULTS = {"floatx": "float32", "epsilon": 1e-07, "backend": "tensorflow", "image_data_format": "channels_last"}


def _keras_settings_are_the_defaults() -> bool:
    """Whether Keras, imported with this process's environment, is set up as in a job's fresh home. Keras reads
    its backend and keras.json once, on import; an instructor's own choices must not reach the kernels."""
    if os.environ.get("KERAS_BACKEND", "tensorflow") != "tensorflow":
        return False
    try:
        settings = json.loads((keras_home() / "keras.json").read_text())
    except FileNotFoundError:
        return True
    except (OSError, ValueError):
        return False
    return isinstance(settings, dict) and all(KERAS_DEFAULTS.get(key, object()) == value
                                              for key, value in settings.items())


def _ensure_job_server(modules: list[str] = _PRELOAD) -> None:
    """The forkserver, started with ``modules`` preloaded (set here, when jobs run, not on import); once it
    runs, a later call changes nothing."""
    _FORKS.set_forkserver_preload(modules)
    multiprocessing.forkserver.ensure_running()


class Workspace:
    """A private course folder for one job: this student's files and a gradebook with no one else in it."""

    def __init__(self, job: GradingJob):
        self.job = job
        self.root = Path(tempfile.mkdtemp(prefix=f"{WORKSPACE_PREFIX}{job.lesson}-"))
        self.report = self.root / REPORT_FILE
        self.report.parent.mkdir(mode=0o700)
        self.report.touch()
        me = psutil.Process()  # whose folder this is: a later run removes it if this process died first
        (self.root / OWNER_FILE).write_text(f"{me.pid} {me.create_time()}")
        self.home = self.root / "home"

    def write_course(self) -> None:
        for name, content in self.job.course_files.items():
            _write_private(self.root / name, content)
        (self.root / "solutions" / self.job.lesson).mkdir(parents=True, exist_ok=True)
        _write_private(self.root / GRADEBOOK_FILE, self.job.gradebook)
        _write_private(self.root / SECRET_FILE, self.job.recheck_secret.encode())  # never in an environment
        self.home.mkdir()
        _provide_data_caches(self.home)
        # The student's kernel is ours: IPython's, started inside namespaces (kernel_launcher.py, sandbox.py).
        _write_private(self.root / KERNELSPEC_FILE, json.dumps({
            "argv": [sys.executable, "-m", KERNEL_LAUNCHER_MODULE, "-f", "{connection_file}"],
            "display_name": "Python 3 (graded)", "language": "python"}).encode())

    def submitted_folder(self) -> Path:
        return self.root / "submitted" / self.job.student / self.job.lesson

    def environment(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update({
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
            REPORT_ENV: str(self.report),
            "HOME": str(self.home),
            "IPYTHONDIR": str(self.home / ".ipython"),
            "MPLCONFIGDIR": str(self.home / ".matplotlib"),
            "KERAS_HOME": str(self.home / ".keras"),
            "XDG_CACHE_HOME": str(self.home / ".cache"),
            **kernel_settings(self.job.limits, self.root.name),
            "JUPYTER_PATH": str(self.root / JUPYTER_FOLDER),
            WORKSPACE_ENV: str(self.root),
            HIDE_ENV: json.dumps(self.job.hide),
            ZYGOTE_ENV: str(self.root / ZYGOTE_SOCKET),
        })
        return env

    def kernel_options(self) -> list[str]:
        """nbgrader's options for the kernels it starts: Unix sockets in the job's folder, named after a
        connection file beside them, so the sandbox can give the kernel no network. Where the folder's path
        is too long for a socket's (107 bytes), none: the kernel keeps TCP, and so the network."""
        connection = self.root / CONNECTION_FILE
        if len(f"{connection.with_suffix('')}-ipc-99999".encode()) > UNIX_SOCKET_PATH_MAX:
            return []
        connection.parent.mkdir(exist_ok=True)
        return ["--KernelManager.transport=ipc", f"--KernelManager.connection_file={connection}"]

    def remove(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)
        remove_task_cgroups(self.root.name)


def remove_abandoned_workspaces() -> list[Path]:
    """Remove the job folders whose grading run was killed before it could (SIGKILL, a machine that went down):
    each holds a copy of a submission, the gradebook and the course. Only folders whose owner process is gone
    are touched, so runs of other courses on this machine keep theirs. Returns the folders removed."""
    removed = []
    for folder in Path(tempfile.gettempdir()).glob(f"{WORKSPACE_PREFIX}*"):
        try:
            pid, started = (folder / OWNER_FILE).read_text().split()
        except (OSError, ValueError):
            continue  # not ours to judge: no owner written (an older version, or a folder being made)
        try:
            alive = abs(psutil.Process(int(pid)).create_time() - float(started)) < 0.01
        except psutil.NoSuchProcess:
            alive = False
        if not alive:
            shutil.rmtree(folder, ignore_errors=True)  # another user's folder stays: /tmp is sticky
            remove_task_cgroups(folder.name)
            if not folder.exists():
                removed.append(folder)
    return removed


def grade_student(job: GradingJob) -> GradingResult:
    """Autograde one student's submission of one lesson; never raises for anything the student did."""
    started = time.monotonic()
    workspace = Workspace(job)
    supervisor = Supervisor(workspace, deadline=started + job.limits.time_limit)
    try:
        workspace.write_course()
        notebook_problem, notes = _place_submission(job, workspace.submitted_folder())
        if notebook_problem:
            return _without_grading(workspace, notebook_problem, notes, started)
        outcome, log_tail = supervisor.run(
            autograde=[job.lesson, "--student", job.student, "--create", "--force",
                       f"--Execute.timeout={job.limits.cell_timeout}", *workspace.kernel_options()],
            feedback=[job.lesson, "--student", job.student, "--force"] if job.feedback else None)
        if outcome == "no feedback":
            outcome = "graded"
            notes.append("nbgrader could not make the feedback HTML")
        notes += _report_lines(workspace)
        cells, comments, answer_cells = _read_gradebook(workspace, graded=outcome == "graded")
        notes += _answer_cells_check(workspace, answer_cells)
        return GradingResult(
            lesson=job.lesson, student=job.student, outcome=outcome, notes=notes, cells=cells,
            files=_result_files(workspace) if outcome == "graded" else {},
            timestamp=_timestamp(job), seconds=time.monotonic() - started,
            peak_memory_mb=supervisor.peak_bytes / MEGABYTE, submission_sha256=submission_digest(job.submission),
            comments=comments, log_tail=log_tail if outcome != "graded" else "",
        )
    finally:
        supervisor.stop_everything()
        workspace.remove()


class Supervisor:
    """Runs nbgrader for a job and enforces its limits on every process the job started."""

    POLL_SECONDS = 0.25
    MEMORY_EVERY = 4  # polls: reading a process's memory map costs milliseconds

    def __init__(self, workspace: Workspace, deadline: float):
        self.workspace = workspace
        self.deadline = deadline
        self.limits = workspace.job.limits
        self.peak_bytes = 0
        self._started: list[psutil.Process] = []

    def run(self, autograde: list[str], feedback: list[str] | None) -> tuple[str, str]:
        """('graded', 'no feedback' or what stopped it, the end of nbgrader's log)."""
        log_path = self.workspace.root / LOG_FILE
        log_path.touch()
        lesson = self.workspace.job.lesson
        spec = dict(folder=str(self.workspace.root), environment=self.workspace.environment(),
                    log_path=str(log_path), autograde_argv=autograde, feedback_argv=feedback,
                    warm_modules=list(TENSORFLOW_MODULES) if lesson in TENSORFLOW_LESSONS else [],
                    # A command started deaf to Ctrl-C (from a script, in the background) keeps its jobs deaf too:
                    # a Ctrl-C only they heard would end their students as "crashed" while the run went on.
                    ctrl_c=signal.getsignal(signal.SIGINT) is not signal.SIG_IGN)
        process = self._start(spec)
        self._started.append(psutil.Process(process.pid))
        outcome = self._watch(process, log_path)
        if outcome is None:
            outcome = {0: "graded", FEEDBACK_FAILED: "no feedback"}.get(process.returncode, "crashed: nbgrader failed")
        return outcome, _tail(log_path)

    def _start(self, spec: dict) -> psutil.Popen | "_ForkedJob":
        if multiprocessing.current_process().daemon:
            # A Dask worker (a daemon process) may not fork children through multiprocessing: start afresh.
            spec_path = self.workspace.root / JOB_SPEC_FILE
            spec_path.write_text(json.dumps(spec))
            return psutil.Popen([sys.executable, "-m", JOB_PROCESS_MODULE, "--job", str(spec_path)],
                                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return _ForkedJob(spec)

    def _watch(self, process, log_path: Path) -> str | None:
        memory_limit = 2 * self.limits.memory_mb * MEGABYTE
        used, tasks, stored, polls = 0, 0, 0, 0
        while process.poll() is None:
            time.sleep(self.POLL_SECONDS)
            polls += 1
            if polls % self.MEMORY_EVERY == 0:
                processes = self._processes()
                used = sum(_proportional_memory(p) for p in processes)
                self.peak_bytes = max(self.peak_bytes, used)
                tasks = sum(_threads(p) for p in processes)
                stored = folder_bytes(self.workspace.root, processes)
            if STOP.is_set():
                outcome = "interrupted"
            elif time.monotonic() > self.deadline:
                outcome = f"timeout: still running after the {self.limits.time_limit} s limit"
            elif used > memory_limit:
                outcome = f"memory: its processes used {used // MEGABYTE} MB, over the {memory_limit // MEGABYTE} MB limit"
            elif tasks > self.limits.tasks + 64:  # the kernels' cap, plus nbgrader's own; no cgroup caught them
                outcome = f"processes: {tasks} processes and threads, over the {self.limits.tasks} limit"
            elif stored > self.limits.folder_mb * MEGABYTE:
                outcome = (f"disk: its folder held {stored // MEGABYTE} MB of files, over the "
                           f"{self.limits.folder_mb} MB limit")
            elif log_path.stat().st_size > self.limits.output_mb * MEGABYTE:
                outcome = f"output: wrote more than {self.limits.output_mb} MB"
            else:
                continue
            self.stop_everything()
            process.wait()
            return outcome
        return None

    def _processes(self) -> list[psutil.Process]:
        """The job's nbgrader processes and everything below them (orphans are adopted: run_nbgrader.py)."""
        found: dict[int, psutil.Process] = {}
        for root in self._started:
            try:
                if root.is_running():
                    found[root.pid] = root
                    found.update({child.pid: child for child in root.children(recursive=True)})
            except psutil.NoSuchProcess:
                pass
        return list(found.values())

    def stop_everything(self) -> None:
        kill_all(self._processes)


class _ForkedJob:
    """A job's process forked from the preloaded server, with Popen's poll/wait/returncode."""

    def __init__(self, spec: dict):
        _ensure_job_server()  # already running when the command started it
        self._process = _FORKS.Process(target=grade_in_process, kwargs=spec)
        self._process.start()
        self.pid = self._process.pid

    def poll(self) -> int | None:
        return self._process.exitcode

    def wait(self) -> int | None:
        self._process.join()
        return self._process.exitcode

    @property
    def returncode(self) -> int | None:
        return self._process.exitcode


def _proportional_memory(process: psutil.Process) -> int:
    """The process's share of memory: the job's processes are forks that share most of their pages (PSS)."""
    try:
        return process.memory_full_info().pss
    except psutil.Error:
        return 0


def folder_bytes(folder: Path, processes=()) -> int:
    """What the job's files take on disk: every file under ``folder`` (an empty one counts a block, so a
    million of them count too; a hard-linked one once), and files there that ``processes`` hold open after
    deleting them (their space is freed only when closed)."""
    seen: set[tuple[int, int]] = set()
    total = 0
    for status in _file_stats(folder, processes):
        if (status.st_dev, status.st_ino) not in seen:
            seen.add((status.st_dev, status.st_ino))
            total += max(status.st_blocks * 512, 4096)
    return total


def _file_stats(folder: Path, processes):
    pending = [str(folder)]
    while pending:
        try:
            with os.scandir(pending.pop()) as entries:
                for entry in entries:
                    try:
                        if entry.is_dir(follow_symlinks=False):
                            pending.append(entry.path)
                        yield entry.stat(follow_symlinks=False)
                    except OSError:
                        pass  # removed meanwhile
        except OSError:
            pass
    inside = f"{folder}/"
    for process in processes:
        fds = f"/proc/{process.pid}/fd"
        try:
            numbers = os.listdir(fds)
        except OSError:
            continue  # exited meanwhile
        for fd in numbers:
            try:  # one file closed meanwhile does not hide the others
                target = os.readlink(f"{fds}/{fd}")
                if target.startswith(inside) and target.endswith(" (deleted)"):
                    yield os.stat(f"{fds}/{fd}")
            except OSError:
                pass


def _threads(process: psutil.Process) -> int:
    try:
        return process.num_threads()
    except psutil.Error:
        return 0


def _write_private(path: Path, content: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    path.write_bytes(content)
    path.chmod(0o600)


def _provide_data_caches(home: Path) -> None:
    """Copies of the data sets this machine already has, where the kernel's libraries will look for them.

    The kernel gets a home of its own, which it may write, so these are copies (30 MB, some 10 ms): a hard
    link would let a submission rewrite the instructor's cache, and so every later student's data.
    """
    folders = cache_folders()
    for source, target in [(folders["fashion_mnist"], home / ".keras" / "datasets" / "fashion-mnist"),
                           (folders["ascent"], home / ".cache" / "scipy-data")]:
        if not source.is_dir():
            continue
        target.mkdir(parents=True, exist_ok=True)
        for file in source.resolve().iterdir():
            if file.is_file():
                shutil.copyfile(file, target / file.name)


def _place_submission(job: GradingJob, folder: Path) -> tuple[str | None, list[str]]:
    """Write the submission where nbgrader expects it; say why it cannot be graded, if it cannot."""
    folder.mkdir(parents=True, mode=0o700)
    notes: list[str] = []
    expected = f"{job.lesson}.ipynb"
    notebooks = sorted(name for name in job.submission if name.endswith(".ipynb"))
    if expected not in notebooks and len(notebooks) == 1:
        notes.append(f"the notebook was named {notebooks[0]!r}; graded as {expected!r}")
        chosen = notebooks[0]
    elif expected in notebooks:
        chosen = expected
    else:
        found = ", ".join(notebooks) or "none"
        return f"no notebook: expected {expected} (notebooks found: {found})", notes
    for name, content in job.submission.items():
        if not name.endswith(".ipynb"):
            _write_private(folder / name, content)
    try:
        notebook = nbformat.reads(job.submission[chosen].decode("utf-8"), as_version=4)
        nbformat.validate(notebook)
    except Exception as error:  # any way a file can fail to be a notebook
        return f"not a notebook: {_file_problem(job.submission[chosen], error)}", notes
    original_version = json.loads(job.submission[chosen]).get("nbformat")
    if original_version != 4:
        notes.append(f"converted from notebook format {original_version} to 4")
    _write_private(folder / expected, nbformat.writes(notebook).encode("utf-8"))
    return None, notes


def _file_problem(content: bytes, error: Exception) -> str:
    if not content.strip():
        return "the file is empty"
    try:
        json.loads(content)
    except (ValueError, UnicodeDecodeError):
        return "the file is not valid JSON (truncated or not a notebook)"
    return f"the JSON is not a valid notebook ({str(error).splitlines()[0][:200]})"


def _report_lines(workspace: Workspace) -> list[str]:
    lines = workspace.report.read_text(encoding="utf-8").splitlines()
    workspace.report.write_text("")
    return list(dict.fromkeys(line for line in lines if line.strip()))


def _gradebook(workspace: Workspace):
    from nbgrader.api import Gradebook

    return Gradebook(f"sqlite:///{workspace.root / GRADEBOOK_FILE}")


def _read_gradebook(workspace: Workspace, graded: bool) -> tuple[list[CellResult], dict[str, str], set[str]]:
    """The job's graded cells (its scores, or all at zero if nothing could be run), nbgrader's automatic
    comments and the names of the lesson's answer cells: one read of the job's gradebook."""
    job = workspace.job
    with _gradebook(workspace) as gradebook:
        notebook = gradebook.find_notebook(job.lesson, job.lesson)
        answer_cells = {cell.name for cell in notebook.solution_cells}
        if not graded:
            return [CellResult(name=cell.name, points=0.0, max_points=cell.max_score,
                               autograded=cell.name not in answer_cells)
                    for cell in sorted(notebook.grade_cells, key=lambda c: c.name)], {}, answer_cells
        messages = _test_messages(workspace.root / "autograded" / job.student / job.lesson / f"{job.lesson}.ipynb")
        submission = gradebook.find_submission_notebook(job.lesson, job.lesson, job.student)
        order = {name: index for index, name in enumerate(messages)}  # the notebook's order; the rest by name
        cells = [CellResult(name=grade.name, max_points=grade.max_score, autograded=grade.name not in answer_cells,
                            points=None if grade.needs_manual_grade else grade.score,
                            message=messages.get(grade.name, ""), mistake=named_mistake(messages.get(grade.name, "")))
                 for grade in sorted(submission.grades, key=lambda g: (order.get(g.name, len(order)), g.name))]
        comments = {comment.name: comment.auto_comment for comment in submission.comments if comment.auto_comment}
        return cells, comments, answer_cells


def _test_messages(path: Path) -> dict[str, str]:
    """grade id -> the first line of the error its test cell raised, in the notebook's order."""
    if not path.exists():
        return {}
    notebook = nbformat.read(path, as_version=4)
    messages = {}
    for cell in notebook.cells:
        name = grade_id(cell)
        errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
        if name:
            text = f"{errors[-1].get('ename', '')}: {errors[-1].get('evalue', '')}".strip() if errors else ""
            messages[name] = (text.splitlines() or [""])[0][:MESSAGE_LIMIT]
    return messages


def named_mistake(message: str) -> str:
    """The misconception a check's message names: the key of its sentence in MISTAKES, or ''."""
    from convcourse.checks import MISTAKES

    return next((key for key, sentence in MISTAKES.items() if sentence in message), "")


def _answer_cells_check(workspace: Workspace, answer_cells: set[str]) -> list[str]:
    """A note when none of the lesson's answer cells is in the notebook (another lesson's notebook?)."""
    lesson = workspace.job.lesson
    path = workspace.submitted_folder() / f"{lesson}.ipynb"
    if not path.exists():
        return []
    present = {grade_id(c) for c in nbformat.read(path, 4).cells}
    if answer_cells and not answer_cells & present:
        return [f"none of {lesson}'s answer cells is in this notebook (another lesson's notebook?)"]
    return []


def _result_files(workspace: Workspace) -> dict[str, bytes]:
    files = {}
    for kind in ("autograded", "feedback"):
        folder = workspace.root / kind / workspace.job.student / workspace.job.lesson
        if folder.is_dir():
            for path in folder.rglob("*"):
                if path.is_file() and not path.is_symlink():
                    files[str(path.relative_to(workspace.root))] = path.read_bytes()
    return files


def _timestamp(job: GradingJob) -> str | None:
    stamp = job.submission.get("timestamp.txt")
    return stamp.decode("utf-8", "replace").strip() if stamp else None


def _tail(path: Path, size: int = 4000) -> str:
    with open(path, "rb") as log:
        log.seek(max(0, path.stat().st_size - size))
        return log.read().decode("utf-8", "replace")


def _without_grading(workspace: Workspace, problem: str, notes: list[str], started: float) -> GradingResult:
    job = workspace.job
    cells, _, _ = _read_gradebook(workspace, graded=False)
    return GradingResult(lesson=job.lesson, student=job.student, outcome=problem, notes=notes, cells=cells,
                         files={}, timestamp=_timestamp(job), seconds=time.monotonic() - started, peak_memory_mb=0.0,
                         submission_sha256=submission_digest(job.submission))
