"""The lessons' widgets as an experimenter meets them, driven from Python: on the untouched release (before any
exercise) each works on the reference and says so; on a completed notebook each shows the learner's result
beside the reference, agreeing with it.

A lesson's widget cell runs in the namespace an experimenter has when they reach it: the set-up cell, the answer
cells (stubs in the release) and the function definitions (``notebooks.definitions``), then every other cell
above it except those that time a slow run (``timing.timed_call``: lesson 02's loops, lesson 05's training),
errors ignored, as someone clicking through cells would. Lesson 05 therefore browses the seed CNN untrained.
"""

from __future__ import annotations

import ast
import os

import numpy as np
import pytest

from convcourse import notebooks, widgets

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # before TensorFlow is first imported (lessons 04 and 05)

LESSONS = ["01_one_pixel", "02_whole_image", "03_pooling", "04_filters_to_layers", "05_cnn_in_keras"]
LEARNERS_FUNCTION = {"01_one_pixel": "weighted_sum", "02_whole_image": "to_display", "03_pooling": "max_pool2d",
                     "04_filters_to_layers": "layer_shapes", "05_cnn_in_keras": "feature_maps"}


def _run(source: str, namespace: dict):
    """Run a cell as Jupyter does; the value of its last line if that is an expression."""
    tree = ast.parse(source)
    last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
    exec(compile(tree, "<cell>", "exec"), namespace)
    return eval(compile(ast.Expression(last.value), "<cell>", "eval"), namespace) if last else None


def widget_cell_index(nb) -> int:
    return next(i for i, cell in enumerate(nb.cells) if cell.cell_type == "code" and "widgets." in cell.source
                and notebooks.nbgrader_meta(cell).get("grade_id") is None)


def experimenters_widget(nb):
    namespace = notebooks.definitions(nb)
    target = widget_cell_index(nb)
    for cell in nb.cells[:target]:
        meta = notebooks.nbgrader_meta(cell)
        if cell.cell_type != "code" or meta.get("grade_id") or "timed_call" in cell.source:
            continue
        try:
            _run(cell.source, namespace)
        except Exception:  # noqa: BLE001 - a stub's NotImplementedError, a name not defined yet: clicked past
            pass
    return _run(nb.cells[target].source, namespace), namespace


def _play(widget) -> None:
    """Move one control, as an experimenter would at once."""
    if isinstance(widget, widgets.PixelStepper):
        widget.slider.value += 1
    elif isinstance(widget, widgets.KernelPlayground):
        widget.preset.value = "seed filter"
    elif isinstance(widget, widgets.PoolingExplorer):
        widget.size.value = 3
    elif isinstance(widget, widgets.ArchitectureBuilder):
        widget.rows[0].filters.value = 32
    else:
        widget.filter_choice.value = 5


@pytest.mark.parametrize("lesson", LESSONS)
def test_before_any_exercise_each_widget_shows_the_reference_and_says_so(lesson):
    widget, _ = experimenters_widget(notebooks.read(lesson, release=True))
    for _ in range(2):
        assert widget.problem.value == "", widget.problem.value
        assert "Showing the reference" in widget.notice.value and "convcourse-reference" in widget.notice.value
        name = LEARNERS_FUNCTION[lesson]
        assert f"your <code>{name}</code> is still the stub" in widget.notice.value
        _play(widget)


@pytest.mark.parametrize("lesson", LESSONS)
def test_once_completed_each_widget_shows_the_learners_result_agreeing_with_the_reference(lesson):
    widget, namespace = experimenters_widget(notebooks.completed(lesson))
    assert callable(namespace[LEARNERS_FUNCTION[lesson]])
    for _ in range(2):
        assert widget.problem.value == "", widget.problem.value
        assert "convcourse-yours" in widget.notice.value and "convcourse-differs" not in widget.notice.value
        assert "convcourse-agrees" in widget.notice.value
        _play(widget)


def test_lesson05_browses_the_seed_cnn_with_raw_test_images_scaled():
    widget, namespace = experimenters_widget(notebooks.read("05_cnn_in_keras", release=True))
    assert "untrained" in widget.model_note.value and widget.model.count_params() == 243_786
    np.testing.assert_allclose(widget.images[0, :, :, 0], namespace["x_test"][0] / 255.0, rtol=1e-6)
