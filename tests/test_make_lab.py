"""`make lab` starts JupyterLab on the course, reusing an existing environment."""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import time
import urllib.request

import pytest

from convcourse import COURSE_ROOT
from convcourse.lab import FIRST_LESSON, lab_command


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_a_second_make_lab_reuses_the_environment():
    dry_run = subprocess.run(["make", "-n", "lab"], cwd=COURSE_ROOT, capture_output=True, text=True, check=True)
    assert "course.py env" not in dry_run.stdout, dry_run.stdout
    assert "convcourse.lab" in dry_run.stdout


def test_lab_command_opens_the_first_lesson_at_the_course_root():
    command = lab_command(port=8123, token="t", open_browser=False)
    assert f"--ServerApp.root_dir={COURSE_ROOT}" in command
    assert f"--LabApp.default_url=/lab/tree/{FIRST_LESSON}" in command
    assert (COURSE_ROOT / FIRST_LESSON).exists()
    assert ("--allow-root" in command) == (os.geteuid() == 0)
    assert "--no-browser" in command and "--port=8123" in command


@pytest.mark.slow
def test_make_lab_serves_the_course_and_prints_its_url():
    port, token = free_port(), secrets.token_hex(8)
    process = subprocess.Popen(
        ["make", "lab", f"LAB_ARGS=--no-browser --port={port} --ServerApp.port_retries=0 --IdentityProvider.token={token}"],
        cwd=COURSE_ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        deadline, status = time.monotonic() + 120, None
        while time.monotonic() < deadline and status is None:
            assert process.poll() is None, process.stdout.read()
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/contents/{FIRST_LESSON}?token={token}&content=0",
                                            timeout=5) as response:
                    status = response.status
            except OSError:
                time.sleep(1)
        assert status == 200, "JupyterLab did not serve the first lesson within 120 s"
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            output, _ = process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            output, _ = process.communicate()
    assert f"http://127.0.0.1:{port}/lab" in output and token in output, output
