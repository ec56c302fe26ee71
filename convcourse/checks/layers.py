"""Checks for lesson 04: a Conv2D layer's computation, parameter counts and layer shapes, against Keras."""

from __future__ import annotations

import functools
from typing import Callable

import numpy as np

from .. import data
from .core import MISTAKES, as_numeric, assert_matches, call, require_function

__all__ = ["SEED_CNN_TABLE", "check_count_params", "check_count_params_random", "check_conv2d", "check_conv2d_random",
           "check_layer_shapes", "check_layer_shapes_random", "keras_conv2d", "keras_layer_table", "keras_model_for"]

MISTAKES.update({
    "bias_forgotten": (
        "the bias is missing: every filter of a convolution and every unit of a dense layer adds its own bias "
        "after the weighted sum, and biases are parameters too: (k * k * C + 1) * filters for a convolution, "
        "(inputs + 1) * units for a dense layer."
    ),
    "channels_forgotten": (
        "the input channels were left out: a kernel of a layer with C input channels is k x k x C, so a "
        "3x3 conv on 64 channels has 3 * 3 * 64 weights per filter, not 9."
    ),
    "channels_first": (
        "the layout is channels-first: Keras keeps channels last, so x is (height, width, channels), "
        "kernels (k, k, in_channels, filters) and the output (height, width, filters)."
    ),
    "pool_params": (
        "pooling was given parameters: a pooling layer only takes a maximum, it has no weights and no bias "
        "(0 parameters), and it keeps the number of channels."
    ),
    "flatten_off": (
        "the flatten size is off by a pooling step: flatten multiplies the shape that arrives at it "
        "(5 x 5 x 64 = 1600 after the second pooling), not the shape before the last pooling layer."
    ),
    "pool_rounds_up": (
        "pooling rounded up: MaxPooling2D drops an incomplete window, so 11 // 2 = 5, not 6."
    ),
    "bias_once": (
        "one bias for the whole layer: every filter has its own bias, F in all, so a Conv2D layer has "
        "(k * k * C + 1) * F parameters and filter f's map gets bias[f] added."
    ),
    "impossible_accepted": (
        "a stack that cannot be built was accepted: once a kernel or pooling window no longer fits, the size "
        "drops below 1 (a 3x3 'valid' conv on a 1x1 map would give -1x-1); raise ValueError naming that layer "
        "instead of returning its shape."
    ),
})

# What Keras's model.summary() says of data.SEED_CNN on 28x28x1 input.
SEED_CNN_TABLE = [("conv", (26, 26, 64), 640), ("pool", (13, 13, 64), 0), ("conv", (11, 11, 64), 36928),
                  ("pool", (5, 5, 64), 0), ("flatten", (1600,), 0), ("dense", (128,), 204928),
                  ("dense", (10,), 1290)]


@functools.cache
def _keras():
    import os

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import keras

    return keras


def keras_conv2d(x, kernels, bias, stride=1, padding="valid") -> np.ndarray:
    """keras.layers.Conv2D (no activation) with these weights, applied to one (H, W, C) image, in float64."""
    keras = _keras()
    k, _, channels, filters = kernels.shape
    layer = keras.layers.Conv2D(filters, (k, k), strides=stride, padding=padding, dtype="float64")
    layer.build((None, *x.shape))
    layer.set_weights([np.asarray(kernels, dtype=np.float64), np.asarray(bias, dtype=np.float64)])
    return np.asarray(layer(np.asarray(x, dtype=np.float64)[None]))[0]


def keras_model_for(input_shape, layers):
    """The Keras Sequential model a stack of lesson 04's layer tuples describes."""
    keras = _keras()
    built = [keras.Input(shape=input_shape)]
    for kind, *args in layers:
        if kind == "conv":
            built.append(keras.layers.Conv2D(args[0], (args[1], args[1]), padding=args[2] if len(args) > 2 else "valid"))
        elif kind == "pool":
            built.append(keras.layers.MaxPooling2D((args[0], args[0])))
        elif kind == "flatten":
            built.append(keras.layers.Flatten())
        else:
            built.append(keras.layers.Dense(args[0]))
    return keras.Sequential(built)


def keras_layer_table(input_shape, layers) -> list[tuple[str, tuple, int]]:
    """Each layer's output shape and parameter count, read off a Keras model built from the stack."""
    model = keras_model_for(input_shape, layers)
    return [(kind, tuple(layer.output.shape[1:]), layer.count_params()) for (kind, *_), layer in zip(layers, model.layers)]


# ---------------------------------------------------------------------------
# Parameter counts


def _count_suspects(k, c_in, filters):
    return [(k * k * c_in * filters, "bias_forgotten"), ((k * k + 1) * filters, "channels_forgotten"),
            (k * k * c_in * filters + 1, "bias_once")]


def check_count_params(count_conv_params: Callable, count_dense_params: Callable) -> None:
    """The seed's CNN: 640, 36,928, 204,928 and 1,290 parameters, as Keras's model.summary() shows."""
    require_function(count_conv_params, "check_count_params", "count_conv_params")
    require_function(count_dense_params, "check_count_params", "count_dense_params")
    for k, c_in, filters in ((3, 1, 64), (3, 64, 64), (5, 3, 16), (1, 32, 8)):
        text = f"count_conv_params({k}, {c_in}, {filters})"
        result = call(count_conv_params, text, k, c_in, filters)
        assert_matches(result, (k * k * c_in + 1) * filters, text, _count_suspects(k, c_in, filters))
    for n_in, n_out in ((1600, 128), (128, 10), (784, 128)):
        text = f"count_dense_params({n_in}, {n_out})"
        result = call(count_dense_params, text, n_in, n_out)
        assert_matches(result, (n_in + 1) * n_out, text, [(n_in * n_out, "bias_forgotten")])


def check_count_params_random(count_conv_params: Callable, count_dense_params: Callable, seed: int = 0) -> None:
    """Seeded random layer sizes against Keras's own count_params()."""
    require_function(count_conv_params, "check_count_params_random", "count_conv_params")
    require_function(count_dense_params, "check_count_params_random", "count_dense_params")
    rng = np.random.default_rng(seed)
    for _ in range(4):
        k, c_in, filters, units = (int(rng.integers(1, 8)), int(rng.integers(1, 65)), int(rng.integers(1, 65)),
                                   int(rng.integers(1, 200)))
        (_, _, conv), (_, _, dense) = keras_layer_table((k, k, c_in), [("conv", filters, k), ("flatten",),
                                                                      ("dense", units)])[::2]
        text = "count_conv_params on a hidden layer size"
        assert_matches(call(count_conv_params, text, k, c_in, filters), conv, text, _count_suspects(k, c_in, filters))
        text = "count_dense_params on a hidden layer size"
        assert_matches(call(count_dense_params, text, filters, units), dense, text, [(filters * units, "bias_forgotten")])


# ---------------------------------------------------------------------------
# conv2d


def _conv_suspects(x, kernels, bias, stride, padding):
    without_bias = keras_conv2d(x, kernels, np.zeros_like(bias), stride, padding)
    suspects = [(without_bias, "bias_forgotten"), (without_bias + np.sum(bias), "bias_once"),
                (without_bias + bias[0], "bias_once"),
                (keras_conv2d(x, kernels[::-1, ::-1], bias, stride, padding), "flipped")]
    if padding == "same":
        # Lesson 02's even split, (k - 1) // 2 on each side: Keras agrees only when the total is even.
        half = (kernels.shape[0] - 1) // 2
        suspects.append((_conv_with_padding(x, kernels, bias, stride, [(half, half)] * 2), "same_symmetric"))
    return suspects


def _conv_with_padding(x, kernels, bias, stride, pads):
    """Keras's 'valid' conv on x padded as given, cropped to Keras's 'same' output size."""
    padded = np.pad(np.asarray(x, dtype=np.float64), pads + [(0, 0)])
    rows, cols = (-(-n // stride) for n in x.shape[:2])
    if min(padded.shape[:2]) < kernels.shape[0]:
        return np.full((rows, cols, kernels.shape[3]), np.nan)
    result = keras_conv2d(padded, kernels, bias, stride, "valid")
    return result[:rows, :cols]


def _assert_conv(conv2d, x, kernels, bias, stride, padding, text):
    result = call(conv2d, text, x, kernels, bias, stride, padding)
    expected = keras_conv2d(x, kernels, bias, stride, padding)
    actual = as_numeric(result, text)
    if actual.ndim == 3 and actual.shape != expected.shape and actual.shape == (expected.shape[2], *expected.shape[:2]):
        raise AssertionError(f"{text} returned shape {actual.shape}, expected {expected.shape}: {MISTAKES['channels_first']}")
    assert_matches(actual, expected, text, _conv_suspects(x, kernels, bias, stride, padding),
                   atol=1e-6 * max(1.0, float(np.abs(expected).max())))


def _example(seed: int, shape, k, filters):
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 10, size=shape).astype(np.float64)
    kernels = rng.integers(-3, 4, size=(k, k, shape[2], filters)).astype(np.float64)
    bias = rng.integers(-5, 6, size=filters).astype(np.float64)
    return x, kernels, bias


def check_conv2d(conv2d: Callable) -> None:
    """A small 2-channel image through 3 filters equals keras.layers.Conv2D with the same weights."""
    require_function(conv2d, "check_conv2d", "conv2d")
    x, kernels, bias = _example(7, (5, 6, 2), 3, 3)
    _assert_conv(conv2d, x, kernels, bias, 1, "valid", "conv2d(x, kernels, bias) on a 5x6x2 input with 3 filters")
    _assert_conv(conv2d, x, kernels, bias, 2, "valid", "conv2d(x, kernels, bias, stride=2)")
    _assert_conv(conv2d, x, kernels, bias, 1, "same", "conv2d(x, kernels, bias, padding='same')")
    x, kernels, bias = _example(8, (6, 6, 1), 3, 2)
    _assert_conv(conv2d, x, kernels, bias, 2, "same",
                 "conv2d(x, kernels, bias, stride=2, padding='same') on a 6x6x1 input")


def check_conv2d_random(conv2d: Callable, seed: int = 0) -> None:
    """Seeded random inputs, kernels 1/3/5, strides 1-2, both paddings, 1-3 channels, against Keras."""
    require_function(conv2d, "check_conv2d_random", "conv2d")
    rng = np.random.default_rng(seed)
    for shape, k, filters, stride, padding in (((7, 9, 3), 3, 4, 1, "valid"), ((8, 8, 1), 5, 2, 2, "same"),
                                               ((6, 11, 2), 1, 3, 1, "valid"), ((10, 7, 3), 3, 1, 2, "same"),
                                               ((9, 9, 2), 3, 5, 2, "valid")):
        x = rng.normal(size=shape)
        kernels, bias = rng.normal(size=(k, k, shape[2], filters)), rng.normal(size=filters)
        text = (f"conv2d on a seeded random {'x'.join(map(str, shape))} input, {k}x{k} kernels, {filters} filters, "
                f"stride {stride}, padding {padding!r}")
        _assert_conv(conv2d, x, kernels, bias, stride, padding, text)


# ---------------------------------------------------------------------------
# layer_shapes


def _normalise_table(result, text):
    if not isinstance(result, (list, tuple)):
        raise AssertionError(f"{text} returned {type(result).__name__}; it should return a list with one "
                             f"(kind, output_shape, parameters) entry per layer.")
    rows = []
    for number, row in enumerate(result, start=1):
        try:
            kind, shape, params = row
            shape = tuple(int(n) for n in shape)
            params = int(as_numeric(params, text))
        except (TypeError, ValueError, AssertionError):
            raise AssertionError(f"{text}: entry {number} is {row!r}; each entry should be "
                                 f"(kind, output_shape_tuple, parameter_count).") from None
        rows.append((kind, shape, params))
    return rows


def _assert_table(layer_shapes, input_shape, layers, text, expected=None):
    expected = keras_layer_table(input_shape, layers) if expected is None else expected
    rows = _normalise_table(call(layer_shapes, text, input_shape, layers), text)
    if len(rows) != len(expected):
        raise AssertionError(f"{text} returned {len(rows)} entries for {len(expected)} layers; return one per layer.")
    for number, ((kind, shape, params), (_, right_shape, right_params), layer) in enumerate(
            zip(rows, expected, layers), start=1):
        where = f"{text}, layer {number} {layer!r}"
        if shape != right_shape:
            previous = expected[number - 2][1] if number > 1 else input_shape
            hint = ""
            if layer[0] == "flatten" and number > 2 and shape == (int(np.prod(expected[number - 3][1])),):
                hint = f": {MISTAKES['flatten_off']}"
            elif layer[0] == "pool" and shape[:2] == tuple(-(-n // layer[1]) for n in previous[:2]):
                hint = f": {MISTAKES['pool_rounds_up']}"
            elif layer[0] == "pool" and shape[-1] != right_shape[-1]:
                hint = f": {MISTAKES['pool_params']}"
            raise AssertionError(f"{where} has output shape {shape}, Keras says {right_shape}{hint}")
        if params != right_params:
            hint = ""
            if layer[0] == "pool":
                hint = f": {MISTAKES['pool_params']}"
            elif layer[0] == "conv":
                c_in = (expected[number - 2][1] if number > 1 else input_shape)[-1]
                for wrong, mistake in _count_suspects(layer[2], c_in, layer[1]):
                    if params == wrong:
                        hint = f": {MISTAKES[mistake]}"
            elif layer[0] == "dense" and params == int(np.prod(expected[number - 2][1])) * layer[1]:
                hint = f": {MISTAKES['bias_forgotten']}"
            raise AssertionError(f"{where} has {params:,} parameters, Keras says {right_params:,}{hint}")


def check_layer_shapes(layer_shapes: Callable) -> None:
    """The seed's CNN: 26x26x64 -> 13x13x64 -> 11x11x64 -> 5x5x64 -> 1600 -> 128 -> 10, 243,786 parameters."""
    require_function(layer_shapes, "check_layer_shapes", "layer_shapes")
    _assert_table(layer_shapes, (28, 28, 1), list(data.SEED_CNN), "layer_shapes((28, 28, 1), seed_cnn)", SEED_CNN_TABLE)
    _assert_table(layer_shapes, (32, 32, 3), [("conv", 16, 5, "same"), ("pool", 3), ("flatten",), ("dense", 7)],
                  "layer_shapes((32, 32, 3), [conv 16 5x5 'same', pool 3, flatten, dense 7])")
    impossible = [("conv", 8, 3), ("pool", 2), ("conv", 8, 3), ("pool", 2), ("conv", 8, 3), ("pool", 2)]
    text = "layer_shapes((12, 12, 1), three conv+pool steps)"
    try:
        call(layer_shapes, text, (12, 12, 1), impossible)
    except ValueError as error:
        if "layer" not in str(error):
            raise AssertionError(f"{text} raised ValueError({str(error)!r}); say which layer cannot be built "
                                 f"(e.g. 'layer 5 ...').") from None
    else:
        raise AssertionError(f"{text} returned a table, but 12 -> 10 -> 5 -> 3 -> 1 leaves the fifth layer, a 3x3 "
                             f"conv, no room: {MISTAKES['impossible_accepted']}")


def _random_stack(rng: np.random.Generator):
    side = int(rng.integers(16, 40))  # square inputs: the shrinking along both sides is then the same
    layers, size = [], side
    for _ in range(int(rng.integers(1, 4))):
        k = int(rng.choice([1, 3, 5]))
        padding = str(rng.choice(["valid", "same"]))
        after_conv = size if padding == "same" else size - k + 1
        pool = int(rng.choice([2, 3]))
        if after_conv // pool < 1:
            break
        layers += [("conv", int(rng.integers(1, 33)), k, padding), ("pool", pool)]
        size = after_conv // pool
    layers += [("flatten",)] + [("dense", int(rng.integers(1, 65))) for _ in range(int(rng.integers(1, 3)))]
    return (side, side, int(rng.integers(1, 4))), layers


def check_layer_shapes_random(layer_shapes: Callable, seed: int = 0, count: int = 6) -> None:
    """Seeded random valid stacks (conv 1/3/5 'valid'/'same', pool 2/3, dense) against Keras's own shapes."""
    require_function(layer_shapes, "check_layer_shapes_random", "layer_shapes")
    rng = np.random.default_rng(seed)
    for number in range(count):
        input_shape, layers = _random_stack(rng)
        _assert_table(layer_shapes, input_shape, layers, f"layer_shapes on seeded random stack {number + 1}")
