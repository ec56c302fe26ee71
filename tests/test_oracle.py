"""TensorFlow/Keras is the oracle: what every graded function of lessons 02-04 returns is what Keras computes.

Proven here on seeded random inputs over every combination the lessons allow (odd and even sizes, kernel
and window sizes, strides, both paddings, grey and channels-last, uint8 and float):
- the course's reference solutions (the instructor's notebooks) equal Keras layers (or tf.nn);
- what the checks compare against at run time (SciPy for lesson 02, tf.nn for lesson 03) equals them too;
- lessons 02 and 04 place 'same' windows by one rule: Keras's, the odd zero after the image.
"""

from __future__ import annotations

import functools
import itertools

import numpy as np
import pytest

from convcourse import data, notebooks
from convcourse.checks.filters import scipy_correlate2d
from convcourse.checks.pooling import tf_pool

SIZES = ((6, 8), (7, 5), (9, 9), (4, 11), (12, 13))
STRIDES = (1, 2, 3)
PADDINGS = ("valid", "same")


@functools.cache
def _keras():
    import keras

    return keras


@functools.cache
def _lesson(lesson: str) -> dict:
    return notebooks.definitions(notebooks.read(lesson))


def _keras_conv(x: np.ndarray, kernels: np.ndarray, bias: np.ndarray, stride: int, padding: str) -> np.ndarray:
    """keras.layers.Conv2D with these weights, on one (H, W, C) input."""
    keras = _keras()
    layer = keras.layers.Conv2D(kernels.shape[-1], kernels.shape[0], strides=stride, padding=padding)
    layer.build((1, *x.shape))
    layer.set_weights([kernels.astype(np.float32), bias.astype(np.float32)])
    return keras.ops.convert_to_numpy(layer(x[np.newaxis].astype(np.float32)))[0].astype(np.float64)


def _grey_cases(seed: int):
    rng = np.random.default_rng(seed)
    for (rows, cols), k, stride, padding in itertools.product(SIZES, (1, 3, 5), STRIDES, PADDINGS):
        if padding == "valid" and k > min(rows, cols):
            continue
        image = rng.integers(0, 256, (rows, cols)).astype(np.float64)
        kernel = np.round(rng.normal(size=(k, k)), 2)
        yield image, kernel, stride, padding


def test_lesson02_reference_and_the_checks_equal_keras_conv2d():
    correlate2d = _lesson("02_whole_image")["correlate2d"]
    vectorized = _lesson("02_whole_image")["correlate2d_vectorized"]
    compared = 0
    for image, kernel, stride, padding in _grey_cases(seed=0):
        keras_result = _keras_conv(image[..., None], kernel[..., None, None], np.zeros(1), stride, padding)[..., 0]
        text = f"{image.shape} image, {kernel.shape[0]}x{kernel.shape[0]} kernel, stride {stride}, {padding}"
        for name, result in (("checks' SciPy reference", scipy_correlate2d(image, kernel, stride, padding)),
                             ("solution correlate2d", correlate2d(image, kernel, stride, padding)),
                             ("solution correlate2d_vectorized", vectorized(image, kernel, stride, padding))):
            assert result.shape == keras_result.shape, f"{name}, {text}"
            np.testing.assert_allclose(result, keras_result, rtol=1e-5, atol=1e-3, err_msg=f"{name}, {text}")
        compared += 1
    assert compared > 80


def test_same_with_stride_two_on_the_small_image_is_what_keras_computes():
    """The issue's worked example: Keras's first row is 28, -10, 505, 105 (the odd zero goes after)."""
    image, kernel = data.small_image().astype(np.float64), data.seed_filter()
    keras_result = _keras_conv(image[..., None], kernel[..., None, None], np.zeros(1), 2, "same")[..., 0]
    np.testing.assert_allclose(keras_result[0], [28, -10, 505, 105], atol=1e-3)
    np.testing.assert_allclose(_lesson("02_whole_image")["correlate2d"](image, kernel, 2, "same"), keras_result,
                               atol=1e-3)


def test_lessons_02_and_04_place_same_windows_by_one_rule():
    correlate2d, conv2d = _lesson("02_whole_image")["correlate2d"], _lesson("04_filters_to_layers")["conv2d"]
    for image, kernel, stride, padding in _grey_cases(seed=1):
        if kernel.shape[0] % 2 == 0:
            continue
        as_layer = conv2d(image[..., None], kernel[..., None, None], np.zeros(1), stride, padding)[..., 0]
        np.testing.assert_allclose(correlate2d(image, kernel, stride, padding), as_layer, atol=1e-6)


def test_lesson04_reference_equals_keras_conv2d():
    conv2d = _lesson("04_filters_to_layers")["conv2d"]
    rng = np.random.default_rng(2)
    for (rows, cols), k, channels, filters, stride, padding in itertools.product(
            ((7, 9), (10, 10)), (1, 3, 5), (1, 3), (1, 4), STRIDES, PADDINGS):
        x = rng.normal(size=(rows, cols, channels))
        kernels, bias = rng.normal(size=(k, k, channels, filters)), rng.normal(size=filters)
        np.testing.assert_allclose(conv2d(x, kernels, bias, stride, padding), _keras_conv(x, kernels, bias, stride, padding),
                                   rtol=1e-4, atol=1e-4, err_msg=f"{x.shape}, k={k}, F={filters}, s={stride}, {padding}")


@pytest.mark.parametrize("mode", ["max", "avg"])
def test_lesson03_reference_and_the_checks_equal_keras_pooling_layers(mode):
    keras = _keras()
    pool = _lesson("03_pooling")["max_pool2d" if mode == "max" else "avg_pool2d"]
    layer_class = keras.layers.MaxPooling2D if mode == "max" else keras.layers.AveragePooling2D
    rng = np.random.default_rng(3)
    for (rows, cols), size, stride, padding, channels, dtype in itertools.product(
            SIZES, (1, 2, 3), (None, 1, 2, 3), PADDINGS, (None, 3), (np.uint8, np.float64)):
        if padding == "valid" and size > min(rows, cols):
            continue
        shape = (rows, cols) if channels is None else (rows, cols, channels)
        x = rng.integers(0, 256, shape).astype(dtype) if dtype == np.uint8 else rng.normal(size=shape) * 50
        layer = layer_class(pool_size=size, strides=stride, padding=padding)
        batch = (x if channels else x[..., None])[np.newaxis].astype(np.float32)
        expected = keras.ops.convert_to_numpy(layer(batch))[0].astype(np.float64)
        expected = expected if channels else expected[..., 0]
        text = f"{mode} {shape} {np.dtype(dtype).name}, size {size}, stride {stride}, {padding}"
        for name, result in (("checks' tf.nn reference", tf_pool(x, mode, size, stride, padding)),
                             ("solution", pool(x, size, stride, padding))):
            np.testing.assert_allclose(np.asarray(result, dtype=np.float64), expected, rtol=1e-5, atol=1e-3,
                                       err_msg=f"{name}: {text}")
