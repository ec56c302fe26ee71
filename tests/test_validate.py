"""Bad arguments to the reference functions and to the learner checks raise ValueError in plain words."""

from __future__ import annotations

import numpy as np
import pytest

from convcourse import checks, data, notebooks

IMAGE = np.arange(30, dtype=np.uint8).reshape(5, 6)
KERNEL = np.ones((3, 3))


@pytest.fixture(scope="module")
def reference():
    """The solution notebooks' functions, lesson 01 and 02 together."""
    functions = {}
    for lesson in ("01_one_pixel", "02_whole_image", "03_pooling", "04_filters_to_layers", "05_cnn_in_keras"):
        functions.update(notebooks.definitions(notebooks.read(lesson)))
    return functions


BAD_CALLS = [
    # (function, args, kwargs, words the message must contain)
    ("weighted_sum", ([1, 2, 3], KERNEL), {}, "must be 2-D"),
    ("weighted_sum", (np.ones((3, 3)), np.ones((5, 5))), {}, "same shape"),
    ("weighted_sum", (np.ones((3, 3)), "kernel"), {}, "must hold numbers"),
    ("weighted_sum", ([[1, 2], [3]], KERNEL), {}, "rectangular grid"),
    ("filter_pixel", (IMAGE, KERNEL, 0, 2), {}, "row 0 is too close to the edge"),
    ("filter_pixel", (IMAGE, KERNEL, 2, 5), {}, "col 5 is too close to the edge"),
    ("filter_pixel", (IMAGE, np.ones((2, 2)), 2, 2), {}, "odd size"),
    ("filter_pixel", (IMAGE, KERNEL, 1.5, 2), {}, "whole number"),
    ("filter_pixel", (IMAGE[None], KERNEL, 2, 2), {}, "drop the channel axis"),
    ("conv_output_size", (28, 3), {"padding": "full"}, "'valid' or 'same'"),
    ("conv_output_size", (28, 3), {"stride": 0}, "stride must be at least 1"),
    ("conv_output_size", (28, 4), {"padding": "same"}, "odd size"),
    ("conv_output_size", (3, 5), {}, "does not fit"),
    ("conv_output_size", (-4, 3), {}, "at least 1"),
    ("conv_output_size", (28.0, 3), {}, "whole number"),
    ("pad2d", (IMAGE, -1), {}, "cannot be negative"),
    ("pad2d", (IMAGE, 1), {"value": "zero"}, "single number"),
    ("pad2d", (np.zeros((2, 2, 3)), 1), {}, "must be 2-D"),
    ("correlate2d", (IMAGE, np.ones((7, 7))), {}, "does not fit"),
    ("correlate2d", (IMAGE, np.ones((2, 2))), {"padding": "same"}, "odd size"),
    ("correlate2d", (IMAGE, np.ones((3, 2))), {}, "must be square"),
    ("correlate2d", (IMAGE, KERNEL), {"stride": -2}, "at least 1"),
    ("correlate2d", (IMAGE, KERNEL), {"stride": True}, "whole number"),
    ("correlate2d", (IMAGE, KERNEL), {"padding": "SAME"}, "'valid' or 'same'"),
    ("correlate2d", (np.full((3, 3), np.nan), KERNEL), {}, "NaN"),
    ("correlate2d", (np.zeros((0, 4)), KERNEL), {}, "empty"),
    ("to_display", (IMAGE,), {"mode": "stretch"}, "'clip' or 'rescale'"),
    ("to_display", (np.ones(4),), {}, "must be 2-D"),
    ("pooled_size", (7, 0), {}, "size must be at least 1"),
    ("pooled_size", (3, 4), {}, "does not fit"),
    ("pooled_size", (8, 2), {"stride": 2.0}, "whole number"),
    ("pooled_size", (8, 2), {"padding": "full"}, "'valid' or 'same'"),
    ("max_pool2d", (np.zeros((2, 28, 28, 1)),), {}, "pool one image at a time"),
    ("max_pool2d", (np.zeros(5),), {}, "(H, W) or (H, W, C)"),
    ("max_pool2d", (np.zeros((3, 3)),), {"size": 4}, "does not fit"),
    ("max_pool2d", (np.zeros((4, 4)),), {"stride": 0}, "stride must be at least 1"),
    ("avg_pool2d", (np.array([["a", "b"]]),), {}, "must hold numbers"),
    ("avg_pool2d", (np.zeros((4, 4)),), {"padding": "SAME"}, "'valid' or 'same'"),
    ("conv2d", (np.zeros((28, 28)), np.zeros((3, 3, 1, 4)), np.zeros(4)), {}, "x must have 3 dimensions"),
    ("conv2d", (np.zeros((1, 28, 28)), np.zeros((3, 3, 1, 4)), np.zeros(4)), {}, "looks channels-first"),
    ("conv2d", (np.zeros((8, 8, 2)), np.zeros((3, 3, 2, 4)), np.zeros(3)), {}, "one number per filter"),
    ("conv2d", (np.zeros((8, 8, 2)), np.zeros((3, 2, 2, 4)), np.zeros(4)), {}, "must be square"),
    ("conv2d", (np.zeros((2, 2, 1)), np.zeros((3, 3, 1, 1)), np.zeros(1)), {}, "does not fit"),
    ("conv2d", (np.zeros((8, 8, 1)), np.zeros((3, 3, 1, 1)), np.zeros(1)), {"stride": 0}, "at least 1"),
    ("count_conv_params", (3, 0, 64), {}, "c_in must be at least 1"),
    ("count_conv_params", (3.0, 1, 64), {}, "k must be a whole number"),
    ("count_dense_params", (-5, 10), {}, "n_in must be at least 1"),
    ("layer_shapes", ((28, 28), [("flatten",)]), {}, "(height, width, channels)"),
    ("layer_shapes", ((28, 28, 1), [("conv", 64)]), {}, "layer 1 ('conv', 64) has the wrong number of values"),
    ("layer_shapes", ((28, 28, 1), [("conv", 64, -3)]), {}, "layer 1"),
    ("layer_shapes", ((28, 28, 1), [("dense", 10)]), {}, "add ('flatten',) before the first dense"),
    ("layer_shapes", ((28, 28, 1), [("flatten",), ("pool", 2)]), {}, "comes after the image was flattened"),
    ("layer_shapes", ((28, 28, 1), [("relu",)]), {}, "is not a layer"),
    ("layer_shapes", ((28, 28, 1), ("conv", 64, 3)), {}, "must be a list of layer tuples"),
    ("layer_shapes", ((5, 5, 1), [("conv", 8, 3), ("pool", 2), ("conv", 8, 3)]), {}, "layer 3"),
    ("layer_shapes", ((5, 5, 1), [("pool", 8)]), {}, "layer 1 ('pool', 8) cannot be built"),
    ("reshape_and_normalize", (np.zeros((3, 28, 28, 1), np.float32),), {}, "already have shape (n, 28, 28, 1)"),
    ("reshape_and_normalize", (np.full((3, 28, 28), 0.5),), {}, "already normalised"),
    ("reshape_and_normalize", (np.zeros((28, 28), np.uint8),), {}, "single image"),
    ("reshape_and_normalize", (np.zeros((3, 32, 32), np.uint8),), {}, "must have shape (n, 28, 28)"),
    ("reshape_and_normalize", (np.full((2, 28, 28), 300),), {}, "0-255"),
]


@pytest.mark.parametrize("name, args, kwargs, words", BAD_CALLS, ids=[f"{c[0]}-{c[3]}" for c in BAD_CALLS])
def test_reference_functions_refuse_bad_arguments_in_plain_words(reference, name, args, kwargs, words):
    with pytest.raises(ValueError) as raised:
        reference[name](*args, **kwargs)
    assert words in str(raised.value)
    assert str(raised.value).endswith("."), "a full sentence, not a bare value"


def test_pooling_accepts_even_sizes_with_same_padding(reference):
    assert reference["pooled_size"](7, 2, None, "same") == 4
    assert reference["max_pool2d"](np.zeros((7, 7)), 2, None, "same").shape == (4, 4)


def test_even_kernels_are_fine_with_valid_padding(reference):
    assert reference["correlate2d"](IMAGE, np.ones((2, 2))).shape == (4, 5)
    assert reference["conv_output_size"](28, 2) == 27


@pytest.mark.parametrize("check, function_name", [
    (checks.check_weighted_sum, "weighted_sum"), (checks.check_filter_pixel, "filter_pixel"),
    (checks.check_conv_output_size, "conv_output_size"), (checks.check_pad2d, "pad2d"),
    (checks.check_correlate2d_valid, "correlate2d"), (checks.check_to_display, "to_display"),
    (checks.check_correlate2d_random, "correlate2d"), (checks.check_conv_output_size_all, "conv_output_size"),
    (checks.check_pooled_size, "pooled_size"), (checks.check_max_pool2d, "max_pool2d"),
    (checks.check_avg_pool2d_random, "avg_pool2d"),
])
def test_checks_given_a_result_instead_of_the_function_say_so(check, function_name):
    with pytest.raises(ValueError, match=rf"needs your function itself, as in {check.__name__}\({function_name}\)"):
        check(577.0)


def test_checks_do_not_trust_objects_that_claim_to_equal_everything():
    class EqualsAnything:
        def __eq__(self, other):
            return True

        def __array__(self, dtype=None, copy=None):
            return np.array(577.0)

    with pytest.raises(AssertionError, match="should return a number"):
        checks.check_weighted_sum(lambda patch, kernel: EqualsAnything())


def test_checks_notice_a_function_that_changes_its_input():
    def clears_the_patch(patch, kernel):
        total = float(np.sum(patch.astype(float) * kernel))
        patch[...] = 0
        return total

    with pytest.raises(AssertionError, match="changed its input array in place"):
        checks.check_weighted_sum(clears_the_patch)


def test_checks_say_when_a_function_returns_nothing():
    with pytest.raises(AssertionError, match="forget `return`"):
        checks.check_filter_pixel(lambda image, kernel, row, col: None)


def test_flat_image_rescaled_without_guard_is_reported_as_division_by_zero():
    def rescale_without_guard(values, mode="clip"):
        values = np.asarray(values, dtype=float)
        if mode == "clip":
            return np.clip(values, 0, 255).astype(np.uint8)
        return ((values - values.min()) / (values.max() - values.min()) * 255).astype(np.uint8)

    with pytest.raises(AssertionError, match="divided by zero"):
        checks.check_to_display(rescale_without_guard)


def test_stepper_and_playground_refuse_bad_inputs():
    from convcourse import widgets

    with pytest.raises(ValueError, match="too close to the edge"):
        widgets.pixel_stepper(np.ones((2, 2)), KERNEL)
    with pytest.raises(ValueError, match="must be 3x3"):
        widgets.kernel_playground({"x": IMAGE}, {"big": np.ones((5, 5))})
    with pytest.raises(ValueError, match="at least one image"):
        widgets.kernel_playground({}, data.preset_filters())
