"""An instructor who grades as an ordinary user, not root, gets the same sandbox through a user namespace.

The tests become `nobody` (uid 65534, with `setpriv`, so they need root themselves): first one kernel
confined by `sandbox.run_confined` as the kernel's launcher does, then a whole `convcourse grade` of a small
class, warm kernels included, in which a spying student looks for the solutions and tries to write outside.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from convcourse import notebooks
from convcourse.grading.protocol import OFFLINE_DATA_ENV, SHM_ENV, TMP_ENV, WORKSPACE_ENV
from nbgrader_course import Course
from test_isolation_choice import _benchmark

BENCHMARK = _benchmark()  # benchmarks/isolation.py: becoming nobody as it measures it
NOBODY, AS_NOBODY = BENCHMARK.NOBODY, BENCHMARK.AS_NOBODY
LESSON = "01_one_pixel"

pytestmark = pytest.mark.skipif(os.geteuid() != 0 or shutil.which("setpriv") is None,
                                reason="becoming nobody needs root and setpriv")

# What a confined kernel finds out about itself: printed as one JSON line.
PROBE = """
import json, os, shutil, sys
def writable(folder):
    try:
        with open(os.path.join(folder, "probe-written"), "w"):
            pass
        os.remove(os.path.join(folder, "probe-written"))
        return True
    except OSError:
        return False
capabilities = {line.split(":")[0]: line.split()[1] for line in open("/proc/self/status") if line.startswith("Cap")}
course = sys.argv[1] if len(sys.argv) > 1 else COURSE
print("PROBE", json.dumps({
    "pid": os.getpid(), "uid": os.getuid(), "CapEff": capabilities["CapEff"], "CapPrm": capabilities["CapPrm"],
    "writable": sorted(f for f in [os.getcwd(), "/tmp", "/dev/shm", "/dev", "/etc", "/var/tmp", course] if writable(f)),
    "sizes": [shutil.disk_usage("/tmp").total >> 20, shutil.disk_usage("/dev/shm").total >> 20],
    "seen": sorted(p for p in ("solutions", "source", "gradebook.db", "submitted") if os.path.exists(f"{course}/{p}")),
    "devices": sorted(os.listdir("/dev")),
    "network": sorted(line.split(":")[0].strip() for line in open("/proc/net/dev").readlines()[2:]),
}))
"""


def _probed(printed: str) -> dict:
    line = next(line for line in printed.splitlines() if line.startswith("PROBE "))
    return json.loads(line.removeprefix("PROBE "))


@pytest.fixture(scope="module")
def nobody():
    """A folder in /var/tmp, and a Python that nobody can run with this environment's packages
    (benchmarks/isolation.py's ``python_for_nobody``, which the benchmark measures with)."""
    scratch = Path(tempfile.mkdtemp(prefix="convcourse-nobody-", dir="/var/tmp"))
    scratch.chmod(0o755)
    try:
        python = BENCHMARK.python_for_nobody(scratch)
    except (OSError, subprocess.CalledProcessError) as error:  # no system Python of this version to lend nobody
        shutil.rmtree(scratch)
        pytest.skip(f"no Python that nobody can run: {error}")
    home = scratch / "home"
    home.mkdir()
    os.chown(home, NOBODY, NOBODY)
    allowed = subprocess.run([*AS_NOBODY, python, "-c", "import ctypes, sys\n"
                              "sys.exit(ctypes.CDLL(None).unshare(0x10000000))"])  # CLONE_NEWUSER
    if allowed.returncode != 0:
        shutil.rmtree(scratch)
        pytest.skip("this machine refuses user namespaces to nobody")
    yield scratch, python
    shutil.rmtree(scratch, ignore_errors=True)


def _environment(python: str, home: Path, **settings: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("CONVCOURSE_", "JUPYTER"))}
    if os.environ.get(OFFLINE_DATA_ENV):
        env[OFFLINE_DATA_ENV] = os.environ[OFFLINE_DATA_ENV]
    return env | {"HOME": str(home), "PATH": f"{Path(python).parent}{os.pathsep}{os.environ['PATH']}", **settings}


def test_nobody_s_kernel_is_confined_as_root_s_is(nobody):
    scratch, python = nobody
    job = scratch / "job"
    job.mkdir()
    os.chown(job, NOBODY, NOBODY)
    launch = ("import os, sys\nfrom convcourse.grading import sandbox\n"
              "print('unavailable', sandbox.unavailable_because(), flush=True)\n"
              "sandbox.run_confined([], run_kernel=lambda argv: os.execv(sys.executable, "
              "[sys.executable, '-c', sys.argv[1], sys.argv[2]]))")
    env = _environment(python, scratch / "home", **{WORKSPACE_ENV: str(job), TMP_ENV: "24", SHM_ENV: "8"})
    done = subprocess.run([*AS_NOBODY, python, "-c", launch, PROBE, str(scratch)], cwd=job, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "unavailable None" in done.stdout
    probed = _probed(done.stdout)
    assert probed["pid"] == 1 and probed["uid"] == NOBODY  # its own PID namespace, still nobody inside
    assert probed["CapEff"] == probed["CapPrm"] == "0000000000000000"
    assert probed["writable"] == sorted([str(job), "/dev/shm", "/tmp"])  # not /var/tmp, /etc, nor nobody's files
    assert probed["sizes"] == [24, 8]
    assert probed["devices"] == ["fd", "full", "null", "random", "shm", "stderr", "stdin", "stdout", "urandom", "zero"]
    assert probed["seen"] == []  # /var/tmp/convcourse-nobody-*/job's parent is not visible at all
    assert probed["network"] == ["lo"]  # a network namespace of its own


@pytest.mark.slow
def test_an_ordinary_instructor_grades_a_class_with_every_kernel_confined(nobody):
    """`convcourse grade` run by nobody: no warning, honest marks, and a spy (nobody's own course, which it
    could read and write unconfined) sees none of the course, can write only its job's folders and has no
    network."""
    scratch, python = nobody
    course = Course(scratch / "course", (LESSON,))
    course.submit("ada", LESSON, notebooks.completed(LESSON))
    spy = notebooks.cell(notebooks.read(LESSON), "filter_pixel").source + f"\nCOURSE = {str(course.root)!r}\n" + PROBE
    course.submit("spy", LESSON, notebooks.with_answers(notebooks.completed(LESSON), {"filter_pixel": spy}))
    subprocess.run(["chown", "-R", f"{NOBODY}:{NOBODY}", str(course.root)], check=True)

    run = subprocess.run([*AS_NOBODY, python, "-m", "convcourse.cli", "grade", LESSON, "--no-feedback", "--no-canary"],
                         cwd=course.root, env=_environment(python, scratch / "home"), capture_output=True, text=True,
                         timeout=900)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert "Warning:" not in run.stderr, run.stderr
    assert course.total_score("ada", LESSON) == course.total_score("spy", LESSON) == 6
    spied = notebooks.cell(course.autograded_notebook("spy", LESSON), "filter_pixel")
    probed = _probed("".join(output.get("text", "") for output in spied.outputs))
    assert probed["pid"] == 1 and probed["uid"] == NOBODY
    assert probed["CapEff"] == probed["CapPrm"] == "0000000000000000"
    assert probed["seen"] == [], "the spy saw the course's solutions, gradebook or submissions"
    assert probed["network"] == ["lo"], "the spy's kernel had a network"
    assert str(course.root) not in probed["writable"] and "/var/tmp" not in probed["writable"]


# nobody as root of a user namespace of its own in which no more namespaces may be made (the limits are per
# user namespace): like a container without CAP_SYS_ADMIN, the sandbox cannot start.
NO_NAMESPACES = ["unshare", "--user", "--map-root-user", "sh", "-c",
                 "echo 0 > /proc/sys/user/max_mnt_namespaces && echo 0 > /proc/sys/user/max_user_namespaces "
                 '&& exec "$@"', "no-namespaces"]


@pytest.mark.slow
def test_where_namespaces_are_refused_grade_warns_once_and_grades_unconfined(nobody):
    scratch, python = nobody
    course = Course(scratch / "refused", (LESSON,))
    course.submit("ada", LESSON, notebooks.completed(LESSON))
    subprocess.run(["chown", "-R", f"{NOBODY}:{NOBODY}", str(course.root)], check=True)
    run = subprocess.run([*AS_NOBODY, *NO_NAMESPACES, python, "-m", "convcourse.cli", "grade", LESSON, "--no-feedback",
                          "--no-canary"], cwd=course.root, env=_environment(python, scratch / "home"),
                         capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    warnings = [line for line in run.stderr.splitlines() if line.startswith("Warning:")]
    assert len(warnings) == 1, run.stderr
    assert "does not let you confine a kernel" in warnings[0] and "unconfined" in warnings[0]
    assert course.total_score("ada", LESSON) == 6
