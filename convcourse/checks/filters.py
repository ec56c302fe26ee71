"""Checks for lessons 01 and 02: one pixel, a whole image."""

from __future__ import annotations

import numbers
import re
from typing import Callable

import numpy as np
from scipy import ndimage, signal

from .. import data
from .core import (MISTAKES, assert_matches, blame_helper, call, prefetched, raised_because, random_image,
                   random_kernel, require_function)

__all__ = ["check_weighted_sum", "check_weighted_sum_random", "check_filter_pixel",
           "check_filter_pixel_random", "check_conv_output_size", "check_conv_output_size_all",
           "check_pad2d", "check_pad2d_random", "scipy_correlate2d", "check_correlate2d_valid",
           "check_correlate2d_stride", "check_correlate2d_same", "check_correlate2d_uint8",
           "check_correlate2d_random", "check_to_display", "check_to_display_random"]

MISTAKES.update({
    "flipped": (
        "the kernel is flipped 180 degrees, which is a 'true' convolution. Keras's Conv2D and this course "
        "lay the kernel on the patch as it is (cross-correlation): multiply patch[i, j] by kernel[i, j]."
    ),
    "transposed": (
        "the kernel is transposed (its rows used as columns): pair patch[i, j] with kernel[i, j], "
        "not with kernel[j, i]."
    ),
    "clipped": (
        "the result was clipped to 0-255. Keep the raw sums, which can be negative or above 255 (like 577); "
        "clipping is for display only, and to_display does it later."
    ),
    "uint8": (
        "the arithmetic overflowed uint8 and wrapped around modulo 256. Pixels are uint8 (0-255) and NumPy 2 "
        "keeps that type: uint8 times uint8, or a value stored into np.zeros_like(image), stays uint8. "
        "Convert first (image.astype(float)) or create the output with dtype=float."
    ),
    "corner": (
        "the window starts at (row, col) instead of being centred on it: for a 3x3 kernel, the window is "
        "image[row-1:row+2, col-1:col+2]."
    ),
    "window_fixed_3x3": (
        "the window is always 3x3: take half = kernel.shape[0] // 2 and the window "
        "image[row - half:row + half + 1, col - half:col + half + 1], so a 5x5 kernel gets a 5x5 window."
    ),
    "same_symmetric": (
        "'same' padding was not Keras's: Keras pads only what the strided windows reach, total = "
        "(out - 1) * stride + k - n zeros along each axis, total // 2 before the image and the rest after "
        "(bottom/right); with a stride above 1 that is often fewer than (k - 1) // 2 zeros before."
    ),
    "row_col_swapped": (
        "rows and columns are swapped: image[row, col] is row `row` (counted downwards) and column `col` "
        "(counted to the right); check the order of your indices."
    ),
    "stride_ignored": (
        "the stride is ignored: with stride s the window jumps s pixels at a time, so only every s-th "
        "position (0, s, 2s, ...) produces an output pixel."
    ),
    "stride_offset": (
        "the strided positions start at the wrong place: the first window sits at the top-left corner "
        "(position 0), then s, 2s, ..."
    ),
    "same_for_valid": (
        "this is the 'same' result where 'valid' was asked for: 'valid' uses only windows that fit inside "
        "the image, so the output shrinks by k - 1."
    ),
    "valid_for_same": (
        "this is the 'valid' result where 'same' was asked for: 'same' first pads the image with zeros (as "
        "many as the windows need), so the output has ceil(n / stride) pixels per side: the input's size "
        "with stride 1."
    ),
    "same_not_padded": (
        "'same' needs the zeros first: pad the image ((k - 1) // 2 on every side, your pad2d) before sliding "
        "the window; without them the windows near the bottom and right edges run past the image, and "
        "NumPy's slices come out smaller than the kernel."
    ),
    "matrix_product": (
        "np.dot (or @) is a matrix product, rows times columns, not the element-by-element product: use "
        "patch * kernel, then add the products up with .sum()."
    ),
    "edge_padding": (
        "the border was padded with copies of the edge pixels; 'same' padding adds zeros around the image."
    ),
    "float_size": (
        "the size is a float, not a whole number (int): divide with // (floor division), since a window "
        "that only partly fits produces no output."
    ),
    "pad_one_side": (
        "only the top and left were padded: pad `width` pixels on all four sides, so each dimension "
        "grows by 2 * width."
    ),
    "pad_doubled": (
        "the padding is twice too wide: `width` pixels on each side makes each dimension grow by "
        "2 * width, not 4 * width."
    ),
    "pad_value": (
        "the border does not hold `value`: every padded pixel should equal the value argument (0 by default)."
    ),
    "dtype_changed": (
        "the dtype changed: padding should keep the image's dtype (a uint8 image stays uint8); "
        "create the new array with dtype=image.dtype or use np.pad."
    ),
    "display_wrapped": (
        "values outside 0-255 wrapped around instead of being clipped: astype(np.uint8) turns -20 into 236 "
        "and 300 into 44. Clip to 0-255 first (np.clip), then convert."
    ),
    "display_dtype": (
        "the result is not uint8: images for display hold whole numbers 0-255 in dtype uint8; "
        "finish with .astype(np.uint8)."
    ),
    "rescale_no_min": (
        "rescaling ignored the minimum: subtract the smallest value first, then divide by (max - min), "
        "so the darkest pixel becomes 0 and the brightest 255."
    ),
    "rescale_clipped": (
        "'rescale' clipped instead of stretching: it should map the smallest value to 0 and the largest to "
        "255, keeping the order of everything in between."
    ),
})

# ---------------------------------------------------------------------------
# Lesson 01: one pixel


def _weighted_sum_suspects(patch, kernel):
    right = signal.correlate2d(patch.astype(float), kernel.astype(float), "valid").item()
    wrapped = (patch * kernel).sum() if patch.dtype == kernel.dtype == np.uint8 else right % 256
    return [
        (signal.convolve2d(patch.astype(float), kernel.astype(float), "valid").item(), "flipped"),
        ((patch.astype(float) * kernel.T).sum(), "transposed"),
        (np.clip(right, 0, 255), "clipped"),
        (wrapped, "uint8"),
        (right % 256, "uint8"),
        ((patch.astype(float) @ kernel.astype(float)).sum(), "matrix_product"),
    ]


def check_weighted_sum(weighted_sum: Callable) -> None:
    """The 192 pixel and the seed's filter give 577; integer pixels never overflow."""
    require_function(weighted_sum, "check_weighted_sum", "weighted_sum")
    patch, kernel = data.patch_192(), data.seed_filter()
    result = call(weighted_sum, "weighted_sum(patch, kernel)", patch, kernel)
    if np.ndim(result) == 2:
        raise AssertionError(
            "weighted_sum(patch, kernel) returned a 2-D array (the products?); add the products up into one number."
        )
    assert_matches(result, 577, "weighted_sum(patch, kernel) on the 192 pixel", _weighted_sum_suspects(patch, kernel))
    blur = np.array([[1, 2, 1], [2, 4, 2], [1, 2, 1]], dtype=np.uint8)
    assert_matches(
        call(weighted_sum, "weighted_sum(patch, blur)", patch, blur),
        (patch.astype(int) * blur).sum(),
        "weighted_sum(patch, blur) with a uint8 patch and a uint8 kernel",
        _weighted_sum_suspects(patch, blur),
    )


def check_weighted_sum_random(weighted_sum: Callable, seed: int = 0) -> None:
    """Seeded random patches (1x1, 3x3, 5x5; float and uint8) against SciPy."""
    require_function(weighted_sum, "check_weighted_sum_random", "weighted_sum")
    rng = np.random.default_rng(seed)
    for k in (1, 3, 5):
        for dtype in (np.float64, np.uint8):
            patch = random_image(rng, (k, k), dtype)
            kernel = random_kernel(rng, k) if dtype == np.float64 else rng.integers(0, 6, (k, k), dtype=np.uint8)
            expected = signal.correlate2d(patch.astype(float), kernel.astype(float), "valid").item()
            text = f"weighted_sum on a seeded random {k}x{k} {np.dtype(dtype).name} patch"
            assert_matches(call(weighted_sum, text, patch, kernel), expected, text,
                            _weighted_sum_suspects(patch, kernel), atol=1e-6 * max(1.0, abs(expected)))


def _window_sum(image, kernel, row, col):
    """Cross-correlation at one pixel through SciPy, or None where the window leaves the image."""
    half = kernel.shape[0] // 2
    if not (half <= row < image.shape[0] - half and half <= col < image.shape[1] - half):
        return None
    window = image[row - half:row + half + 1, col - half:col + half + 1].astype(float)
    return signal.correlate2d(window, kernel.astype(float), "valid").item()


def _filter_pixel_suspects(image, kernel, row, col):
    k = kernel.shape[0]
    right = _window_sum(image, kernel, row, col)
    suspects = [
        (_window_sum(image, kernel[::-1, ::-1], row, col), "flipped"),
        (_window_sum(image, kernel.T, row, col), "transposed"),
        (np.clip(right, 0, 255), "clipped"),
        (right % 256, "uint8"),
        (_window_sum(image, kernel, col, row), "row_col_swapped"),
    ]
    if row + k <= image.shape[0] and col + k <= image.shape[1]:
        corner = image[row:row + k, col:col + k].astype(float)
        suspects.append(((corner * kernel).sum(), "corner"))
    return [(value, mistake) for value, mistake in suspects if value is not None]


def _assert_filter_pixel(filter_pixel, image, kernel, r, c, text):
    """filter_pixel at (r, c) against SciPy; a wrong weighted_sum it calls is named first (fix that one first)."""
    try:
        try:
            result = call(filter_pixel, text, image, kernel, r, c)
        except ValueError as error:  # a 3x3 window against a 5x5 kernel: NumPy's or weighted_sum's shape error
            if kernel.shape[0] != 3 and re.search(r"\(3, ?3\)", str(error)):
                raise raised_because(text, error, "window_fixed_3x3") from error
            raise
        assert_matches(result, _window_sum(image, kernel, r, c), text, _filter_pixel_suspects(image, kernel, r, c))
    except Exception as error:
        blamed = blame_helper(filter_pixel, error, text, {"weighted_sum": check_weighted_sum})
        if blamed is None:
            raise
        raise blamed from error


def check_filter_pixel(filter_pixel: Callable) -> None:
    """The 192 pixel of the small image gives 577; another pixel gives its own sum."""
    require_function(filter_pixel, "check_filter_pixel", "filter_pixel")
    image, kernel = data.small_image(), data.seed_filter()
    row, col = data.pixel_192_position()
    for r, c in ((row, col), (3, 5), (4, 2)):
        _assert_filter_pixel(filter_pixel, image, kernel, r, c, f"filter_pixel(image, kernel, {r}, {c})")


def check_filter_pixel_random(filter_pixel: Callable, seed: int = 0) -> None:
    """Seeded random non-square images, 3x3 and 5x5 kernels, every kind of position, against SciPy."""
    require_function(filter_pixel, "check_filter_pixel_random", "filter_pixel")
    rng = np.random.default_rng(seed)
    for shape, k, dtype in (((7, 11), 3, np.uint8), ((9, 6), 5, np.float64), ((5, 5), 5, np.uint8), ((8, 13), 3, np.float64)):
        image, kernel = random_image(rng, shape, dtype), random_kernel(rng, k)
        half = k // 2
        corners = [(half, half), (shape[0] - half - 1, shape[1] - half - 1)]
        middle = [(int(rng.integers(half, shape[0] - half)), int(rng.integers(half, shape[1] - half))) for _ in range(3)]
        for r, c in corners + middle:
            _assert_filter_pixel(filter_pixel, image, kernel, r, c,
                                 f"filter_pixel on a seeded random {shape[0]}x{shape[1]} {np.dtype(dtype).name} "
                                 f"image with a {k}x{k} kernel at ({r}, {c})")


# ---------------------------------------------------------------------------
# Lesson 02: a whole image


def _count_positions(n: int, k: int, padding: str, stride: int) -> int:
    """Count window positions one by one: an answer that shares no formula with the learner's."""
    padded = n + (k - 1 if padding == "same" else 0)
    return len(range(0, padded - k + 1, stride))


def _size_suspects(n, k, padding, stride):
    other = "valid" if padding == "same" else "same"
    suspects = [
        (_count_positions(n, k, padding, 1), "stride_ignored"),
        ((n - k) // stride + 2 if padding == "valid" else n // stride + 1, "size_long"),
        ((n - k) // stride if padding == "valid" else n // stride - 1, "size_short"),
        ((n - k) / stride + 1 if padding == "valid" else n / stride, "float_size"),
    ]
    if other == "same" or k <= n:
        suspects.append((_count_positions(n, k, other, stride), f"{other}_for_{padding}"))
    return suspects


def _assert_size(conv_output_size, n, k, padding, stride, text):
    result = call(conv_output_size, text, n, k, padding, stride)
    expected = _count_positions(n, k, padding, stride)
    if isinstance(result, (float, np.floating)):
        if float(result) == expected:
            raise AssertionError(f"{text} returned {result!r}: {MISTAKES['float_size']}")
    elif not isinstance(result, (numbers.Integral, np.integer)) or isinstance(result, bool):
        raise AssertionError(f"{text} returned {result!r}; it should return a whole number (an int).")
    assert_matches(result, expected, text, _size_suspects(n, k, padding, stride))


def check_conv_output_size(conv_output_size: Callable) -> None:
    """Worked sizes: 28 -> 26 with a 3x3 kernel, 'same' keeps 512, stride 2 halves."""
    require_function(conv_output_size, "check_conv_output_size", "conv_output_size")
    cases = [(28, 3, "valid", 1), (13, 3, "valid", 1), (512, 3, "same", 1), (7, 3, "valid", 2), (28, 5, "same", 2),
             (9, 3, "valid", 3), (5, 5, "valid", 1)]
    conv_output_size = prefetched(conv_output_size, cases)
    for n, k, padding, stride in cases:
        _assert_size(conv_output_size, n, k, padding, stride,
                     f"conv_output_size({n}, {k}, padding={padding!r}, stride={stride})")


def check_conv_output_size_all(conv_output_size: Callable) -> None:
    """Every n up to 30, odd and even k up to 7, strides 1-4, both paddings, against a count of positions."""
    require_function(conv_output_size, "check_conv_output_size_all", "conv_output_size")
    cases = [(n, k, padding, stride) for padding in ("valid", "same") for stride in range(1, 5) for k in range(1, 8)
             if padding == "valid" or k % 2 == 1 for n in range(k if padding == "valid" else 1, 31)]
    conv_output_size = prefetched(conv_output_size, cases)
    for case in cases:
        _assert_size(conv_output_size, *case, "conv_output_size on a hidden case")


def _pad_suspects(image, width, value):
    one_sided = np.pad(image, ((width, 0), (width, 0)), constant_values=value)
    return [
        (one_sided, "pad_one_side"),
        (np.pad(image, 2 * width, constant_values=value), "pad_doubled"),
        (np.pad(image, width), "pad_value"),
        (np.pad(image.T, width, constant_values=value), "output_transposed"),
    ]


def _assert_pad(pad2d, image, width, value, text):
    result = call(pad2d, text, image, width, value)
    expected = np.pad(image, width, constant_values=value)
    assert_matches(result, expected, text, _pad_suspects(image, width, value))
    if result.dtype != image.dtype:
        raise AssertionError(f"{text} returned dtype {result.dtype} for a {image.dtype} image: {MISTAKES['dtype_changed']}")


def check_pad2d(pad2d: Callable) -> None:
    """A 2x3 uint8 image padded by 1 becomes 4x5 with a zero border, still uint8."""
    require_function(pad2d, "check_pad2d", "pad2d")
    image = np.array([[1, 2, 3], [4, 5, 6]], dtype=np.uint8)
    _assert_pad(pad2d, image, 1, 0, "pad2d(image, 1) on a 2x3 uint8 image")
    _assert_pad(pad2d, image.astype(float) / 2, 2, 9, "pad2d(image, 2, value=9) on a 2x3 float image")
    _assert_pad(pad2d, image, 0, 0, "pad2d(image, 0)")


def check_pad2d_random(pad2d: Callable, seed: int = 0) -> None:
    """Seeded random shapes, widths 0-3, values and dtypes, against np.pad."""
    require_function(pad2d, "check_pad2d_random", "pad2d")
    rng = np.random.default_rng(seed)
    for shape, width, dtype in (((1, 1), 2, np.uint8), ((3, 7), 1, np.float64), ((6, 4), 3, np.uint8), ((5, 5), 0, np.float64)):
        value = int(rng.integers(0, 256))
        _assert_pad(pad2d, random_image(rng, shape, dtype), width, value,
                    f"pad2d on a seeded random {shape[0]}x{shape[1]} {np.dtype(dtype).name} image, width {width}")


def keras_same_padding(n: int, k: int, stride: int) -> tuple[int, int]:
    """Zeros Keras puts before and after n pixels for 'same': only what the strided windows reach, the odd
    one after (tf.nn.conv2d's rule). With stride 1 that is (k - 1) // 2 on each side of an odd kernel."""
    out = -(-n // stride)
    total = max((out - 1) * stride + k - n, 0)
    return total // 2, total - total // 2


def scipy_correlate2d(image, kernel, stride: int = 1, padding: str = "valid", keras_same: bool = True) -> np.ndarray:
    """The course's correlate2d, computed by SciPy: cross-correlate, then keep every stride-th position.

    'same' follows Keras (``keras_same_padding``); ``keras_same=False`` gives the symmetric (k - 1) // 2
    padding instead, which differs from Keras when the stride is above 1 (a mistake the checks name).
    """
    image, kernel = np.asarray(image, dtype=float), np.asarray(kernel, dtype=float)
    if padding == "valid":
        return signal.correlate2d(image, kernel, mode="valid")[::stride, ::stride]
    pads = [keras_same_padding(n, k, stride) if keras_same else ((k - 1) // 2,) * 2
            for n, k in zip(image.shape, kernel.shape)]
    padded = np.pad(image, pads)
    rows, cols = (-(-n // stride) for n in image.shape)
    return signal.correlate2d(padded, kernel, mode="valid")[::stride, ::stride][:rows, :cols]


def _correlate_suspects(image, kernel, stride, padding):
    right = scipy_correlate2d(image, kernel, stride, padding)
    other = "same" if padding == "valid" else "valid"
    suspects = [
        (scipy_correlate2d(image, kernel[::-1, ::-1], stride, padding), "flipped"),
        (scipy_correlate2d(image, kernel.T, stride, padding), "transposed"),
        (np.clip(right, 0, 255), "clipped"),
        (np.mod(right, 256), "uint8"),
        (right.astype(np.int64).astype(np.uint8), "uint8"),
        (scipy_correlate2d(image, kernel, 1, padding), "stride_ignored"),
        (scipy_correlate2d(image, kernel, 1, padding)[:right.shape[0], :right.shape[1]], "stride_ignored"),
    ]
    if stride > 1:
        suspects.append((signal.correlate2d(image.astype(float), kernel.astype(float), padding)[1::stride, 1::stride],
                         "stride_offset"))
    if min(image.shape) >= kernel.shape[0]:
        suspects.append((scipy_correlate2d(image, kernel, stride, other), f"{other}_for_{padding}"))
    if padding == "same" and stride > 1:
        suspects.append((scipy_correlate2d(image, kernel, stride, padding, keras_same=False), "same_symmetric"))
    if padding == "same":
        edge = ndimage.correlate(image.astype(float), kernel.astype(float), mode="nearest")[::stride, ::stride]
        suspects.append((edge, "edge_padding"))
    return suspects


def _assert_correlate(correlate2d, image, kernel, stride, padding, text):
    try:
        try:
            result = call(correlate2d, text, image, kernel, stride, padding)
        except (ValueError, IndexError) as error:  # windows past the edge: slices smaller than the kernel
            if padding == "same" and re.search(r"broadcast|out of bounds", str(error)):
                raise raised_because(text, error, "same_not_padded") from error
            raise
        if isinstance(result, np.ndarray) and result.dtype == np.uint8:
            raise AssertionError(f"{text} returned a uint8 array: {MISTAKES['uint8']}")
        expected = scipy_correlate2d(image, kernel, stride, padding)
        assert_matches(result, expected, text, _correlate_suspects(image, kernel, stride, padding),
                        atol=1e-6 * max(1.0, float(np.abs(expected).max())))
    except Exception as error:
        blamed = blame_helper(correlate2d, error, text, {"conv_output_size": check_conv_output_size, "pad2d": check_pad2d})
        if blamed is None:
            raise
        raise blamed from error


def check_correlate2d_valid(correlate2d: Callable) -> None:
    """The small image and the seed's filter: a 4x6 result holding 577 where the 192 pixel was."""
    require_function(correlate2d, "check_correlate2d_valid", "correlate2d")
    image, kernel = data.small_image().astype(float), data.seed_filter()
    _assert_correlate(correlate2d, image, kernel, 1, "valid", "correlate2d(image, seed_filter)")
    _assert_correlate(correlate2d, image, np.array([[2.0]]), 1, "valid", "correlate2d(image, [[2.0]]) (a 1x1 kernel)")


def check_correlate2d_stride(correlate2d: Callable) -> None:
    """Stride 2 keeps every other window position: 6x8 -> 2x3 with a 3x3 kernel."""
    require_function(correlate2d, "check_correlate2d_stride", "correlate2d")
    image, kernel = data.small_image().astype(float), data.seed_filter()
    _assert_correlate(correlate2d, image, kernel, 2, "valid", "correlate2d(image, seed_filter, stride=2)")
    _assert_correlate(correlate2d, image, kernel, 3, "valid", "correlate2d(image, seed_filter, stride=3)")


def check_correlate2d_same(correlate2d: Callable) -> None:
    """'same' padding keeps 6x8 and pads with zeros; with stride 2 it gives 3x4."""
    require_function(correlate2d, "check_correlate2d_same", "correlate2d")
    image, kernel = data.small_image().astype(float), data.seed_filter()
    _assert_correlate(correlate2d, image, kernel, 1, "same", "correlate2d(image, seed_filter, padding='same')")
    _assert_correlate(correlate2d, image, kernel, 2, "same",
                      "correlate2d(image, seed_filter, stride=2, padding='same')")


def check_correlate2d_uint8(correlate2d: Callable) -> None:
    """A uint8 image gives exact, unclipped sums (577, negative values) in a float result."""
    require_function(correlate2d, "check_correlate2d_uint8", "correlate2d")
    image, kernel = data.small_image(), data.seed_filter()
    _assert_correlate(correlate2d, image, kernel, 1, "valid", "correlate2d(uint8_image, seed_filter)")
    outline = np.array([[-1, -1, -1], [-1, 8, -1], [-1, -1, -1]])
    _assert_correlate(correlate2d, image, outline, 1, "same", "correlate2d(uint8_image, outline, padding='same')")


def check_correlate2d_random(correlate2d: Callable, padding: str = "valid", seed: int = 0) -> None:
    """Seeded random non-square images, 1x1/3x3/5x5 kernels, strides 1-2, float and uint8, against SciPy."""
    require_function(correlate2d, "check_correlate2d_random", "correlate2d")
    rng = np.random.default_rng(seed)
    for shape, k, stride, dtype in (((9, 13), 3, 1, np.float64), ((12, 7), 5, 2, np.uint8), ((6, 6), 1, 1, np.uint8),
                                    ((11, 8), 3, 2, np.float64), ((7, 10), 5, 1, np.uint8), ((5, 9), 5, 2, np.float64)):
        image, kernel = random_image(rng, shape, dtype), random_kernel(rng, k)
        text = (f"correlate2d on a seeded random {shape[0]}x{shape[1]} {np.dtype(dtype).name} image with a "
                f"{k}x{k} kernel, stride {stride}, padding {padding!r}")
        _assert_correlate(correlate2d, image, kernel, stride, padding, text)


def _display_suspects(values, mode):
    clipped = np.clip(np.rint(values), 0, 255)
    if mode == "clip":
        return [(np.asarray(values).astype(np.int64).astype(np.uint8), "display_wrapped"),
                (np.rint(values).astype(np.int64).astype(np.uint8), "display_wrapped")]
    with np.errstate(all="ignore"):  # suspects are only compared, never shown
        no_min = values / values.max() * 255
        # ... and as a learner returns it: clipped, or converted to uint8 so that negatives wrap around.
        no_min_shown = (np.clip(no_min, 0, 255), no_min.astype(np.int64).astype(np.uint8),
                        np.rint(no_min).astype(np.int64).astype(np.uint8))
    return [(wrong, "rescale_no_min") for wrong in (no_min, *no_min_shown)] + [(clipped, "rescale_clipped")]


def _expected_display(values, mode):
    if mode == "clip":
        return np.clip(values, 0, 255)
    low, high = values.min(), values.max()
    if high == low:
        return np.zeros_like(values)
    return (values - low) / (high - low) * 255


def _assert_display(to_display, values, mode, text):
    result = call(to_display, text, values, mode)
    # Rounding or truncating to whole numbers are both fine: allow one grey level.
    assert_matches(result, _expected_display(values, mode), text, _display_suspects(values, mode), atol=1.0)
    if result.dtype != np.uint8:
        raise AssertionError(f"{text} returned dtype {result.dtype}: {MISTAKES['display_dtype']}")


def check_to_display(to_display: Callable) -> None:
    """Clipping keeps 0-255 and cuts the rest; rescaling maps min..max onto 0..255; both give uint8."""
    require_function(to_display, "check_to_display", "to_display")
    values = np.array([[-20.0, 0.0, 100.0], [255.0, 300.0, 577.0]])
    _assert_display(to_display, values, "clip", "to_display(values, 'clip')")
    _assert_display(to_display, np.array([[-20.0, 80.0], [180.0, 180.0]]), "rescale", "to_display(values, 'rescale')")
    flat = np.full((2, 3), 7.0)
    with np.errstate(all="raise"):
        try:
            result = call(to_display, "to_display(flat, 'rescale')", flat, "rescale")
        except FloatingPointError as error:
            raise AssertionError(
                f"to_display(flat, 'rescale') on an image where every pixel is 7 divided by zero ({error}): "
                f"when max == min there is nothing to stretch; return all zeros."
            ) from None
    assert_matches(result, np.zeros((2, 3)), "to_display(flat, 'rescale') on an image where every pixel is 7")


def check_to_display_random(to_display: Callable, seed: int = 0) -> None:
    """Seeded random filter outputs in both modes, against NumPy."""
    require_function(to_display, "check_to_display_random", "to_display")
    rng = np.random.default_rng(seed)
    for shape in ((4, 9), (16, 5), (1, 1)):
        values = rng.normal(100, 300, size=shape)
        for mode in ("clip", "rescale"):
            _assert_display(to_display, values, mode,
                            f"to_display on a seeded random {shape[0]}x{shape[1]} array, mode {mode!r}")
