"""conv2d from NumPy's sliding_window_view, stepped by the stride and contracted with every filter by np.einsum."""

LESSON = "04_filters_to_layers"
MISTAKE = None
FAILING = set()


def conv2d(x, kernels, bias, stride=1, padding="valid"):
    x, kernels, bias, stride, padding = validate.conv_layer(x, kernels, bias, stride, padding)
    k = kernels.shape[0]
    image = x.astype(np.float64)
    if padding == "same":
        extra = [max(((n - 1) // stride) * stride + k - n, 0) for n in image.shape[:2]]
        image = np.pad(image, [(e // 2, (e + 1) // 2) for e in extra] + [(0, 0)])
    windows = np.lib.stride_tricks.sliding_window_view(image, (k, k), axis=(0, 1))[::stride, ::stride]
    # windows: (rows, cols, channels, k, k); kernels: (k, k, channels, filters)
    return np.einsum("ijcab,abcf->ijf", windows, kernels.astype(np.float64)) + bias
