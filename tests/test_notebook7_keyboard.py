"""Arrow keys on a focused slider in Notebook 7: an upstream limitation, pinned, and the README's workaround.

In JupyterLab a clicked slider moves with the arrow keys (tests/test_browser.py, lesson 01's stepper). Notebook 7
handles key presses in the capture phase (its application does not start with Lumino's ``bubblingKeydown``, as
JupyterLab 4 does), so ArrowLeft/ArrowRight match its command-mode shortcuts
``notebook:move-cursor-heading-above-or-collapse`` / ``-below-or-expand`` before the slider sees them; the
upstream issue is jupyter-widgets/ipywidgets#3926. The first test pins that: when it fails, Notebook 7 has fixed
it and the README's "Sliders and the keyboard" paragraph must go. The second checks the README's workaround (the
two shortcuts disabled in the user's settings) makes the arrows move the slider.

Each test starts Notebook 7 (tests/jupyter_lab.py's notebook7) on a temporary folder holding a one-cell notebook
with lesson 01's pixel stepper, with JupyterLab's user settings in a temporary folder.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import nbformat
import pytest
from playwright.sync_api import Page, expect

from convcourse import COURSE_ROOT
from jupyter_lab import KERNEL_TIMEOUT_MS, lab_user_settings, learner_environment, notebook7, request, \
    screenshots

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("notebook7-browser")]

UPSTREAM_ISSUE = "jupyter-widgets/ipywidgets#3926"
STEPPER = ("from convcourse import data, widgets\n"
           "widgets.pixel_stepper(data.small_image(), data.seed_filter(), start=data.pixel_192_position())")


def readme_workaround() -> dict:
    """The shortcut settings the README gives, read from the README itself so the two cannot drift apart."""
    readme = (COURSE_ROOT / "README.md").read_text()
    block = re.search(r"<!-- notebook7-arrow-keys -->\s*```json\n(.*?)```", readme, re.S)
    assert block, "the README's Notebook 7 workaround is missing"
    return json.loads(block.group(1))


def _serve(tmp_path: Path, shortcuts: dict | None):
    root = tmp_path / "root"
    root.mkdir()
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    notebook.cells = [nbformat.v4.new_code_cell(STEPPER)]
    nbformat.write(notebook, root / "stepper.ipynb")
    settings = lab_user_settings(tmp_path)
    if shortcuts is not None:
        path = Path(settings["JUPYTERLAB_SETTINGS_DIR"]) / "@jupyterlab" / "shortcuts-extension"
        path.mkdir(parents=True, exist_ok=True)
        (path / "shortcuts.jupyterlab-settings").write_text(json.dumps(shortcuts))
    return notebook7(tmp_path / "notebook7.log", root, env=learner_environment(**settings))


def _wait_for_the_kernel(page: Page, server) -> None:
    """Until the notebook's kernel is idle (the server's sessions say so), answering Notebook 7's "Select Kernel"
    dialog with the default if it asks (it sometimes does, even for a notebook that names its kernel)."""
    deadline = time.monotonic() + KERNEL_TIMEOUT_MS / 1000
    select = page.locator(".jp-Dialog").get_by_role("button", name="Select", exact=True)
    while time.monotonic() < deadline:
        if select.is_visible():
            select.click()
        sessions = request(server, "GET", "/api/sessions")
        if any(session["kernel"]["execution_state"] == "idle" for session in sessions):
            return
        page.wait_for_timeout(500)
    raise AssertionError(f"no idle kernel within {KERNEL_TIMEOUT_MS / 1000:.0f} s:\n{server.log_text()}")


def _press_arrow_right_on_the_slider(page: Page, server) -> tuple[str, str]:
    """Run the stepper's cell in Notebook 7, focus its slider and press ArrowRight: the readouts before, after."""
    page.goto(server.url("/notebooks/stepper.ipynb"))
    cell = page.locator(".jp-Notebook .jp-CodeCell").first
    expect(cell).to_be_visible(timeout=KERNEL_TIMEOUT_MS)
    _wait_for_the_kernel(page, server)
    cell.locator(".jp-InputPrompt").click()
    page.keyboard.press("Shift+Enter")
    readout = page.locator(".widget-readout").first
    expect(readout).to_have_text("(2, 3)", timeout=KERNEL_TIMEOUT_MS)
    handle = page.locator(".noUi-handle").first
    handle.click()  # as a learner does: the handle is now focused
    assert page.evaluate("document.activeElement.classList.contains('noUi-handle')")
    page.keyboard.press("ArrowRight")
    page.wait_for_timeout(1500)  # the kernel's answer, if the slider moved, comes within this
    return "(2, 3)", readout.text_content()


def test_in_notebook_7_arrow_keys_on_a_focused_slider_go_to_the_notebook_not_the_slider(tmp_path, page, chromium,
                                                                                         artifacts):
    with _serve(tmp_path, shortcuts=None) as server, screenshots(page, server, artifacts, "notebook7_arrow_keys"):
        before, after = _press_arrow_right_on_the_slider(page, server)
        assert after == before, (f"the arrow key moved the slider in Notebook 7: {UPSTREAM_ISSUE} is fixed "
                                 "upstream; drop the README's workaround and this pin")
        # The step itself works: the slider's own keyboard handling is intact once the shortcut is out of the way.
        expect(page.locator(".convcourse-total")).to_have_text("577")


def test_the_readmes_workaround_lets_the_arrow_keys_move_the_slider_in_notebook_7(tmp_path, page, chromium,
                                                                                  artifacts):
    with _serve(tmp_path, shortcuts=readme_workaround()) as server, \
            screenshots(page, server, artifacts, "notebook7_arrow_keys_workaround") as shot:
        before, after = _press_arrow_right_on_the_slider(page, server)
        assert after == "(2, 4)", f"with the README's settings ArrowRight should move the window, not {after!r}"
        page.screenshot(path=shot)
