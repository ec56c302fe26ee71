"""Argument checks shared by the course's functions, with errors a learner can act on.

Every graded function starts with one of these calls (it stays in the release,
above the part the learner writes), so a wrong argument fails at once with a
sentence that says what was wrong instead of a NumPy traceback deep inside a loop.
Each function returns its argument in the form the caller should use.
"""

from __future__ import annotations

import numbers

import numpy as np

PADDINGS = ("valid", "same")
DISPLAY_MODES = ("clip", "rescale")


def _describe(value) -> str:
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape} and dtype {value.dtype}"
    return f"{type(value).__name__} {value!r}"


def grid(value, name: str = "image") -> np.ndarray:
    """A 2-D numeric array (an image or a kernel); lists of rows are accepted."""
    if callable(value):
        raise ValueError(f"{name} should be an array of numbers, but got the function {getattr(value, '__name__', value)!r}.")
    try:
        array = np.asarray(value)
    except ValueError as error:  # ragged lists
        raise ValueError(f"{name} must be a rectangular grid of numbers: every row the same length ({error}).") from None
    if array.dtype == object or not (np.issubdtype(array.dtype, np.number) or array.dtype == bool):
        raise ValueError(f"{name} must hold numbers, but got {_describe(value)}.")
    if array.ndim != 2:
        hint = ""
        if array.ndim == 3 and 1 in (array.shape[0], array.shape[-1]):
            hint = " For a one-channel image, drop the channel axis first, e.g. image[..., 0]."
        raise ValueError(
            f"{name} must be 2-D (rows x columns), but it has {array.ndim} dimension(s), shape {array.shape}.{hint}"
        )
    if array.size == 0:
        raise ValueError(f"{name} is empty (shape {array.shape}); it needs at least one row and one column.")
    if np.issubdtype(array.dtype, np.floating) and not np.all(np.isfinite(array)):
        raise ValueError(f"{name} contains NaN or infinite values; every pixel must be a finite number.")
    return array


def number(value, name: str) -> float:
    """A single real number (a fill value)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"{name} must be a single number such as 0 or 255, but got {_describe(value)}.")
    return value


def padding(value) -> str:
    """One of 'valid' (no padding) or 'same' (pad so the output keeps the input's size)."""
    if not isinstance(value, str) or value not in PADDINGS:
        raise ValueError(f"padding must be 'valid' or 'same', but got {value!r}.")
    return value


def whole_number(value, name: str, minimum: int) -> int:
    """A whole number (not a float, not True/False) of at least ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        examples = ", ".join(str(minimum + i) for i in range(3))
        raise ValueError(f"{name} must be a whole number such as {examples}, but got {_describe(value)}.")
    if value < minimum:
        limit = "cannot be negative" if minimum == 0 else f"must be at least {minimum}"
        raise ValueError(f"{name} {limit}, but got {value}.")
    return int(value)


def positive_int(value, name: str) -> int:
    """A whole number of at least 1 (a stride, a size)."""
    return whole_number(value, name, 1)


def non_negative_int(value, name: str) -> int:
    """A whole number of at least 0 (a padding width)."""
    return whole_number(value, name, 0)


def kernel_size(k: int, n: int, padding_mode: str) -> None:
    """A k-wide kernel must fit an n-wide image ('valid'), and be odd to have a centre ('same')."""
    if padding_mode == "same" and k % 2 == 0:
        raise ValueError(
            f"'same' padding needs a kernel with an odd size (1, 3, 5, ...) so that it has a centre pixel; "
            f"this kernel is {k} wide."
        )
    if padding_mode == "valid" and k > n:
        raise ValueError(
            f"a {k}x{k} kernel does not fit inside an image side of only {n} pixels, so 'valid' filtering "
            f"has no output there; use a smaller kernel, a larger image, or padding='same'."
        )


def image_and_kernel(image, kernel, padding_mode: str = "valid", stride=1):
    """Check the arguments of a whole-image filter; returns (image, kernel, stride, padding)."""
    image = grid(image, "image")
    kernel = grid(kernel, "kernel")
    padding_mode = padding(padding_mode)
    stride = positive_int(stride, "stride")
    if kernel.shape[0] != kernel.shape[1]:
        raise ValueError(f"the kernel must be square (k x k), but its shape is {kernel.shape}.")
    for n in image.shape:
        kernel_size(kernel.shape[0], n, padding_mode)
    return image, kernel, stride, padding_mode


def patch_and_kernel(patch, kernel):
    """A neighbourhood and a kernel of the same shape; returns (patch, kernel)."""
    patch = grid(patch, "patch")
    kernel = grid(kernel, "kernel")
    if patch.shape != kernel.shape:
        raise ValueError(
            f"patch and kernel must have the same shape, so that every pixel has one weight; "
            f"got patch {patch.shape} and kernel {kernel.shape}."
        )
    return patch, kernel


def pixel_window(image, kernel, row, col):
    """A pixel whose k x k window, centred on it, lies inside the image; returns (image, kernel, row, col)."""
    image = grid(image, "image")
    kernel = grid(kernel, "kernel")
    if kernel.shape[0] != kernel.shape[1] or kernel.shape[0] % 2 == 0:
        raise ValueError(
            f"to centre a kernel on a pixel it must be square with an odd size (3x3, 5x5, ...); got {kernel.shape}."
        )
    half = kernel.shape[0] // 2
    for name, index, n in (("row", row, image.shape[0]), ("col", col, image.shape[1])):
        if isinstance(index, bool) or not isinstance(index, numbers.Integral):
            raise ValueError(f"{name} must be a whole number, but got {_describe(index)}.")
        if not half <= index < n - half:
            raise ValueError(
                f"{name} {index} is too close to the edge: a {kernel.shape[0]}x{kernel.shape[0]} window centred "
                f"there would reach outside the image (shape {image.shape}). Choose {name} from {half} to "
                f"{n - half - 1}."
            )
    return image, kernel, int(row), int(col)


def size_arguments(n, k, padding_mode, stride):
    """Arguments of an output-size formula; returns (n, k, padding, stride)."""
    n = positive_int(n, "n (the input size)")
    k = positive_int(k, "k (the kernel size)")
    padding_mode = padding(padding_mode)
    stride = positive_int(stride, "stride")
    kernel_size(k, n, padding_mode)
    return n, k, padding_mode, stride


def display_mode(mode) -> str:
    """How to bring values into 0-255: 'clip' (cut off) or 'rescale' (stretch min..max)."""
    if not isinstance(mode, str) or mode not in DISPLAY_MODES:
        raise ValueError(f"mode must be 'clip' or 'rescale', but got {mode!r}.")
    return mode


def pooling(x, size, stride, padding_mode):
    """Arguments of a pooling function; returns (x, size, stride, padding) with stride defaulting to size.

    ``x`` is one image: (H, W) grey, or (H, W, C) with channels last.
    """
    if callable(x):
        raise ValueError(f"x should be an image array, but got the function {getattr(x, '__name__', x)!r}.")
    array = np.asarray(x)
    if array.dtype == object or not (np.issubdtype(array.dtype, np.number)):
        raise ValueError(f"x must hold numbers, but got {_describe(x)}.")
    if array.ndim == 4:
        raise ValueError(
            f"pool one image at a time: x has shape {array.shape}, which looks like a batch of {array.shape[0]} "
            f"images; pass x[0] (or loop over the batch)."
        )
    if array.ndim not in (2, 3) or array.size == 0:
        raise ValueError(
            f"x must be one image, (H, W) or (H, W, C) with channels last, but it has shape {array.shape}."
        )
    size, stride, padding_mode = _pool_window(min(array.shape[:2]), size, stride, padding_mode)
    return array, size, stride, padding_mode


def pool_size_arguments(n, size, stride, padding_mode):
    """Arguments of the pooled-size formula; returns (n, size, stride, padding), stride defaulting to size."""
    n = positive_int(n, "n (the input size)")
    return (n, *_pool_window(n, size, stride, padding_mode))


def _pool_window(n: int, size, stride, padding_mode):
    size = positive_int(size, "size")
    stride = size if stride is None else positive_int(stride, "stride")
    padding_mode = padding(padding_mode)
    if padding_mode == "valid" and size > n:
        raise ValueError(
            f"a {size}x{size} pooling window does not fit inside an image side of only {n} pixels, so 'valid' "
            f"pooling has no output; use a smaller size or padding='same'."
        )
    return size, stride, padding_mode


def conv_layer(x, kernels, bias, stride, padding_mode):
    """Arguments of one Conv2D layer's computation; returns (x, kernels, bias, stride, padding).

    x is (H, W, C), kernels (k, k, C, F), bias (F,): Keras's channels-last layout.
    """
    x, kernels, bias = (np.asarray(a) for a in (x, kernels, bias))
    for name, array, rank, layout in (("x", x, 3, "(height, width, channels)"),
                                      ("kernels", kernels, 4, "(k, k, input channels, filters)"),
                                      ("bias", bias, 1, "(filters,)")):
        if array.dtype == object or not np.issubdtype(array.dtype, np.number):
            raise ValueError(f"{name} must hold numbers, but got {_describe(array)}.")
        if array.ndim != rank:
            raise ValueError(f"{name} must have {rank} dimensions, {layout}, but its shape is {array.shape}.")
    k, k2, channels, filters = kernels.shape
    if k != k2:
        raise ValueError(f"kernels must be square (k x k), but their shape is {kernels.shape}.")
    if channels != x.shape[2]:
        hint = " x looks channels-first; Keras puts channels last: x.transpose(1, 2, 0)." \
            if x.shape[0] == channels else ""
        raise ValueError(
            f"kernels expect {channels} input channel(s) but x has {x.shape[2]} (x is {x.shape}, kernels "
            f"{kernels.shape}).{hint}"
        )
    if bias.shape != (filters,):
        raise ValueError(f"bias needs one number per filter: shape ({filters},), but got {bias.shape}.")
    stride = positive_int(stride, "stride")
    padding_mode = padding(padding_mode)
    if padding_mode == "valid" and k > min(x.shape[:2]):
        raise ValueError(f"a {k}x{k} kernel does not fit inside a {x.shape[0]}x{x.shape[1]} input with 'valid' padding.")
    return x, kernels, bias, stride, padding_mode


LAYER_KINDS = {"conv": "('conv', filters, kernel_size) or ('conv', filters, kernel_size, padding)",
               "pool": "('pool', size)", "flatten": "('flatten',)", "dense": "('dense', units)"}


def layer_stack(input_shape, layers):
    """A stack of layers; returns (input_shape, layers) with every layer as a full tuple.

    Layers: ('conv', filters, k[, padding]), ('pool', size), ('flatten',), ('dense', units).
    Checks each layer's form and the order (flatten before dense, nothing spatial after flatten);
    sizes that shrink below 1 are found by whoever computes the shapes.
    """
    if not isinstance(input_shape, (tuple, list)) or len(input_shape) != 3:
        raise ValueError(f"input_shape must be (height, width, channels), like (28, 28, 1), but got {input_shape!r}.")
    input_shape = tuple(positive_int(n, "each input_shape entry") for n in input_shape)
    one_layer = isinstance(layers, tuple) and bool(layers) and isinstance(layers[0], str)
    if isinstance(layers, str) or one_layer or not hasattr(layers, "__iter__"):
        raise ValueError(f"layers must be a list of layer tuples, like [('conv', 64, 3), ('pool', 2)], "
                         f"but got {layers!r}.")
    checked, flat = [], False
    for number, layer in enumerate(layers, start=1):
        where = f"layer {number} {layer!r}"
        if not isinstance(layer, (tuple, list)) or not layer or layer[0] not in LAYER_KINDS:
            raise ValueError(f"{where} is not a layer: write one of {', '.join(LAYER_KINDS.values())}.")
        kind, *args = layer
        expected_args = {"conv": (2, 3), "pool": (1,), "flatten": (0,), "dense": (1,)}[kind]
        if len(args) not in expected_args:
            raise ValueError(f"{where} has the wrong number of values: write {LAYER_KINDS[kind]}.")
        if kind == "conv" and len(args) == 3:
            padding(args[2])
        numbers_ = args[:2] if kind == "conv" else args
        for value in numbers_:
            if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
                raise ValueError(f"{where}: sizes and counts must be whole numbers of at least 1, got {value!r}.")
        if kind == "flatten" and flat:
            raise ValueError(f"{where} flattens a second time: the stack is already flat; remove one ('flatten',).")
        if kind in ("conv", "pool") and flat:
            raise ValueError(f"{where} comes after the image was flattened; convolution and pooling need the "
                             f"(height, width, channels) grid, so put them before ('flatten',).")
        if kind == "dense" and not flat:
            raise ValueError(f"{where} needs a flat input: add ('flatten',) before the first dense layer.")
        flat = flat or kind == "flatten"
        checked.append(("conv", int(args[0]), int(args[1]), args[2] if len(args) == 3 else "valid")
                       if kind == "conv" else (kind, *(int(a) for a in args)))
    return input_shape, checked


def counts(**values) -> tuple[int, ...]:
    """Whole numbers of at least 1 (sizes, channels, units), checked by name and returned in order."""
    return tuple(positive_int(value, name) for name, value in values.items())


def fashion_images(images):
    """Raw Fashion-MNIST images: (n, 28, 28) whole numbers 0-255, not yet reshaped or normalised."""
    array = np.asarray(images)
    if array.dtype == object or not np.issubdtype(array.dtype, np.number):
        raise ValueError(f"images must hold numbers, but got {_describe(images)}.")
    if array.ndim == 4 and array.shape[1:] == (28, 28, 1):
        raise ValueError("these images already have shape (n, 28, 28, 1): they were reshaped and normalised "
                         "before; call reshape_and_normalize once, on the raw (n, 28, 28) uint8 images.")
    if array.ndim == 2 and array.shape == (28, 28):
        raise ValueError("this is a single image of shape (28, 28); pass a batch: images[np.newaxis] or x_test[:1].")
    if array.ndim != 3 or array.shape[1:] != (28, 28) or array.shape[0] == 0:
        raise ValueError(f"images must have shape (n, 28, 28), like x_train, but got {array.shape}.")
    if np.issubdtype(array.dtype, np.floating) and array.size and array.max() <= 1.0:
        raise ValueError("these images are already normalised (every value is between 0 and 1): dividing by 255 "
                         "again would make them almost black; call reshape_and_normalize only once.")
    if array.size and (array.min() < 0 or array.max() > 255):
        raise ValueError(f"pixel values must lie in 0-255, but these run from {array.min()} to {array.max()}.")
    return array
