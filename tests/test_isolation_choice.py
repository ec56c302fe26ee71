"""The isolation choice stays backed by its benchmark: grader/README.md's "Isolation" section and
benchmarks/isolation.py name the same variants and the same enforcement table, and the bubblewrap options the
benchmark measures are accepted by the bubblewrap installed here (skipped where there is none).
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys

import pytest

from convcourse import COURSE_ROOT

HEADING = "## Isolation: why hand-written namespaces, not bubblewrap (yet)"


def _benchmark():
    spec = importlib.util.spec_from_file_location("isolation_benchmark", COURSE_ROOT / "benchmarks" / "isolation.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is made
    spec.loader.exec_module(module)
    return module


def _section() -> str:
    text = (COURSE_ROOT / "grader" / "README.md").read_text()
    assert HEADING in text, f"grader/README.md has no section {HEADING!r}"
    return text.split(HEADING, 1)[1].split("\n## ", 1)[0]


def test_the_guide_names_the_benchmark_and_its_command():
    section = _section()
    assert "benchmarks/isolation.py" in section
    assert "Decision: the hand-written sandbox stays" in section, "the guide says what was chosen"


def test_the_guides_enforcement_table_is_the_benchmarks():
    assert _benchmark().markdown_table() in _section(), (
        "grader/README.md's enforcement table differs from benchmarks/isolation.py's VARIANTS: "
        "paste the output of `.venv/bin/python benchmarks/isolation.py --table`")


def test_every_variant_has_its_measurement_in_the_guide():
    section = _section()
    names = [variant.name for variant in _benchmark().VARIANTS]
    rows = set(re.findall(r"^\| `([\w-]+)` \|", section, flags=re.M))
    assert set(names) <= rows
    for name in names:  # once in the measurements, once in the enforcement table
        assert len(re.findall(rf"^\| `{re.escape(name)}` \|", section, flags=re.M)) == 2, name


def test_the_readme_lists_the_benchmark():
    benchmarks = (COURSE_ROOT / "README.md").read_text().split("## Benchmarks", 1)[1].split("\n## ", 1)[0]
    assert "benchmarks/isolation.py" in benchmarks


@pytest.mark.skipif(shutil.which("bwrap") is None, reason="bubblewrap (bwrap) is not installed")
def test_bubblewrap_accepts_the_measured_options(tmp_path):
    """The benchmark's bwrap command confines a shell: no network but lo, /tmp of the set size, read-only course."""
    benchmark = _benchmark()
    job = tmp_path / "job"
    (job / "private").mkdir(parents=True)
    probe = ("set -e; awk -F: 'NR > 2 {print $1}' /proc/net/dev; df -m /tmp | tail -1; "
             f"touch {COURSE_ROOT / 'convcourse'}/probe 2>/dev/null && echo course-writable || echo course-read-only; "
             f"touch {job}/written && echo job-writable")
    done = subprocess.run([*benchmark.bwrap_args(job, network=False), "sh", "-c", probe], capture_output=True,
                          text=True, timeout=60)
    if done.returncode != 0 and os.geteuid() != 0 and ("namespace" in done.stderr or "permitted" in done.stderr):
        pytest.skip(f"user namespaces are not available to this user: {done.stderr.strip()}")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.split()
    assert "lo" in lines and not {"eth0", "ens3", "enp0s3", "wlan0"} & set(lines)  # its own network namespace
    assert f" {benchmark.LIMITS.tmp_mb} " in f" {done.stdout} "
    assert "course-read-only" in lines and "job-writable" in lines
