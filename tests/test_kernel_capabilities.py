"""A confined kernel holds no capabilities, warm or cold (found by benchmarks/isolation.py's probe).

sandbox.py empties the capability bounding set and sets no_new_privs; that takes root's capabilities away
only at the next exec. A cold kernel execs Python and ends with none. A warm kernel is forked from the
job's zygote and never execs, so it kept them all (CapEff 000001fffeffffff) and could unmount what covers
the course (``umount2("/work", MNT_DETACH)`` succeeded; ``solutions/`` became readable). Clearing the
permitted, effective and inheritable sets with ``capset`` after the bounding set closes it (sandbox.py does).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import KernelManager

from convcourse.grading.protocol import KERNEL_LAUNCHER_MODULE, WORKSPACE_ENV, ZYGOTE_ENV

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="the sandbox needs root (namespaces)")

PROBE = """
import ctypes, json, os
libc = ctypes.CDLL(None, use_errno=True)
caps = {line.split(":")[0]: line.split()[1] for line in open("/proc/self/status") if line.startswith("Cap")}
covered = [entry for entry in os.listdir("/") if os.path.ismount("/" + entry) and entry not in
           ("proc", "dev", "tmp", "sys", "mnt", "run")]
refused = all(libc.umount2(("/" + entry).encode(), 2) != 0 for entry in covered)
print(json.dumps({"CapEff": caps["CapEff"], "CapPrm": caps["CapPrm"], "umount refused": refused}))
"""


@pytest.fixture
def job_folder(tmp_path_factory):
    folder = Path(tmp_path_factory.mktemp("convcourse-caps"))
    (folder / "private").mkdir()
    (folder / "work").mkdir()
    spec = folder / "jupyter" / "kernels" / "python3"
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", KERNEL_LAUNCHER_MODULE, "-f", "{connection_file}"],
        "display_name": "graded", "language": "python"}))
    return folder


def _probe(job_folder: Path, zygote_socket: Path | None) -> dict:
    specs = KernelSpecManager(kernel_dirs=[str(job_folder / "jupyter" / "kernels")], ensure_native_kernel=False)
    manager = KernelManager(kernel_name="python3", kernel_spec_manager=specs)
    env = dict(os.environ, **{WORKSPACE_ENV: str(job_folder)})
    if zygote_socket:
        env[ZYGOTE_ENV] = str(zygote_socket)
    manager.start_kernel(env=env, cwd=str(job_folder / "work"), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    client = manager.client()
    client.start_channels()
    try:
        client.wait_for_ready(timeout=60)
        printed: list[str] = []
        client.execute_interactive(PROBE, timeout=60, output_hook=lambda m: printed.append(
            m["content"].get("text", "")) if m["msg_type"] == "stream" else None)
        return json.loads("".join(printed).strip().splitlines()[-1])
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)


def test_a_cold_kernel_holds_no_capabilities(job_folder):
    found = _probe(job_folder, None)
    assert (found["CapEff"], found["CapPrm"]) == ("0000000000000000", "0000000000000000")
    assert found["umount refused"]


def test_a_warm_kernel_holds_no_capabilities(job_folder):
    socket_path = job_folder / "private" / "kernels.sock"
    helper = subprocess.Popen([sys.executable, "-c", (
        "import signal\nfrom convcourse.grading.warm_kernels import start_zygote\n"
        f"start_zygote({str(socket_path)!r})\nprint('ready', flush=True)\nsignal.pause()")],
        stdout=subprocess.PIPE, text=True)
    try:
        assert helper.stdout.readline().strip() == "ready"
        found = _probe(job_folder, socket_path)
    finally:
        helper.kill()
        helper.wait()
    assert (found["CapEff"], found["CapPrm"]) == ("0000000000000000", "0000000000000000")
    assert found["umount refused"]
