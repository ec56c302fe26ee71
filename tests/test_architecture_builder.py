"""Lesson 04's architecture builder, driven from Python through the controls a learner clicks and types in.

Every shape and parameter count the widget shows comes from the learner's ``layer_shapes``; here that is
a small correct one written below (tests may hold reference code; ``convcourse`` may not), and Keras,
building the model from the widget's own code text, says what the numbers should be.
"""

from __future__ import annotations

import html
import math
import os
import re

import pytest

from convcourse import data, widgets

os.environ["TF_CPP_MIN_LOG_LEVEL"] = "2"  # before TensorFlow is first imported (by the keras fixture)

SEED_SHAPES = [("conv", (26, 26, 64), 640), ("pool", (13, 13, 64), 0), ("conv", (11, 11, 64), 36928),
               ("pool", (5, 5, 64), 0), ("flatten", (1600,), 0), ("dense", (128,), 204928), ("dense", (10,), 1290)]
KERAS_NAMES = {"conv": "Conv2D", "pool": "MaxPooling2D", "flatten": "Flatten", "dense": "Dense"}


def layer_shapes(input_shape, layers):
    """A correct learner answer: (kind, output shape, parameters) per layer; ValueError naming a bad layer."""
    shape, result = tuple(input_shape), []
    for number, (kind, *numbers) in enumerate(layers, start=1):
        name = f"layer {number} ({kind})"
        if kind in ("conv", "pool") and len(shape) != 3:
            raise ValueError(f"{name} needs a height x width x channels input, but gets {shape}.")
        if kind == "conv":
            filters, kernel, padding = (*numbers, "valid")[:3]
            height, width, channels = shape
            if padding == "valid" and kernel > min(height, width):
                raise ValueError(f"{name}: a {kernel}x{kernel} kernel does not fit in a {height}x{width} input.")
            if padding == "valid":
                height, width = height - kernel + 1, width - kernel + 1
            shape, parameters = (height, width, filters), (kernel * kernel * channels + 1) * filters
        elif kind == "pool":
            (size,), (height, width, channels) = numbers, shape
            if size > min(height, width):
                raise ValueError(f"{name}: a {size}x{size} pool does not fit in a {height}x{width} input.")
            shape, parameters = (height // size, width // size, channels), 0
        elif kind == "flatten":
            shape, parameters = (math.prod(shape),), 0
        else:
            if len(shape) != 1:
                raise ValueError(f"{name} needs a flat input; add a flatten layer before it (it gets {shape}).")
            shape, parameters = (numbers[0],), (shape[0] + 1) * numbers[0]
        result.append((kind, shape, parameters))
    return result


def not_implemented_yet(input_shape, layers):
    """The release notebook's stub."""
    raise NotImplementedError()


@pytest.fixture(scope="module")
def keras():
    import keras  # imported here so the other tests do not wait for TensorFlow
    return keras


def shown_rows(builder) -> list[list[str]]:
    """The table's rows as the learner reads them: cell texts, header and total rows included."""
    rows = re.findall(r"<tr>(.*?)</tr>", builder.table.value)
    return [[html.unescape(re.sub(r"<[^>]+>", "", cell)) for cell in re.findall(r"<td[^>]*>(.*?)</td>", row)]
            for row in rows]


def shown_layers(builder) -> list[tuple[str, str, str]]:
    """(Keras layer name, output shape, parameters) for each layer row, skipping header, input and total."""
    return [(name, shape, parameters) for _, name, shape, parameters in shown_rows(builder)[2:-1]]


def shown_total(builder) -> str:
    return re.search(r"total parameters: ([\d,]+)", builder.table.value).group(1)


def shown_code(builder) -> str:
    return html.unescape(re.search(r"<pre[^>]*>(.*?)</pre>", builder.code.value, re.S).group(1))


def keras_summary(keras, builder):
    """Build the shown code with Keras: its (layer class, output shape, parameters) per layer and its total."""
    namespace = {}
    exec(shown_code(builder), namespace)  # the code as the learner would paste it into a cell
    model = namespace["model"]
    layers = [(type(layer).__name__, str(tuple(layer.output.shape[1:])), f"{layer.count_params():,}")
              for layer in model.layers]
    return layers, model.count_params()


def test_the_seed_cnn_shows_every_shape_and_243786_parameters(keras):
    builder = widgets.architecture_builder(layer_shapes)
    assert builder.layers == list(data.SEED_CNN)
    assert [row.kind for row in builder.rows] == ["conv", "pool", "conv", "pool", "flatten", "dense", "dense"]
    assert builder.total == 243_786 and shown_total(builder) == "243,786"
    assert shown_rows(builder)[1][1:3] == ["Input", "(28, 28, 1)"]
    assert shown_layers(builder) == [(KERAS_NAMES[kind], str(shape), f"{parameters:,}")
                                     for kind, shape, parameters in SEED_SHAPES]
    assert [row[0] for row in shown_rows(builder)[2:-1]] == [str(n) for n in range(1, 8)]
    assert keras_summary(keras, builder) == (shown_layers(builder), 243_786)
    code = shown_code(builder)
    assert 'keras.layers.Dense(128, activation="relu")' in code
    assert 'keras.layers.Dense(10, activation="softmax")' in code
    assert "keras.Input(shape=(28, 28, 1))" in code


def test_typing_32_filters_in_the_first_conv_updates_shapes_total_and_code(keras):
    builder = widgets.architecture_builder(layer_shapes)
    builder.rows[0].filters.value = 32
    layers, total = keras_summary(keras, builder)
    assert total == 320 + 18_496 + 204_928 + 1_290
    assert builder.total == total and shown_total(builder) == f"{total:,}"
    assert shown_layers(builder) == layers
    assert builder.layers[0] == ("conv", 32, 3)


def test_add_pool_grows_the_table_and_goes_before_the_flatten(keras):
    builder = widgets.architecture_builder(layer_shapes)
    builder.add_buttons["pool"].click()
    assert len(builder.rows) == 8 and len(shown_layers(builder)) == 8
    assert [kind for kind, *_ in builder.layers] == ["conv", "pool", "conv", "pool", "pool", "flatten",
                                                     "dense", "dense"]
    layers, total = keras_summary(keras, builder)
    assert shown_layers(builder) == layers and builder.total == total
    assert shown_layers(builder)[4] == ("MaxPooling2D", "(2, 2, 64)", "0")
    assert builder.rows[4] in builder.stack.children, "the new row is on screen"


def test_removing_a_layer_shrinks_the_table(keras):
    builder = widgets.architecture_builder(layer_shapes)
    removed = builder.rows[3]
    removed.remove.click()
    assert removed not in builder.rows and removed not in builder.stack.children
    assert [kind for kind, *_ in builder.layers] == ["conv", "pool", "conv", "flatten", "dense", "dense"]
    assert len(shown_layers(builder)) == 6
    layers, total = keras_summary(keras, builder)
    assert shown_layers(builder) == layers and builder.total == total
    assert shown_layers(builder)[3] == ("Flatten", "(7744,)", "0")


def test_add_dense_keeps_the_output_layer_last_and_same_padding_and_arrows_work(keras):
    builder = widgets.architecture_builder(layer_shapes)
    builder.add_buttons["dense"].click()
    builder.rows[-2].units.value = 32
    builder.add_buttons["conv"].click()
    builder.rows[4].padding.value = "same"
    builder.rows[4].up.click()
    assert builder.layers == [("conv", 64, 3), ("pool", 2), ("conv", 64, 3), ("conv", 32, 3, "same"), ("pool", 2),
                              ("flatten",), ("dense", 128), ("dense", 32), ("dense", 10)]
    assert 'keras.layers.Conv2D(32, (3, 3), padding="same", activation="relu")' in shown_code(builder)
    assert 'Dense(32, activation="relu")' in shown_code(builder)
    builder.rows[0].up.click()
    assert builder.layers[0] == ("conv", 64, 3), "the top row stays put"
    layers, total = keras_summary(keras, builder)
    assert shown_layers(builder) == layers and builder.total == total


def test_a_kernel_too_large_is_refused_in_a_sentence_with_the_learners_message_and_recovers():
    builder = widgets.architecture_builder(layer_shapes)
    builder.rows[2].kernel_size.value = 30
    assert builder.total is None and builder.table.value == "", "no stale table from the previous stack"
    problem = html.unescape(builder.problem.value)
    assert "Cannot show this:" in problem and "Keras cannot add layer 3 ('conv', 64, 30)" in problem
    assert "Your layer_shapes says: ValueError: layer 3 (conv): a 30x30 kernel does not fit in a 13x13 input." in problem
    assert "Conv2D(64, (30, 30)" in shown_code(builder), "the code still shows what the learner built"
    builder.rows[2].kernel_size.value = 3
    assert builder.total == 243_786 and builder.problem.value == ""


def test_dense_before_flatten_is_reported_and_add_flatten_fixes_it_once():
    builder = widgets.architecture_builder(layer_shapes, layers=[("conv", 8, 3), ("dense", 10)])
    assert "layer 2 (&#x27;dense&#x27;, 10) needs a flat input" in builder.problem.value and builder.total is None
    assert not builder.add_buttons["flatten"].disabled
    builder.add_buttons["flatten"].click()
    assert builder.layers == [("conv", 8, 3), ("flatten",), ("dense", 10)]
    assert builder.total == 80 + (26 * 26 * 8 + 1) * 10
    assert builder.add_buttons["flatten"].disabled, "a second Flatten cannot be added"
    builder.add_buttons["flatten"].click()
    assert builder.layers == [("conv", 8, 3), ("flatten",), ("dense", 10)]


def test_a_second_flatten_is_named_as_such():
    builder = widgets.architecture_builder(layer_shapes, layers=[("conv", 8, 3), ("flatten",), ("flatten",)])
    assert "flattens a second time" in builder.problem.value
    assert "convolution and pooling" not in builder.problem.value


def test_before_layer_shapes_is_written_the_table_is_keras_and_says_so(keras):
    for yours in (None, {}, not_implemented_yet, {"layer_shapes": not_implemented_yet}):
        builder = widgets.architecture_builder(yours)
        assert "Showing the reference" in builder.notice.value and "convcourse-reference" in builder.notice.value
        assert shown_layers(builder) == [(KERAS_NAMES[kind], str(shape), f"{parameters:,}")
                                         for kind, shape, parameters in SEED_SHAPES]
        assert builder.total == 243_786 and builder.problem.value == ""
    assert "still the stub" in builder.notice.value
    builder.rows[0].filters.value = 16  # no exception escapes while the experimenter plays
    builder.add_buttons["conv"].click()
    assert (shown_layers(builder), builder.total) == keras_summary(keras, builder)
    assert "keras.Sequential" in shown_code(builder) and builder.problem.value == ""


def test_the_learners_function_is_picked_up_from_the_namespace_once_written():
    namespace = {"layer_shapes": not_implemented_yet}
    builder = widgets.architecture_builder(namespace)
    assert "still the stub" in builder.notice.value
    namespace["layer_shapes"] = layer_shapes  # the learner runs the finished cell
    builder.rows[0].filters.value = 32
    assert "convcourse-yours" in builder.notice.value and "every shape and count as Keras" in builder.notice.value


def test_a_crashing_or_malformed_answer_is_named_and_the_reference_still_shown():
    def crashes(input_shape, layers):
        return {}["<height>"]

    builder = widgets.architecture_builder(crashes)
    assert "failed with KeyError: &#x27;&lt;height&gt;&#x27;" in builder.notice.value and builder.total == 243_786
    short = widgets.architecture_builder(lambda shape, layers: layer_shapes(shape, layers)[:-1])
    assert "returned 6 entries for 7 layers" in short.notice.value and short.total == 243_786
    shapes_only = widgets.architecture_builder(lambda shape, layers: [s for _, s, _ in layer_shapes(shape, layers)])
    assert "entry 1 of its result" in shapes_only.notice.value


def test_the_learners_numbers_are_shown_and_those_keras_disagrees_with_marked():
    def wrong_but_well_formed(input_shape, layers):
        return [(kind, shape if number else (7, 7, 7), parameters)
                for number, (kind, shape, parameters) in enumerate(layer_shapes(input_shape, layers))]

    builder = widgets.architecture_builder(wrong_but_well_formed)
    assert shown_layers(builder)[0] == ("Conv2D", "(7, 7, 7) (Keras: (26, 26, 64))", "640")
    assert shown_layers(builder)[1] == ("MaxPooling2D", "(13, 13, 64)", "0")
    assert "1 of 7 layers differ from Keras" in builder.notice.value and builder.total == 243_786


def test_a_malformed_stack_is_refused_with_the_format():
    with pytest.raises(ValueError, match=r'\("pool", size\)'):
        widgets.architecture_builder(layer_shapes, layers=[("pool", 2, 2)])
    with pytest.raises(ValueError, match="padding is 'valid' or 'same'"):
        widgets.architecture_builder(layer_shapes, layers=[("conv", 8, 3, "full")])
    with pytest.raises(ValueError, match="unknown layer"):
        widgets.architecture_builder(layer_shapes, layers=[("dropout", 0.5)])


def test_a_failing_update_is_said_and_the_old_table_cleared(monkeypatch):
    builder = widgets.architecture_builder(layer_shapes)
    monkeypatch.setattr(widgets, "_keras_sizes", lambda *a: 1 / 0)
    builder.rows[0].filters.value = 8
    assert "This update failed</b> (ZeroDivisionError: division by zero)" in builder.problem.value
    assert builder.table.value == "" and builder.total is None
