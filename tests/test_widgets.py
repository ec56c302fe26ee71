"""The widgets, driven from Python through the same controls a learner uses."""

from __future__ import annotations

import io
import re

import numpy as np
import pytest
from PIL import Image
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
    for index in range(len(stepper.positions)):
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
    return widgets.kernel_playground(images, data.preset_filters(), yours={"to_display": _identity_display})


def _decoded(picture, shape) -> np.ndarray:
    """The grey levels a picture shows for an array of ``shape``, each drawn as a square block of screen pixels."""
    pixels = _png_pixels(picture.value)
    scale = pixels.shape[0] // shape[0]
    assert pixels.shape[:2] == (shape[0] * scale, shape[1] * scale), "every value is the same whole-pixel square"
    grey = pixels[::scale, ::scale]
    return grey[..., 0] if grey.ndim == 3 else grey


def _png_pixels(png: bytes) -> np.ndarray:
    """(H, W, 3) colours as a browser shows them, whatever the PNG's kind (palette, grey or RGB)."""
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)


def test_playground_starts_with_the_first_preset_and_shows_the_image(playground):
    assert playground.preset.value == "identity"
    assert np.array_equal(playground.filtered, data.small_image())
    assert np.array_equal(_decoded(playground.picture, (6, 8)), data.small_image())


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
    assert np.array_equal(_decoded(playground.original, (12, 25)),
                          np.tile(np.arange(0, 250, 10), (12, 1)))


def test_playground_shows_the_learners_picture_beside_the_reference(playground):
    playground.preset.value = "seed filter"
    assert "convcourse-yours" in playground.notice.value and "the same as the reference" in playground.notice.value
    assert np.array_equal(playground.yours_shown, playground.shown)
    assert playground.yours_box.layout.display is None and len(playground.your_picture.value) > 0


def test_grey_png_round_trips_a_uint8_image():
    image = np.array([[0, 128], [255, 7]], dtype=np.uint8)
    assert np.array_equal(_png_pixels(plots.grey_png(image)), np.repeat(image[:, :, None], 3, axis=2))


def test_map_png_shows_each_value_in_the_colour_of_its_scale_and_marks_in_orange():
    values = np.linspace(-3.0, 5.0, 48).reshape(6, 8)
    low, high, cmap = plots.colour_scale(values)
    assert cmap == "RdBu_r"
    assert np.array_equal(_png_pixels(plots.map_png(values, 1, low, high, cmap)),
                          plots.rgb_colours(values, low, high, cmap))
    marked = values > 4.5
    pixels = _png_pixels(plots.map_png(values, 3, low, high, cmap, marked=marked))[::3, ::3]
    assert np.array_equal(np.all(pixels == plots.MARK, axis=-1), marked)
    # Beside the orange, every value keeps its colour (on a scale of 255 levels instead of 256).
    assert np.abs(pixels[~marked] - plots.rgb_colours(values, low, high, cmap)[~marked]).max() <= 3


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
                                    yours={"max_pool2d": _keras_like_max_pool, "avg_pool2d": _keras_like_avg_pool})


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
    explorer.stride.value = 8  # the stand-in fails on strides other than the size: named, the reference still shown
    assert explorer.pooled.shape == (64, 64) and explorer.yours_pooled is None
    assert "your <code>max_pool2d</code> failed with AssertionError: this stand-in only tiles" in explorer.notice.value
    explorer.stride.value = explorer.SAME_AS_SIZE
    explorer.image_choice.value = "small"
    assert explorer.pooled.shape == (1, 2) and explorer.yours_pooled.shape == (1, 2)
    explorer.size.value = 8
    assert explorer.pooled is None and "does not fit" in explorer.problem.value
    assert explorer.before.value == b"" and explorer.sizes.value == "", "nothing stale from the previous size"


# --- Before the exercises: the reference, said plainly; the learner's answer beside it once written -------------


def _stub(*args, **kwargs):
    raise NotImplementedError()


def test_stepper_says_it_shows_numpys_sum_then_compares_the_learners_weighted_sum():
    namespace = {"weighted_sum": _stub}
    stepper = widgets.pixel_stepper(data.small_image(), data.seed_filter(), start=data.pixel_192_position(),
                                    yours=namespace)
    assert "Showing the reference" in stepper.notice.value and "still the stub" in stepper.notice.value
    namespace["weighted_sum"] = lambda patch, kernel: float((patch * kernel[::-1, ::-1]).sum())  # flipped: 732
    stepper.slider.value += 1
    stepper.slider.value -= 1
    assert "732 here, the reference 577" in stepper.notice.value and "convcourse-differs" in stepper.notice.value
    namespace["weighted_sum"] = lambda patch, kernel: float((patch * kernel).sum())
    stepper.slider.value += 1
    assert "here too" in stepper.notice.value and "convcourse-yours" in stepper.notice.value


def test_stepper_reads_out_the_window_position_and_never_shows_minus_zero():
    stepper = widgets.pixel_stepper(data.small_image(), data.seed_filter(), start=data.pixel_192_position())
    assert stepper.slider.label == "(2, 3)" and stepper.slider.options[0] == ("(1, 1)", 0)
    for index in range(len(stepper.positions)):
        stepper.slider.value = index
        assert "(-0)" not in stepper.view.value and "-0 x" not in stepper.view.value
        assert stepper.slider.label == f"({stepper.position[0]}, {stepper.position[1]})"


def test_playground_before_to_display_shows_the_reference_and_says_so():
    for yours in (None, {}, {"to_display": _stub}):
        board = widgets.kernel_playground({"small": data.small_image()}, data.preset_filters(), yours=yours)
        assert "Showing the reference" in board.notice.value and board.problem.value == ""
        assert board.yours_shown is None and board.yours_box.layout.display == "none"
        board.preset.value = "seed filter"
        assert board.shown[2, 3] == 255 and board.filtered[2, 3] == 577


def test_playground_marks_the_pixels_where_the_learners_picture_differs():
    def wraps_around(values, mode):  # the uint8 mistake: -20 becomes 236
        return np.rint(values).astype(np.int64).astype(np.uint8)

    board = widgets.kernel_playground({"small": data.small_image()}, data.preset_filters(),
                                      yours={"to_display": wraps_around})
    board.preset.value = "vertical edges"
    outside = int(np.sum((board.filtered < 0) | (board.filtered > 255)))
    assert f"{outside} of 48 pixels differ" in board.notice.value
    pixels = _png_pixels(board.your_picture.value)
    scale = pixels.shape[0] // 6
    orange = np.all(pixels[::scale, ::scale] == plots.MARK, axis=-1)
    assert np.array_equal(orange, (board.filtered < 0) | (board.filtered > 255))


@pytest.mark.parametrize("typed", [1e308, float("inf"), float("nan"), -1e308])
def test_playground_refuses_weights_it_cannot_use_and_clears_the_old_picture(playground, typed):
    playground.cells[1][1].value = typed
    assert "Cannot show this:" in playground.problem.value
    assert playground.filtered is None and playground.picture.value == b"" and playground.stats.value == ""
    playground.cells[1][1].value = 1.0
    assert playground.problem.value == "" and playground.filtered is not None and len(playground.picture.value)


def test_a_failure_inside_an_update_is_shown_in_a_sentence_and_the_outputs_cleared(playground, monkeypatch):
    monkeypatch.setattr(widgets.plots, "map_png", lambda *a, **k: 1 / 0)
    playground.mode.value = "rescale"
    assert "This update failed</b> (ZeroDivisionError: division by zero)" in playground.problem.value
    assert playground.picture.value == b"" and playground.stats.value == ""


def test_playground_draws_small_images_pixel_exact_at_a_readable_size_with_a_colour_bar(playground):
    playground.preset.value = "vertical edges"
    assert _png_pixels(playground.original.value).shape[:2] == (6 * 32, 8 * 32)
    assert "convcourse-colour-bar" in playground.sums_bar.value
    low, high, cmap = plots.colour_scale(playground.filtered)
    assert cmap == "RdBu_r" and low == -high, "signed sums get a diverging scale centred on 0"


def test_explorer_before_the_exercises_pools_with_the_reference_as_keras_does():
    from convcourse.checks.pooling import tf_pool

    explorer = widgets.pooling_explorer({"photo": data.ascent()}, data.preset_filters(), yours={"max_pool2d": _stub})
    assert "Showing the reference" in explorer.notice.value and "still the stub" in explorer.notice.value
    explorer.filter_choice.value = "vertical edges"
    explorer.relu.value = False
    for mode in ("max", "average"):
        explorer.mode.value = mode
        for size, stride in ((2, 2), (3, 1), (3, 2), (2, 3), (5, 8)):
            explorer.size.value, explorer.stride.value = size, stride
            expected = tf_pool(explorer.filtered, mode, size, stride)
            np.testing.assert_allclose(explorer.pooled, expected, rtol=1e-9, atol=1e-9)
    assert explorer.problem.value == ""


def test_explorer_draws_the_pooled_map_smaller_on_the_same_scale(explorer):
    explorer.image_choice.value = "small"
    before, after = _png_pixels(explorer.before.value), _png_pixels(explorer.after.value)
    assert before.shape[:2] == (6 * 32, 8 * 32) and after.shape[:2] == (3 * 32, 4 * 32)
    explorer.relu.value = False
    explorer.filter_choice.value = "vertical edges"
    assert "convcourse-colour-bar" in explorer.scale_bar.value and "0</span>" in explorer.scale_bar.value


def test_explorer_marks_where_the_learners_pooling_differs(explorer):
    explorer.yours = {"max_pool2d": lambda x, size=2, stride=None, padding="valid": _keras_like_avg_pool(x, size)}
    explorer.image_choice.value = "small"
    assert "pixels differ from the reference" in explorer.notice.value
    assert explorer.yours_pooled is not None and explorer.yours_box.layout.display is None


def _broken(*args, **kwargs):
    raise RuntimeError("the drawing broke")


def test_a_failing_stepper_update_is_said_and_the_old_window_cleared(monkeypatch):
    stepper = widgets.pixel_stepper(data.small_image(), data.seed_filter())
    monkeypatch.setattr(widgets, "_table", _broken)
    stepper.slider.value = 5
    assert "This update failed</b> (RuntimeError: the drawing broke)" in stepper.problem.value
    assert stepper.view.value == ""
    monkeypatch.undo()
    stepper.slider.value = 6
    assert stepper.problem.value == "" and "convcourse-total" in stepper.view.value


def test_a_failing_explorer_update_is_said_and_every_picture_and_label_cleared(explorer, monkeypatch):
    monkeypatch.setattr(widgets.plots, "map_png", _broken)
    explorer.mode.value = "average"
    assert "This update failed</b> (RuntimeError: the drawing broke)" in explorer.problem.value
    assert explorer.pooled is None and explorer.sizes.value == "" and explorer.before_label.value == ""
    assert explorer.before.value == b"" and explorer.after.value == b"" and explorer.after_label.value == ""


def test_stepper_can_walk_the_window_by_itself_over_every_position():
    stepper = widgets.pixel_stepper(data.small_image(), data.seed_filter(), start=data.pixel_192_position())
    assert (stepper.play.min, stepper.play.max) == (0, len(stepper.positions) - 1)
    assert stepper.play.value == stepper.slider.index, "the animation starts where the window is"


def hover_values(svg: str) -> tuple[np.ndarray, tuple[int, int]]:
    """The values a hover layer's tooltips give, as an array (row, col), and the layer's (height, width) in
    screen pixels."""
    size = re.search(r'<svg class="convcourse-hover" width="(\d+)" height="(\d+)" viewBox="0 0 (\d+) (\d+)"', svg)
    width, height, cols, rows = (int(n) for n in size.groups())
    values = np.full((rows, cols), np.nan)
    squares = re.findall(r'<rect x="(\d+)" y="(\d+)" width="1" height="1"><title>\((\d+), (\d+)\) [^<]* '
                         r"([-+\w.]+)</title></rect>", svg)
    assert len(squares) == rows * cols, "one square per value"
    for x, y, row, col, value in squares:
        assert (int(x), int(y)) == (int(col), int(row)), "each square lies on the value it names"
        values[int(row), int(col)] = float(value)
    return values, (height, width)


def test_hovering_the_playgrounds_pictures_shows_each_pixels_value_on_the_pixel(playground):
    playground.preset.value = "vertical edges"
    for name, picture, expected in (("original", playground.original, data.small_image()),
                                    ("sums", playground.sums, playground.filtered),
                                    ("picture", playground.picture, playground.shown),
                                    ("yours", playground.your_picture, playground.yours_shown)):
        values, size = hover_values(playground.hover[name].value)
        np.testing.assert_allclose(values, expected, rtol=1e-6, err_msg=name)
        assert size == _png_pixels(picture.value).shape[:2], "the layer covers the picture exactly"
    assert "hover for values" in playground.labels["original"].value


def test_a_photo_too_large_to_hover_gets_no_layer_and_a_failed_update_clears_the_layers(monkeypatch):
    board = widgets.kernel_playground({"photo": data.ascent(), "small": data.small_image()}, data.preset_filters())
    assert all(layer.value == "" for layer in board.hover.values()), "512x512 is beyond plots.HOVER_LIMIT"
    assert "hover" not in board.labels["original"].value
    board.image_choice.value = "small"
    assert board.hover["sums"].value
    board.cells[0][0].value = float("nan")
    assert all(layer.value == "" for layer in board.hover.values()), "nothing stale to hover"


def test_hovering_the_explorers_maps_shows_the_values_before_and_after_pooling():
    explorer = widgets.pooling_explorer({"small": data.small_image()}, data.preset_filters(),
                                        yours={"max_pool2d": lambda x, size, stride: widgets._pool_reference(
                                            x, size, stride, "max")})
    for name, expected in (("before", explorer.filtered), ("after", explorer.pooled), ("yours", explorer.pooled)):
        values, _ = hover_values(explorer.hover[name].value)
        np.testing.assert_allclose(values, expected, err_msg=name)


@pytest.fixture
def changeable_stepper():
    return widgets.pixel_stepper(data.stepper_images(), data.stepper_kernels(), start=data.pixel_192_position())


def test_the_stepper_opens_on_the_seed_grid_and_filter_and_offers_other_images_and_kernels(changeable_stepper):
    stepper = changeable_stepper
    assert stepper.position == (2, 3) and _shown_sum(stepper) == 577
    assert stepper.image_choice.layout.display is None and stepper.preset.layout.display is None
    assert list(stepper.preset.options) == [*data.stepper_kernels(), "custom"]
    stepper.preset.value = "box blur"
    assert np.allclose(stepper.kernel, data.preset_filters()["box blur"])
    assert stepper.total == pytest.approx(data.small_image()[1:4, 2:5].mean(), abs=1e-9)
    stepper.image_choice.value = "ascent photo, a 10x12 patch"
    patch = data.stepper_images()["ascent photo, a 10x12 patch"]
    assert stepper.position == (2, 3), "the window stays where it was when the new image has that pixel"
    assert len(stepper.positions) == 8 * 10 and stepper.play.max == 79
    expected = ndimage.correlate(patch.astype(float), stepper.kernel, mode="constant")
    for index in (0, 41, 79):
        stepper.slider.value = index
        row, col = stepper.position
        assert stepper.total == pytest.approx(expected[row, col], abs=1e-9)
        assert _shown_sum(stepper) == pytest.approx(expected[row, col], rel=1e-5)
        assert f"value {patch[row, col]}" in stepper.view.value


def test_typing_a_weight_makes_the_kernel_custom_and_refilters(changeable_stepper):
    stepper = changeable_stepper
    stepper.cells[1][1].value = 0.0  # the centre weight 4.5 gone: 577 - 192 x 4.5
    assert stepper.preset.value == "custom" and _shown_sum(stepper) == 577 - 864
    assert "192 x 0" in stepper.view.value
    stepper.preset.value = "identity"
    assert _shown_sum(stepper) == 192 and stepper.kernel[1, 1] == 1


@pytest.mark.parametrize("typed, says", [(float("nan"), "row 1, column 3 is nan"), (float("inf"), "is inf"),
                                         (1e308, "grow beyond what a float64 can hold")])
def test_the_stepper_refuses_weights_it_cannot_use_in_a_sentence_and_clears_the_window(changeable_stepper, typed,
                                                                                       says):
    stepper = changeable_stepper
    stepper.cells[0][2].value = typed
    assert "Cannot show this:" in stepper.problem.value and says in stepper.problem.value
    assert stepper.view.value == "" and stepper.notice.value == ""
    stepper.cells[0][2].value = -2.0
    assert stepper.problem.value == "" and _shown_sum(stepper) == 577


def test_stepper_choices_that_cannot_work_are_refused_when_it_is_made():
    with pytest.raises(ValueError, match="same size"):
        widgets.pixel_stepper(data.small_image(), {"3x3": np.ones((3, 3)), "5x5": np.ones((5, 5))})
    with pytest.raises(ValueError, match="image 'tiny'.*too close to the edge"):
        widgets.pixel_stepper({"fine": data.small_image(), "tiny": np.ones((2, 2))}, data.seed_filter())
    with pytest.raises(ValueError, match="at least one image"):
        widgets.pixel_stepper({}, data.seed_filter())
    one = widgets.pixel_stepper(data.small_image(), data.seed_filter())
    assert one.image_choice.layout.display == "none" and one.preset.layout.display == "none", "nothing to choose"


def test_a_photo_too_large_to_hover_gets_a_closer_look_at_the_pixel_the_sliders_pick():
    photo = data.ascent()
    board = widgets.kernel_playground({"photo": photo, "small": data.small_image()}, data.preset_filters())
    board.preset.value = "vertical edges"
    assert board.closer_box.layout.display is None and board.look_row.max == 511 and board.look_col.max == 511
    board.look_row.value, board.look_col.value = 100, 3  # near the left edge: the window stays inside
    values = closer_values(board.closer.value)
    assert values.keys() == {(r, c) for r in range(93, 108) for c in range(0, 15)}
    for (row, col), value in values.items():
        assert value == pytest.approx(board.filtered[row, col], rel=1e-5)
    assert f"raw sum <span class=\"convcourse-closer-value\">{board.filtered[100, 3]:.6g}</span>" in board.closer.value
    assert f"shown as {board.shown[100, 3]}" in board.closer.value
    board.preset.value = "box blur"  # a new kernel: the close look follows
    assert closer_values(board.closer.value)[(100, 3)] == pytest.approx(board.filtered[100, 3])
    board.image_choice.value = "small"  # small enough to hover: no close look needed
    assert board.closer_box.layout.display == "none" and board.closer.value == ""
    board.image_choice.value = "photo"
    board.cells[0][0].value = float("inf")
    assert board.closer.value == "", "a refused kernel leaves no stale close look"


def click(event, y: float, x: float, height: float, width: float) -> None:
    """A click at (y, x) page pixels in a box of height x width, as ipyevents' front end reports it."""
    event._handle_mouse_msg(None, {"type": "click", "relativeY": y, "relativeX": x, "boundingRectHeight": height,
                                   "boundingRectWidth": width}, [])


def test_clicking_a_picture_of_the_photo_looks_closer_at_the_pixel_clicked():
    board = widgets.kernel_playground({"photo": data.ascent(), "small": data.small_image()}, data.preset_filters())
    board.preset.value = "vertical edges"
    click(board.clicks["sums"], 200.5, 31.2, 512, 512)
    assert (board.look_row.value, board.look_col.value) == (200, 31)
    assert f"<b>pixel (200, 31)</b>: raw sum" in board.closer.value
    click(board.clicks["original"], 100, 100, 256, 256)  # the page drew it at half size: the same pixel grid
    assert (board.look_row.value, board.look_col.value) == (200, 200) and "<b>pixel (200, 200)</b>" in board.closer.value
    board.image_choice.value = "small"  # hovered instead: a click changes nothing
    click(board.clicks["sums"], 10, 10, 6 * 32, 8 * 32)
    assert board.closer.value == "" and board.problem.value == ""


def closer_values(svg: str) -> dict[tuple[int, int], float]:
    found = re.findall(r'<rect x="\d+" y="\d+" width="1" height="1" fill="rgb\(\d+,\d+,\d+\)"><title>\((\d+), (\d+)\) '
                       r"sum ([-+\w.]+)</title>", svg)
    return {(int(r), int(c)): float(v) for r, c, v in found}
