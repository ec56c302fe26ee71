"""Every limit of a grading job is set in one place (protocol.Limits), documented in grader/README.md's table
with its default, and reaches the kernel; the hostile corpus (test_hostile_submissions.py) goes over each."""

from __future__ import annotations

import dataclasses
import json
import re
import subprocess
import sys

from convcourse import COURSE_ROOT
from convcourse.grading.jobs import Workspace
from convcourse.grading.protocol import LONG_LESSONS, GradingJob, Limits

GUIDE = (COURSE_ROOT / "grader" / "README.md").read_text()
UNITS = {"cell_timeout": " s", "time_limit": " s", "memory_mb": " MB", "output_mb": " MB", "tmp_mb": " MB",
         "shm_mb": " MB", "file_mb": " MB", "folder_mb": " MB", "cell_output_bytes": "", "open_files": "", "tasks": ""}


def documented_defaults() -> dict[str, str]:
    rows = re.findall(r"^\s*\| `(\w+)` \| ([^|]+) \|", GUIDE, flags=re.MULTILINE)
    return {name: default.strip() for name, default in rows if name in UNITS}


def test_the_guide_documents_every_limit_with_its_default():
    documented = documented_defaults()
    fields = {field.name: field.default for field in dataclasses.fields(Limits)}
    assert set(documented) == set(fields) == set(UNITS)
    for name, default in fields.items():
        shown = "1 MB" if name == "cell_output_bytes" else f"{default}{UNITS[name]}"
        assert documented[name].startswith(shown), (name, documented[name])
    for lesson, limits in LONG_LESSONS.items():  # "120 s (capstone 600)": the longer lessons' own values
        for name in fields:
            if getattr(limits, name) != fields[name]:
                assert f"({lesson.split('_', 1)[1]} {getattr(limits, name)})" in documented[name], (lesson, name)


def test_every_limit_reaches_the_kernel_environment():
    limits = Limits(memory_mb=1000, tmp_mb=111, shm_mb=22, file_mb=33, open_files=444, tasks=55, time_limit=66)
    workspace = Workspace(GradingJob(lesson="01_one_pixel", student="a", submission={}, course_files={},
                                     gradebook=b"", limits=limits))
    try:
        env = workspace.environment()
    finally:
        workspace.remove()
    assert (env["CONVCOURSE_KERNEL_MEMORY_MB"], env["CONVCOURSE_KERNEL_TMP_MB"], env["CONVCOURSE_KERNEL_SHM_MB"],
            env["CONVCOURSE_KERNEL_FILE_MB"], env["CONVCOURSE_KERNEL_OPEN_FILES"],
            env["CONVCOURSE_KERNEL_CPU_SECONDS"]) == ("1000", "111", "22", "33", "444", "66")
    assert env["CONVCOURSE_KERNEL_TASKS"] == f"{workspace.root.name} 55"


def test_the_kernel_guard_sets_each_resource_limit_from_the_job():
    """In a fresh process (limits cannot be raised again): what install() leaves in force."""
    env = {"CONVCOURSE_KERNEL_MEMORY_MB": "3000", "CONVCOURSE_KERNEL_FILE_MB": "7",
           "CONVCOURSE_KERNEL_OPEN_FILES": "300", "CONVCOURSE_KERNEL_CPU_SECONDS": "900"}
    probe = ("import json, resource\nfrom convcourse.grading import kernel_guard\n"
             f"kernel_guard._set_resource_limits({env!r})\n"
             "print(json.dumps({name: resource.getrlimit(getattr(resource, name))[1] for name in "
             "('RLIMIT_AS', 'RLIMIT_FSIZE', 'RLIMIT_NOFILE', 'RLIMIT_CPU', 'RLIMIT_CORE')}))")
    run = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=True)
    assert json.loads(run.stdout) == {"RLIMIT_AS": 3000 << 20, "RLIMIT_FSIZE": 7 << 20, "RLIMIT_NOFILE": 300,
                                      "RLIMIT_CPU": 900, "RLIMIT_CORE": 0}


def test_validate_kernels_get_no_grading_limits():
    """A learner's Validate kernel has none of the job's settings: only core dumps are turned off."""
    probe = ("import json, resource\nfrom convcourse.grading import kernel_guard\n"
             "before = {n: resource.getrlimit(getattr(resource, n)) for n in ('RLIMIT_FSIZE', 'RLIMIT_NOFILE')}\n"
             "kernel_guard._set_resource_limits({})\n"
             "print(before == {n: resource.getrlimit(getattr(resource, n)) for n in ('RLIMIT_FSIZE', 'RLIMIT_NOFILE')})")
    run = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=True)
    assert run.stdout.strip() == "True"
