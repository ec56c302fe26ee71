"""Isolation's cost per kernel start: the hand-written sandbox against bubblewrap, measured in one run.

Each variant starts N kernels through jupyter_client, as nbgrader does (interleaved: one start of each variant per
round, so a change in the machine's load reaches all alike), and times each from
``start_kernel`` until the kernel has answered ``kernel_info`` and run ``1+1`` ("ready"), then until it has
also imported what a lesson's set-up cell imports (numpy and the course's checks, data, plots and widgets:
"+ lesson imports", which is what warm kernels save). One unmeasured start first warms the page cache.
Ratios are against the plain kernel measured in the same run (timings on a shared machine swing 2-3x).

Variants (VARIANTS; grader/README.md's "Isolation" section names the same, tests/test_isolation_choice.py
checks it):

  plain           IPython's own kernel, no isolation (the reference)
  sandbox-cold    the project's kernelspec (kernel_launcher.py -> sandbox.run_confined), fresh kernel
  sandbox-warm    the same with the job's zygote (warm_kernels.py), as every grading job starts kernels
  bwrap-net       bubblewrap as root: the same view of the files, tmpfs sizes, no capabilities, network kept
                  (as the sandbox keeps it), joined to a pids cgroup first by one shell line
  bwrap           the same without network: jupyter_client's ipc transport (Unix sockets in the job folder)
  bwrap-zygote    one bubblewrap sandbox per job around the zygote, warm kernels forked inside it (no network)
  bwrap-user      bubblewrap as an unprivileged user (nobody) through a user namespace, no network, no
                  cgroup (measured in a child process running as nobody)

Run: ``nice -n 5 .venv/bin/python benchmarks/isolation.py [--n 10] [--only NAME ...]``;
``--table`` prints the enforcement table of grader/README.md.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import KernelManager

from convcourse.grading import sandbox
from convcourse.grading.protocol import (COVERED_FROM_KERNEL, KERNEL_LAUNCHER_MODULE, SHM_ENV, TASKS_ENV, TMP_ENV,
                                         WORKSPACE_ENV, ZYGOTE_ENV, Limits)

LIMITS = Limits()
LESSON_IMPORTS = ("import numpy, convcourse.checks, convcourse.data, convcourse.validate, convcourse.plots, "
                  "convcourse.timing, convcourse.widgets")
NOBODY = 65534
AS_NOBODY = ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups"]  # then a command
# Run once in each variant's unmeasured kernel: what the kernel finds, printed beside the timings.
PROBE = """
import json, os, shutil
def _attempt(path):
    try:
        open(path, "w").close()
        os.remove(path)
        return "writable"
    except OSError as error:
        return type(error).__name__
print(json.dumps({
    "pid": os.getpid(),
    "net": sorted(line.split(":")[0].strip() for line in open("/proc/net/dev").readlines()[2:]),
    "course": _attempt(os.path.join(os.path.dirname(__import__("convcourse").__file__), "probe")),
    "tmp_mb": shutil.disk_usage("/tmp").total >> 20,
    "shm_mb": shutil.disk_usage("/dev/shm").total >> 20,
    "cap_eff": [line.split()[1] for line in open("/proc/self/status") if line.startswith("CapEff")][0],
    "pids": [line.strip().split(":", 2)[2] for line in open("/proc/self/cgroup") if ":pids:" in line][:1],
}))
"""


@dataclass(frozen=True)
class Variant:
    name: str
    what: str
    network: str
    writes: str
    tmpfs: str
    processes: str
    memory: str
    capabilities: str
    seccomp: str


_SAME = "RLIMIT_AS + the job's supervisor"  # kernel_guard.py and jobs.py, the same for every variant
_WRITES = "job folder, /tmp, /dev/shm"
_SIZES = "/tmp 512 MB, /dev/shm 64 MB"
_FILTER = "none (takes a compiled filter: --seccomp FD)"
VARIANTS = (
    Variant("plain", "IPython's kernel, no isolation", "yes", "anywhere root may", "unbounded",
            "none (the supervisor counts)", _SAME, "all of root's", "none"),
    Variant("sandbox-cold", "sandbox.py, fresh kernel", "none (lo only; ipc transport)", _WRITES, _SIZES, "pids cgroup",
            _SAME, "none (exec with an empty bounding set)", "none"),
    Variant("sandbox-warm", "sandbox.py, kernel forked from the job's zygote", "none (lo only; ipc transport)", _WRITES,
            _SIZES, "pids cgroup", _SAME, "none (capset after the bounding set)", "none"),
    Variant("bwrap-net", "bubblewrap as root, network kept", "kept (--share-net)", _WRITES, _SIZES + " (--size)",
            "pids cgroup, joined by a shell line before bwrap", _SAME, "none (--cap-drop ALL)", _FILTER),
    Variant("bwrap", "bubblewrap as root, no network (ipc transport)", "none (lo only)", _WRITES,
            _SIZES + " (--size)", "pids cgroup, joined by a shell line before bwrap", _SAME, "none (--cap-drop ALL)",
            _FILTER),
    Variant("bwrap-zygote", "one bubblewrap per job around the zygote, warm kernels inside", "none (lo only)",
            _WRITES, _SIZES + ", shared by the job's kernels", "not joined here (one cgroup per job would do)", _SAME,
            "none (--cap-drop ALL)", _FILTER),
    Variant("bwrap-user", "bubblewrap as nobody (user namespace), no network", "none (lo only)", _WRITES,
            _SIZES + " (--size)", "none: no cgroup delegated to the user here", _SAME,
            "none outside its user namespace", _FILTER),
)
COLUMNS = ("network", "writes", "tmpfs", "processes", "memory", "capabilities", "seccomp")
HEADINGS = ("variant", "network", "filesystem writes", "tmpfs sizes", "process cap", "memory", "capabilities",
            "seccomp")


def markdown_table() -> str:
    """The enforcement table as grader/README.md shows it (one row per variant, in VARIANTS' order)."""
    rows = ["| " + " | ".join(HEADINGS) + " |", "|" + "---|" * len(HEADINGS)]
    for variant in VARIANTS:
        rows.append(f"| `{variant.name}` | " + " | ".join(getattr(variant, c) for c in COLUMNS) + " |")
    return "\n".join(rows)


# --- starting and timing kernels ------------------------------------------------------------------------

class Job:
    """A job's folder in /tmp, as jobs.Workspace makes one: home, work, private, a kernelspec per variant."""

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="convcourse-isolation-"))
        for part in ("home", "work", "private", "kernels"):
            (self.root / part).mkdir()
        self.cgroup = f"convcourse-isolation-{uuid.uuid4().hex[:8]}"
        self.count = 0

    def env(self) -> dict[str, str]:
        home = self.root / "home"
        return dict(os.environ, HOME=str(home), IPYTHONDIR=str(home / ".ipython"),
                    MPLCONFIGDIR=str(home / ".matplotlib"), XDG_CACHE_HOME=str(home / ".cache"),
                    PYDEVD_DISABLE_FILE_VALIDATION="1")

    def spec(self, name: str, argv: list[str]) -> KernelSpecManager:
        folder = self.root / "kernels" / name
        folder.mkdir(exist_ok=True)
        (folder / "kernel.json").write_text(json.dumps({"argv": argv, "display_name": name, "language": "python"}))
        return KernelSpecManager(kernel_dirs=[str(self.root / "kernels")], ensure_native_kernel=False)

    def remove(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)
        for group in sandbox.task_cgroups(self.cgroup):
            for _ in range(50):  # a killed zygote's kernels take a moment to leave it
                try:
                    os.rmdir(group)
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.1)


def kernel_argv() -> list[str]:
    return [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]


def time_one(job: Job, name: str, specs: KernelSpecManager, env: dict, transport: str,
             found: dict | None = None) -> tuple[float, float]:
    """Seconds to a kernel that ran 1+1, and to one that has also done the lessons' imports (then, given
    ``found``, the PROBE's findings put there)."""
    job.count += 1
    manager = KernelManager(kernel_name=name, kernel_spec_manager=specs, transport=transport,
                            connection_file=str(job.root / f"kernel-{job.count}.json"))
    start = time.perf_counter()
    manager.start_kernel(env=env, cwd=str(job.root / "work"), stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
    client = manager.client()
    client.start_channels()
    try:
        client.wait_for_ready(timeout=120)
        for code in ("1+1", LESSON_IMPORTS):
            reply = client.execute_interactive(code, timeout=120, output_hook=lambda message: None)
            if reply["content"]["status"] != "ok":
                raise RuntimeError(f"{name}: {code!r} failed: {reply['content'].get('evalue')}")
            if code == "1+1":
                ready = time.perf_counter() - start
        imported = time.perf_counter() - start
        if found is not None:
            printed = []
            client.execute_interactive(PROBE, timeout=60, output_hook=lambda message: printed.append(
                message["content"].get("text", "")) if message["msg_type"] == "stream" else None)
            found.update(json.loads("".join(printed).strip().splitlines()[-1]))
            # Seen from outside too: bwrap's cgroup namespace shows the kernel its own cgroup as "/".
            for group in sandbox.task_cgroups(job.cgroup):
                if os.path.exists(os.path.join(group, "pids.current")):
                    found["pids"] = [f"{group} (pids.current {Path(group, 'pids.current').read_text().strip()})"]
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)
    return ready, imported


def bwrap_args(job: Path, network: bool) -> list[str]:
    """bubblewrap's options for the sandbox's confinement (sandbox.py): the operating system's folders and what
    the kernel needs, read-only; a fresh, sized /tmp holding only the job folder; its private parts covered."""
    args = ["bwrap", "--unshare-all", *(["--share-net"] if network else []), "--die-with-parent", "--new-session",
            "--cap-drop", "ALL", "--ro-bind", "/", "/",
            # bwrap's own init is PID 1 and the kernel's parent, so ipykernel's parent poller would take the kernel
            # for an orphan and exit at once: leave parent-death to --die-with-parent.
            "--unsetenv", "JPY_PARENT_PID"]
    hidden = [f"/{e}" for e in sorted(os.listdir("/"))
              if e not in sandbox.SYSTEM and os.path.isdir(f"/{e}") and not os.path.islink(f"/{e}")]
    for folder in hidden:
        args += ["--tmpfs", folder]
    for path in sandbox._needed_paths():
        if sandbox._top(path) not in sandbox.SYSTEM:
            args += ["--ro-bind", path, path]
    for folder in hidden:
        args += ["--remount-ro", folder]
    args += ["--dev", "/dev", "--proc", "/proc",
             "--size", str(LIMITS.tmp_mb << 20), "--tmpfs", "/tmp",
             "--size", str(LIMITS.shm_mb << 20), "--tmpfs", "/dev/shm",
             "--bind", str(job), str(job)]
    for part in COVERED_FROM_KERNEL:
        path = job / part
        if path.is_dir():
            args += ["--tmpfs", str(path), "--remount-ro", str(path)]
        elif path.exists():
            args += ["--ro-bind", "/dev/null", str(path)]
    return args


def in_pids_cgroup(job: Job, argv: list[str]) -> list[str]:
    """``argv`` started inside the job's pids cgroup (capped at Limits.tasks), as sandbox.cap_tasks would."""
    group = next((g for g in sandbox.task_cgroups(job.cgroup) if os.path.isdir(os.path.dirname(os.path.dirname(g)))
                  and os.path.exists(os.path.join(os.path.dirname(os.path.dirname(g)), "cgroup.procs"))), None)
    if group is None or os.geteuid() != 0:
        return argv
    os.makedirs(group, exist_ok=True)
    Path(group, "pids.max").write_text(str(LIMITS.tasks))
    return ["sh", "-c", 'echo $$ > "$0" && exec "$@"', os.path.join(group, "cgroup.procs"), *argv]


def start_zygote(argv_prefix: list[str], socket_path: Path, env: dict) -> subprocess.Popen:
    """A process holding a zygote at ``socket_path``, as a job's process does (inside ``argv_prefix``)."""
    helper = subprocess.Popen([*argv_prefix, sys.executable, "-c", (
        "import signal\nfrom convcourse.grading.warm_kernels import start_zygote\n"
        f"start_zygote({str(socket_path)!r})\nprint('ready', flush=True)\nsignal.pause()")],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)
    if helper.stdout.readline().strip() != "ready":
        raise RuntimeError("the zygote did not start")
    return helper


@dataclass
class Prepared:
    job: Job
    name: str
    specs: KernelSpecManager
    env: dict
    transport: str

    def start(self, found: dict | None = None) -> tuple[float, float]:
        return time_one(self.job, self.name, self.specs, self.env, self.transport, found)


@contextlib.contextmanager
def prepared(name: str):
    """A job folder, kernelspec and environment for starting ``name``'s kernels (and its zygote, if any)."""
    job = Job()
    helper = None
    try:
        env = job.env()
        launcher = [sys.executable, "-m", KERNEL_LAUNCHER_MODULE, "-f", "{connection_file}"]
        confined = dict(env, **{WORKSPACE_ENV: str(job.root), TMP_ENV: str(LIMITS.tmp_mb),
                                SHM_ENV: str(LIMITS.shm_mb), TASKS_ENV: f"{job.cgroup} {LIMITS.tasks}"})
        transport = "tcp"
        if name == "plain":
            argv = kernel_argv()
        elif name == "sandbox-cold":
            argv, env, transport = launcher, confined, "ipc"  # as grading's kernels (jobs.Workspace.kernel_options)
        elif name == "sandbox-warm":
            socket_path = job.root / "private" / "kernels.sock"
            helper = start_zygote([], socket_path, env)
            argv, env, transport = launcher, dict(confined, **{ZYGOTE_ENV: str(socket_path)}), "ipc"
        elif name in ("bwrap-net", "bwrap", "bwrap-user"):
            network = name == "bwrap-net"
            argv = in_pids_cgroup(job, [*bwrap_args(job.root, network), *kernel_argv()])
            transport = "tcp" if network else "ipc"
        elif name == "bwrap-zygote":
            socket_path = job.root / "kernels.sock"  # outside private/, which the sandbox covers
            helper = start_zygote(bwrap_args(job.root, network=False), socket_path, env)
            argv, env, transport = launcher, dict(env, **{ZYGOTE_ENV: str(socket_path)}), "ipc"
        else:
            raise ValueError(f"no variant {name!r}")
        yield Prepared(job, name, job.spec(name, argv), env, transport)
    finally:
        if helper:
            helper.kill()
            helper.wait()
        job.remove()


def measure(names: list[str], n: int) -> dict[str, dict]:
    """N starts of each variant, interleaved (one of each per round, so a change in the machine's load
    reaches every variant alike), after one unmeasured start each that also runs the PROBE."""
    with contextlib.ExitStack() as stack:
        variants = {name: stack.enter_context(prepared(name)) for name in names}
        found = {name: {} for name in names}
        for name, variant in variants.items():
            variant.start(found[name])
        runs: dict[str, list] = {name: [] for name in names}
        for _ in range(n):
            for name, variant in variants.items():
                runs[name].append(variant.start())
    return {name: {"ready": [r for r, _ in runs[name]], "imported": [i for _, i in runs[name]],
                   "found": found[name]} for name in names}


def python_for_nobody(scratch: Path) -> str:
    """A Python that nobody (a non-root instructor) can run with the course environment's packages.

    An unprivileged user must be able to read the interpreter. Where it lives under a folder they cannot
    enter (here the course's .venv points into /root/.pyenv, mode 700), this is Debian's python3 of the same
    minor version in a venv made in ``scratch`` whose .pth adds the environment's site-packages, with an
    ``alembic`` beside it (nbgrader runs it from PATH); else this Python.
    """
    probe = subprocess.run([*AS_NOBODY, "test", "-x", os.path.realpath(sys.executable)])
    if probe.returncode == 0:
        return sys.executable
    venv = scratch / "venv"
    system_python = f"/usr/bin/python{sys.version_info.major}.{sys.version_info.minor}"
    subprocess.run([system_python, "-m", "venv", "--without-pip", str(venv)], check=True)
    packages = next(Path(sys.prefix).glob("lib/python*/site-packages"))
    site = next(venv.glob("lib/python*/site-packages"))
    (site / "course.pth").write_text(f"import site; site.addsitedir({str(packages)!r})\n")
    python = str(venv / "bin" / "python")
    alembic = venv / "bin" / "alembic"
    alembic.write_text(f"#!{python}\nimport sys\nfrom alembic.config import main\nsys.exit(main())\n")
    alembic.chmod(0o755)
    return python


def measure_as_nobody(names: list[str], n: int) -> dict[str, dict]:
    """Run ``measure`` for ``names`` in a child process as nobody (a non-root instructor): their numbers."""
    if os.geteuid() != 0:
        return measure(names, n)
    scratch = Path(tempfile.mkdtemp(prefix="convcourse-isolation-nobody-", dir="/var/tmp"))
    try:
        os.chmod(scratch, 0o755)
        python = python_for_nobody(scratch)
        home = scratch / "home"
        home.mkdir()
        os.chown(home, NOBODY, NOBODY)
        env = dict(os.environ, HOME=str(home), JUPYTER_RUNTIME_DIR=str(home / "runtime"))
        command = [*AS_NOBODY, python, __file__, "--only", *names, "--n", str(n), "--json"]
        done = subprocess.run(command, env=env, capture_output=True, text=True, cwd="/tmp")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    if done.returncode != 0:
        raise RuntimeError(done.stderr.strip().splitlines()[-1] if done.stderr.strip() else f"exit {done.returncode}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def readable_by_nobody(path: str) -> bool:
    return subprocess.run([*AS_NOBODY, "sh", "-c", 'test -r "$0" && cd "$0"', path],
                          stderr=subprocess.DEVNULL).returncode == 0


def setup_costs(n: int) -> dict[str, list[float]]:
    """Milliseconds to set the confinement up around ``true`` (no kernel), each against its own baseline."""
    job = Job()
    confine = ("import os, sys\nfrom convcourse.grading import sandbox\n"
               "become_true = lambda argv=(): os.execv('/bin/true', ['true'])\n"
               "sandbox.run_confined([], run_kernel=become_true) if sys.argv[1:] else become_true()")
    env = dict(job.env(), **{WORKSPACE_ENV: str(job.root), TMP_ENV: str(LIMITS.tmp_mb), SHM_ENV: str(LIMITS.shm_mb)})
    commands = {"true": ["true"], "python, sandbox imported, exec true": [sys.executable, "-c", confine]}
    if not unavailable("sandbox-cold"):
        commands["sandbox.run_confined"] = [sys.executable, "-c", confine, "confine"]
    nobody_job = Path(tempfile.mkdtemp(prefix="convcourse-isolation-"))
    scratch = Path(tempfile.mkdtemp(prefix="convcourse-isolation-nobody-", dir="/var/tmp"))
    nobody_env = {WORKSPACE_ENV: str(nobody_job)}
    if os.geteuid() == 0 and shutil.which("setpriv"):
        os.chown(nobody_job, NOBODY, NOBODY)
        os.chmod(scratch, 0o755)
        python = python_for_nobody(scratch)
        commands["setpriv nobody, python, sandbox imported, exec true"] = [*AS_NOBODY, python, "-c", confine]
        commands["sandbox.run_confined (nobody)"] = [*AS_NOBODY, python, "-c", confine, "confine"]
    if shutil.which("bwrap"):
        commands["bwrap (root)"] = [*bwrap_args(job.root, network=False), "true"]
        if os.geteuid() == 0 and shutil.which("setpriv"):
            commands["setpriv nobody, true"] = [*AS_NOBODY, "true"]
            args = bwrap_args(nobody_job, network=False)
            for index in reversed(range(len(args) - 2)):  # what nobody cannot read (here /root's Python)
                if args[index] == "--ro-bind" and args[index + 1] != "/" and not readable_by_nobody(args[index + 1]):
                    del args[index:index + 3]
            commands["bwrap (nobody)"] = [*AS_NOBODY, *args, "true"]
    seconds: dict[str, list[float]] = {name: [] for name in commands}
    try:
        for _ in range(n + 1):  # the first round is not kept
            for name, command in commands.items():
                extra = {TASKS_ENV: f"{job.cgroup} {LIMITS.tasks}"} if name == "sandbox.run_confined" else {}
                extra |= nobody_env if "nobody" in name else {}
                start = time.perf_counter()
                subprocess.run(command, env=dict(env, **extra), check=True, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
                seconds[name].append(time.perf_counter() - start)
    finally:
        job.remove()
        shutil.rmtree(nobody_job, ignore_errors=True)
        shutil.rmtree(scratch, ignore_errors=True)
    return {name: values[1:] for name, values in seconds.items()}


def unavailable(name: str) -> str | None:
    if name.startswith("sandbox"):
        return sandbox.unavailable_because()
    if name.startswith("bwrap") and not shutil.which("bwrap"):
        return "bwrap is not installed (apt-get install bubblewrap)"
    if name == "bwrap-user" and os.geteuid() == 0 and not shutil.which("setpriv"):
        return "setpriv is missing (util-linux)"
    return None


def report(results: dict[str, dict]) -> None:
    base = results.get("plain")
    print(f"\nKernel starts ({len(next(iter(results.values()))['ready'])} each, after one unmeasured start); "
          "seconds, median / worst; ratio = median / plain's median")
    print(f"  {'variant':<17} {'ready (1+1)':>16} {'ratio':>7}   {'+ lesson imports':>16} {'ratio':>7}")
    for name, result in results.items():
        cells = []
        for key in ("ready", "imported"):
            median, worst = statistics.median(result[key]), max(result[key])
            ratio = median / statistics.median(base[key]) if base else float("nan")
            cells.append(f"{median:7.2f} / {worst:6.2f} x{ratio:6.2f}")
        print(f"  {name:<17} {cells[0]:>25}   {cells[1]:>25}")
    print("\nWhat each kernel found (pid, network interfaces, writing into convcourse/, /tmp and /dev/shm sizes in "
          "MB, effective capabilities, pids cgroup)")
    for name, result in results.items():
        found = result.get("found", {})
        print(f"  {name:<17} pid {found.get('pid')}, net {found.get('net')}, course {found.get('course')}, "
              f"/tmp {found.get('tmp_mb')}, /dev/shm {found.get('shm_mb')}, caps {found.get('cap_eff')}, "
              f"pids {found.get('pids')}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10, help="measured starts per variant")
    parser.add_argument("--only", nargs="+", choices=[v.name for v in VARIANTS])
    parser.add_argument("--json", action="store_true", help="print the timings as JSON (the child run as nobody)")
    parser.add_argument("--table", action="store_true", help="print the enforcement table (markdown) and stop")
    args = parser.parse_args()
    if args.table:
        print(markdown_table())
        return
    if args.json:  # the child process of measure_as_nobody
        print(json.dumps(measure(args.only, args.n)))
        return
    names = args.only or [v.name for v in VARIANTS]
    if "plain" not in names:
        names.insert(0, "plain")
    print(f"bubblewrap: {subprocess.run(['bwrap', '--version'], capture_output=True, text=True).stdout.strip()}"
          if shutil.which("bwrap") else "bubblewrap: not installed")
    for name in list(names):
        reason = unavailable(name)
        if reason:
            print(f"  {name}: skipped, {reason}")
            names.remove(name)
    here = [name for name in names if name != "bwrap-user"]
    results = measure(here, args.n)
    if "bwrap-user" in names:  # as nobody, in a child process; plain is measured again there, interleaved
        try:
            as_nobody = measure_as_nobody(["plain", "bwrap-user"], args.n)
            results["bwrap-user"], results["plain (as nobody)"] = as_nobody["bwrap-user"], as_nobody["plain"]
        except Exception as error:  # noqa: BLE001 - a finding, not the end of the run
            print(f"  bwrap-user: failed, {error}")
    report(results)
    costs = setup_costs(max(args.n, 20))
    print(f"\nSetting the confinement up around /bin/true, no kernel ({max(args.n, 20)} runs each): ms, median / worst")
    for name, values in costs.items():
        print(f"  {name:<52} {statistics.median(values) * 1000:8.1f} / {max(values) * 1000:7.1f}")
    pairs = (("sandbox.run_confined", "python, sandbox imported, exec true"),
             ("sandbox.run_confined (nobody)", "setpriv nobody, python, sandbox imported, exec true"),
             ("bwrap (root)", "true"),
             ("bwrap (nobody)", "setpriv nobody, true"))
    for name, base in pairs:
        if name in costs:
            extra = (statistics.median(costs[name]) - statistics.median(costs[base])) * 1000
            print(f"  {name}: {extra:+.1f} ms over {base}")
    if "plain (as nobody)" in results:
        user, plain = (statistics.median(results[k]["ready"]) for k in ("bwrap-user", "plain (as nobody)"))
        print(f"  bwrap-user / plain, both as nobody in the same child (ready): x{user / plain:.2f}")


if __name__ == "__main__":
    main()
