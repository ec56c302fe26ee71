"""Importing the course's modules changes nothing process-wide: no environment variable, no multiprocessing
setting, no signal handler (settings go explicitly to what needs them)."""

from __future__ import annotations

import json
import subprocess
import sys

MODULES = ["convcourse.checks", "convcourse.widgets", "convcourse.grading.command", "convcourse.grading.jobs",
           "convcourse.grading.records", "convcourse.grading.report", "convcourse.grading.sandbox",
           "convcourse.grading.warm_kernels", "convcourse.grading.preprocessors", "convcourse.grading.recheck",
           "convcourse.grading.kernel_guard", "convcourse.grading.canary", "convcourse.lab", "convcourse.progress"]

PROBE = f"""
import importlib, json, multiprocessing, multiprocessing.forkserver as forkserver, os, signal
def state():
    return {{"environ": dict(os.environ), "preload": list(forkserver._forkserver._preload_modules),
             "start_method": multiprocessing.get_start_method(allow_none=True),
             "signals": {{s.name: str(signal.getsignal(s)) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGCHLD)}}}}
before = state()
for name in {MODULES!r}:
    importlib.import_module(name)
print(json.dumps([before, state()]))
"""


def test_importing_the_course_changes_no_process_wide_state():
    run = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=300, check=True)
    before, after = json.loads(run.stdout.splitlines()[-1])
    for part in before:
        assert after[part] == before[part], part
