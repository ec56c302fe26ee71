"""Process lifetimes: what dies with what, and how a job's processes are stopped.

Three Linux facilities, used by the job's process (run_nbgrader.py), the kernel zygote (warm_kernels.py),
the kernel's launcher (sandbox.py) and the job's supervisor (jobs.py):

- ``die_with_parent``: this process is killed when the one that started it dies (``PR_SET_PDEATHSIG``);
- ``adopt_orphans``: processes below this one whose parent exits (``setsid``, a double fork) become its
  children instead of init's, so they stay findable (``PR_SET_CHILD_SUBREAPER``);
- ``kill_all`` and ``kill_descendants``: SIGKILL for a set of processes, repeated while new ones appear.

Elsewhere than Linux the prctl calls do nothing and the supervisor still stops the tree it can see.
"""

from __future__ import annotations

import ctypes
import signal

PR_SET_PDEATHSIG = 1
PR_SET_CHILD_SUBREAPER = 36


def _prctl(option: int, value: int) -> None:
    try:
        ctypes.CDLL(None, use_errno=True).prctl(option, value, 0, 0, 0)
    except (OSError, AttributeError):
        pass  # not Linux


def die_with_parent() -> None:
    """Be killed when the process that started this one dies (Linux; elsewhere the job's supervisor stops it)."""
    _prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def adopt_orphans(dies_with_parent: bool = False) -> None:
    """Become the reaper of every orphan below this process; with ``dies_with_parent``, also die with the
    process that started this one (the grading command was killed: stop, it will grade this student again)."""
    _prctl(PR_SET_CHILD_SUBREAPER, 1)
    if dies_with_parent:
        die_with_parent()


def kill_all(find) -> None:
    """SIGKILL every process ``find()`` returns, again until it returns none (one may fork meanwhile)."""
    import psutil  # here, not on import: the kernel's launcher imports this module and never kills

    for _ in range(3):
        processes = find()
        if not processes:
            return
        for process in processes:
            try:
                process.send_signal(signal.SIGKILL)
            except psutil.Error:
                pass
        psutil.wait_procs(processes, timeout=5)


def kill_descendants() -> None:
    """Every process below this one (orphans adopted included)."""
    import psutil

    kill_all(lambda: psutil.Process().children(recursive=True))
