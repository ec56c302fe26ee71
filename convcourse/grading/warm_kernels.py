"""Warm kernels: a student's kernel forked from a process that has IPython and the lessons' imports loaded.

A fresh kernel spends seconds importing ipykernel, NumPy, SciPy, Matplotlib and ``convcourse`` before
the student's first cell runs; for a lesson-01 submission that is half the grading time. So each
grading job forks, first thing, a *kernel zygote*: a copy of the job's process taken before it has read
anything a student must not see (no gradebook, no re-check secret; only the modules the forkserver
preloaded, see jobs.py). The zygote forks one kernel per request, already warm.

Nothing changes for nbgrader: the job's kernelspec still runs ``python -m convcourse.grading.kernel_launcher``,
whose process stays what jupyter_client polls, signals and kills. That launcher asks the zygote for
a kernel (over a Unix socket in the job's private folder, handing over its stdin, stdout and stderr)
and lives exactly as long as the kernel does:

- the kernel exits: the zygote sends its exit status and the launcher exits with it;
- the launcher is killed or terminated: its connection closes and the zygote kills the kernel;
- an interrupt reaches the launcher: it is passed on to the kernel.

The kernel is confined exactly as a cold one is (sandbox.py). It is a child of the zygote, which is a
child of the job's process, so the job's supervisor sees, measures and kills it as before.
"""

from __future__ import annotations

import importlib
import json
import os
import select
import signal
import socket
import sys

from .process_tree import die_with_parent
from .sandbox import run_confined

# What a lesson's kernel imports on its way to the first test (ipykernel's own, then the set-up cells').
WARM_MODULES = ("ipykernel.kernelapp", "ipykernel.ipkernel", "ipykernel.zmqshell", "IPython.core.interactiveshell",
                "numpy", "convcourse.checks", "convcourse.data", "convcourse.validate", "convcourse.plots",
                "convcourse.timing", "convcourse.widgets")
_MESSAGE_BYTES = 1 << 20


def preload(modules) -> None:
    """Import ``modules`` and run nothing of them (forking after a TensorFlow operation can deadlock the child:
    benchmarks/fork_after_tensorflow.py). A module that fails here fails in the kernel, where it is reported."""
    for name in modules:
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001
            pass


def point_keras_at(home: str) -> None:
    """Point a Keras that was imported before this process had its job's environment (by the job server) at
    ``home``: its kernels find the data sets there, in the job's private home. Keras reads KERAS_HOME only on
    import, into a private variable of its config module (tests/test_warm_kernels.py fails when it moves)."""
    config = sys.modules.get("keras.src.backend.config")
    if config is not None:
        config._KERAS_DIR = home


def start_zygote(socket_path: str) -> int:
    """Fork the zygote (it dies with this process); return its pid once it listens at ``socket_path``.

    The zygote has what this process imported (the job's process preloads the lesson's libraries first, in the
    kernels' environment: Keras reads KERAS_HOME, where the data sets are, once, on import) and ``WARM_MODULES``."""
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    listener.bind(socket_path)
    os.chmod(socket_path, 0o600)
    listener.listen(8)
    pid = os.fork()
    if pid == 0:
        try:
            die_with_parent()
            _serve(listener)
        finally:
            os._exit(0)
    listener.close()
    return pid


def _serve(listener: socket.socket) -> None:
    preload(WARM_MODULES)  # already loaded when forked from the forkserver; a Dask job's are not
    kernels: dict[socket.socket, int] = {}  # a launcher's connection -> its kernel's process
    while True:
        ready, _, _ = select.select([listener, *kernels], [], [], 0.2)
        for connection in ready:
            if connection is listener:
                accepted, _ = listener.accept()
                pid = _fork_kernel(accepted, listener, kernels)
                if pid:
                    kernels[accepted] = pid
            else:
                try:
                    data = connection.recv(16)
                except OSError:
                    data = b""
                if data == b"interrupt":
                    _signal(kernels[connection], signal.SIGINT)
                elif not data:  # the launcher is gone: so is its kernel
                    _signal(kernels.pop(connection), signal.SIGKILL)
                    connection.close()
        _report_exits(kernels)


def _report_exits(kernels: dict[socket.socket, int]) -> None:
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        for connection, kernel in list(kernels.items()):
            if kernel == pid:
                try:
                    connection.send(str(os.waitstatus_to_exitcode(status) % 256).encode())
                except OSError:
                    pass
                connection.close()
                del kernels[connection]


def _signal(pid: int, signum: int) -> None:
    try:
        os.kill(pid, signum)
    except ProcessLookupError:
        pass


def _fork_kernel(connection: socket.socket, listener: socket.socket, kernels: dict) -> int:
    try:
        message, fds, _, _ = socket.recv_fds(connection, _MESSAGE_BYTES, 3)
        request = json.loads(message)
    except (OSError, ValueError):
        connection.close()
        return 0
    pid = os.fork()
    if pid == 0:
        try:
            for other in (listener, connection, *kernels):
                other.close()
            _become_kernel(request, fds)
        finally:
            os._exit(70)
    for fd in fds:
        os.close(fd)
    return pid


def _become_kernel(request: dict, fds: list[int]) -> None:
    die_with_parent()
    os.setsid()
    for target, fd in enumerate(fds):
        os.dup2(fd, target)
        os.close(fd)
    for signum in (signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT, signal.SIGCHLD, signal.SIGPIPE):
        signal.signal(signum, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    os.environ.clear()
    os.environ.update(request["env"])
    os.chdir(request["cwd"])
    run_confined(request["argv"], run_kernel=run_kernel_here)


def run_kernel_here(argv: list[str]) -> None:
    """Become the kernel in this (warm) process, as ``python -m ipykernel_launcher ARGV`` would."""
    # Look like a fresh interpreter: fresh random numbers (Python's own reseed on fork), ipykernel's argv.
    if "numpy" in sys.modules:
        sys.modules["numpy"].random.seed()
    sys.argv = ["ipykernel_launcher", *argv]
    from ipykernel.kernelapp import IPKernelApp

    # Traits that a fresh import would have read from the environment the kernel manager gave us.
    IPKernelApp.launch_instance(argv=argv, parent_handle=int(os.environ.get("JPY_PARENT_PID") or 0))
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


def ask_zygote(socket_path: str, argv: list[str]) -> None:
    """The launcher's side: have the zygote start the kernel, then live and die with it (never returns).

    Raises OSError if the zygote cannot be reached, before anything has started.
    """
    connection = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    connection.connect(socket_path)
    request = json.dumps({"argv": argv, "env": dict(os.environ), "cwd": os.getcwd()}).encode()
    socket.send_fds(connection, [request], [0, 1, 2])
    try:
        _live_with_kernel(connection)
    finally:
        os._exit(1)  # the kernel has started: never fall back to another one


def _live_with_kernel(connection: socket.socket) -> None:
    interrupts = []
    signal.signal(signal.SIGINT, lambda *_: interrupts.append(True))
    for signum in (signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT):
        signal.signal(signum, lambda *_: os._exit(1))  # our connection closes: the zygote kills the kernel
    while True:
        try:
            ready, _, _ = select.select([connection], [], [], 0.5)
        except InterruptedError:
            ready = []
        while interrupts:
            interrupts.pop()
            try:
                connection.send(b"interrupt")
            except OSError:
                pass  # the kernel has just exited: its status is waiting
        if ready:
            status = connection.recv(16)
            os._exit(int(status) if status.isdigit() else 1)
