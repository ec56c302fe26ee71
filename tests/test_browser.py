"""Lesson 01 in a real browser: JupyterLab, started as `make lab` starts it, renders the pixel
stepper, and a learner moving its slider with the keyboard sees the next pixel's sum.

Needs Chromium at /usr/bin/chromium (Playwright cannot download its own browser here); without it
the test is skipped. Anything else missing (Playwright, JupyterLab, the widgets extension) fails.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect, sync_playwright

from convcourse import COURSE_ROOT, data, widgets
from convcourse.lab import FIRST_LESSON, lab_command

pytestmark = pytest.mark.slow

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SERVER_START_TIMEOUT = 90  # seconds until /api/status answers
KERNEL_TIMEOUT_MS = 90_000  # kernel start, and running the cells up to the stepper
UI_TIMEOUT_MS = 30_000  # a click or key press showing its effect
SCREENSHOT = "lesson01_pixel_stepper.png"
FAILURE_SCREENSHOT = "lesson01_pixel_stepper-FAILED.png"


@dataclass
class LabServer:
    base_url: str
    token: str
    root: Path
    log: Path

    def url(self, path: str) -> str:
        return f"{self.base_url}{path}?token={self.token}"

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else "(no server log)"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_until_answering(server: LabServer, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"JupyterLab exited with code {process.returncode} before answering.\n"
                        f"Server log:\n{server.log_text()}")
        try:
            with urllib.request.urlopen(server.url("/api/status"), timeout=5) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError) as error:  # not listening yet
            last_error = error
        time.sleep(0.5)
    pytest.fail(f"JupyterLab did not answer {server.base_url}/api/status within {SERVER_START_TIMEOUT} s "
                f"(last error: {last_error!r}).\nServer log:\n{server.log_text()}")


@pytest.fixture
def chromium() -> Path:
    """The system Chromium; the only thing whose absence skips the test."""
    if not CHROMIUM.exists():
        pytest.skip(f"Chromium is not installed at {CHROMIUM} (Playwright cannot download a browser here)")
    return CHROMIUM


@pytest.fixture
def lab_server(chromium, tmp_path) -> Iterator[LabServer]:
    """JupyterLab on a copy of notebooks/, started by the same command line as `make lab`."""
    shutil.copytree(COURSE_ROOT / "notebooks", tmp_path / "notebooks")  # autosave must not touch the release
    assert (tmp_path / FIRST_LESSON).is_file(), f"{FIRST_LESSON} is missing from the course (make release?)"
    port, token = _free_port(), secrets.token_hex(24)
    server = LabServer(f"http://127.0.0.1:{port}", token, tmp_path, tmp_path / "jupyterlab.log")
    # Keep JupyterLab's saved layout out of ~/.jupyter, so the test neither reads nor overwrites the learner's.
    env = {**os.environ, "JUPYTERLAB_WORKSPACES_DIR": str(tmp_path / ".lab-workspaces")}
    with server.log.open("wb") as log:
        process = subprocess.Popen(lab_command(port=port, token=token, open_browser=False, root=tmp_path),
                                   cwd=tmp_path, env=env, stdin=subprocess.DEVNULL,
                                   stdout=log, stderr=subprocess.STDOUT)
    try:
        _wait_until_answering(server, process)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@pytest.fixture
def page(chromium) -> Iterator[Page]:
    """A fresh page in headless Chromium; the browser is closed however the test ends."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(chromium), headless=True, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": 1400, "height": 1000})
            yield context.new_page()
        finally:
            browser.close()


def _expected_after_one_step() -> tuple[str, tuple[int, int]]:
    """The sum (formatted as the widget shows it) and pixel one slider step after the 192 pixel."""
    stepper = widgets.pixel_stepper(data.small_image(), data.seed_filter(), start=data.pixel_192_position())
    stepper.slider.value += 1
    return f"{stepper.total:g}", stepper.position


def test_lesson01_pixel_stepper_renders_and_follows_the_keyboard(lab_server, page, artifacts):
    next_total, next_pixel = _expected_after_one_step()
    assert next_total != "577", "the step must change the sum, or the test would prove nothing"
    for stale in (SCREENSHOT, FAILURE_SCREENSHOT):  # only this run's pictures may be left behind
        (artifacts / stale).unlink(missing_ok=True)
    try:
        page.goto(lab_server.url(f"/lab/tree/{FIRST_LESSON}"))
        notebook = page.locator(".jp-NotebookPanel").filter(has=page.locator(".jp-Notebook"))
        expect(notebook).to_be_visible(timeout=KERNEL_TIMEOUT_MS)
        # The status bar's kernel item ("Python 3 (ipykernel) | Idle") follows the real kernel; the
        # notebook toolbar's execution indicator says "idle" before any kernel is connected.
        kernel_status = page.locator("#jp-main-statusbar").get_by_role("button", name=re.compile(r"\| Idle$"))
        expect(kernel_status).to_be_visible(timeout=KERNEL_TIMEOUT_MS)

        page.locator("#jp-MainMenu").get_by_role("menuitem", name="Run", exact=True).click()
        page.locator(".lm-Menu").get_by_role("menuitem", name=re.compile(r"^Run All Cells")).click()

        total = notebook.locator(".convcourse-total")
        expect(total).to_have_text("577", timeout=KERNEL_TIMEOUT_MS)
        stepper = notebook.locator(".jp-OutputArea-output").filter(has=page.locator(".convcourse-total"))
        pixel = stepper.locator(".convcourse-stepper-sum b").first
        expect(pixel).to_contain_text("pixel (2, 3), value 192")

        handle = stepper.locator(".noUi-handle")
        handle.focus()
        handle.press("ArrowRight")
        expect(total).to_have_text(next_total, timeout=UI_TIMEOUT_MS)
        expect(pixel).to_contain_text(f"pixel ({next_pixel[0]}, {next_pixel[1]}),")
        expect(pixel).not_to_contain_text("pixel (2, 3)")

        stepper.scroll_into_view_if_needed()
        page.screenshot(path=artifacts / SCREENSHOT, full_page=True)
    except BaseException:
        try:
            page.screenshot(path=artifacts / FAILURE_SCREENSHOT, full_page=True)
        except Exception as error:  # the page itself may be gone; keep the original failure
            print(f"could not save the failure screenshot: {error!r}")
        print(f"JupyterLab log ({lab_server.log}):\n{lab_server.log_text()}")
        raise
