"""Set-up of every kernel nbgrader starts to check a notebook (Validate and autograding), before any cell runs.

``grader/nbgrader_config.py`` starts those kernels with ``exec_lines`` that call ``install()``. It makes
library chatter harmless, since nbgrader fails a test cell that wrote anything to stderr
(``convcourse.failures.quiet_libraries``: TensorFlow's C++ start-up lines silenced, Python warnings shown on
stdout), before any cell runs, so even a notebook whose set-up was edited gets it.

From the environment a grading job gave the kernel (none of these is set for Validate), it also sets:

- resource limits: address space (``protocol.MEMORY_ENV``, an allocation beyond it raises MemoryError in
  the cell that made it), file size (``FILE_SIZE_ENV``), open files (``OPEN_FILES_ENV``), CPU seconds per
  process (``CPU_SECONDS_ENV``, a backstop behind the job's wall-time limit), no core dumps (the cap on
  tasks is the sandbox's: sandbox.py);
- a cap on what one cell may print (``CELL_OUTPUT_ENV``), so an output bomb cannot exhaust the grader's
  memory; the rest of that cell's output is dropped with a one-line notice.

A determined submission can undo these from inside the kernel; the job's supervisor (jobs.py) enforces
its own limits from outside, so undoing them only turns a cell's failure into the whole job's.
"""

from __future__ import annotations

import os
import resource
import sys

from ..failures import quiet_libraries
from .protocol import CELL_OUTPUT_ENV, CPU_SECONDS_ENV, FILE_SIZE_ENV, MEGABYTE, MEMORY_ENV, OPEN_FILES_ENV

NOTICE = "\n[convcourse grader: this cell printed more than {limit} bytes; the rest of its output was dropped]\n"


def _limit(which: int, value: int) -> None:
    try:
        resource.setrlimit(which, (value, value))
    except (ValueError, OSError):
        pass  # a limit lower than requested is already in force


def _set_resource_limits(environ) -> None:
    memory_mb = int(environ.get(MEMORY_ENV, "0"))
    if memory_mb > 0:
        _limit(resource.RLIMIT_AS, memory_mb * MEGABYTE)
    _limit(resource.RLIMIT_CORE, 0)
    for which, variable, unit in ((resource.RLIMIT_FSIZE, FILE_SIZE_ENV, MEGABYTE),
                                  (resource.RLIMIT_NOFILE, OPEN_FILES_ENV, 1),
                                  (resource.RLIMIT_CPU, CPU_SECONDS_ENV, 1)):
        if int(environ.get(variable, "0")) > 0:  # a grading job's setting (protocol.Limits); Validate has none
            _limit(which, int(environ[variable]) * unit)


class CappedStream:
    """A text stream that passes on at most ``limit`` characters per cell, then one notice."""

    def __init__(self, stream, limit: int):
        self._stream = stream
        self._limit = limit
        self._written = 0

    def new_cell(self, *_args) -> None:
        self._written = 0

    def write(self, text: str) -> int:
        room = self._limit - self._written
        if room > 0:
            self._stream.write(text[:room])
        if len(text) > room >= 0 and self._written <= self._limit:
            self._stream.write(NOTICE.format(limit=self._limit))
        self._written += len(text)
        return len(text)

    def __getattr__(self, name):
        return getattr(self._stream, name)


def _cap_output(environ) -> None:
    limit = int(environ.get(CELL_OUTPUT_ENV, "0"))
    shell = _ipython()
    if limit <= 0 or shell is None:
        return
    for name in ("stdout", "stderr"):
        capped = CappedStream(getattr(sys, name), limit)
        setattr(sys, name, capped)
        shell.events.register("pre_run_cell", capped.new_cell)


def _ipython():
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    return get_ipython()


def install(environ=os.environ) -> None:
    """Everything above, for the kernel this runs in."""
    quiet_libraries()
    _set_resource_limits(environ)
    _cap_output(environ)
