"""Checks for lesson 03: pooling, compared with TensorFlow's own pooling (``tf.nn``)."""

from __future__ import annotations

import functools
from typing import Callable

import numpy as np

from .core import (MISTAKES, as_numeric, assert_matches, blame_helper, call, prefetched, random_image,
                   require_function)
from .filters import keras_same_padding

__all__ = ["FOUR_BY_FOUR", "check_pooled_size", "check_pooled_size_all", "check_max_pool2d", "check_avg_pool2d",
           "check_max_pool2d_random", "check_avg_pool2d_random", "tf_pool"]

MISTAKES.update({
    "averaged_not_max": (
        "the windows were averaged: max pooling keeps the largest value of each window (np.max); "
        "averaging is avg_pool2d's job."
    ),
    "max_not_averaged": (
        "the windows kept their largest value: average pooling returns the mean of each window (np.mean)."
    ),
    "overlapping": (
        "the windows overlap: when stride is None it equals the size, so 2x2 windows tile the image "
        "(rows 0-1, 2-3, ...) and 16 pixels become 4; a stride of 1 slides them one pixel at a time."
    ),
    "odd_edge": (
        "the last, incomplete row or column was kept: Keras's 'valid' pooling drops a window that does not "
        "fit, so 7 pixels pool to 3 with size 2 (floor division), not 4."
    ),
    "same_counts_padding": (
        "'same' pooling counted the padded border: Keras ignores padded positions, so a window on the edge "
        "takes the max (or the mean) of the real pixels only."
    ),
    "channels_pooled": (
        "the channel axis was pooled too: pool each channel on its own, over rows and columns only, so an "
        "(H, W, C) image gives (H', W', C) with the same C."
    ),
    "stride_as_size": (
        "the windows stepped by their size instead of the stride: windows start at 0, stride, 2*stride, ...; "
        "size only says how wide each one is, so the count is (n - size) // stride + 1."
    ),
    "pool_dtype_changed": (
        "max pooling changed the dtype: the largest of some uint8 pixels is itself a uint8 pixel, so return "
        "the input's dtype (np.max keeps it; an output made with np.zeros(shape) is float64)."
    ),
    "average_truncated": (
        "the averages were truncated to whole numbers: the mean of 2x2 uint8 pixels can be 127.5, so average "
        "pooling returns floats, whatever the input's dtype."
    ),
})

# The lesson's example: 16 pixels, pooled 2x2 into 4 (each the largest of its block).
FOUR_BY_FOUR = np.array([[12, 80, 45, 31],
                         [200, 54, 17, 99],
                         [7, 33, 180, 160],
                         [91, 26, 140, 75]], dtype=np.uint8)


@functools.cache
def _tf():
    import os

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tensorflow as tf

    return tf


def tf_pool(x, mode: str, size: int, stride: int | None = None, padding: str = "valid") -> np.ndarray:
    """TensorFlow's pooling of one (H, W) or (H, W, C) image, in float64 (uint8 max pooling stays uint8)."""
    tf = _tf()
    x = np.asarray(x)
    stride = size if stride is None else stride
    batch = (x if x.ndim == 3 else x[:, :, None])[None]
    if mode == "max" and x.dtype == np.uint8:
        pooled = tf.nn.max_pool2d(batch, size, stride, padding.upper()).numpy()
    else:
        pool = tf.nn.max_pool2d if mode == "max" else tf.nn.avg_pool2d
        pooled = pool(batch.astype(np.float64), size, stride, padding.upper()).numpy()
    return pooled[0] if x.ndim == 3 else pooled[0, :, :, 0]


def _zero_padded_pool(x, mode, size, stride):
    """Pooling as if the 'same' border were real zeros (the mistake Keras avoids)."""
    stride = size if stride is None else stride
    x = np.asarray(x, dtype=np.float64)
    image = x if x.ndim == 3 else x[:, :, None]
    pads = [keras_same_padding(n, size, stride) for n in image.shape[:2]]
    padded = np.pad(image, pads + [(0, 0)])
    pooled = tf_pool(padded, mode, size, stride, "valid")
    return pooled if x.ndim == 3 else pooled[:, :, 0]


def _pool_suspects(x, mode, size, stride, padding):
    other = "avg" if mode == "max" else "max"
    suspects = [(tf_pool(x, other, size, stride, padding), "averaged_not_max" if mode == "max" else "max_not_averaged")]
    if stride is None and size > 1 and min(np.shape(x)[:2]) >= size:
        suspects.append((tf_pool(x, mode, size, 1, padding), "overlapping"))
    if padding == "valid":
        suspects.append((tf_pool(x, mode, size, stride, "same"), "odd_edge"))
    else:
        suspects.append((_zero_padded_pool(x, mode, size, stride), "same_counts_padding"))
        if min(np.shape(x)[:2]) >= size:
            suspects.append((tf_pool(x, mode, size, stride, "valid"), "valid_for_same"))
        # The odd extra row or column of padding before the image, not after: Keras's windows, seen from the end.
        flipped = np.flip(tf_pool(np.flip(x, (0, 1)), mode, size, stride, padding), (0, 1))
        suspects.append((flipped, "same_symmetric"))
    if mode == "avg" and np.asarray(x).dtype == np.uint8:
        suspects.append((np.floor(tf_pool(x, mode, size, stride, padding)), "average_truncated"))
    if np.ndim(x) == 3:  # each window pooled across the channels too, the one value kept for every channel
        pooled = tf_pool(x, mode, size, stride, padding)
        across = pooled.max(axis=-1, keepdims=True) if mode == "max" else pooled.mean(axis=-1, keepdims=True)
        suspects.append((np.repeat(across, np.shape(x)[2], axis=-1), "channels_pooled"))
    return suspects


def _assert_pool(fn, mode, x, size, stride, padding, text):
    try:
        _assert_pool_result(fn, mode, x, size, stride, padding, text)
    except Exception as error:
        blamed = blame_helper(fn, error, text, {"pooled_size": check_pooled_size})
        if blamed is None:
            raise
        raise blamed from error


def _assert_pool_result(fn, mode, x, size, stride, padding, text):
    kwargs = {"size": size, "stride": stride, "padding": padding}
    result = call(fn, text, x, **kwargs)
    expected = tf_pool(x, mode, size, stride, padding)
    actual = as_numeric(result, text)
    if x.ndim == 3 and (actual.ndim != 3 or actual.shape[2] != x.shape[2]):
        raise AssertionError(f"{text} returned shape {actual.shape}, expected {expected.shape}: {MISTAKES['channels_pooled']}")
    assert_matches(actual, expected, text, _pool_suspects(x, mode, size, stride, padding),
                   atol=1e-6 * max(1.0, float(np.abs(expected).max())))
    if mode == "max" and actual.dtype != x.dtype:
        raise AssertionError(f"{text} returned dtype {actual.dtype} for a {x.dtype} image: {MISTAKES['pool_dtype_changed']}")
    if mode == "avg" and not np.issubdtype(actual.dtype, np.floating):
        raise AssertionError(f"{text} returned dtype {actual.dtype}: {MISTAKES['average_truncated']}")


def _count_pooled(n: int, size: int, stride: int, padding: str) -> int:
    """Count window positions one by one, as Keras places them."""
    if padding == "same":
        return len(range(0, n, stride))
    return len(range(0, n - size + 1, stride))


def _size_suspects(n, size, stride, padding):
    step = size if stride is None else stride
    suspects = [(_count_pooled(n, size, size, padding), "stride_as_size")] if step != size else []
    suspects += [(_count_pooled(n, size, step, "same"), "odd_edge")] if padding == "valid" else []
    if padding == "same" and n >= size:
        suspects.append((_count_pooled(n, size, step, "valid"), "valid_for_same"))
    if stride is None and min(n, size) > 1:
        suspects.append((_count_pooled(n, size, 1, padding), "overlapping"))
    if padding == "valid":
        suspects += [((n - size) // step, "size_short"), ((n - size) // step + 2, "size_long")]
    return suspects


def _assert_pooled_size(pooled_size, n, size, stride, padding):
    text = f"pooled_size({n}, size={size}, stride={stride}, padding={padding!r})"
    result = call(pooled_size, text, n, size, stride, padding)
    if isinstance(result, (float, np.floating)) or isinstance(result, bool):
        raise AssertionError(f"{text} returned {result!r}: {MISTAKES['float_size']}")
    expected = _count_pooled(n, size, size if stride is None else stride, padding)
    assert_matches(result, expected, text, _size_suspects(n, size, stride, padding))


def check_pooled_size(pooled_size: Callable) -> None:
    """Worked sizes: 4 -> 2 and 26 -> 13 with 2x2 pooling, 7 -> 3 ('valid' drops the odd edge), 7 -> 4 ('same')."""
    require_function(pooled_size, "check_pooled_size", "pooled_size")
    cases = [(4, 2, None, "valid"), (26, 2, None, "valid"), (11, 2, None, "valid"), (7, 2, None, "valid"),
             (7, 2, None, "same"), (7, 3, 2, "valid"), (5, 3, 1, "valid"), (512, 2, None, "valid")]
    pooled_size = prefetched(pooled_size, cases)
    for case in cases:
        _assert_pooled_size(pooled_size, *case)


def check_pooled_size_all(pooled_size: Callable) -> None:
    """Every n up to 30, sizes 1-4, strides None and 1-3, both paddings, against a count of window positions."""
    require_function(pooled_size, "check_pooled_size_all", "pooled_size")
    cases = [(n, size, stride, padding) for padding in ("valid", "same") for size in range(1, 5)
             for stride in (None, 1, 2, 3) for n in range(size if padding == "valid" else 1, 31)]
    pooled_size = prefetched(pooled_size, cases)
    for case in cases:
        _assert_pooled_size(pooled_size, *case)


def _worked_examples(fn, mode: str) -> None:
    name = f"{mode}_pool2d"
    _assert_pool(fn, mode, FOUR_BY_FOUR, 2, None, "valid", f"{name}(four_by_four) on the lesson's 4x4 example")
    odd = np.arange(35, dtype=np.uint8).reshape(5, 7) * 7 % 251
    _assert_pool(fn, mode, odd, 2, None, "valid", f"{name}(x) on a 5x7 uint8 image (odd sizes)")
    colour = np.stack([FOUR_BY_FOUR, 255 - FOUR_BY_FOUR, FOUR_BY_FOUR.T], axis=-1)[:, :3]
    _assert_pool(fn, mode, colour.astype(np.float64), 2, None, "valid", f"{name}(x) on a 4x3 image with 3 channels")
    _assert_pool(fn, mode, odd.astype(np.float64), 3, 2, "valid", f"{name}(x, size=3, stride=2) on a 5x7 image")
    _assert_pool(fn, mode, odd.astype(np.float64) - 100, 2, None, "same",
                 f"{name}(x, padding='same') on a 5x7 image with negative values")


def check_max_pool2d(max_pool2d: Callable) -> None:
    """The 4x4 example pools to [[200, 99], [91, 180]]; odd edges are dropped; channels kept; uint8 kept."""
    require_function(max_pool2d, "check_max_pool2d", "max_pool2d")
    _worked_examples(max_pool2d, "max")


def check_avg_pool2d(avg_pool2d: Callable) -> None:
    """The 4x4 example averages to [[86.5, 48], [39.25, 138.75]]; odd edges are dropped; floats returned."""
    require_function(avg_pool2d, "check_avg_pool2d", "avg_pool2d")
    _worked_examples(avg_pool2d, "avg")


def _random_cases(fn, mode: str, seed: int) -> None:
    rng = np.random.default_rng(seed)
    for shape, size, stride, padding, dtype in (
        ((9, 12), 2, None, "valid", np.float64), ((7, 7, 3), 3, None, "valid", np.uint8),
        ((10, 9, 2), 2, 1, "valid", np.uint8), ((11, 8), 3, 2, "same", np.float64),
        ((6, 13, 4), 2, 3, "same", np.float64), ((8, 8), 3, 3, "valid", np.uint8),
        ((5, 9, 1), 2, None, "same", np.uint8),
    ):
        x = random_image(rng, shape[:2], dtype) if len(shape) == 2 else np.stack(
            [random_image(rng, shape[:2], dtype) for _ in range(shape[2])], axis=-1)
        text = (f"{mode}_pool2d on a seeded random {'x'.join(map(str, shape))} {np.dtype(dtype).name} image, "
                f"size {size}, stride {stride}, padding {padding!r}")
        _assert_pool(fn, mode, x, size, stride, padding, text)


def check_max_pool2d_random(max_pool2d: Callable, seed: int = 0) -> None:
    """Seeded random images (odd and even, 2-D and channels, float and uint8) against tf.nn.max_pool2d."""
    require_function(max_pool2d, "check_max_pool2d_random", "max_pool2d")
    _random_cases(max_pool2d, "max", seed)


def check_avg_pool2d_random(avg_pool2d: Callable, seed: int = 0) -> None:
    """Seeded random images against tf.nn.avg_pool2d."""
    require_function(avg_pool2d, "check_avg_pool2d_random", "avg_pool2d")
    _random_cases(avg_pool2d, "avg", seed)
