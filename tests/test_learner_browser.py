"""A learner at `make lab`, in Chromium: a classic mistake typed into a lesson, the check's diagnosis read in the
page, the fix typed, and the toolbar's Validate button.

- Lessons 01, 03 and 05 (the student release): a wrong answer from tests/corpus/wrong is typed into one answer
  cell; the cells up to that answer's test cell are run (Run > Run All Above Selected Cell, then the test cell;
  lesson 05's training cells further down never run); the test cell's error output names the mistake first (the
  sentence of convcourse.checks.MISTAKES), in a few lines, without the course package's frames. Then the correct
  answer is typed and that cell and its test cell run without error. The notebook, whose other answer cells hold
  the correct answers (written into the copy before it is opened), is saved and Validate's dialog says
  "Success!" with no failed cell (for lesson 05 that re-runs the notebook in fast mode, some 30 s).
- A freshly released notebook opens unmodified: not marked dirty once its kernel is idle.

Typing: the editor's text is selected (Ctrl+A) and replaced with Playwright's ``keyboard.insert_text``, which
enters the whole text as one input event, as a paste or an input method does, so CodeMirror takes it verbatim.
Typed key by key (``keyboard.type``), every Enter gets CodeMirror's automatic indentation and the typed spaces
come on top of it (tried: lesson 05's answer came out with 8 spaces where it has 4, 20 where it has 12), so the
cell would not hold the answer. The test reads the editor's lines back to prove what it holds.

One `make lab` (tests/jupyter_lab.py) serves the module, in learner mode with a learner's environment (no fast
mode, no TensorFlow log level), with JupyterLab's per-user settings in a temporary folder. Each test works on a
copy of the release notebook in the lesson's own folder (Validate needs that folder: it is the assignment),
named `<lesson>-browser-<pid>.ipynb`, deleted with its checkpoint however the test ends; the real notebooks are
never touched. Screenshots go to test-artifacts/ (one per lesson; `-FAILED.png` on failure).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest
from playwright.sync_api import Locator, Page, expect

from convcourse import COURSE_ROOT, notebooks
from convcourse.checks import MISTAKES
from corpus_cases import CORPUS, load_case
from jupyter_lab import (LabServer, lab_user_settings, learner_environment, make_lab, open_notebook, screenshots,
                         shut_down_kernels)

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("make-lab-browser")]

RUN_TIMEOUT_MS = 180_000  # the cells up to a test cell; lesson 05 starts TensorFlow and loads Fashion-MNIST
VALIDATE_TIMEOUT_MS = 300_000  # Validate re-runs the whole notebook (lesson 05: TensorFlow, fast-mode training)
MAX_ERROR_LINES = 15
STDERR_OUTPUT = '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]'  # errors and stderr
SOLUTION_MARKERS = ("### BEGIN SOLUTION", "### END SOLUTION")
MARK_SCHEME = re.compile(r"=== BEGIN MARK SCHEME ===.*?=== END MARK SCHEME ===\n*", re.DOTALL)


@dataclass(frozen=True)
class Exercise:
    """One answer cell that the learner gets wrong, then right, in the browser."""

    lesson: str
    case: str  # tests/corpus/wrong/<case>.py: the classic wrong answer typed first
    answer: str  # the answer cell's grade id
    test: str  # its test cell's grade id (the cell just below it)
    passes: str  # what the test cell prints once the answer is right


EXERCISES = [
    Exercise("01_one_pixel", "weighted_sum_flipped", "weighted_sum", "weighted_sum_seed_pixel",
             "weighted_sum(patch, kernel) = 577.0"),
    Exercise("03_pooling", "max_pool2d_averages", "max_pool2d", "max_pool2d_like_keras", "[[200  99]"),
    Exercise("05_cnn_in_keras", "build_dense_model_softmax_from_logits", "build_dense_model",
             "build_dense_model_seed", "101,770 parameters"),
]


def learner_answer(solution_source: str) -> str:
    """A solution cell as a learner would leave it: without nbgrader's markers and the mark scheme."""
    source = MARK_SCHEME.sub("", solution_source)
    return "".join(line for line in source.splitlines(keepends=True) if line.strip() not in SOLUTION_MARKERS)


def correct_answers(lesson: str) -> dict[str, str]:
    """grade id -> the correct answer, for every answer cell of the lesson (code and written)."""
    return {notebooks.nbgrader_meta(cell)["grade_id"]: learner_answer(cell.source)
            for cell in notebooks.read(lesson).cells if notebooks.nbgrader_meta(cell).get("solution")}


def distinctive_part(mistake: str) -> str:
    """The opening clause of a mistake's sentence ("the kernel is flipped 180 degrees"): what names it."""
    return re.split(r"[,:;.(]", MISTAKES[mistake], maxsplit=1)[0].strip()


def _normalised(text: str) -> str:
    return " ".join(text.split())


# ---------------------------------------------------------------------------------------------------------------
# Fixtures: one `make lab` for the module; notebook copies in the lessons' folders, always removed


@pytest.fixture(scope="module")
def lab(chromium, tmp_path_factory) -> Iterator[LabServer]:
    """`make lab` as a learner starts it; JupyterLab's per-user settings and workspaces in a temporary folder."""
    folder = tmp_path_factory.mktemp("make-lab-browser")
    with make_lab(folder / "jupyterlab.log", env=learner_environment(**lab_user_settings(folder))) as server:
        yield server


@pytest.fixture
def learner_lab(lab) -> Iterator[LabServer]:
    """The module's JupyterLab; the kernels a test started are shut down when it ends."""
    yield lab
    shut_down_kernels(lab)


@pytest.fixture
def notebook_copy() -> Iterator[Callable[[str, nbformat.NotebookNode | None], str]]:
    """Makes `notebooks/<lesson>/<lesson>-browser-<pid>.ipynb` (the release notebook, or the one given); its path
    relative to the course. The copies and their JupyterLab checkpoints are deleted when the test ends."""
    made: list[Path] = []

    def make(lesson: str, notebook: nbformat.NotebookNode | None = None) -> str:
        release = notebooks.notebook_path(lesson, release=True)
        copy = release.with_name(f"{lesson}-browser-{os.getpid()}.ipynb")
        made.append(copy)
        if notebook is None:
            copy.write_bytes(release.read_bytes())  # byte for byte: what `make release` wrote
        else:
            nbformat.write(notebook, copy)
        return copy.relative_to(COURSE_ROOT).as_posix()

    try:
        yield make
    finally:
        for copy in made:
            copy.unlink(missing_ok=True)
            checkpoints = copy.parent / ".ipynb_checkpoints"
            (checkpoints / f"{copy.stem}-checkpoint{copy.suffix}").unlink(missing_ok=True)
            if checkpoints.is_dir() and not any(checkpoints.iterdir()):
                checkpoints.rmdir()


# ---------------------------------------------------------------------------------------------------------------
# In the page


def _cells(notebook: Locator) -> Locator:
    return notebook.locator(".jp-Notebook .jp-Cell")


def _tab(page: Page, notebook_path: str) -> Locator:
    label = page.locator(".lm-TabBar-tabLabel", has_text=re.compile(rf"^{re.escape(Path(notebook_path).name)}$"))
    return page.locator("#jp-main-dock-panel .lm-TabBar-tab").filter(has=label)


def _menu(page: Page, menu: str, item: str) -> None:
    page.locator("#jp-MainMenu").get_by_role("menuitem", name=menu, exact=True).click()
    page.locator(".lm-Menu").get_by_role("menuitem", name=re.compile(rf"^{re.escape(item)}")).click()


def _editor_text(cell: Locator) -> str:
    """The text in a cell's CodeMirror editor, line by line as it shows it."""
    return cell.locator(".cm-content").evaluate(
        "content => Array.from(content.querySelectorAll('.cm-line'), line => line.textContent).join('\\n')")


def _type_answer(page: Page, cell: Locator, source: str) -> None:
    """Replace the cell's text through its editor: select all, then enter the text (see the module docstring)."""
    cell.locator(".cm-content").click()
    page.keyboard.press("Control+a")
    page.keyboard.insert_text(source)
    assert _editor_text(cell) == source, "the editor does not hold the typed answer"


def _select(cell: Locator) -> None:
    """Select a cell in command mode (a click on its input prompt)."""
    cell.locator(".jp-InputPrompt").click()


def _prompt(cell: Locator) -> str:
    return (cell.locator(".jp-InputPrompt").text_content() or "").strip()


def _wait_until_run(cell: Locator, before: str) -> None:
    """Wait until the cell shows an execution count other than ``before`` ("[ ]:", "[3]:"): it has run."""
    count = re.escape(before)
    expect(cell.locator(".jp-InputPrompt")).to_have_text(re.compile(rf"^(?!{count}$)\[\d+\]:$"),
                                                         timeout=RUN_TIMEOUT_MS)


def _assert_is_the_diagnosis(error: str, mistake: str) -> None:
    """A check's error output as `checks.prepare_kernel()` has it written, naming ``mistake`` first."""
    lines = error.strip("\n").splitlines()
    assert lines and lines[0].startswith("AssertionError: "), f"the output does not start with the check's " \
                                                              f"AssertionError:\n{error}"
    first = _normalised("\n".join(lines[:lines.index("")] if "" in lines else lines))  # the wrapped first line
    assert distinctive_part(mistake) in first, f"the first line does not name {mistake!r}:\n{error}"
    assert len(lines) <= MAX_ERROR_LINES, f"{len(lines)} lines:\n{error}"
    assert "convcourse/checks" not in error and "Traceback" not in error and str(COURSE_ROOT) not in error, error
    assert "Where (most recent call last):" in error, error
    assert re.search(r"^  Cell In\[\d+\], line \d+", error, re.MULTILINE), error


# ---------------------------------------------------------------------------------------------------------------
# The tests


@pytest.mark.parametrize("exercise", EXERCISES, ids=[exercise.lesson for exercise in EXERCISES])
def test_a_mistake_is_named_in_the_page_then_the_fix_passes_and_validate_says_success(
        exercise, learner_lab, page, artifacts, notebook_copy):
    case = load_case(CORPUS / "wrong" / f"{exercise.case}.py")
    assert case.lesson == exercise.lesson and exercise.test in case.failing, case
    answers = correct_answers(exercise.lesson)
    correct = answers.pop(exercise.answer)  # typed in the browser; every other answer cell is filled in the file
    release = notebooks.read(exercise.lesson, release=True)
    grade_ids = [notebooks.nbgrader_meta(cell).get("grade_id") for cell in release.cells]
    answer_index, test_index = grade_ids.index(exercise.answer), grade_ids.index(exercise.test)
    assert test_index == answer_index + 1, "Shift+Enter from the answer cell must reach its test cell"
    path = notebook_copy(exercise.lesson, notebooks.with_answers(release, answers))

    with screenshots(page, learner_lab, artifacts, f"learner_{exercise.lesson}_mistake_then_validate") as shot:
        notebook = open_notebook(page, learner_lab, path)
        cells = _cells(notebook)
        expect(cells).to_have_count(len(release.cells))
        answer, test = cells.nth(answer_index), cells.nth(test_index)

        # The classic mistake, run with every cell above it.
        _type_answer(page, answer, case.answers[exercise.answer])
        page.keyboard.press("Escape")
        _select(test)
        _menu(page, "Run", "Run All Above Selected Cell")
        _select(test)
        page.keyboard.press("Control+Enter")  # run the test cell, stay on it
        _wait_until_run(test, "[ ]:")
        outputs = test.locator(STDERR_OUTPUT)
        expect(outputs.last).to_be_visible()
        # The error comes last (lesson 03's first Keras comparison may print TensorFlow's start-up lines first).
        _assert_is_the_diagnosis(outputs.last.text_content() or "", case.mistake)
        test.scroll_into_view_if_needed()
        page.screenshot(path=shot.with_name(shot.stem + "-mistake.png"), full_page=True)

        # The fix: the answer cell and its test cell run again, without an error.
        before = _prompt(test)
        _type_answer(page, answer, correct)
        page.keyboard.press("Shift+Enter")  # runs the answer cell, moves to the test cell
        page.keyboard.press("Shift+Enter")
        _wait_until_run(test, before)
        expect(test.locator(".jp-OutputArea")).to_contain_text(exercise.passes)
        for cell in (answer, test):
            errors = cell.locator(STDERR_OUTPUT).all_text_contents()
            assert not errors, "after the fix, still:\n" + "\n---\n".join(errors)

        # Save, then Validate (nbgrader's toolbar button): success, no failed cell.
        page.keyboard.press("Control+s")
        expect(_tab(page, path)).not_to_have_class(re.compile(r"\bjp-mod-dirty\b"), timeout=30_000)
        notebook.locator(".jp-NotebookPanel-toolbar .validate-button").click()
        dialog = page.locator(".jp-Dialog")
        expect(dialog).to_contain_text("Validation Results", timeout=VALIDATE_TIMEOUT_MS)
        result = dialog.locator(".jp-Dialog-body")
        expect(result).to_contain_text("Success! Your notebook passes all the tests.")
        assert "failed" not in (result.text_content() or ""), result.text_content()
        page.screenshot(path=shot, full_page=True)
        dialog.get_by_role("button", name="Ok").click()
        expect(dialog).to_have_count(0)

    saved = nbformat.read(COURSE_ROOT / path, as_version=4)
    assert notebooks.cell(saved, exercise.answer).source == correct, "the saved notebook lost the typed answer"


def _differences(before, after, where: str = "") -> list[str]:
    """Where two JSON values differ: 'metadata.language_info.version: (absent) -> "3.11.7"'."""
    if isinstance(before, dict) and isinstance(after, dict):
        differences = []
        for key in sorted(set(before) | set(after)):
            differences += _differences(before.get(key, ...), after.get(key, ...), f"{where}.{key}".lstrip("."))
        return differences
    if isinstance(before, list) and isinstance(after, list) and len(before) == len(after):
        return [difference for index, (old, new) in enumerate(zip(before, after))
                for difference in _differences(old, new, f"{where}[{index}]")]
    if before == after:
        return []
    shown = ["(absent)" if value is ... else json.dumps(value) for value in (before, after)]
    return [f"{where}: {shown[0]} -> {shown[1]}"]


def _what_jupyterlab_changed(page: Page, notebook_path: str) -> str:
    """Save the open notebook and compare the file with what it was: the changes JupyterLab made to the model."""
    file = COURSE_ROOT / notebook_path
    before = json.loads(file.read_text())
    page.keyboard.press("Control+s")
    expect(_tab(page, notebook_path)).not_to_have_class(re.compile(r"\bjp-mod-dirty\b"), timeout=30_000)
    return "\n".join(_differences(before, json.loads(file.read_text()))) or "(the saved file is unchanged)"


@pytest.mark.xfail(strict=True, raises=AssertionError, reason=(
    "JupyterLab marks the notebook dirty as soon as its kernel connects: it writes the kernel's language_info "
    "(codemirror_mode, file_extension, mimetype, nbconvert_exporter, pygments_lexer, version = the kernel's "
    "Python version) over the release's metadata.language_info, which is only {'name': 'python'}; it changes "
    "nothing when the stored value is already equal (a copy with the kernel's full language_info opens clean). "
    "Drop this mark once the release's notebooks open unmodified."))
def test_a_freshly_released_notebook_opens_unmodified(learner_lab, page, artifacts, notebook_copy):
    path = notebook_copy("01_one_pixel")
    with screenshots(page, learner_lab, artifacts, "learner_01_one_pixel_fresh_notebook") as shot:
        open_notebook(page, learner_lab, path)
        tab = _tab(page, path)
        expect(tab).to_have_count(1)
        page.wait_for_timeout(2_000)  # the kernel's info reaches the model as the kernel connects; allow a moment
        dirty = "jp-mod-dirty" in (tab.get_attribute("class") or "").split()
        changed = _what_jupyterlab_changed(page, path) if dirty else ""
        assert not dirty, (f"{path}, untouched, is marked as modified once its kernel is idle "
                           f"(closing it asks to save); saved, it differs from the release by:\n{changed}")
        page.screenshot(path=shot, full_page=True)
