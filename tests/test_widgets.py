"""The widgets, driven from Python through the same controls a learner uses."""

from __future__ import annotations

import io
import re

import numpy as np
import pytest
from matplotlib.image import imread
from scipy import ndimage, signal

from convcourse import data, plots, widgets


def _shown_sum(stepper) -> float:
    return float(re.search(r'class="convcourse-total">([^<]+)<', stepper.view.value).group(1))


def test_stepper_starts_on_the_192_pixel_and_shows_577_with_every_product():
    stepper = widgets.pixel_stepper(data.small_image(), data.seed_filter(), start=data.pixel_192_position())
    assert stepper.position == (2, 3)
    assert _shown_sum(stepper) == 577
    for product in ("0 x -1", "192 x 4.5", "168 x -3", "(864)", "(-504)"):
        assert product in stepper.view.value
    assert "pixel (2, 3), value 192" in stepper.view.value


def test_moving_the_slider_moves_the_window_and_recomputes_the_sum():
    image, kernel = data.small_image(), data.seed_filter()
    stepper = widgets.pixel_stepper(image, kernel)
    expected = signal.correlate2d(image.astype(float), kernel, "valid")
    assert len(stepper.positions) == expected.size == 24
    seen = []
    for index in range(stepper.slider.min, stepper.slider.max + 1):
        stepper.slider.value = index
        row, col = stepper.position
        assert _shown_sum(stepper) == pytest.approx(expected[row - 1, col - 1], abs=1e-9)
        assert f"pixel ({row}, {col})" in stepper.view.value
        assert f"window position {index + 1} of 24" in stepper.view.value  # lesson 01's check-yourself count
        seen.append((row, col))
    assert seen == sorted(seen), "the slider walks the image row by row"
    assert stepper.view.value.count("3px solid") == 9, "exactly the 3x3 window is highlighted"


def test_stepper_works_with_a_5x5_kernel():
    image = np.arange(56, dtype=np.uint8).reshape(7, 8)
    stepper = widgets.pixel_stepper(image, np.ones((5, 5)))
    assert stepper.position == (2, 2) and len(stepper.positions) == 3 * 4
    assert stepper.total == image[:5, :5].sum()


def _identity_display(values, mode):
    # A stand-in for the learner's to_display: clip, or stretch min..max.
    if mode == "clip":
        return np.clip(values, 0, 255).astype(np.uint8)
    span = values.max() - values.min()
    return np.zeros(values.shape, np.uint8) if span == 0 else ((values - values.min()) / span * 255).astype(np.uint8)


@pytest.fixture
def playground():
    images = {"small": data.small_image(), "ramp": np.tile(np.arange(0, 250, 10, dtype=np.uint8), (12, 1))}
    return widgets.kernel_playground(images, data.preset_filters(), display=_identity_display)


def _decoded(picture) -> np.ndarray:
    return _png_pixels(picture.value)


def _png_pixels(png: bytes) -> np.ndarray:
    return np.rint(imread(io.BytesIO(png)) * 255).astype(int)


def test_playground_starts_with_the_first_preset_and_shows_the_image(playground):
    assert playground.preset.value == "identity"
    assert np.array_equal(playground.filtered, data.small_image())
    assert np.array_equal(_decoded(playground.picture), data.small_image())


def test_choosing_a_preset_fills_the_grid_and_filters_with_it(playground):
    playground.preset.value = "seed filter"
    assert np.array_equal(playground.kernel, data.seed_filter())
    expected = ndimage.correlate(data.small_image().astype(float), data.seed_filter(), mode="constant")
    assert np.allclose(playground.filtered, expected)
    assert playground.filtered[2, 3] == 577
    assert playground.shown[2, 3] == 255, "clip mode shows 577 as white"


def test_editing_a_cell_switches_to_custom_and_refilters(playground):
    playground.preset.value = "box blur"
    playground.cells[1][1].value = 2.0
    assert playground.preset.value == "custom"
    kernel = data.preset_filters()["box blur"].copy()
    kernel[1, 1] = 2.0
    assert np.allclose(playground.kernel, kernel)
    assert np.allclose(playground.filtered, ndimage.correlate(data.small_image().astype(float), kernel, mode="constant"))


def test_display_mode_changes_the_picture_not_the_sums(playground):
    playground.preset.value = "vertical edges"
    sums, clipped = playground.filtered.copy(), playground.picture.value
    assert playground.filtered.min() < 0, "edges give negative sums on this image"
    playground.mode.value = "rescale"
    assert np.array_equal(playground.filtered, sums)
    assert playground.picture.value != clipped
    assert playground.shown.min() == 0 and playground.shown.max() == 255
    assert "squeezed in by rescaling" in playground.stats.value


def test_choosing_another_image_filters_that_image(playground):
    playground.preset.value = "vertical edges"
    playground.image_choice.value = "ramp"
    assert playground.filtered.shape == (12, 25)
    assert np.all(playground.filtered[1:-1, 1:-1] == 80), "a ramp rising 10 per pixel gives 4 x 2 x 10 inside"
    assert np.array_equal(_decoded(playground.original),
                          np.tile(np.arange(0, 250, 10), (12, 1)))


def test_playground_uses_the_learners_functions_when_given():
    calls = []

    def learner_correlate(image, kernel, stride, padding):
        calls.append((stride, padding))
        return signal.correlate2d(image.astype(float), kernel, mode=padding)

    board = widgets.kernel_playground({"small": data.small_image()}, data.preset_filters(),
                                      display=_identity_display, correlate=learner_correlate)
    board.preset.value = "sharpen"
    assert calls and set(calls) == {(1, "same")}


def test_grey_png_round_trips_a_uint8_image():
    image = np.array([[0, 128], [255, 7]], dtype=np.uint8)
    assert np.array_equal(_png_pixels(plots.grey_png(image)), image)


def _keras_like_max_pool(x, size=2, stride=None, padding="valid"):
    # A stand-in for the learner's max_pool2d (grey images, 'valid'), by reshaping into blocks.
    stride = size if stride is None else stride
    assert stride == size, "this stand-in only tiles"
    rows, cols = x.shape[0] // size, x.shape[1] // size
    if rows == 0 or cols == 0:
        raise ValueError("a pooling window does not fit inside this image")
    return x[:rows * size, :cols * size].reshape(rows, size, cols, size).max(axis=(1, 3))


def _keras_like_avg_pool(x, size=2, stride=None, padding="valid"):
    stride = size if stride is None else stride
    rows, cols = x.shape[0] // size, x.shape[1] // size
    return x[:rows * size, :cols * size].reshape(rows, size, cols, size).mean(axis=(1, 3))


@pytest.fixture
def explorer():
    return widgets.pooling_explorer({"photo": data.ascent(), "small": data.small_image()}, data.preset_filters(),
                                    max_pool=_keras_like_max_pool, avg_pool=_keras_like_avg_pool)


def test_explorer_starts_with_the_photo_quartered_by_2x2_max_pooling(explorer):
    assert explorer.filtered.shape == (512, 512) and explorer.pooled.shape == (256, 256)
    assert "262,144 pixels become 65,536 (25.0% of them)" in explorer.sizes.value
    assert "512x512" in explorer.before_label.value and "256x256" in explorer.after_label.value
    assert _png_pixels(explorer.after.value).shape[:2] == (256, 256)


def test_explorer_filters_with_relu_then_pools_keeping_the_strongest_response(explorer):
    explorer.filter_choice.value = "vertical edges"
    edges = ndimage.correlate(data.ascent().astype(float), data.preset_filters()["vertical edges"], mode="constant")
    assert np.array_equal(explorer.filtered, np.maximum(edges, 0))
    assert explorer.pooled.max() == explorer.filtered.max()
    explorer.mode.value = "average"
    assert np.allclose(explorer.pooled, _keras_like_avg_pool(np.maximum(edges, 0)))
    assert explorer.pooled.max() < explorer.filtered.max()
    explorer.relu.value = False
    assert explorer.filtered.min() < 0


def test_explorer_size_and_stride_change_the_pooled_size(explorer):
    explorer.size.value = 4
    assert explorer.pooled.shape == (128, 128) and "16,384" in explorer.sizes.value
    explorer.stride.value = 8  # the stand-in fails on strides other than the size: shown, not raised
    assert explorer.pooled is None and "cannot pool:</b> AssertionError: this stand-in only tiles" in explorer.sizes.value
    explorer.stride.value = explorer.SAME_AS_SIZE
    explorer.image_choice.value = "small"
    assert explorer.pooled.shape == (1, 2)
    explorer.size.value = 8
    assert explorer.pooled is None and "does not fit" in explorer.sizes.value
