"""The confinement of a graded submission's kernel: ``run_confined(argv)`` starts it inside Linux namespaces.

The job's kernelspec runs ``python -m convcourse.grading.kernel_launcher`` (kernel_launcher.py), which
confines a fresh kernel here, or has the job's zygote fork a warm one and confine it here too
(warm_kernels.py). Either way the kernel nbgrader talks to is IPython's own, started inside:

- no network (a network namespace with only a loopback, down): it cannot download, upload or reach any
  service; nbgrader talks to it over Unix sockets in the job's folder (jupyter_client's ipc transport,
  ``protocol.CONNECTION_FILE``; only where that folder's path is too long for a socket does nbgrader use
  TCP, and the kernel keeps the network);
- its own process tree (a PID namespace): it cannot see, signal or trace the grader, other students'
  kernels or anything else on the machine; when its launcher dies, everything in it dies;
- its own view of the files (a mount namespace): the operating system's folders; of everything else
  (homes, /srv, /work, ...) only Python, the environment, the course's package and data and the offline
  data sets; a fresh, empty ``/tmp`` (other jobs' folders gone) holding only this job's folder, in which
  the gradebook copy, the submission folder and the grading configuration are covered
  (``protocol.COVERED_FROM_KERNEL``); a minimal ``/dev``; all of it read-only except its own folder and
  ``/tmp``, so nothing it does can reach the solutions or change the course, the grader's code or another
  student's files;
- no capabilities: although it runs as root (or, for an instructor grading as an ordinary user, as that user
  inside a user namespace of its own), it cannot mount, unmount or undo any of this;
- bounded: ``/tmp`` and ``/dev/shm`` are RAM-backed filesystems of a fixed size (``protocol.TMP_ENV``,
  ``protocol.SHM_ENV``), and every kernel of the job shares one cap on tasks, processes and threads
  together (a ``pids`` cgroup, ``protocol.TASKS_ENV``; where the machine offers none, the job's supervisor
  counts them instead).

Root gets these namespaces directly. An ordinary user gets the same ones inside a user namespace (where the
operating system allows them, as most Linux distributions do): the kernel keeps the user's own uid, and its
capabilities reach only its own namespaces until they are dropped. ``unavailable_because`` tries it once
before grading starts. Where it does not work (no Linux, namespaces refused, as in a container without
``CAP_SYS_ADMIN`` or where user namespaces are off), the kernel runs as IPython's usual one and
``convcourse grade`` warns in one sentence.
"""

from __future__ import annotations

import ctypes
import json
import os
import signal
import sys
import tempfile
import time

from .process_tree import die_with_parent
from .protocol import (COVERED_FROM_KERNEL, HIDE_ENV, OFFLINE_DATA_ENV, SHM_ENV, TASKS_ENV, TMP_ENV, WORKSPACE_ENV,
                       ZYGOTE_ENV)

CLONE_NEWNS, CLONE_NEWPID, CLONE_NEWNET, CLONE_NEWUSER = 0x00020000, 0x20000000, 0x40000000, 0x10000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 32, 4096, 16384, 1 << 18
MNT_DETACH = 2
PR_CAPBSET_DROP, PR_SET_NO_NEW_PRIVS = 24, 38
_LINUX_CAPABILITY_VERSION_3 = 0x20080522  # <linux/capability.h>
DEVICES = ("null", "zero", "full", "random", "urandom")
# Where a pids cgroup can be made: cgroup v1's pids hierarchy, or the cgroup v2 root.
CGROUP_ROOTS = ("/sys/fs/cgroup/pids", "/sys/fs/cgroup")

_libc = ctypes.CDLL(None, use_errno=True)


def unavailable_because(platform: str = sys.platform, trial=None) -> str | None:
    """Why kernels cannot be confined on this machine (None when they can): the sandbox needs Linux and its
    mount and PID namespaces, which an ordinary user gets inside a user namespace. ``trial`` (by default
    ``confinement_trial``) confines a process that does nothing, once, and says what failed."""
    if not platform.startswith("linux"):
        return f"the sandbox needs Linux (this is {platform})"
    problem = (trial or confinement_trial)()
    if problem is None:
        return None
    needs = "mount and PID namespaces" if os.geteuid() == 0 else "user namespaces"
    return f"this machine does not let you confine a kernel in Linux {needs} ({problem})"


def confinement_trial() -> str | None:
    """Confine a child that does nothing, exactly as a kernel is confined (in a folder of its own, then
    removed): None if that worked, else what failed, in a few words."""
    folder = tempfile.mkdtemp(prefix="convcourse-trial-")
    read, write = os.pipe()
    child = os.fork()
    if child == 0:  # never returns: the trial's outcome is its exit status and what it wrote
        os.close(read)
        try:
            os.environ[WORKSPACE_ENV] = folder  # this child's own copy of the environment
            os.environ.pop(TASKS_ENV, None)
            _unshare()
            if os.fork() == 0:  # the namespaces' first process, as a kernel is (run_confined)
                enter([], run_kernel=lambda argv: os._exit(0))
            os._exit(os.waitstatus_to_exitcode(os.wait()[1]) % 256)
        except BaseException as error:  # noqa: BLE001 - in either process: reported to the parent
            os.write(write, str(error).encode()[:300])
            os._exit(70)
    os.close(write)
    with os.fdopen(read, "rb") as said:
        message = said.read().decode(errors="replace")
    status = os.waitstatus_to_exitcode(os.waitpid(child, 0)[1])
    os.rmdir(folder)
    return None if status == 0 else (message or f"exit status {status}")


def _check(result: int, what: str) -> None:
    if result != 0:
        error = ctypes.get_errno()
        raise OSError(error, f"{what}: {os.strerror(error)}")


def _mount(source, target, fstype, flags, data=None) -> None:
    encode = lambda value: value.encode() if isinstance(value, str) else value  # noqa: E731
    _check(_libc.mount(encode(source), encode(target), encode(fstype), ctypes.c_ulong(flags), encode(data)),
           f"mount {target}")


def _cover(path: str) -> None:
    """Make ``path`` look empty: an empty read-only folder, or /dev/null for a file."""
    if os.path.isdir(path):
        _mount("tmpfs", path, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=4k,mode=0")
    elif os.path.exists(path):
        _mount("/dev/null", path, None, MS_BIND)


def _size(variable: str) -> str:
    """tmpfs's size option from the job's setting (none: the kernel's default, half the machine's RAM)."""
    megabytes = int(os.environ.get(variable, "0"))
    return f",size={megabytes}m" if megabytes > 0 else ""


def task_cgroups(name: str) -> list[str]:
    """The places the job's pids cgroup may be (one of them is made), for making and for removing it."""
    return [os.path.join(root, "convcourse", name) for root in CGROUP_ROOTS]


def remove_task_cgroups(name: str, wait: float = 5.0) -> None:
    """Remove the job's pids cgroup; the kernel's last tasks may still be exiting, so retry for ``wait`` s."""
    deadline = time.monotonic() + wait
    for group in task_cgroups(name):
        while os.path.isdir(group):
            try:
                os.rmdir(group)
            except OSError:  # EBUSY while a task is in it
                if time.monotonic() > deadline:
                    break
                time.sleep(0.05)


def cap_tasks(setting: str) -> None:
    """Join the job's pids cgroup (made on first use), capped at its limit: everything this process
    starts counts, threads included. Where no cgroup can be made, say so: the supervisor counts instead."""
    name, limit = setting.split()
    for root, group in zip(CGROUP_ROOTS, task_cgroups(name)):
        try:
            if not os.path.exists(os.path.join(root, "cgroup.procs")):
                continue
            if root == "/sys/fs/cgroup":  # cgroup v2: the parent must hand the pids controller down
                if "pids" not in open(os.path.join(root, "cgroup.controllers")).read().split():
                    continue
                os.makedirs(os.path.dirname(group), exist_ok=True)
                _write(os.path.join(root, "cgroup.subtree_control"), "+pids")
                _write(os.path.join(os.path.dirname(group), "cgroup.subtree_control"), "+pids")
            os.makedirs(group, exist_ok=True)
            _write(os.path.join(group, "pids.max"), limit)
            _write(os.path.join(group, "cgroup.procs"), "0")
            return
        except OSError:
            continue
    print("convcourse sandbox: no pids cgroup on this machine; the job's supervisor counts the kernel's tasks",
          file=sys.stderr)


def _write(path: str, text: str) -> None:
    with open(path, "w") as handle:
        handle.write(text)


def _connection_file(argv: list[str]) -> str | None:
    return argv[argv.index("-f") + 1] if "-f" in argv[:-1] else None


def _over_tcp(argv: list[str]) -> bool:
    """Whether nbgrader reaches this kernel over TCP (where the job's folder is too long a path for Unix
    sockets, jobs.Workspace.kernel_options), which needs the network."""
    connection_file = _connection_file(argv)
    try:
        with open(connection_file) as connection:
            return json.load(connection).get("transport", "tcp") == "tcp"
    except (TypeError, OSError, ValueError):
        return False


def _fresh_tmp_keeping(keep: list[str], connection_file: str | None) -> None:
    """An empty /tmp holding only the ``keep`` paths (the job's folder, and what the kernel needs of a course
    or environment kept under /tmp) and the kernel's connection file."""
    connection = open(connection_file, "rb").read() if connection_file else None
    # Somewhere outside /tmp to hold them while /tmp is replaced (mounts here are ours alone).
    stage = "/mnt" if os.path.isdir("/mnt") else tempfile.mkdtemp(dir="/dev/shm")
    _mount("tmpfs", stage, "tmpfs", MS_NOSUID | MS_NODEV, "mode=700")
    for index, path in enumerate(keep):
        os.mkdir(f"{stage}/{index}")
        _mount(path, f"{stage}/{index}", None, MS_BIND | MS_REC)
    _mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, f"mode=1777{_size(TMP_ENV)}")
    for index, path in enumerate(keep):
        os.makedirs(path, exist_ok=True)
        _mount(f"{stage}/{index}", path, None, MS_BIND | MS_REC)
    _check(_libc.umount2(stage.encode(), MNT_DETACH), "umount stage")
    if connection_file and connection is not None:
        os.makedirs(os.path.dirname(connection_file), exist_ok=True)
        with open(connection_file, "wb") as copy:
            copy.write(connection)


# Top-level folders of the operating system, left visible (read-only); every other one (homes, /srv,
# /work, /mnt, ...) is covered, and only what the kernel needs is put back (see _needed_paths).
SYSTEM = {"bin", "boot", "dev", "etc", "lib", "lib32", "lib64", "libx32", "opt", "proc", "run", "sbin", "sys", "tmp",
          "usr", "var"}


def _needed_paths() -> list[str]:
    """Python, the environment, the course's package and data, the offline data sets: nothing else."""
    import importlib.util

    paths = {sys.prefix, sys.base_prefix, os.path.dirname(os.path.realpath(sys.executable))}
    paths.update(p for p in sys.path if p and os.path.isdir(p))
    package = importlib.util.find_spec("convcourse")
    if package and package.origin:
        course = os.path.dirname(os.path.dirname(package.origin))
        paths.update({os.path.join(course, "convcourse"), os.path.join(course, "data")})
    if os.environ.get(OFFLINE_DATA_ENV):
        paths.add(os.environ[OFFLINE_DATA_ENV])
    return _outermost(paths)


def _outermost(paths) -> list[str]:
    real = sorted({os.path.realpath(p) for p in paths if os.path.exists(p)})
    return [p for p in real if not any(p != q and p.startswith(q + "/") for q in real)]


def _top(path: str) -> str:
    return path.strip("/").split("/")[0]


def _only_system_and(needed: list[str]) -> None:
    """Cover every non-system top-level folder, then bring back the ``needed`` paths inside them."""
    _mount("tmpfs", "/mnt", "tmpfs", MS_NOSUID | MS_NODEV, "mode=700")
    for index, path in enumerate(needed):
        os.mkdir(f"/mnt/{index}")
        _mount(path, f"/mnt/{index}", None, MS_BIND | MS_REC)
    for entry in os.listdir("/"):
        if entry not in SYSTEM and entry != "mnt" and os.path.isdir(f"/{entry}") and not os.path.islink(f"/{entry}"):
            _mount("tmpfs", f"/{entry}", "tmpfs", MS_NOSUID | MS_NODEV, "mode=755")
    for index, path in enumerate(needed):
        os.makedirs(path, exist_ok=True)
        _mount(f"/mnt/{index}", path, None, MS_BIND | MS_REC)
    _check(_libc.umount2(b"/mnt", MNT_DETACH), "umount /mnt")
    _mount("tmpfs", "/mnt", "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV, "size=4k,mode=755")


def _minimal_dev() -> None:
    """A fresh /dev with only the harmless devices, bound from the real ones (a user namespace may not
    make device nodes), a sized /dev/shm and the usual links."""
    real = os.open("/dev", os.O_PATH | os.O_DIRECTORY)  # the devices stay reachable once /dev is covered
    _mount("tmpfs", "/dev", "tmpfs", MS_NOSUID | MS_NOEXEC, "mode=755")
    for name in DEVICES:
        open(f"/dev/{name}", "w").close()
        _mount(f"/proc/self/fd/{real}/{name}", f"/dev/{name}", None, MS_BIND)
    os.close(real)
    os.makedirs("/dev/shm")
    _mount("tmpfs", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, f"mode=1777{_size(SHM_ENV)}")
    for name, target in (("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"), ("stdout", "/proc/self/fd/1"),
                         ("stderr", "/proc/self/fd/2")):
        os.symlink(target, f"/dev/{name}")


def _everything_read_only(writable: set[str], read_only_inside: list[str] = ()) -> None:
    """Remount every mount read-only except the ``writable`` ones and those below them, but not the
    ``read_only_inside`` mounts (a course kept under the writable /tmp)."""
    with open("/proc/self/mountinfo") as table:
        mounts = [line.split() for line in table]
    for fields in mounts:
        point = fields[4].replace("\\040", " ")
        protected = any(point == p or point.startswith(p + "/") for p in read_only_inside)
        if not protected and (point in writable or any(point.startswith(w + "/") for w in writable)
                              or point.startswith("/proc")):
            continue
        options = set(fields[5].split(","))
        flags = MS_REMOUNT | MS_BIND | MS_RDONLY
        flags |= (MS_NOSUID if "nosuid" in options else 0) | (MS_NODEV if "nodev" in options else 0)
        flags |= MS_NOEXEC if "noexec" in options else 0
        try:
            _mount(None, point, None, flags)
        except OSError:
            pass  # a mount hidden under another one; nothing can reach it


class _CapabilityHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapabilitySets(ctypes.Structure):  # one per 32 capabilities; version 3 takes two
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32), ("inheritable", ctypes.c_uint32)]


def _drop_capabilities() -> None:
    for capability in range(64):
        _libc.prctl(PR_CAPBSET_DROP, capability, 0, 0, 0)
    _libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
    # The bounding set only limits what the next exec grants; a warm kernel is forked and never execs, so
    # empty the sets it holds now (effective, permitted, inheritable; ambient follows permitted).
    header = _CapabilityHeader(_LINUX_CAPABILITY_VERSION_3, 0)
    _check(_libc.capset(ctypes.byref(header), (_CapabilitySets * 2)()), "capset")


def enter(argv: list[str], run_kernel) -> None:
    """Set up the namespaces (this process is PID 1 in the new one) and become the kernel."""
    folder = os.environ[WORKSPACE_ENV]
    cwd = os.getcwd()
    die_with_parent()
    _mount(None, "/", None, MS_REC | MS_PRIVATE)
    _mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    needed = _needed_paths()
    # A course or environment kept under /tmp stays visible in the kernel's fresh /tmp, read-only.
    under_tmp = [p for p in needed if _top(p) == "tmp" and not (p + "/").startswith(folder + "/")]
    _fresh_tmp_keeping(_outermost([folder, *under_tmp]), _connection_file(argv))
    _only_system_and([p for p in needed if _top(p) not in SYSTEM])
    _minimal_dev()
    for part in COVERED_FROM_KERNEL:
        _cover(os.path.join(folder, part))
    for path in json.loads(os.environ.get(HIDE_ENV, "[]")):
        _cover(path)  # what remains visible of the course folder (for example solutions/ beside the package)
    _everything_read_only({"/tmp", "/dev/shm", folder}, read_only_inside=under_tmp)
    _drop_capabilities()
    os.chdir(cwd)
    for name in (HIDE_ENV, WORKSPACE_ENV, ZYGOTE_ENV):
        os.environ.pop(name, None)
    run_kernel(argv)


def _unshare(network: bool = False) -> None:
    """New mount and PID namespaces for this process's next child, and a network namespace unless
    ``network``; for an ordinary user, inside a new user namespace where that child keeps the user's uid and
    gid (so the job folder stays its own) and holds capabilities over its namespaces only, until
    ``_drop_capabilities``."""
    uid, gid = os.geteuid(), os.getegid()
    namespaces = CLONE_NEWNS | CLONE_NEWPID | (0 if network else CLONE_NEWNET) | (CLONE_NEWUSER if uid != 0 else 0)
    _check(_libc.unshare(namespaces), "unshare")
    if uid != 0:
        _write("/proc/self/setgroups", "deny")  # required before an unprivileged gid_map
        _write("/proc/self/uid_map", f"{uid} {uid} 1")
        _write("/proc/self/gid_map", f"{gid} {gid} 1")


def exec_ipykernel(argv: list[str]) -> None:
    """Become a fresh kernel: the cold start."""
    os.execv(sys.executable, [sys.executable, "-m", "ipykernel_launcher", *argv])


def run_confined(argv: list[str], run_kernel=exec_ipykernel) -> None:
    """Start the kernel confined (never returns). ``run_kernel`` becomes the kernel, in the namespaces' first
    process: a fresh one by default, a warm one when the zygote calls this (warm_kernels.py)."""
    if os.environ.get(TASKS_ENV):
        cap_tasks(os.environ.pop(TASKS_ENV))
    try:
        _unshare(network=_over_tcp(argv))
    except OSError as error:
        print(f"convcourse sandbox: namespaces unavailable ({error}); the kernel runs unconfined", file=sys.stderr)
        run_kernel(argv)
    child = os.fork()
    if child == 0:
        try:
            enter(argv, run_kernel)
        except BaseException as error:  # noqa: BLE001 - never run the kernel half-confined
            print(f"convcourse sandbox: could not confine the kernel: {error}", file=sys.stderr)
            os._exit(70)
    # What jupyter_client (or, for a warm kernel, the launcher) sees as the kernel process: termination is
    # passed on as a kill and the kernel's exit status becomes ours. Interrupts sent to our process group
    # reach the kernel directly; a warm kernel has a group of its own, so they are passed on.
    if run_kernel is exec_ipykernel:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    else:
        signal.signal(signal.SIGINT, lambda *_: os.kill(child, signal.SIGINT))
    for signum in (signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT):
        signal.signal(signum, lambda *_: os.kill(child, signal.SIGKILL))
    while True:
        try:
            _, status = os.waitpid(child, 0)
            break
        except InterruptedError:
            continue
    os._exit(os.waitstatus_to_exitcode(status) % 256)
