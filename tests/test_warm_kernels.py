"""Warm kernels (convcourse/grading/warm_kernels.py): forked from a preloaded zygote, confined like cold ones.

Each test starts a zygote in a helper process, exactly as a grading job does, and kernels through the
job's kernelspec (``python -m convcourse.grading.kernel_launcher``) with jupyter_client, as nbgrader does.
"""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
import tempfile
import time
from multiprocessing import forkserver
from pathlib import Path

import psutil
import pytest
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import KernelManager

from convcourse.grading import jobs
from convcourse.grading.protocol import (KERNEL_LAUNCHER_MODULE, SECRET_FILE, TENSORFLOW_MODULES, WORKSPACE_ENV,
                                         ZYGOTE_ENV, Limits)

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason=(
    "root's sandbox (its pids cgroup); tests/test_ordinary_user.py covers an ordinary user"))

SECRET = "not-for-students-3141"


@pytest.fixture
def job_folder(tmp_path_factory):
    """A job's folder in /tmp (the sandbox keeps only that): kernelspec, secret, private folder."""
    folder = Path(tmp_path_factory.mktemp("convcourse-warm"))
    (folder / "private").mkdir()
    (folder / SECRET_FILE).parent.mkdir()
    (folder / SECRET_FILE).write_text(SECRET)
    spec = folder / "jupyter" / "kernels" / "python3"
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", KERNEL_LAUNCHER_MODULE, "-f", "{connection_file}"],
        "display_name": "graded", "language": "python"}))
    (folder / "work").mkdir()
    return folder


def _zygote_in_helper(job_folder: Path, extra_modules: tuple[str, ...] = (), environment: dict | None = None):
    """A process that has forked a zygote, as a job's process does first thing (in the kernels' environment,
    after preloading the lesson's libraries); stopped afterwards."""
    socket_path = job_folder / "private" / "kernels.sock"
    helper = subprocess.Popen([sys.executable, "-c", (
        "import signal, sys\nfrom convcourse.grading.warm_kernels import preload, start_zygote\n"
        f"preload({extra_modules!r})\nstart_zygote({str(socket_path)!r})\n"
        "print('ready', flush=True)\nsignal.pause()")],
        stdout=subprocess.PIPE, text=True, env=environment)
    assert helper.stdout.readline().strip() == "ready"
    yield psutil.Process(helper.pid), socket_path
    helper.kill()
    helper.wait()


@pytest.fixture
def zygote(job_folder):
    yield from _zygote_in_helper(job_folder)


@pytest.fixture
def keras_zygote(job_folder):
    """The zygote of a Keras lesson's job: TensorFlow and Keras imported (protocol.TENSORFLOW_LESSONS)."""
    yield from _zygote_in_helper(job_folder, TENSORFLOW_MODULES, _kernel_environment(job_folder))


def _kernel_environment(job_folder: Path) -> dict[str, str]:
    """A Keras lesson's kernels' environment, with a KERAS_HOME of the job's own (as the offline data set-up)."""
    return dict(os.environ, KERAS_HOME=str(job_folder / "keras-home"))


def _environment(job_folder: Path, socket_path: Path | None) -> dict[str, str]:
    env = dict(os.environ, JUPYTER_PATH=str(job_folder / "jupyter"), **{WORKSPACE_ENV: str(job_folder)})
    if socket_path:
        env[ZYGOTE_ENV] = str(socket_path)
    return env


def _manager(job_folder: Path) -> KernelManager:
    """A kernel manager for the job's kernelspec, reaching the kernel over Unix sockets in the job's folder
    (the sandbox gives it no network), as jobs.Workspace.kernel_options has nbgrader do."""
    specs = KernelSpecManager(kernel_dirs=[str(job_folder / "jupyter" / "kernels")], ensure_native_kernel=False)
    connection = job_folder / "kernel" / f"connection-{next(_KERNELS)}.json"
    connection.parent.mkdir(exist_ok=True)
    return KernelManager(kernel_name="python3", kernel_spec_manager=specs, transport="ipc",
                         connection_file=str(connection))


_KERNELS = itertools.count()


def _start(job_folder: Path, socket_path: Path | None, log: Path | None = None,
           environment: dict[str, str] | None = None) -> KernelManager:
    manager = _manager(job_folder)
    output = open(log, "w") if log else subprocess.DEVNULL
    manager.start_kernel(env=_environment(job_folder, socket_path) | (environment or {}), cwd=str(job_folder / "work"),
                         stdout=output, stderr=output)
    return manager


def _run(manager: KernelManager, code: str, timeout: float = 60) -> dict:
    """Execute ``code``; its printed text and the error it raised, if any."""
    client = manager.client()
    client.start_channels()
    try:
        client.wait_for_ready(timeout=60)
        printed: list[str] = []
        reply = client.execute_interactive(code, timeout=timeout, output_hook=lambda m: printed.append(
            m["content"].get("text", "")) if m["msg_type"] == "stream" else None)
        return {"printed": "".join(printed), "error": reply["content"].get("ename")}
    finally:
        client.stop_channels()


def _kernels_of(helper: psutil.Process) -> list[psutil.Process]:
    """Processes below the zygote: the kernels it forked (the zygote is the helper's only child)."""
    return [p for zygote in helper.children() for p in zygote.children(recursive=True)]


def test_a_warm_kernel_starts_with_the_lessons_imports_and_is_confined(job_folder, zygote):
    helper, socket_path = zygote
    manager = _start(job_folder, socket_path)
    try:
        result = _run(manager, (
            "import os, sys\n"
            "print('pid', os.getpid())\n"
            "print('warm', 'convcourse.checks' in sys.modules)\n"
            f"print('secret', os.path.exists({str(job_folder / SECRET_FILE)!r}))\n"
            f"try:\n    print('private', os.listdir({str(job_folder / 'private')!r}))\n"
            "except PermissionError:\n    print('private refused')\n"
            "print('variables', sorted(v for v in os.environ if v.startswith('CONVCOURSE_') and ('ZYGOTE' in v or 'SANDBOX' in v)))\n"
            "print('cwd', os.getcwd())\n"
            "print('network', sorted(line.split(':')[0].strip() for line in open('/proc/net/dev').readlines()[2:]))\n"
            "import socket\n"
            "try:\n    socket.create_connection(('1.1.1.1', 53), timeout=5)\n    print('reached the internet')\n"
            "except OSError as error:\n    print('unreachable', type(error).__name__)"))
    finally:
        manager.shutdown_kernel(now=True)
    assert result["error"] is None
    assert "network ['lo']" in result["printed"]          # its own network namespace: nothing but a loopback
    assert "unreachable OSError" in result["printed"]
    assert "pid 1\n" in result["printed"]                 # its own PID namespace
    assert "warm True" in result["printed"]               # forked with the lessons' imports loaded
    assert "secret False" in result["printed"]            # the re-check secret is covered
    assert "private refused" in result["printed"]         # so is the zygote's socket (mode 0, no capabilities)
    assert "variables []" in result["printed"]
    assert f"cwd {job_folder / 'work'}" in result["printed"]


def test_warm_kernels_do_not_share_random_numbers(job_folder, zygote):
    helper, socket_path = zygote
    draws = []
    for _ in range(2):
        manager = _start(job_folder, socket_path)
        try:
            draws.append(_run(manager, "import numpy as np, random\nprint(np.random.rand(), random.random())")["printed"])
        finally:
            manager.shutdown_kernel(now=True)
    assert draws[0] != draws[1]


def test_a_killed_launcher_takes_its_kernel_along(job_folder, zygote):
    helper, socket_path = zygote
    manager = _start(job_folder, socket_path)
    _run(manager, "x = 1")
    assert _kernels_of(helper), "the zygote should have forked the kernel"
    manager.shutdown_kernel(now=True)  # SIGKILL to the launcher, as jupyter_client does for a stuck kernel
    deadline = time.monotonic() + 15
    while _kernels_of(helper) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not _kernels_of(helper)


def test_a_kernel_that_exits_ends_its_launcher_with_its_status(job_folder, zygote):
    helper, socket_path = zygote
    manager = _start(job_folder, socket_path)
    client = manager.client()
    client.start_channels()
    client.wait_for_ready(timeout=60)
    client.execute("import os\nos._exit(3)")
    deadline = time.monotonic() + 15
    while manager.is_alive() and time.monotonic() < deadline:
        time.sleep(0.2)
    client.stop_channels()
    assert not manager.is_alive()
    assert manager.provisioner.process.returncode == 3
    manager.cleanup_resources()


def test_an_interrupt_reaches_a_warm_kernel(job_folder, zygote):
    helper, socket_path = zygote
    manager = _start(job_folder, socket_path)
    client = manager.client()
    client.start_channels()
    try:
        client.wait_for_ready(timeout=60)
        message_id = client.execute("import time\ntime.sleep(60)")
        time.sleep(2)
        manager.interrupt_kernel()
        reply = client.get_shell_msg(timeout=20)
        while reply["parent_header"].get("msg_id") != message_id:  # kernel_info's reply may come first
            reply = client.get_shell_msg(timeout=20)
        assert reply["content"]["ename"] == "KeyboardInterrupt"
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)


def test_without_a_zygote_the_kernel_starts_cold_and_says_so(job_folder, tmp_path):
    log = tmp_path / "kernel.log"
    manager = _start(job_folder, job_folder / "private" / "no-such.sock", log)
    try:
        result = _run(manager, "import sys, os\nprint(os.getpid(), 'convcourse.checks' in sys.modules)")
    finally:
        manager.shutdown_kernel(now=True)
    assert result["printed"].strip() == "1 False"
    assert "no warm kernel" in log.read_text()


@pytest.mark.parametrize("warm", [True, False], ids=["warm", "socket path too long: cold"])
def test_grading_jobs_use_warm_kernels(tmp_path, monkeypatch, warm):
    """A real job: its kernel was forked from the grading process (which has nbgrader loaded, unlike a
    fresh kernel), graded the same way. Where the zygote's socket cannot be made, the kernel is cold."""
    sys.path.insert(0, str(Path(__file__).parent))
    from nbgrader_course import Course
    from convcourse import notebooks
    from convcourse.grading.records import Course as GradedCourse

    if not warm:  # Unix socket paths are limited to 107 bytes; jobs' folders are made under TMPDIR
        forkserver.ensure_running()  # whose own socket must stay short
        long_tmp = tmp_path / ("x" * 90)
        long_tmp.mkdir()
        monkeypatch.setattr(tempfile, "tempdir", str(long_tmp))
    lesson = "01_one_pixel"
    course = Course(tmp_path / "course", (lesson,))
    source = notebooks.read(lesson)
    answers = {notebooks.nbgrader_meta(c)["grade_id"]: c.source for c in source.cells
               if notebooks.nbgrader_meta(c).get("solution") and c.cell_type == "code"}
    answers["weighted_sum"] += "\nimport sys\nprint('forked from the grader:', 'nbgrader' in sys.modules)"
    course.submit("ada", lesson, notebooks.with_answers(notebooks.read(lesson, release=True), answers))
    job, = GradedCourse(course.root).jobs(lesson, ["ada"], Limits(), feedback=False)
    result = jobs.grade_student(job)
    assert result.outcome == "graded"
    assert {c.name: c.points for c in result.cells if c.autograded} == {
        "filter_pixel_small_image": 3.0, "weighted_sum_seed_pixel": 3.0}
    autograded = result.files[f"autograded/ada/{lesson}/{lesson}.ipynb"].decode()
    assert f"forked from the grader: {warm}" in autograded


def test_a_course_kept_under_tmp_stays_visible_and_read_only_in_the_kernels_fresh_tmp(job_folder, tmp_path_factory):
    """The sandbox gives each kernel an empty /tmp; a course kept under /tmp must not vanish with it (every
    check would fail with FileNotFoundError and the class would get zeros), nor become writable."""
    import shutil

    from convcourse import COURSE_ROOT

    course = tmp_path_factory.mktemp("course-under-tmp")
    assert str(course).startswith("/tmp/")
    shutil.copytree(COURSE_ROOT / "convcourse", course / "convcourse", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(COURSE_ROOT / "data", course / "data")
    manager = _manager(job_folder)
    manager.start_kernel(env=dict(_environment(job_folder, None), PYTHONPATH=str(course)), cwd=str(job_folder / "work"),
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        result = _run(manager, (
            "import convcourse, os\nfrom convcourse import data\n"
            "print('from', os.path.dirname(convcourse.__file__))\n"
            "print('sum', int(data.patch_192().sum()))\n"
            "try:\n    open(os.path.join(os.path.dirname(convcourse.__file__), 'planted.py'), 'w')\n"
            "except OSError as error:\n    print('write refused', type(error).__name__)\n"))
    finally:
        manager.shutdown_kernel(now=True)
    assert result["error"] is None, result
    assert f"from {course / 'convcourse'}" in result["printed"]
    assert "sum 1112" in result["printed"]
    assert "write refused" in result["printed"]
    assert not (course / "convcourse" / "planted.py").exists()


def test_a_keras_lesson_s_warm_kernels_start_with_tensorflow_loaded_and_train_without_deadlock(job_folder, keras_zygote):
    # Forking is safe only because the zygote imported TensorFlow and ran none of it
    # (benchmarks/fork_after_tensorflow.py: a child of a parent that ran one operation deadlocks).
    helper, socket_path = keras_zygote
    for _ in range(2):  # the second kernel is forked after the first one trained, from the same zygote
        manager = _start(job_folder, socket_path, environment=_kernel_environment(job_folder))
        try:
            result = _run(manager, (
                "import sys\nprint('preloaded', 'tensorflow' in sys.modules and 'keras' in sys.modules)\n"
                "from keras.src.backend import config\nprint('keras home', config.keras_home())\n"
                "import keras, numpy as np\n"
                "model = keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Conv2D(2, 3), keras.layers.Flatten(),\n"
                "                          keras.layers.Dense(3)])\n"
                "model.compile('adam', 'mse')\n"
                "print('trained', len(model.fit(np.ones((16, 8, 8, 1)), np.ones((16, 3)), epochs=2, verbose=0)"
                ".history['loss']))"), timeout=120)
        finally:
            manager.shutdown_kernel(now=True)
        assert result["error"] is None, result
        assert "preloaded True" in result["printed"] and "trained 2" in result["printed"]
        # Keras read KERAS_HOME on import, in the zygote: it must be the kernels' (where the data sets are)
        assert f"keras home {job_folder / 'keras-home'}" in result["printed"]


# A confined kernel holds no capabilities, warm or cold (found by benchmarks/isolation.py's probe). Emptying the
# bounding set takes capabilities away only at the next exec; a warm kernel never execs, so it kept root's
# (CapEff 000001fffeffffff) and could unmount what covers the course (``solutions/`` became readable) until
# sandbox.py also cleared the sets it holds with ``capset``.
CAPABILITIES_PROBE = """
import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
caps = {line.split(":")[0]: line.split()[1] for line in open("/proc/self/status") if line.startswith("Cap")}
covered = [entry for entry in os.listdir("/") if os.path.ismount("/" + entry) and entry not in
           ("proc", "dev", "tmp", "sys", "mnt", "run")]
print("CapEff", caps["CapEff"], "CapPrm", caps["CapPrm"])
print("umount refused", all(libc.umount2(("/" + entry).encode(), 2) != 0 for entry in covered))
"""


@pytest.mark.parametrize("warm", [False, True], ids=["cold", "warm"])
def test_a_confined_kernel_holds_no_capabilities(job_folder, request, warm):
    socket_path = request.getfixturevalue("zygote")[1] if warm else None
    manager = _start(job_folder, socket_path)
    try:
        result = _run(manager, CAPABILITIES_PROBE)
    finally:
        manager.shutdown_kernel(now=True)
    assert result["error"] is None, result
    assert "CapEff 0000000000000000 CapPrm 0000000000000000" in result["printed"]
    assert "umount refused True" in result["printed"]


def test_a_keras_lesson_s_job_server_holds_tensorflow_and_each_job_keeps_its_own_keras_home(tmp_path):
    """`convcourse grade` of a lesson whose kernels use TensorFlow imports it once, in the job server (jobs.
    server_modules), not in every job; each job then points that Keras at the job's own home (warm_kernels.
    point_keras_at), where its kernels find the data sets, and TensorFlow's import notices stay off the terminal."""
    sys.path.insert(0, str(Path(__file__).parent))
    from nbgrader_course import Course
    from convcourse import notebooks
    from convcourse.release import nbgrader_environment

    lesson = "03_pooling"
    course = Course(tmp_path / "course", (lesson,))
    answers = {notebooks.nbgrader_meta(c)["grade_id"]: c.source for c in notebooks.read(lesson).cells
               if notebooks.nbgrader_meta(c).get("solution") and c.cell_type == "code"}
    first = next(iter(answers))
    answers[first] += ("\nimport os\nfrom keras.src.backend import config\n"
                       "print('own keras home', config.keras_home() == os.path.join(os.environ['HOME'], '.keras'))")
    course.submit("ada", lesson, notebooks.with_answers(notebooks.read(lesson, release=True), answers))
    process = subprocess.Popen([sys.executable, "-m", "convcourse.cli", "grade", lesson, "--no-canary", "--jobs", "1"],
                               cwd=course.root, env=nbgrader_environment(), stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    server_holds_tensorflow = False
    while process.poll() is None and not server_holds_tensorflow:
        for child in psutil.Process(process.pid).children():
            try:
                if "multiprocessing.forkserver" in " ".join(child.cmdline()):
                    server_holds_tensorflow = any("tensorflow" in m.path for m in child.memory_maps())
            except psutil.Error:
                pass
        time.sleep(0.5)
    out, err = process.communicate(timeout=600)
    assert process.returncode == 0, out + err
    assert server_holds_tensorflow, "the job server imported TensorFlow"
    assert "cpu_feature_guard" not in err and "oneDNN" not in err, err
    graded = (course.root / "autograded" / "ada" / lesson / f"{lesson}.ipynb").read_text()
    assert "own keras home True" in graded
