"""The experimenter's chair in Chromium: `make play` opens the playground, where Run All brings up every widget
on the reference computation; and each lesson's widget works in the untouched student release, before any
exercise, run the way someone who came to play runs it (the set-up cell, the cells it reads, then the widget's).

One `make play` (tests/jupyter_lab.py's make_lab, target "play") serves the module with a learner's environment,
JupyterLab's per-user settings in a temporary folder and autosave off, so the checkout's playground.ipynb is
never written (the test checks its bytes); each lesson is opened as a copy beside its release notebook, deleted
however the test ends. Screenshots go to test-artifacts/.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, expect

from convcourse import COURSE_ROOT, notebooks
from convcourse.lab import PLAYGROUND
from jupyter_lab import LabServer, lab_user_settings, learner_environment, make_lab, open_notebook, screenshots, \
    shut_down_kernels

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("make-play-browser")]

RUN_TIMEOUT_MS = 180_000  # a cell that starts TensorFlow, loads Fashion-MNIST or builds a model
TRAINING_TIMEOUT_MS = 240_000  # "train briefly": one epoch on 3,000 images on a loaded machine
UI_TIMEOUT_MS = 30_000
STDERR = '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]'
LESSONS = ["01_one_pixel", "02_whole_image", "03_pooling", "04_filters_to_layers", "05_cnn_in_keras"]


@pytest.fixture(scope="module")
def lab(chromium, tmp_path_factory) -> Iterator[LabServer]:
    folder = tmp_path_factory.mktemp("make-play")
    settings = lab_user_settings(folder)
    docmanager = Path(settings["JUPYTERLAB_SETTINGS_DIR"]) / "@jupyterlab" / "docmanager-extension"
    docmanager.mkdir(parents=True, exist_ok=True)
    (docmanager / "plugin.jupyterlab-settings").write_text(json.dumps({"autosave": False}))
    playground = (COURSE_ROOT / PLAYGROUND).read_bytes()
    with make_lab(folder / "jupyterlab.log", target="play", env=learner_environment(**settings)) as server:
        yield server
    assert (COURSE_ROOT / PLAYGROUND).read_bytes() == playground, "the test must not write the playground"


@pytest.fixture
def play(lab) -> Iterator[LabServer]:
    yield lab
    shut_down_kernels(lab)


def _errors(notebook: Locator) -> list[str]:
    texts = notebook.locator(STDERR).all_text_contents()  # textContent: off-screen cells are not painted
    return [text for text in texts if "Traceback" in text or re.search(r"\b\w*(Error|Exception)\b", text)]


def _run_cell(page: Page, cell: Locator) -> None:
    """Select a cell, run it with Shift+Enter and wait until it shows its execution count."""
    cell.locator(".jp-InputPrompt").click()
    page.keyboard.press("Shift+Enter")
    expect(cell.locator(".jp-InputPrompt")).to_have_text(re.compile(r"^\[\d+\]:$"), timeout=RUN_TIMEOUT_MS)


# In one synchronous step, so that nothing scrolls between measuring and hit-testing: the layer's box, its
# picture's box, and the tooltip of whatever lies on top at the centre of a few pixels.
_HIT_TEST = """layer => {
    const picture = layer.closest('.widget-gridbox').querySelector('img');
    const box = layer.getBoundingClientRect(), under = picture.getBoundingClientRect();
    const [cols, rows] = layer.getAttribute('viewBox').split(' ').slice(2).map(Number);
    const hits = [[0, 0], [rows - 1, cols - 1], [rows >> 1, Math.floor(cols / 3)]].map(([row, col]) => {
        const x = box.left + (col + 0.5) * box.width / cols, y = box.top + (row + 0.5) * box.height / rows;
        const title = document.elementFromPoint(x, y)?.closest('rect')?.querySelector('title')?.textContent;
        return [row, col, title ?? null];
    });
    return {box: [box.left, box.top, box.width, box.height], picture: [under.left, under.top, under.width,
            under.height], hits};
}"""


def _hovering_shows_the_value_under_the_pointer(page: Page, widget: Locator) -> None:
    """Each hover layer lies exactly on its picture, and the point over a pixel finds that pixel's tooltip."""
    layers = widget.locator("svg.convcourse-hover")
    expect(layers.first).to_be_attached(timeout=UI_TIMEOUT_MS)
    assert layers.count() >= 3, "the input, the chosen map and its pooled map"
    for index in range(layers.count()):
        layers.nth(index).scroll_into_view_if_needed()
        page.wait_for_timeout(500)  # JupyterLab may scroll smoothly
        found = layers.nth(index).evaluate(_HIT_TEST)
        assert all(abs(a - b) < 1 for a, b in zip(found["box"], found["picture"])), found
        for row, col, title in found["hits"]:
            assert title and title.startswith(f"({row}, {col}) "), (index, found)


def _clicking_chooses_a_filter_and_a_pixel(widget: Locator) -> None:
    """A click on a map in the grid of every filter chooses that filter; a click on a pixel of the chosen map
    shows that pixel's arithmetic (through ipyevents' front end, as a mouse does)."""
    tiles = widget.locator("svg.convcourse-grid-hover rect")
    expect(tiles).to_have_count(64, timeout=UI_TIMEOUT_MS)
    tiles.nth(9).scroll_into_view_if_needed()
    tiles.nth(9).click()
    expect(widget.locator(".convcourse-max").locator("xpath=..")).to_contain_text("filter 9", timeout=UI_TIMEOUT_MS)
    chosen = widget.locator("svg.convcourse-hover").nth(1)  # the input's layer, then the chosen map's
    expect(chosen.locator("rect").first.locator("title")).to_have_text(re.compile(r"^\(0, 0\) filter 9 "))
    pixel = chosen.locator("rect").nth(4 * 26 + 19)
    pixel.scroll_into_view_if_needed()
    pixel.click()
    expect(widget).to_contain_text("pixel (4, 19) of filter 9", timeout=UI_TIMEOUT_MS)


def _cells_to_run(lesson: str) -> list[int]:
    """The set-up cell, the cells that load what the widget cell reads (lesson 05's data), the widget cell."""
    cells = notebooks.read(lesson, release=True).cells
    setup = next(i for i, c in enumerate(cells) if notebooks.nbgrader_meta(c).get("grade_id") == "setup")
    widget = next(i for i, c in enumerate(cells) if c.cell_type == "code" and "widgets." in c.source
                  and not notebooks.nbgrader_meta(c).get("grade_id"))
    data = [i for i, c in enumerate(cells[:widget]) if c.cell_type == "code" and "data.fashion_mnist()" in c.source]
    return [setup, *data, widget]


def test_make_play_opens_the_playground_where_run_all_brings_up_every_widget(play, page, artifacts):
    with screenshots(page, play, artifacts, "playground") as screenshot:
        page.goto(play.url("/"))  # make play sends the root to the playground
        notebook = page.locator(".jp-NotebookPanel").filter(has=page.locator(".jp-Notebook"))
        expect(notebook).to_be_visible(timeout=RUN_TIMEOUT_MS)
        expect(page.locator("#jp-main-dock-panel .lm-TabBar-tab.lm-mod-current")).to_contain_text(PLAYGROUND)
        expect(page.locator("#jp-main-statusbar").get_by_role("button", name=re.compile(r"\| Idle$"))).to_be_visible(
            timeout=RUN_TIMEOUT_MS)
        page.locator("#jp-MainMenu").get_by_role("menuitem", name="Run", exact=True).click()
        page.locator(".lm-Menu").get_by_role("menuitem", name=re.compile(r"^Run All Cells")).click()
        notices = notebook.locator(".convcourse-reference")
        expect(notices).to_have_count(5, timeout=RUN_TIMEOUT_MS)
        expect(notebook.locator(".convcourse-problem")).to_have_count(0)
        assert not _errors(notebook), _errors(notebook)
        prompts = notebook.locator(".jp-CodeCell .jp-InputArea-prompt").all_text_contents()
        assert all(re.fullmatch(r"\[\d+\]:", prompt.strip()) for prompt in prompts), prompts
        expect(notebook.locator(".convcourse-total").first).to_have_text("577")
        expect(notebook.locator(".convcourse-architecture .convcourse-total")).to_have_text("total parameters: 243,786")

        browser = notebook.locator(".jp-OutputArea-output").filter(has=page.locator(".convcourse-max"))
        expect(browser.locator(".convcourse-model")).to_contain_text("untrained")
        browser.get_by_role("button", name="train briefly").click()
        expect(browser.locator(".convcourse-model")).to_contain_text(
            "trained 1 time(s)", timeout=TRAINING_TIMEOUT_MS)
        expect(notebook.locator(".convcourse-problem")).to_have_count(0)
        page.screenshot(path=screenshot, full_page=True)


@pytest.mark.parametrize("lesson", LESSONS)
def test_each_lessons_widget_works_in_the_untouched_release(play, page, artifacts, lesson):
    release = notebooks.notebook_path(lesson, release=True)
    copy = release.with_name(f"{lesson}-experimenter-{os.getpid()}.ipynb")
    copy.write_bytes(release.read_bytes())
    try:
        with screenshots(page, play, artifacts, f"experimenter_{lesson}") as screenshot:
            notebook = open_notebook(page, play, copy.relative_to(COURSE_ROOT).as_posix())
            cells = notebook.locator(".jp-Notebook .jp-Cell")
            for index in _cells_to_run(lesson):
                _run_cell(page, cells.nth(index))
            widget = cells.nth(_cells_to_run(lesson)[-1])
            expect(widget.locator(".convcourse-reference")).to_contain_text("Showing the reference")
            expect(widget.locator(".convcourse-reference")).to_contain_text(re.compile(r"(still the stub|is not defined yet); once it works"))
            expect(widget.locator(".convcourse-problem")).to_have_count(0)
            assert not _errors(notebook), _errors(notebook)
            if lesson == "01_one_pixel":  # the play button walks the window by itself
                position = widget.locator(".convcourse-position")
                before = position.text_content()
                widget.locator(".widget-play button").first.click()
                expect(position).not_to_have_text(before, timeout=UI_TIMEOUT_MS)
                widget.locator(".widget-play button").first.click()  # pause
            if lesson == "02_whole_image":  # the photo is too large to hover: a close look at 15x15 of its sums
                expect(widget.locator("svg.convcourse-closer rect title")).to_have_count(15 * 15)
                sums = widget.locator(".widget-gridbox").nth(1)  # original, sums, picture: drawn 1:1
                sums.scroll_into_view_if_needed()
                sums.click(position={"x": 31.5, "y": 200.5})  # a click looks closer at the pixel clicked
                expect(widget.locator(".convcourse-closer-text")).to_contain_text("pixel (200, 31)",
                                                                                  timeout=UI_TIMEOUT_MS)
            if lesson == "02_whole_image":  # a weight too large for float64 is refused in the widget, then undone
                weight = widget.locator(".widget-text input").first
                weight.fill("1e308")
                weight.press("Enter")
                expect(widget.locator(".convcourse-problem")).to_contain_text("Cannot show this", timeout=UI_TIMEOUT_MS)
                weight.fill("1")
                weight.press("Enter")
                expect(widget.locator(".convcourse-problem")).to_have_count(0, timeout=UI_TIMEOUT_MS)
            if lesson == "05_cnn_in_keras":
                _hovering_shows_the_value_under_the_pointer(page, widget)
                _clicking_chooses_a_filter_and_a_pixel(widget)
            widget.scroll_into_view_if_needed()
            page.screenshot(path=screenshot)
    finally:
        copy.unlink(missing_ok=True)
        checkpoint = copy.parent / ".ipynb_checkpoints" / f"{copy.stem}-checkpoint.ipynb"
        checkpoint.unlink(missing_ok=True)
