"""Checks for lesson 05: preparing Fashion-MNIST, the dense baseline, the seed's CNN, feature maps.

Models are checked by their architecture and by values computed on seeded inputs,
never by training: a check runs in well under a second after Keras is imported.
"""

from __future__ import annotations

import functools
import re
from typing import Callable

import numpy as np
from scipy import signal

from ..activations import activation_name
from .core import MISTAKES, as_numeric, assert_matches, call, raised_because, require_function

__all__ = ["DENSE_BASELINE", "SEED_CNN_LAYERS", "check_reshape_and_normalize", "check_reshape_and_normalize_random",
           "check_build_dense_model", "check_build_cnn", "check_feature_maps", "check_feature_maps_random",
           "describe_layer"]

MISTAKES.update({
    "not_normalised": (
        "the pixels still run from 0 to 255: divide by 255 so that every input lies in [0, 1]; networks train "
        "much better on small, evenly scaled inputs."
    ),
    "normalised_by_max": (
        "the images were divided by their largest pixel instead of by 255: then the same grey means different "
        "numbers in different images; divide by 255, the largest possible pixel."
    ),
    "integer_division": (
        "integer division (//) turned almost every pixel into 0: convert to float32 first, then divide by 255."
    ),
    "float64_inputs": (
        "the result is float64: Keras computes in float32, so convert with .astype('float32') (half the memory, "
        "and no silent conversion on every batch)."
    ),
    "channel_axis_missing": (
        "the channel axis is missing: Conv2D expects (n, 28, 28, 1), one grey channel last; add it with "
        "images[..., np.newaxis] or reshape(n, 28, 28, 1)."
    ),
    "softmax_from_logits": (
        "the last layer applies softmax and the loss also says from_logits=True, so softmax is applied twice: "
        "keep activation='softmax' and use loss='sparse_categorical_crossentropy' without from_logits."
    ),
    "logits_without_flag": (
        "the last layer has no softmax, so it outputs logits, but the loss expects probabilities: add "
        "activation='softmax' to the last Dense layer."
    ),
    "one_hot_loss": (
        "categorical_crossentropy expects one-hot labels, but Fashion-MNIST's labels are integers 0-9: use "
        "sparse_categorical_crossentropy."
    ),
    "not_compiled": (
        "the model is not compiled: finish with model.compile(optimizer='adam', "
        "loss='sparse_categorical_crossentropy', metrics=['accuracy'])."
    ),
    "batch_axis_missing": (
        "the batch axis is missing: Keras models and layers take a batch of images, so give them one image "
        "as image[np.newaxis], shape (1, 28, 28, 1), and take [0] of what they return."
    ),
    "batch_axis_kept": (
        "the batch axis is still there: Keras returns a batch of one, shape (1, H, W, F); the feature maps of "
        "one image are [0] of it, shape (H, W, F)."
    ),
    "layer_off_by_one": (
        "these are the activations of the neighbouring layer: model.layers[layer] is counted from 0, and the "
        "Input is not in model.layers."
    ),
    "before_activation": (
        "these are the values before the ReLU: a Conv2D layer's output already includes its activation, so "
        "negative values should be 0."
    ),
})

# Each layer as (class name, the settings that matter, output shape without the batch axis).
DENSE_BASELINE = [("Flatten", {}, (784,)), ("Dense", {"units": 128, "activation": "relu"}, (128,)),
                  ("Dense", {"units": 10, "activation": "softmax"}, (10,))]
SEED_CNN_LAYERS = [
    ("Conv2D", {"filters": 64, "kernel_size": (3, 3), "activation": "relu"}, (26, 26, 64)),
    ("MaxPooling2D", {"pool_size": (2, 2)}, (13, 13, 64)),
    ("Conv2D", {"filters": 64, "kernel_size": (3, 3), "activation": "relu"}, (11, 11, 64)),
    ("MaxPooling2D", {"pool_size": (2, 2)}, (5, 5, 64)),
    ("Flatten", {}, (1600,)), ("Dense", {"units": 128, "activation": "relu"}, (128,)),
    ("Dense", {"units": 10, "activation": "softmax"}, (10,)),
]


@functools.cache
def _keras():
    import os

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import keras

    return keras


# ---------------------------------------------------------------------------
# reshape_and_normalize


def _seeded_images(seed: int, count: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    # No pixel reaches 255 and the first image is dim: dividing by a maximum differs from dividing by 255.
    images = rng.integers(0, 241, size=(count, 28, 28), dtype=np.uint8)
    images[0] = images[0] // 2
    return images


def _normalize_suspects(images):
    right = images.astype(np.float32) / 255
    return [
        (images.astype(np.float32)[..., None], "not_normalised"),
        ((images / images.max(axis=(1, 2), keepdims=True)).astype(np.float32)[..., None], "normalised_by_max"),
        ((images / images.max()).astype(np.float32)[..., None], "normalised_by_max"),
        ((images // 255).astype(np.float32)[..., None], "integer_division"),
        (right, "channel_axis_missing"),
        (right[:, None], "channels_first"),
    ]


def _assert_normalize(fn, images, text):
    result = call(fn, text, images)
    actual = as_numeric(result, text)
    expected = (images.astype(np.float32) / 255)[..., None]
    assert_matches(actual, expected, text, _normalize_suspects(images), atol=1e-6)
    if actual.dtype != np.float32:
        raise AssertionError(f"{text} returned dtype {actual.dtype}: {MISTAKES['float64_inputs']}")


def check_reshape_and_normalize(reshape_and_normalize: Callable) -> None:
    """Five uint8 images become (5, 28, 28, 1) float32 in [0, 1]: pixel / 255, one channel last."""
    require_function(reshape_and_normalize, "check_reshape_and_normalize", "reshape_and_normalize")
    _assert_normalize(reshape_and_normalize, _seeded_images(5, 5), "reshape_and_normalize(five_images)")


def check_reshape_and_normalize_random(reshape_and_normalize: Callable, seed: int = 0) -> None:
    """Seeded batches of other sizes, including a single image."""
    require_function(reshape_and_normalize, "check_reshape_and_normalize_random", "reshape_and_normalize")
    for count in (1, 17, 64):
        _assert_normalize(reshape_and_normalize, _seeded_images(seed + count, count),
                          f"reshape_and_normalize on a seeded batch of {count} image(s)")


# ---------------------------------------------------------------------------
# models


def describe_layer(layer) -> tuple[str, dict, tuple]:
    """(class name, the settings that matter, output shape) of a Keras layer, as the checks compare them."""
    config = layer.get_config()
    settings = {key: (tuple(config[key]) if isinstance(config[key], list) else config[key])
                for key in ("filters", "kernel_size", "pool_size", "units") if key in config}
    if "activation" in config:  # by what it computes: "relu", keras.activations.relu and tf.nn.relu are one
        settings["activation"] = activation_name(layer)
    return type(layer).__name__, settings, tuple(layer.output.shape[1:])


def _show_layer(name: str, settings: dict) -> str:
    inside = ", ".join(f"{key}={value!r}" for key, value in settings.items())
    return f"{name}({inside})"


def _from_logits(loss_object) -> bool:
    """Whether a compiled loss (object or function) was told that the model outputs logits."""
    return bool(getattr(loss_object, "from_logits", False) or
                getattr(loss_object, "_fn_kwargs", {}).get("from_logits", False))


def _assert_compiled(model, text):
    keras = _keras()
    loss = getattr(model, "loss", None)
    if loss is None or getattr(model, "optimizer", None) is None:
        raise AssertionError(f"{text}: {MISTAKES['not_compiled']}")
    loss_object = keras.losses.get(loss) if isinstance(loss, str) else loss
    loss_name = getattr(loss_object, "name", None) or getattr(loss_object, "__name__", str(loss))
    if "sparse_categorical_crossentropy" not in str(loss_name):
        mistake = "one_hot_loss" if "categorical_crossentropy" in str(loss_name) else "not_compiled"
        raise AssertionError(f"{text} is compiled with the loss {loss_name!r}: {MISTAKES[mistake]}")
    from_logits = _from_logits(loss_object)
    last = activation_name(model.layers[-1])
    if last == "softmax" and from_logits:
        raise AssertionError(f"{text}: {MISTAKES['softmax_from_logits']}")
    if last != "softmax" and not from_logits:
        raise AssertionError(f"{text}: {MISTAKES['logits_without_flag']}")


def _assert_architecture(build: Callable, expected: list, name: str) -> None:
    keras = _keras()
    text = f"{name}()"
    model = call(build, text)
    if not isinstance(model, keras.Model):
        raise AssertionError(f"{text} returned {type(model).__name__}; it should return the Keras model it built.")
    input_shape = tuple(model.inputs[0].shape[1:]) if getattr(model, "inputs", None) else None
    if input_shape != (28, 28, 1):
        raise AssertionError(f"{text} should take inputs of shape (28, 28, 1), as reshape_and_normalize makes them: "
                             f"start with keras.Input(shape=(28, 28, 1)).")
    # A functional model (keras.Model(inputs, outputs)) lists its InputLayer among its layers; a Sequential does not.
    layers = [describe_layer(layer) for layer in model.layers if not isinstance(layer, keras.layers.InputLayer)]
    for number, (mine, right) in enumerate(zip(layers, expected), start=1):
        if mine[:2] != right[:2]:
            hint = ""
            if mine[0] == right[0] and mine[1].get("activation") != right[1].get("activation"):
                hint = (" The activation differs: ReLU after every hidden layer, softmax on the last."
                        if right[1].get("activation") else "")
                loss = getattr(model, "loss", None)
                if (number == len(expected) and right[1].get("activation") == "softmax"
                        and mine[1].get("activation") in (None, "linear") and loss is not None
                        and not _from_logits(keras.losses.get(loss) if isinstance(loss, str) else loss)):
                    raise AssertionError(f"{text}: layer {number} should be {_show_layer(*right[:2])}, yours is "
                                         f"{_show_layer(*mine[:2])}: {MISTAKES['logits_without_flag']}")
            raise AssertionError(f"{text}: layer {number} should be {_show_layer(*right[:2])}, yours is "
                                 f"{_show_layer(*mine[:2])}.{hint}")
        if mine[2] != right[2]:
            raise AssertionError(f"{text}: layer {number} ({right[0]}) outputs {mine[2]}, expected {right[2]}.")
    if len(layers) != len(expected):
        raise AssertionError(f"{text} has {len(layers)} layers after the Input, expected {len(expected)}: "
                             + " -> ".join(_show_layer(*layer[:2]) for layer in expected))
    _assert_compiled(model, text)
    return model


def check_build_dense_model(build_dense_model: Callable) -> None:
    """Flatten -> Dense(128, relu) -> Dense(10, softmax): 101,770 parameters, compiled for integer labels."""
    require_function(build_dense_model, "check_build_dense_model", "build_dense_model")
    model = _assert_architecture(build_dense_model, DENSE_BASELINE, "build_dense_model")
    assert_matches(model.count_params(), 101_770, "build_dense_model().count_params()")


def check_build_cnn(build_cnn: Callable) -> None:
    """The seed's CNN: 26x26x64 -> 13x13x64 -> 11x11x64 -> 5x5x64 -> 1600 -> 128 -> 10, 243,786 parameters."""
    require_function(build_cnn, "check_build_cnn", "build_cnn")
    model = _assert_architecture(build_cnn, SEED_CNN_LAYERS, "build_cnn")
    assert_matches(model.count_params(), 243_786, "build_cnn().count_params()")
    first, second = build_cnn(), build_cnn()
    if all(np.array_equal(a, b) for a, b in zip(first.get_weights(), second.get_weights())):
        raise AssertionError("build_cnn() returns the same weights every time: build a fresh model in each call "
                             "(do not reuse one model object or fix a seed inside the function).")


# ---------------------------------------------------------------------------
# feature_maps


@functools.cache
def _probe_model(seed: int):
    """The seed CNN with seeded random weights (no training needed to check feature maps)."""
    keras = _keras()
    keras.utils.set_random_seed(seed)
    return keras.Sequential([
        keras.Input(shape=(28, 28, 1)),
        keras.layers.Conv2D(8, (3, 3), activation="relu"), keras.layers.MaxPooling2D((2, 2)),
        keras.layers.Conv2D(8, (3, 3), activation="relu"), keras.layers.MaxPooling2D((2, 2)),
        keras.layers.Flatten(), keras.layers.Dense(16, activation="relu"), keras.layers.Dense(10, activation="softmax"),
    ])


def _activations(model, image, layer: int) -> np.ndarray:
    keras = _keras()
    probe = keras.Model(inputs=model.inputs[0], outputs=model.layers[layer].output)
    return np.asarray(probe(image[None]))[0]


def _first_layer_by_scipy(model, image) -> np.ndarray:
    """Layer 0 of the probe model computed with SciPy, channel by channel: an answer independent of Keras."""
    kernels, bias = model.layers[0].get_weights()
    maps = [sum(signal.correlate2d(image[:, :, c], kernels[:, :, c, f], "valid") for c in range(image.shape[2]))
            + bias[f] for f in range(kernels.shape[3])]
    return np.maximum(np.stack(maps, axis=-1), 0)


def _feature_suspects(model, image, layer):
    right = _activations(model, image, layer)
    suspects = [(right[None], "batch_axis_kept")]
    for neighbour in (layer - 1, layer + 1):
        if 0 <= neighbour < len(model.layers) and len(model.layers[neighbour].output.shape) == 4:
            suspects.append((_activations(model, image, neighbour), "layer_off_by_one"))
    if layer == 0:
        kernels, bias = model.layers[0].get_weights()
        raw = np.stack([signal.correlate2d(image[:, :, 0], kernels[:, :, 0, f], "valid") + bias[f]
                        for f in range(kernels.shape[3])], axis=-1)
        suspects.append((raw, "before_activation"))
    return suspects


def _assert_feature_maps(fn, model, image, layer, text, expected=None):
    expected = _activations(model, image, layer) if expected is None else expected
    try:
        result = call(fn, text, model, image, layer)
    except Exception as error:  # noqa: BLE001 - Keras's and TensorFlow's shape errors have many classes
        if re.search(r"ndim|incompatible|expected shape|rank|negative dimension|output size would be negative", str(error), flags=re.I):
            raise raised_because(text, error, "batch_axis_missing") from error
        raise
    actual = as_numeric(np.asarray(result), text)
    assert_matches(actual, expected, text, _feature_suspects(model, image, layer), atol=1e-5)


def _probe_image(seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.random((28, 28, 1)).astype(np.float32)


def check_feature_maps(feature_maps: Callable) -> None:
    """Layer 0 of a seeded CNN equals SciPy's correlation + bias + ReLU per filter; layer 2 equals Keras."""
    require_function(feature_maps, "check_feature_maps", "feature_maps")
    model, image = _probe_model(1), _probe_image(1)
    _assert_feature_maps(feature_maps, model, image, 0, "feature_maps(model, image, 0)",
                         expected=_first_layer_by_scipy(model, image))
    _assert_feature_maps(feature_maps, model, image, 2, "feature_maps(model, image, 2)")


def check_feature_maps_random(feature_maps: Callable, seed: int = 0) -> None:
    """Seeded images through every conv and pooling layer of a seeded CNN, against Keras."""
    require_function(feature_maps, "check_feature_maps_random", "feature_maps")
    model = _probe_model(seed)
    for layer in range(4):
        _assert_feature_maps(feature_maps, model, _probe_image(seed + layer), layer,
                             f"feature_maps on a seeded image, layer {layer}")
