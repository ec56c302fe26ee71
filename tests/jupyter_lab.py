"""Starting and talking to a real JupyterLab in tests: `make lab` itself, or `lab_command` on a copy of the course.

A learner's session is `make lab` as the README starts it: their environment (no test settings such as fast
mode or TensorFlow's log level), the checkout's own notebooks, learner mode. ``make_lab`` starts exactly that
on a free port and stops it (and everything it started) at the end.

The browser side (the `chromium`, `browser` and `page` fixtures are in tests/conftest.py): Debian's Chromium,
which Playwright drives (it cannot download its own browser here), opening notebooks in JupyterLab, and
screenshots of what the page showed.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from convcourse import COURSE_ROOT

if TYPE_CHECKING:  # Playwright is imported where a browser is driven, so other tests need not load it
    from playwright.sync_api import Locator, Page

SERVER_START_TIMEOUT = 120  # seconds until /api/status answers
# Settings the tests give themselves (tests/conftest.py) that a learner's shell does not have.
TEST_ONLY_VARIABLES = ("CONVCOURSE_FAST", "TF_CPP_MIN_LOG_LEVEL", "MPLBACKEND", "PYTEST_XDIST_WORKER",
                       "PYTEST_CURRENT_TEST")
CHROMIUM = Path("/usr/bin/chromium")  # Debian's package (.ci/run installs it)
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
KERNEL_TIMEOUT_MS = 90_000  # a notebook opening and its kernel starting (or running a few cells)


@dataclass
class LabServer:
    base_url: str
    token: str
    root: Path
    log: Path
    pid: int = 0

    def url(self, path: str) -> str:
        return f"{self.base_url}{path}{'&' if '?' in path else '?'}token={self.token}"

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else "(no server log)"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def process_environment(pid: int) -> dict[str, str] | None:
    """The environment a running process was started with (Linux's /proc), or None where there is no /proc."""
    environ = Path(f"/proc/{pid}/environ")
    if not environ.exists():
        return None
    entries = environ.read_bytes().decode(errors="replace").split("\0")
    return dict(entry.partition("=")[::2] for entry in entries if entry)


def wait_until_answering(server: LabServer, process: subprocess.Popen, timeout: float = SERVER_START_TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"JupyterLab exited with code {process.returncode} before answering.\n"
                                 f"Server log:\n{server.log_text()}")
        try:
            with urllib.request.urlopen(server.url("/api/status"), timeout=5) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError) as error:  # not listening yet
            last_error = error
        time.sleep(0.5)
    raise AssertionError(f"JupyterLab did not answer {server.base_url}/api/status within {timeout} s "
                         f"(last error: {last_error!r}).\nServer log:\n{server.log_text()}")


def request(server: LabServer, method: str, path: str, body: dict | None = None, form: dict | None = None,
            timeout: float = 60):
    """Call the server's HTTP API with the token; JSON in and out (``form`` posts a URL-encoded form)."""
    headers = {"Authorization": f"token {server.token}"}
    data = None
    if body is not None:
        data, headers["Content-Type"] = json.dumps(body).encode(), "application/json"
    elif form is not None:
        data, headers["Content-Type"] = urllib.parse.urlencode(form).encode(), "application/x-www-form-urlencoded"
    call = urllib.request.Request(f"{server.base_url}{path}", data=data, method=method, headers=headers)
    with urllib.request.urlopen(call, timeout=timeout) as response:
        text = response.read()
    return json.loads(text) if text else None


def status_of(server: LabServer, path: str) -> int:
    """The HTTP status of a GET (with the token), errors included."""
    try:
        with urllib.request.urlopen(server.url(path), timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def lab_user_settings(folder: Path) -> dict[str, str]:
    """The variables that keep JupyterLab's per-user settings and saved workspaces in ``folder``.

    Tests then neither read nor overwrite the ones in ~/.jupyter; and "never fetch news", so that no toast
    asking about it lies over what a test clicks.
    """
    settings, workspaces = folder / "lab-settings", folder / "lab-workspaces"
    notification = settings / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings"
    notification.parent.mkdir(parents=True, exist_ok=True)
    notification.write_text(json.dumps({"fetchNews": "false", "checkForUpdates": False}))
    return {"JUPYTERLAB_SETTINGS_DIR": str(settings), "JUPYTERLAB_WORKSPACES_DIR": str(workspaces)}


def shut_down_kernels(server: LabServer) -> None:
    """Shut down every session (and so kernel) the server has; a server already gone is not an error here."""
    try:
        for session in request(server, "GET", "/api/sessions"):
            request(server, "DELETE", f"/api/sessions/{session['id']}")
    except (urllib.error.URLError, OSError) as error:  # the server may be gone with a test's failure
        print(f"could not shut down the kernels: {error!r}")


def learner_environment(**extra: str) -> dict[str, str]:
    """This process's environment less what the tests set for themselves: what a learner's shell has."""
    env = {name: value for name, value in os.environ.items() if name not in TEST_ONLY_VARIABLES}
    return {**env, **extra}


@contextlib.contextmanager
def make_lab(log: Path, target: str = "lab", env: dict[str, str] | None = None) -> Iterator[LabServer]:
    """`make lab` (or `make instructor`) in the checkout, as the README runs it, on a free port; stopped after."""
    port, token = free_port(), secrets.token_hex(16)
    server = LabServer(f"http://127.0.0.1:{port}", token, COURSE_ROOT, log)
    lab_args = f"--no-browser --port={port} --ServerApp.port_retries=0 --IdentityProvider.token={token}"
    with _serving(server, ["make", target, f"LAB_ARGS={lab_args}"], COURSE_ROOT, env):
        yield server


@contextlib.contextmanager
def _serving(server: LabServer, command: list[str], cwd: Path, env: dict[str, str] | None) -> Iterator[LabServer]:
    """Run ``command`` (a Jupyter server) in a session of its own until it answers; stop all of it after."""
    with server.log.open("wb") as output:
        process = subprocess.Popen(command, cwd=cwd, env=learner_environment() if env is None else env,
                                   stdin=subprocess.DEVNULL, stdout=output, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    server.pid = process.pid
    try:
        wait_until_answering(server, process)
        yield server
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


# ---------------------------------------------------------------------------------------------------------------
# In the browser (Playwright's sync API on the `page` fixture)


def open_notebook(page: Page, server: LabServer, notebook_path: str) -> Locator:
    """Open a notebook (a path under the server's root) in a new workspace of its own; once its kernel is idle,
    the notebook's panel. A named new workspace: the default one may still hold another test's notebook."""
    from playwright.sync_api import expect

    workspace = f"{Path(notebook_path).stem}-{secrets.token_hex(4)}"
    page.goto(server.url(f"/lab/workspaces/{workspace}/tree/{notebook_path}"))
    notebook = page.locator(".jp-NotebookPanel").filter(has=page.locator(".jp-Notebook"))
    expect(notebook).to_be_visible(timeout=KERNEL_TIMEOUT_MS)
    expect(notebook).to_have_count(1)
    # The status bar's kernel item ("Python 3 (ipykernel) | Idle") follows the real kernel; the notebook
    # toolbar's execution indicator says "idle" before any kernel is connected.
    kernel_status = page.locator("#jp-main-statusbar").get_by_role("button", name=re.compile(r"\| Idle$"))
    expect(kernel_status).to_be_visible(timeout=KERNEL_TIMEOUT_MS)
    return notebook


@contextlib.contextmanager
def screenshots(page: Page, server: LabServer, artifacts: Path, name: str) -> Iterator[Path]:
    """Yields where the success screenshot goes; on failure saves `<name>-FAILED.png` and prints the server log."""
    shot, failed = artifacts / f"{name}.png", artifacts / f"{name}-FAILED.png"
    for stale in (shot, failed):  # only this run's pictures may be left behind
        stale.unlink(missing_ok=True)
    try:
        yield shot
    except BaseException:
        try:
            page.screenshot(path=failed, full_page=True)
        except Exception as error:  # the page itself may be gone; keep the original failure
            print(f"could not save the failure screenshot: {error!r}")
        print(f"JupyterLab log ({server.log}):\n{server.log_text()}")
        raise


@contextlib.contextmanager
def notebook7(log: Path, root: Path, env: dict[str, str] | None = None) -> Iterator[LabServer]:
    """Notebook 7 (`jupyter notebook`, the notebook package) serving ``root`` on a free port, as a learner might
    open the course instead of `make lab`; stopped (with everything it started) at the end."""
    import sys

    port, token = free_port(), secrets.token_hex(16)
    server = LabServer(f"http://127.0.0.1:{port}", token, root, log)
    command = [sys.executable, "-m", "notebook", "--no-browser", f"--port={port}", "--ServerApp.port_retries=0",
               f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}", "--ip=127.0.0.1"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")
    with _serving(server, command, root, env):
        yield server
