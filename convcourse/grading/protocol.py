"""Everything the grading processes say to each other, defined once: names, limits, files and the job's data.

The course side, the job's process, nbgrader inside it and the student's confined kernel are separate
processes (see the package docstring). They agree through environment variables, files at fixed places
in the job's folder, an exit code, and the job and result types below, and nothing else. This module owns
all of those and imports nothing else of the package (the standard library only), so every other module
of the package can import it and it can be read on its own.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

MEGABYTE = 1 << 20


# --- limits -------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Limits:
    """Every limit of a grading job, with its default (grader/README.md's table is tested against this)."""

    cell_timeout: int = 120      # seconds one cell may run (the capstone's training cell needs more)
    time_limit: int = 900        # seconds for the whole student: autograde and feedback
    memory_mb: int = 4096        # the kernel's address space; the job's processes together get twice this
    output_mb: int = 64          # what the job may write to its log (the kernel's raw output included)
    cell_output_bytes: int = 1 << 20  # what one cell may print into the notebook
    tmp_mb: int = 512            # the kernel's /tmp, in RAM (the job's memory limit does not see it)
    shm_mb: int = 64             # the kernel's /dev/shm, in RAM too
    file_mb: int = 256           # the largest file a kernel may write
    folder_mb: int = 1024        # what the job's folder may hold on disk (the kernel writes there), all files
    open_files: int = 1024       # files and sockets one kernel process may hold open
    tasks: int = 512             # processes and threads of the job's kernels together (TensorFlow starts dozens)


# The capstone's graded cell trains a network for a minute or two; everything else runs in seconds.
LONG_LESSONS = {"06_capstone": Limits(cell_timeout=600, time_limit=1800)}

# Lessons whose kernels import TensorFlow (their set-up cells or checks): the job server imports it once per run
# (jobs.server_modules), or else each job's process before it forks the kernels' zygote (run_nbgrader.py), for the
# re-check and the warm kernels alike. Only imported: a process that has run a TensorFlow operation cannot be
# forked safely (benchmarks/fork_after_tensorflow.py).
TENSORFLOW_LESSONS = frozenset({"03_pooling", "04_filters_to_layers", "05_cnn_in_keras", "06_capstone"})
TENSORFLOW_MODULES = ("tensorflow", "keras")


# --- environment variables: the job's process -> nbgrader -> the kernel's launcher and the kernel --------

# Read by nbgrader's preprocessors (preprocessors.note): the file the job's report lines go to.
REPORT_ENV = "CONVCOURSE_GRADING_REPORT"
# Read by the kernel (kernel_guard.install): its resource limits and the cap on what one cell prints.
MEMORY_ENV = "CONVCOURSE_KERNEL_MEMORY_MB"          # RLIMIT_AS, in MB
FILE_SIZE_ENV = "CONVCOURSE_KERNEL_FILE_MB"         # RLIMIT_FSIZE, in MB
OPEN_FILES_ENV = "CONVCOURSE_KERNEL_OPEN_FILES"     # RLIMIT_NOFILE
CPU_SECONDS_ENV = "CONVCOURSE_KERNEL_CPU_SECONDS"   # RLIMIT_CPU, per process
CELL_OUTPUT_ENV = "CONVCOURSE_CELL_OUTPUT_BYTES"    # what one cell may print
# Read by the kernel's launcher (kernel_launcher.py, sandbox.py); all but the two sizes are removed from the
# environment before the kernel starts.
TMP_ENV = "CONVCOURSE_KERNEL_TMP_MB"                # size of the kernel's /tmp
SHM_ENV = "CONVCOURSE_KERNEL_SHM_MB"                # size of the kernel's /dev/shm
TASKS_ENV = "CONVCOURSE_KERNEL_TASKS"               # "<cgroup name> <limit>": the job's cap on tasks (all its kernels)
WORKSPACE_ENV = "CONVCOURSE_SANDBOX_FOLDER"         # the job's folder; its private parts are covered too
HIDE_ENV = "CONVCOURSE_SANDBOX_HIDE"                # JSON list of paths the kernel must not see
ZYGOTE_ENV = "CONVCOURSE_KERNEL_ZYGOTE"             # the socket the job's warm kernels come from

# A course-wide setting, not grading's: the folder of offline data sets (convcourse/data.py reads it for
# learners and tests). Named here because the sandbox must keep that folder visible to the kernel.
OFFLINE_DATA_ENV = "CONVCOURSE_OFFLINE_DATA"


def kernel_settings(limits: Limits, job_name: str) -> dict[str, str]:
    """The job's limits as the environment variables the kernel and its launcher read (``job_name``: the
    name of the job's folder, which names its pids cgroup)."""
    return {
        MEMORY_ENV: str(limits.memory_mb),
        CELL_OUTPUT_ENV: str(limits.cell_output_bytes),
        FILE_SIZE_ENV: str(limits.file_mb),
        OPEN_FILES_ENV: str(limits.open_files),
        CPU_SECONDS_ENV: str(limits.time_limit),
        TMP_ENV: str(limits.tmp_mb),
        SHM_ENV: str(limits.shm_mb),
        TASKS_ENV: f"{job_name} {limits.tasks}",
    }


# --- the job's folder: files at fixed places, relative to it ---------------------------------------------

PRIVATE_FOLDER = "private"                       # the grader's own files; covered in the kernel
REPORT_FILE = f"{PRIVATE_FOLDER}/report.txt"     # REPORT_ENV points here
LOG_FILE = f"{PRIVATE_FOLDER}/nbgrader.log"      # the job process's stdout and stderr
JOB_SPEC_FILE = f"{PRIVATE_FOLDER}/job.json"     # a Dask worker's job process reads its arguments here
ZYGOTE_SOCKET = f"{PRIVATE_FOLDER}/kernels.sock"  # ZYGOTE_ENV points here
OWNER_FILE = f"{PRIVATE_FOLDER}/owner"           # the process that made the folder: "pid start-time"
WORKSPACE_PREFIX = "convcourse-grade-"          # job folders: <temporary folder>/<prefix><lesson>-...
GRADEBOOK_FILE = "gradebook.db"
CONFIG_FILE = "nbgrader_config.py"
JUPYTER_FOLDER = "jupyter"                        # JUPYTER_PATH: holds the job's kernelspec
KERNELSPEC_FILE = f"{JUPYTER_FOLDER}/kernels/python3/kernel.json"
# jupyter_client talks to the kernel over Unix sockets (its ipc transport: the kernel has no network) named
# after the connection file, beside it: short paths, since a socket's may not exceed 107 bytes.
CONNECTION_FILE = "kernel/connection.json"
UNIX_SOCKET_PATH_MAX = 107  # bytes, on Linux
# The course's secret that shifts hidden tests' seeds in the re-check (recheck.py): in the course folder
# (made once, instructor-only) and at the same place in each job's folder, covered in the kernel.
SECRET_FILE = "grading/recheck-secret"
# The parts of the job's folder a kernel finds covered (empty): only what nbgrader writes for the
# student (autograded/, feedback/) and the kernel's own files stay visible.
COVERED_FROM_KERNEL = (PRIVATE_FOLDER, "submitted", "solutions", "grader", "grading", GRADEBOOK_FILE, CONFIG_FILE,
                       JUPYTER_FOLDER)

# --- commands and modules one process starts or calls in another -----------------------------------------

KERNEL_LAUNCHER_MODULE = "convcourse.grading.kernel_launcher"  # the kernelspec's command: python -m ... -f FILE
JOB_PROCESS_MODULE = "convcourse.grading.run_nbgrader"          # a Dask worker's job process: python -m ... --job FILE
KERNEL_ANSWER_MODULE = "convcourse.grading.remote"              # its answer() serves the re-check inside the kernel
FEEDBACK_FAILED = 10  # the job process's exit code: graded, but the feedback HTML could not be made


# --- the job and its result: plain data in, plain data out -----------------------------------------------

@dataclass
class GradingJob:
    lesson: str
    student: str
    submission: dict[str, bytes]     # the files of submitted/<student>/<lesson>/, by name
    course_files: dict[str, bytes]   # nbgrader_config.py, grader/..., non-notebook files of the lesson
    gradebook: bytes                 # the course's gradebook.db with this lesson and no submissions
    limits: Limits = field(default_factory=Limits)
    feedback: bool = True
    hide: list[str] = field(default_factory=list)  # paths on the grading machine the kernel must not see
    recheck_secret: str = ""                        # shifts hidden tests' seeds in the re-check (recheck.py)


@dataclass
class CellResult:
    name: str
    points: float | None            # None: waits for the instructor (a written answer)
    max_points: float
    autograded: bool                # a test cell (True) or a manually graded answer (False)
    message: str = ""               # the first line of the error the test raised, whole (up to MESSAGE_LIMIT)
    mistake: str = ""               # the misconception the message names (a key of convcourse.checks.MISTAKES)
    marked: bool = False            # the points are the instructor's (formgrader), read back from the gradebook


@dataclass
class GradingResult:
    lesson: str
    student: str
    outcome: str                     # graded, timeout, memory, disk, output, crashed, not a notebook, no notebook
    notes: list[str]
    cells: list[CellResult]
    files: dict[str, bytes]          # autograded/... and feedback/... paths relative to the course
    timestamp: str | None
    seconds: float
    peak_memory_mb: float
    submission_sha256: str           # submission_digest(job.submission): a rerun skips the same files
    comments: dict[str, str] = field(default_factory=dict)  # nbgrader's automatic comments, by answer cell
    log_tail: str = ""

    @property
    def score(self) -> float:
        return sum(cell.points or 0.0 for cell in self.cells)

    @property
    def max_score(self) -> float:
        return sum(cell.max_points for cell in self.cells)


def submission_digest(files: dict[str, bytes]) -> str:
    """One digest of a submission's files, names included."""
    digest = hashlib.sha256()
    for name in sorted(files):
        digest.update(name.encode() + b"\0" + hashlib.sha256(files[name]).digest())
    return digest.hexdigest()


# A diagnosis is kept whole; only a submission that raises a huge error (an output bomb) is cut (jobs.py).
MESSAGE_LIMIT = 2000
