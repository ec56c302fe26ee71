"""The widgets in a real browser: JupyterLab, started as `make lab` starts it, runs the notebooks and
renders their widgets, and a learner's keys and clicks reach the kernel and come back as new numbers.

- Lesson 01 (the student release): moving the pixel stepper's slider with the keyboard shows the next sum.
- Lessons 03 and 04 (the instructor's solutions, since their widgets come after the exercises and call the
  learner's functions, which are stubs in the release): the pooling explorer follows its pool-size slider
  and mode buttons; the architecture builder follows a typed filter count and its add / remove buttons,
  with totals that Keras computes here.
- Lesson 05 (the solution, for the same reason): after Run All has trained both models (fast mode), the
  activation browser follows its layer dropdown, its filter slider (keyboard) and its class dropdown.

One JupyterLab serves the whole module (on a copy of the course, so autosave never touches the checkout);
each test opens its notebook in a workspace of its own and shuts down its kernels when it ends, so the tests
do not depend on each other's order.

JupyterLab, and so every kernel it starts, runs with CONVCOURSE_FAST=1 (lesson 05 trains on a 3,000-image
subset for one epoch) and with the offline-data variables tests/conftest.py set (XDG_CACHE_HOME, KERAS_HOME).

Needs Chromium at /usr/bin/chromium (Playwright cannot download its own browser here); without it
the tests are skipped. Anything else missing (Playwright, JupyterLab, the widgets extension) fails.
"""

from __future__ import annotations

import concurrent.futures
import os
import re
import secrets
import shutil
import subprocess
from collections.abc import Iterator

import pytest
from playwright.sync_api import Locator, Page, expect

from convcourse import COURSE_ROOT, data, widgets
from convcourse.lab import FIRST_LESSON, lab_command
from convcourse.training import FAST_MODE_VARIABLE
from jupyter_lab import (KERNEL_TIMEOUT_MS, LabServer, free_port, lab_user_settings, open_notebook,
                         process_environment, screenshots, shut_down_kernels, wait_until_answering)

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("browser")]

UI_TIMEOUT_MS = 30_000  # a click or key press showing its effect
TRAINING_TIMEOUT_MS = 240_000  # lesson 05's Run All: TensorFlow's start, the checks, two models trained (fast mode)
SCREENSHOT = "lesson01_pixel_stepper.png"
FAILURE_SCREENSHOT = "lesson01_pixel_stepper-FAILED.png"
POOLING_SOLUTION = "solutions/03_pooling/03_pooling.ipynb"
BUILDER_SOLUTION = "solutions/04_filters_to_layers/04_filters_to_layers.ipynb"
KERAS_SOLUTION = "solutions/05_cnn_in_keras/05_cnn_in_keras.ipynb"
# What the server (and so its kernels) must get from this process: fast training, and the offline data sets
# (the last two only when conftest found an offline copy and set them).
INHERITED_VARIABLES = (FAST_MODE_VARIABLE, "XDG_CACHE_HOME", "KERAS_HOME")


@pytest.fixture(scope="module")
def lab(chromium, tmp_path_factory) -> Iterator[LabServer]:
    """JupyterLab on a copy of notebooks/, started by the same command line as `make lab`; one per module."""
    root = tmp_path_factory.mktemp("course")
    shutil.copytree(COURSE_ROOT / "notebooks", root / "notebooks")  # autosave must not touch the release
    assert (root / FIRST_LESSON).is_file(), f"{FIRST_LESSON} is missing from the course (make release?)"
    port, token = free_port(), secrets.token_hex(24)
    server = LabServer(f"http://127.0.0.1:{port}", token, root, root / "jupyterlab.log")
    # Keep JupyterLab's saved layout and settings out of ~/.jupyter (see lab_user_settings).
    # Fast mode whatever the caller's shell says: these tests are about widgets, not about training.
    env = {**os.environ, FAST_MODE_VARIABLE: "1", **lab_user_settings(root / ".lab-user")}
    with server.log.open("wb") as log:
        process = subprocess.Popen(lab_command(port=port, token=token, open_browser=False, root=root),
                                   cwd=root, env=env, stdin=subprocess.DEVNULL,
                                   stdout=log, stderr=subprocess.STDOUT)
    server.pid = process.pid
    try:
        wait_until_answering(server, process)
        started_with = process_environment(process.pid)
        if started_with is not None:  # kernels get the server's environment (jupyter_client copies os.environ)
            wanted = {name: env[name] for name in INHERITED_VARIABLES if name in env}
            assert {name: started_with.get(name) for name in wanted} == wanted, "JupyterLab lost a variable"
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@pytest.fixture
def lab_server(lab) -> Iterator[LabServer]:
    """The module's JupyterLab; the kernels a test started are shut down when it ends (after its browser)."""
    yield lab
    shut_down_kernels(lab)


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


# --- Lessons 03 and 04: the solutions' widgets ------------------------------------------------------------
# Fragile spots, all ipywidgets 8 / JupyterLab 4 markup: a slider's handle is noUiSlider's `.noUi-handle`;
# a described control is a `.widget-inline-hbox` holding a `.widget-label` with the description; ToggleButtons
# and Buttons are <button>s named by their text; w.HTML renders into `.widget-html-content`; a w.Label is a
# `div.widget-label` (a description is a `label.widget-label`); an HBox is a `.widget-hbox`.


def _open_and_run_all(page: Page, server: LabServer, notebook_path: str) -> Locator:
    """Open a fresh copy of a solution notebook in a workspace of its own, run all its cells; the panel."""
    copy = server.root / notebook_path
    copy.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(COURSE_ROOT / notebook_path, copy)  # fresh: a previous run's autosave must not matter
    notebook = open_notebook(page, server, notebook_path)
    page.locator("#jp-MainMenu").get_by_role("menuitem", name="Run", exact=True).click()
    page.locator(".lm-Menu").get_by_role("menuitem", name=re.compile(r"^Run All Cells")).click()
    return notebook


def _assert_no_python_errors(notebook: Locator) -> None:
    """No cell printed a traceback or an exception (JupyterLab shows both as stderr-typed outputs)."""
    stderr = notebook.locator('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]')
    # textContent, not innerText: JupyterLab skips painting off-screen cells (content-visibility), and
    # innerText of an unpainted element is empty, which would make this check pass blindly.
    texts = stderr.all_text_contents()
    errors = [text for text in texts if "Traceback" in text or re.search(r"\b\w*(Error|Exception)\b", text)]
    assert not errors, "a cell failed:\n" + "\n---\n".join(errors)
    # Run All stops at a failing cell, so every code cell must have run: none still "[ ]:" or "[*]:".
    prompts = notebook.locator(".jp-CodeCell .jp-InputArea-prompt").all_text_contents()
    assert prompts and all(re.fullmatch(r"\[\d+\]:", prompt.strip()) for prompt in prompts), prompts


def _control(widget: Locator, description: str) -> Locator:
    """The ipywidgets control(s) whose description label reads exactly ``description``."""
    label = widget.page.locator(".widget-label", has_text=re.compile(rf"^{re.escape(description)}$"))
    return widget.locator(".widget-inline-hbox, .widget-toggle-buttons").filter(has=label)


def test_lesson03_pooling_explorer_follows_slider_and_mode(lab_server, page, artifacts):
    with screenshots(page, lab_server, artifacts, "lesson03_pooling_explorer") as screenshot:
        notebook = _open_and_run_all(page, lab_server, POOLING_SOLUTION)
        explorer = notebook.locator(".jp-OutputArea-output").filter(has=page.locator(".widget-slider"))
        sizes = explorer.locator(".widget-html-content").filter(has_text="pixels become")
        # The ascent photo, unfiltered, 2x2 max pooling: 512x512 -> 256x256.
        expect(sizes).to_contain_text("262,144 pixels become 65,536", timeout=KERNEL_TIMEOUT_MS)
        _assert_no_python_errors(notebook)
        expect(explorer.locator(".widget-html-content", has_text="after max pooling")).to_contain_text("256x256")

        handle = _control(explorer, "pool size").locator(".noUi-handle")
        handle.focus()
        handle.press("ArrowRight")
        handle.press("ArrowRight")  # pool size 2 -> 4: 512x512 -> 128x128
        expect(sizes).to_contain_text(f"262,144 pixels become {(512 // 4) ** 2:,} ", timeout=UI_TIMEOUT_MS)
        expect(_control(explorer, "pool size")).to_contain_text("4")  # the slider's readout

        average = _control(explorer, "pooling").get_by_role("button", name="average", exact=True)
        average.click()
        after = explorer.locator(".widget-html-content", has_text=re.compile(r"after \w+ pooling"))
        expect(after).to_contain_text("after average pooling: 128x128", timeout=UI_TIMEOUT_MS)
        expect(sizes).to_contain_text("become 16,384 ")  # still size 4
        expect(explorer.locator(".convcourse-problem")).to_have_count(0)
        expect(explorer.locator(".convcourse-yours")).to_contain_text("the same as the reference")

        explorer.scroll_into_view_if_needed()
        page.screenshot(path=screenshot, full_page=True)


def _keras_table(layers) -> list[str]:
    """The builder's table for a stack (lesson 04's tuples) as Keras sees it: the stack built as a real
    Sequential model, its layers' class names, output shapes and parameter counts, one string per table row
    (header, input, one per layer, total) in the form Playwright reads a row (its cells' texts run together)."""
    from convcourse.checks import keras_model_for  # imports TensorFlow: here, so other tests need not wait

    model = keras_model_for((28, 28, 1), layers)
    rows = [f"{number}{type(layer).__name__}{tuple(layer.output.shape[1:])}{layer.count_params():,}"
            for number, layer in enumerate(model.layers, start=1)]
    return ["#layeroutput shapeparameters", "Input(28, 28, 1)", *rows, f"total parameters: {model.count_params():,}"]


def test_lesson04_architecture_builder_follows_typing_and_buttons(lab_server, page, artifacts):
    seed = [tuple(layer) for layer in data.SEED_CNN]
    assert seed[0] == ("conv", 64, 3) and seed[1] == ("pool", 2), "the steps below assume the seed CNN"
    narrower = [("conv", 32, 3), *seed[1:]]  # typed into the first conv's filters
    with_pool = [*narrower[:4], ("pool", 2), *narrower[4:]]  # "add pool" goes just before the flatten
    without_first_pool = [with_pool[0], *with_pool[2:]]  # the first pool row's remove button
    stacks = {"seed": seed, "narrower": narrower, "with_pool": with_pool, "final": without_first_pool}
    with screenshots(page, lab_server, artifacts, "lesson04_architecture_builder") as screenshot, \
            concurrent.futures.ThreadPoolExecutor(max_workers=1) as keras_thread:
        # TensorFlow starts here while the kernel runs the notebook, rather than before it (some seconds).
        keras_tables = keras_thread.submit(lambda: {name: _keras_table(stack) for name, stack in stacks.items()})
        notebook = _open_and_run_all(page, lab_server, BUILDER_SOLUTION)
        builder = notebook.locator(".jp-OutputArea-output").filter(has=page.locator("table.convcourse-architecture"))
        total = builder.locator(".convcourse-total")
        expect(total).to_have_text("total parameters: 243,786", timeout=KERNEL_TIMEOUT_MS)
        # The last cell, the activation browser on the builder's stack, loads Fashion-MNIST: wait for it too.
        expect(notebook.locator(".convcourse-max")).to_be_attached(timeout=KERNEL_TIMEOUT_MS)
        _assert_no_python_errors(notebook)
        tables = keras_tables.result(timeout=KERNEL_TIMEOUT_MS / 1000)
        assert tables["seed"][-1] == "total parameters: 243,786", tables["seed"]
        assert len({table[-1] for table in tables.values()}) == 4, "every step must change the total"
        table_rows = builder.locator("table.convcourse-architecture tr")
        expect(table_rows).to_have_text(tables["seed"])

        filters = _control(builder, "filters").first.locator("input")
        expect(filters).to_have_value("64")
        filters.fill("32")
        filters.press("Enter")
        expect(total).to_have_text(tables["narrower"][-1], timeout=UI_TIMEOUT_MS)
        expect(table_rows).to_have_text(tables["narrower"])

        builder.get_by_role("button", name="add pool", exact=True).click()
        expect(total).to_have_text(tables["with_pool"][-1], timeout=UI_TIMEOUT_MS)
        expect(table_rows).to_have_text(tables["with_pool"])

        first_pool = builder.locator(".widget-hbox").filter(  # a layer row: its kind is a w.Label
            has=page.locator("div.widget-label", has_text=re.compile(r"^pool$"))).first
        first_pool.get_by_role("button", name="remove").click()
        expect(total).to_have_text(tables["final"][-1], timeout=UI_TIMEOUT_MS)
        expect(table_rows).to_have_text(tables["final"])
        expect(builder.locator(".convcourse-keras-code")).to_contain_text("Conv2D(32, (3, 3)")
        expect(builder.locator(".convcourse-yours")).to_contain_text("every shape and count as Keras computes them")

        builder.scroll_into_view_if_needed()
        page.screenshot(path=screenshot, full_page=True)


# --- Lesson 05: the activation browser, on the CNN the notebook has just trained ---------------------------
# More ipywidgets 8 markup: a Dropdown is a `.widget-inline-hbox` holding its description label and a native
# <select> (whose <option>s are the labels, spaces written as non-breaking ones), which Playwright's
# select_option drives as a user's choice does (input and change events).


def test_lesson05_activation_browser_follows_layer_filter_and_class(lab_server, page, artifacts):
    with screenshots(page, lab_server, artifacts, "lesson05_activation_browser") as screenshot:
        notebook = _open_and_run_all(page, lab_server, KERAS_SOLUTION)
        browser = notebook.locator(".jp-OutputArea-output").filter(
            has=page.locator(".widget-html-content", has_text="every filter of this layer"))
        caption = browser.locator(".widget-html-content", has_text="pixels active")
        # Layers are named by kind and rank (conv 1), not by Keras's session-numbered names (conv2d_8).
        expect(caption).to_contain_text(re.compile(r"layer 0: conv 1 26x26x64 . filter 0: max "),
                                        timeout=TRAINING_TIMEOUT_MS)
        _assert_no_python_errors(notebook)
        # The kernel trained in fast mode: it got CONVCOURSE_FAST=1 from the server.
        expect(notebook.locator(".jp-OutputArea-output", has_text="training on")).to_contain_text(
            "training on 3,000 images for 1 epoch(s) (fast mode: CONVCOURSE_FAST=1)")
        expect(browser.locator(".convcourse-yours")).to_contain_text("the same as the reference")
        expect(browser.locator(".widget-html-content", has_text="after max pooling")).to_contain_text("13x13")
        first_class = caption.locator("b").first.text_content()
        assert first_class != "Sneaker", "the class change below must change the caption"

        layer = _control(browser, "layer").locator("select")
        labels = layer.locator("option").all_text_contents()  # ipywidgets writes their spaces as U+00A0
        pooling = [label for label in labels if label.replace("\xa0", " ").startswith("1: max pool 1")]
        assert len(pooling) == 1, labels
        layer.select_option(label=pooling[0])
        expect(caption).to_contain_text(re.compile(r"layer 1: max pool 1 13x13x64 . filter 0: "),
                                        timeout=UI_TIMEOUT_MS)
        expect(caption).to_contain_text("of 169 pixels active")  # 13 x 13
        expect(browser.locator(".convcourse-no-pooling")).to_contain_text("next: conv 2")

        handle = _control(browser, "filter").locator(".noUi-handle")
        handle.focus()
        handle.press("ArrowRight")  # filter 0 -> 1
        expect(caption).to_contain_text(re.compile(r"13x13x64 . filter 1: max "), timeout=UI_TIMEOUT_MS)
        expect(_control(browser, "filter")).to_contain_text("1")  # the slider's readout

        _control(browser, "class").locator("select").select_option(label="Sneaker")
        expect(caption).to_contain_text(re.compile(r"^Sneaker example 0 \(of 0"), timeout=UI_TIMEOUT_MS)
        expect(caption).to_contain_text(re.compile(r"layer 1: max pool 1 13x13x64 . filter 1: max "))
        expect(caption).not_to_contain_text(first_class)
        expect(browser.locator(".convcourse-problem")).to_have_count(0)

        caption.scroll_into_view_if_needed()
        page.screenshot(path=screenshot, full_page=True)
