"""Lesson 05's activation browser, driven from Python through the controls a learner uses.

The maps the widget shows are Keras's (the reference); the learner's ``feature_maps`` is shown beside them once
written. Here that is a correct one written below (tests may hold reference code; ``convcourse`` may not),
applied to the seed CNN, untrained but seeded, and a few seeded random images, so nothing needs downloading.
"""

from __future__ import annotations

import io
import os
import re

import numpy as np
import pytest
from PIL import Image

os.environ["TF_CPP_MIN_LOG_LEVEL"] = "2"  # before TensorFlow is first imported (by the keras fixture)

from convcourse import data, plots, widgets  # noqa: E402

ORANGE = (245, 166, 35)  # the outline colour, as widgets._HIGHLIGHT
LABELS = np.array([0, 0, 0, 1, 3, 3, 1, 3, 0, 3])  # T-shirt/top x4 at 0, 1, 2, 8; Trouser x2; Dress x4


@pytest.fixture(scope="module")
def keras():
    import keras  # imported here so the other tests do not wait for TensorFlow
    return keras


@pytest.fixture(scope="module")
def model(keras):
    """The seed CNN, untrained. Its layers are named as Keras names them in a fresh session (other tests'
    models would otherwise make them conv2d_7 and the like)."""
    keras.utils.set_random_seed(0)
    return keras.Sequential([
        keras.Input(shape=(28, 28, 1)),
        keras.layers.Conv2D(64, (3, 3), activation="relu", name="conv2d"),
        keras.layers.MaxPooling2D((2, 2), name="max_pooling2d"),
        keras.layers.Conv2D(64, (3, 3), activation="relu", name="conv2d_1"),
        keras.layers.MaxPooling2D((2, 2), name="max_pooling2d_1"),
        keras.layers.Flatten(name="flatten"),
        keras.layers.Dense(128, activation="relu", name="dense"),
        keras.layers.Dense(10, activation="softmax", name="dense_1"),
    ])


@pytest.fixture(scope="module")
def images():
    return np.random.default_rng(0).random((len(LABELS), 28, 28, 1), dtype=np.float32)


class LearnersFeatureMaps:
    """A correct learner answer that counts its calls."""

    def __init__(self, keras):
        self.keras, self.calls = keras, []

    def __call__(self, model, image, layer):
        self.calls.append(layer)
        probe = self.keras.Model(model.inputs, model.layers[layer].output)
        return self.keras.ops.convert_to_numpy(probe([image[None]], training=False))[0]


@pytest.fixture
def feature_maps(keras):
    return LearnersFeatureMaps(keras)


@pytest.fixture
def browser(model, images, feature_maps):
    return widgets.activation_browser(model, images, LABELS, data.FASHION_MNIST_CLASSES, yours=feature_maps)


def decoded(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))


def keras_output(keras, model, image, layer) -> np.ndarray:
    """What Keras says model.layers[layer] outputs for one image."""
    return keras.Model(model.inputs, model.layers[layer].output).predict(image[None], verbose=0)[0]


def max_pooled(map2d: np.ndarray) -> np.ndarray:
    import tensorflow as tf

    return tf.nn.max_pool2d(map2d[None, :, :, None], ksize=2, strides=2, padding="VALID").numpy()[0, :, :, 0]


def outlined_tile(grid_png: bytes, maps: np.ndarray) -> int:
    """The index of the tile the orange frame surrounds, read back from the grid's pixels."""
    pixels = decoded(grid_png)
    rows, cols = np.nonzero(np.all(pixels == ORANGE, axis=-1))
    assert rows.size, "no tile is outlined"
    height, width, count = maps.shape
    columns = int(np.ceil(np.sqrt(count)))
    cell_h, cell_w = (pixels.shape[0] - 6) // -(-count // columns), (pixels.shape[1] - 6) // columns
    return int(rows.min() // cell_h) * columns + int(cols.min() // cell_w)


def test_it_opens_on_the_first_conv_layer_with_keras_own_activations(keras, model, images, browser, feature_maps):
    assert browser.layer_choice.options == (("0: conv 1 26x26x64", 0), ("1: max pool 1 13x13x64", 1),
                                            ("2: conv 2 11x11x64", 2), ("3: max pool 2 5x5x64", 3))
    assert [label for label, _ in browser.class_choice.options] == ["T-shirt/top", "Trouser", "Dress"]
    assert browser.layer_choice.value == 0 and (browser.filter_choice.min, browser.filter_choice.max) == (0, 63)
    assert (browser.example.value, browser.example.max) == (0, 3)
    np.testing.assert_array_equal(browser.image, images[0])
    assert browser.maps.shape == (26, 26, 64)
    np.testing.assert_allclose(browser.maps, keras_output(keras, model, images[0], 0), rtol=1e-5, atol=1e-6)
    assert feature_maps.calls == [0]  # the learner's function for the chosen layer; nothing else
    assert "the same as the reference" in browser.notice.value and "convcourse-yours" in browser.notice.value
    np.testing.assert_allclose(browser.your_maps, browser.maps, rtol=1e-5, atol=1e-6)
    chosen = browser.maps[:, :, 0]
    assert f"max <span class=\"convcourse-max\">{chosen.max():.3g}</span>" in browser.caption.value
    assert f'<span class="convcourse-active">{int((chosen > 0).sum())}</span> of 676 pixels' in browser.caption.value
    for text in ("T-shirt/top", "example 0 (of 0&ndash;3; image 0 of the set)", "layer 0: conv 1 26x26x64", "filter 0"):
        assert text in browser.caption.value
    assert decoded(browser.picture.value).shape[:2] == (224, 224)
    assert decoded(browser.selected.value).shape[:2] == (260, 260)
    assert decoded(browser.yours_selected.value).shape[:2] == (260, 260)
    assert outlined_tile(browser.grid.value, browser.maps) == 0


def test_the_pooled_view_is_the_max_pool_of_the_selected_map_drawn_smaller(browser):
    for layer, size in ((0, (13, 13)), (2, (5, 5))):
        browser.layer_choice.value = layer
        browser.filter_choice.value = 17
        assert browser.pooled.layout.display != "none" and browser.pooled_note.value == ""
        assert browser.pooled_maps[:, :, 17].shape == size
        np.testing.assert_allclose(browser.pooled_maps[:, :, 17], max_pooled(browser.maps[:, :, 17]), rtol=1e-6)
        # one screen size per pixel for the map and its pooled version: the pooled one is drawn smaller
        scale = decoded(browser.selected.value).shape[0] // browser.maps.shape[0]
        assert decoded(browser.pooled.value).shape[:2] == (scale * size[0], scale * size[1])


def test_a_pooling_layer_shows_its_13x13_maps_and_a_note_instead_of_a_pooled_view(browser, feature_maps):
    browser.filter_choice.value = 40
    before_pooling = browser.maps[:, :, 40]
    browser.layer_choice.value = 1
    assert browser.maps.shape == (13, 13, 64) and browser.filter_choice.max == 63
    assert browser.filter_choice.value == 40 and "layer 1: max pool 1 13x13x64" in browser.caption.value
    assert browser.pooled_maps is None and browser.pooled.layout.display == "none"
    assert "no max pooling right after this layer (next: conv 2)" in browser.pooled_note.value
    assert feature_maps.calls == [0, 1]
    np.testing.assert_allclose(browser.maps[:, :, 40], max_pooled(before_pooling), rtol=1e-6)
    browser.layer_choice.value = 3
    assert browser.maps.shape == (5, 5, 64) and "(next: flatten 1)" in browser.pooled_note.value


def test_changing_the_class_resets_the_example_and_changes_the_image(images, browser):
    browser.example.value = 3
    np.testing.assert_array_equal(browser.image, images[8])
    assert "example 3 (of 0&ndash;3; image 8 of the set)" in browser.caption.value
    browser.class_choice.label = "Trouser"
    assert (browser.example.value, browser.example.max) == (0, 1)
    np.testing.assert_array_equal(browser.image, images[3])
    assert "<b>Trouser</b> example 0 (of 0&ndash;1; image 3 of the set)" in browser.caption.value
    browser.example.value = 1
    np.testing.assert_array_equal(browser.image, images[6])
    browser.class_choice.value = 3
    assert browser.example.max == 3 and browser.index == 4


def test_moving_the_filter_redraws_from_the_cache_without_calling_feature_maps(browser, feature_maps):
    calls = len(feature_maps.calls)
    pictures, grids = {bytes(browser.selected.value)}, {bytes(browser.grid.value)}
    for chosen in (5, 33, 63):
        browser.filter_choice.value = chosen
        assert outlined_tile(browser.grid.value, browser.maps) == chosen
        assert f"filter {chosen}</b>: max" in browser.caption.value
        pictures.add(bytes(browser.selected.value))
        grids.add(bytes(browser.grid.value))
    assert len(pictures) == len(grids) == 4 and len(feature_maps.calls) == calls
    browser.example.value = 1  # a new image is computed once...
    browser.example.value = 0  # ...and an image seen before is not
    assert len(feature_maps.calls) == calls + 1


def test_before_feature_maps_is_written_it_shows_keras_maps_and_says_so(model, images):
    def stub(model, image, layer):
        raise NotImplementedError()

    for yours in (None, {}, {"feature_maps": stub}):
        browser = widgets.activation_browser(model, images, LABELS, data.FASHION_MNIST_CLASSES, yours=yours)
        assert "Showing the reference" in browser.notice.value and browser.problem.value == ""
        assert browser.maps.shape == (26, 26, 64) and browser.your_maps is None and len(browser.selected.value)
        assert browser.yours_box.layout.display == "none"
    assert "still the stub" in browser.notice.value
    browser.filter_choice.value = 3  # nothing escapes while the experimenter plays
    browser.layer_choice.value = 2
    browser.class_choice.value = 1
    assert "Trouser" in browser.caption.value and browser.problem.value == ""
    np.testing.assert_array_equal(browser.image, images[3])


def test_the_learners_function_is_picked_up_once_written_and_its_errors_named(model, images, feature_maps):
    def broken(model, image, layer):
        raise ValueError("write feature_maps first")

    namespace = {"feature_maps": broken}
    browser = widgets.activation_browser(model, images, LABELS, data.FASHION_MNIST_CLASSES, yours=namespace)
    assert "failed with ValueError: write feature_maps first" in browser.notice.value
    assert browser.maps is not None, "the reference is still shown"
    namespace["feature_maps"] = feature_maps
    browser.filter_choice.value = 1
    assert "the same as the reference" in browser.notice.value and browser.your_maps is not None


def test_a_wrong_shape_or_wrong_values_are_named_and_marked(model, images, feature_maps):
    def with_batch_axis(model, image, layer):
        return feature_maps(model, image, layer)[None]

    browser = widgets.activation_browser(model, images, LABELS, data.FASHION_MNIST_CLASSES, yours=with_batch_axis)
    assert "returned shape (1, 26, 26, 64); layer 0 gives (26, 26, 64)</b> (drop the batch axis" in browser.notice.value
    assert browser.your_maps is None and browser.maps is not None

    def no_relu(model, image, layer):
        probe = feature_maps.keras.Model(model.inputs, model.layers[layer].output)
        return np.asarray(probe([image[None]]))[0] - 0.01

    browser = widgets.activation_browser(model, images, LABELS, data.FASHION_MNIST_CLASSES, yours=no_relu)
    assert "of 43,264 pixels differ from the reference" in browser.notice.value
    marked = np.all(decoded(browser.yours_selected.value) == ORANGE, axis=-1)
    assert marked.all(), "every pixel is off by 0.01, so every one is marked"


def test_bad_arguments_are_refused(model, images, feature_maps):
    with pytest.raises(TypeError, match="Keras model"):
        widgets.activation_browser("model", images, LABELS, data.FASHION_MNIST_CLASSES)
    with pytest.raises(ValueError, match="labels"):
        widgets.activation_browser(model, images, LABELS[:-1], data.FASHION_MNIST_CLASSES, yours=feature_maps)
    with pytest.raises(ValueError, match="whole numbers from 0 to 9"):
        widgets.activation_browser(model, images, LABELS + 7, data.FASHION_MNIST_CLASSES, yours=feature_maps)


def test_without_a_model_it_browses_the_seed_cnn_untrained_and_trains_it_briefly(images, monkeypatch):
    raw = np.rint(images * 255).astype(np.uint8)[..., 0]  # x_test as loaded: (n, 28, 28) uint8
    browser = widgets.activation_browser(None, raw, LABELS, data.FASHION_MNIST_CLASSES)
    assert "untrained" in browser.model_note.value and browser.train.layout.display is None
    assert browser.model.count_params() == 243_786 and browser.image.max() <= 1.0
    before = browser.maps.copy()
    small = (np.zeros((64, 28, 28), np.uint8) + np.arange(64, dtype=np.uint8)[:, None, None],
             np.arange(64) % 10)
    monkeypatch.setattr(widgets.data, "fashion_mnist", lambda: (small, small, data.FASHION_MNIST_CLASSES))
    monkeypatch.setattr(widgets, "BRIEF_TRAINING_IMAGES", 64)
    browser.train.click()
    assert "trained 1 time(s)" in browser.model_note.value and browser.problem.value == ""
    assert browser.progress.value == browser.progress.max == 1
    assert not np.allclose(browser.maps, before), "the maps follow the trained weights"


def test_the_grid_shows_every_map_stretched_on_its_own():
    maps = np.zeros((4, 4, 5))
    maps[1, 2, 3], maps[:, :, 1] = 7.0, 0.5
    pixels = decoded(plots.feature_map_grid_png(maps, highlight=None, tile=4, gap=2))
    assert pixels.shape == (2 * (4 + 2) + 2, 3 * (4 + 2) + 2, 3)  # 5 maps: 3 columns, 2 rows
    tile = lambda i: pixels[2 + (i // 3) * 6:2 + (i // 3) * 6 + 4, 2 + (i % 3) * 6:2 + (i % 3) * 6 + 4, 0]  # noqa: E731
    assert tile(3)[1, 2] == 255 and tile(3).sum() == 255 and (tile(1) == 255).all() and (tile(0) == 0).all()


def test_the_filter_range_follows_the_layer(keras, images, feature_maps):
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input(shape=(28, 28, 1)), keras.layers.Conv2D(16, 3, name="wide"),
                              keras.layers.Conv2D(8, 3, name="narrow"), keras.layers.GlobalMaxPooling2D(name="top")])
    browser = widgets.activation_browser(model, images, LABELS, data.FASHION_MNIST_CLASSES, yours=feature_maps)
    assert [label for label, _ in browser.layer_choice.options] == ["0: conv 1 26x26x16", "1: conv 2 24x24x8"]
    browser.filter_choice.value = 12
    browser.layer_choice.value = 1
    assert (browser.filter_choice.value, browser.filter_choice.max) == (7, 7) and browser.maps.shape == (24, 24, 8)
    assert outlined_tile(browser.grid.value, browser.maps) == 7 and "(next: globalmaxpooling2d 1)" in browser.pooled_note.value
    browser.layer_choice.value = 0
    assert (browser.filter_choice.value, browser.filter_choice.max) == (7, 15)
    assert "no max pooling right after this layer (next: conv 2)" in browser.pooled_note.value


def test_a_failing_update_is_said_and_the_old_maps_cleared(browser, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("the drawing broke")

    monkeypatch.setattr(widgets.plots, "feature_map_grid_png", broken)
    browser.filter_choice.value = 9
    assert "This update failed</b> (RuntimeError: the drawing broke)" in browser.problem.value
    assert browser.maps is None and browser.grid.value == b"" and browser.selected.value == b""
    assert browser.pooled.value == b"" and browser.selected_label.value == "" and browser.caption.value == ""
    assert browser.notice.value == "", "no comparison of maps no longer shown"
    monkeypatch.undo()
    browser.filter_choice.value = 10
    assert browser.problem.value == "" and browser.maps is not None


def test_a_pixel_of_the_chosen_map_is_explained_by_its_window_weights_and_sum(browser, images):
    chosen_map = browser.maps[:, :, 0]
    strongest = np.unravel_index(int(np.argmax(chosen_map)), chosen_map.shape)
    assert (browser.pixel_row.value, browser.pixel_col.value) == strongest, "it opens on the strongest response"
    text = browser.arithmetic.value
    assert f"pixel ({strongest[0]}, {strongest[1]}) of filter 0" in text and "window of the input image" in text
    assert "= Keras&#x27;s value" in text or "= Keras's value" in text
    assert "convcourse-agrees" in text and text.count("<table") == 3  # window, weights, their products
    framed = decoded(browser.selected.value)
    scale = framed.shape[0] // 26
    assert np.all(framed[strongest[0] * scale, strongest[1] * scale] == ORANGE), "the pixel is framed on the map"

    browser.pixel_row.value, browser.pixel_col.value = 0, 0  # the learner picks a pixel: it stays picked
    kernel, bias = browser.model.layers[0].get_weights()
    z = float((images[0][:3, :3, 0] * kernel[:, :, 0, 0]).sum() + bias[0])
    assert "pixel (0, 0) of filter 0" in browser.arithmetic.value and f"= {z:.4g};" in browser.arithmetic.value
    browser.pixel_col.value = 1
    assert "pixel (0, 1) of filter 0" in browser.arithmetic.value


def test_deeper_layers_add_one_weighted_sum_per_channel_and_pooling_takes_the_largest(browser):
    browser.layer_choice.value = 2
    assert "one weighted sum per input channel" in browser.arithmetic.value and "61 more" in browser.arithmetic.value
    assert "convcourse-agrees" in browser.arithmetic.value
    browser.layer_choice.value = 3
    assert "the largest of the window" in browser.arithmetic.value and "convcourse-agrees" in browser.arithmetic.value
    for row in range(5):
        browser.pixel_row.value = row
        assert "convcourse-agrees" in browser.arithmetic.value


def test_hovering_the_maps_and_the_input_shows_each_value_and_the_window_tables_give_theirs(browser, images):
    from test_widgets import hover_values

    browser.layer_choice.value = 0
    chosen = browser.filter_choice.value
    checks = (("picture", browser.picture, images[browser.index, :, :, 0]),
              ("selected", browser.selected, browser.maps[:, :, chosen]),
              ("yours", browser.yours_selected, browser.your_maps[:, :, chosen]),
              ("pooled", browser.pooled, browser.pooled_maps[:, :, chosen]))
    for name, picture, expected in checks:
        values, size = hover_values(browser.hover[name].value)
        np.testing.assert_allclose(values, expected, rtol=1e-5, atol=1e-7, err_msg=name)
        assert size == decoded(picture.value).shape[:2], f"the {name} layer covers its picture exactly"
    # The kernel and the input patch under the chosen pixel: each cell's exact value in its tooltip.
    row, col = browser.pixel_row.value, browser.pixel_col.value
    kernel = browser.model.layers[0].get_weights()[0][:, :, 0, chosen]
    for r in range(3):
        for c in range(3):
            assert f'title="weights ({r}, {c}): {kernel[r, c] + 0.0:.6g}"' in browser.arithmetic.value
            window = f'title="window of the input image ({r}, {c}): {images[browser.index, row + r, col + c, 0]:.6g}"'
            assert window in browser.arithmetic.value
    browser.layer_choice.value = 4 if 4 in browser.spatial else 1  # no pooling after: its layer is emptied
    assert browser.hover["pooled"].value == ""


def test_clicking_a_pixel_of_the_chosen_map_shows_its_arithmetic(browser):
    from test_widgets import click

    browser.layer_choice.value = 0
    rows, cols = browser.maps.shape[:2]
    click(browser.clicks["selected"], 4.5 * 10, 19.9 * 10, rows * 10, cols * 10)
    assert (browser.pixel_row.value, browser.pixel_col.value) == (4, 19)
    assert "pixel (4, 19) of filter" in browser.arithmetic.value
    framed = decoded(browser.selected.value)
    assert np.all(framed[4 * (framed.shape[0] // rows) + 1, 19 * (framed.shape[1] // cols) + 1] == ORANGE)
    click(browser.clicks["selected"], rows * 10 + 5, 3, rows * 10, cols * 10)  # below the map: clamped, no error
    assert browser.pixel_row.value == rows - 1 and browser.problem.value == ""


def test_the_grid_of_every_filter_hovers_each_filter_and_a_click_chooses_it(browser):
    from test_widgets import click

    browser.layer_choice.value = 0
    layout = browser._grid_layout
    assert layout.count == 64
    assert decoded(browser.grid.value).shape[:2] == layout.size, "the layout is the picture's"
    titles = re.findall(r'<rect x="(\d+)" y="(\d+)" width="\d+" height="\d+"><title>filter (\d+): largest ([-\w.+]+)',
                        browser.grid_hover.value)
    assert [int(t[2]) for t in titles] == list(range(64)), "one square per filter, in order"
    for x, y, index, largest in titles:
        assert layout.origin(int(index)) == (int(y), int(x))
        assert float(largest) == pytest.approx(browser.maps[:, :, int(index)].max(), rel=1e-3)
    top, left = layout.origin(37)
    click(browser.clicks["grid"], top + 5, left + 5, *layout.size)
    assert browser.filter_choice.value == 37 and "<b>filter 37</b>" in browser.selected_label.value
    assert outlined_tile(browser.grid.value, browser.maps) == 37
    click(browser.clicks["grid"], 1, 1, *layout.size)  # in the gap above the first map: nothing chosen
    assert browser.filter_choice.value == 37 and browser.problem.value == ""


def test_the_grid_layout_finds_the_map_under_a_point_and_none_in_the_gaps():
    layout = plots.grid_layout((4, 4, 5), tile=4, gap=2)
    assert (layout.columns, layout.rows, layout.scale, layout.size) == (3, 2, 1, (14, 20))
    assert [layout.map_at(*layout.origin(i)) for i in range(5)] == [0, 1, 2, 3, 4]
    assert layout.map_at(2 + 3.9, 2 + 3.9) == 0 and layout.map_at(2 + 4, 2) is None  # the gap below map 0
    assert layout.map_at(8, 14 + 1) is None, "no sixth map in the last row"
    assert layout.map_at(-1, 3) is None and layout.map_at(3, 100) is None


@pytest.fixture
def tiny_training(monkeypatch):
    """Train briefly on 64 real Fashion-MNIST images (the seeded subset), so a test trains in a second or two."""
    monkeypatch.setattr(widgets, "BRIEF_TRAINING_IMAGES", 64)


def test_the_builders_own_stack_is_browsed_then_trained_briefly_with_a_progress_bar(keras, images, tiny_training):
    builder = widgets.architecture_builder(layers=[("conv", 8, 3), ("pool", 2), ("flatten",), ("dense", 10)])
    browser = widgets.activation_browser(builder, images, LABELS, data.FASHION_MNIST_CLASSES)
    assert browser.train.layout.display is None and "architecture builder's stack" in browser.model_note.value
    assert [type(layer).__name__ for layer in browser.model.layers] == ["Conv2D", "MaxPooling2D", "Flatten", "Dense"]
    assert browser.model.count_params() == builder.total == 80 + 13 * 13 * 8 * 10 + 10
    assert browser.maps.shape == (26, 26, 8) and browser.filter_choice.max == 7
    np.testing.assert_allclose(browser.maps, keras_output(keras, browser.model, browser.image, 0), atol=1e-5)

    # The learner changes the stack in the builder: the browser says so, and training builds the new one first.
    builder.rows[0].filters.value = 4
    builder.add_buttons["conv"].click()  # ("conv", 32, 3) after the pooling layer
    assert "stack has changed since" in browser.model_note.value
    before = browser.model
    browser.train.click()
    assert browser.problem.value == "", browser.problem.value
    assert browser.model is not before and browser.model.count_params() == builder.total
    assert [name for name in browser.names] == ["conv 1", "max pool 1", "conv 2", "flatten 1", "dense 1"]
    assert [label for label, _ in browser.layer_choice.options][-1].startswith("2: conv 2 11x11x32")
    assert browser.maps.shape == (26, 26, 4) and browser.filter_choice.max == 3
    assert browser.progress.value == browser.progress.max == 1, "64 images: one batch"
    assert "trained 1 time(s)" in browser.model_note.value and "changed since" not in browser.model_note.value
    trained = browser.maps.copy()
    np.testing.assert_allclose(trained, keras_output(keras, browser.model, browser.image, 0), atol=1e-5)
    browser.layer_choice.value = 2  # the trained model's deeper layer, browsed as any other
    assert browser.maps.shape == (11, 11, 32) and browser.problem.value == ""


def test_a_builders_stack_that_cannot_learn_ten_classes_is_refused_in_a_sentence(images, tiny_training):
    builder = widgets.architecture_builder(layers=[("conv", 4, 3), ("pool", 2), ("flatten",), ("dense", 10)])
    browser = widgets.activation_browser(builder, images, LABELS, data.FASHION_MNIST_CLASSES)
    builder.rows[-1].units.value = 7
    browser.train.click()
    assert "Cannot train this model:</b> to learn Fashion-MNIST&#x27;s 10 classes" in browser.problem.value
    assert "dense 1 with output 7" in browser.problem.value
    assert browser.model.layers[-1].units == 7 and browser.maps is not None, "the new stack is browsed, untrained"
    builder.rows[0].kernel_size.value = 40  # a stack the builder itself refuses
    browser.train.click()
    assert "cannot build its stack as it stands" in browser.problem.value
    with pytest.raises(ValueError, match=r"builder's input is \(28, 28, 1\) but the images are \(8, 8, 1\)"):
        widgets.activation_browser(widgets.architecture_builder(), images[:, :8, :8], LABELS,
                                   data.FASHION_MNIST_CLASSES)
