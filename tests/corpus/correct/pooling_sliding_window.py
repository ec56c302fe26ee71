"""Pooling from NumPy's sliding_window_view, stepped by the stride; 'same' pads with the dtype's lowest value (max) or NaN skipped by np.nanmean (avg); pooled_size by counting window starts."""

LESSON = "03_pooling"
MISTAKE = None
FAILING = set()


def pooled_size(n, size=2, stride=None, padding="valid"):
    n, size, stride, padding = validate.pool_size_arguments(n, size, stride, padding)
    last_start = n - 1 if padding == "same" else n - size
    return len(range(0, last_start + 1, stride))


def max_pool2d(x, size=2, stride=None, padding="valid"):
    x, size, stride, padding = validate.pooling(x, size, stride, padding)
    image = x.reshape(x.shape[:2] + (-1,))
    if padding == "same":
        extra = [max((pooled_size(n, size, stride, padding) - 1) * stride + size - n, 0) for n in x.shape[:2]]
        lowest = np.iinfo(x.dtype).min if np.issubdtype(x.dtype, np.integer) else -np.inf
        image = np.pad(image, [(e // 2, e - e // 2) for e in extra] + [(0, 0)], constant_values=lowest)
    windows = np.lib.stride_tricks.sliding_window_view(image, (size, size), axis=(0, 1))[::stride, ::stride]
    return windows.max(axis=(-2, -1)).reshape(windows.shape[:2] + x.shape[2:])


def avg_pool2d(x, size=2, stride=None, padding="valid"):
    x, size, stride, padding = validate.pooling(x, size, stride, padding)
    image = x.reshape(x.shape[:2] + (-1,)).astype(np.float64)
    if padding == "same":
        extra = [max((pooled_size(n, size, stride, padding) - 1) * stride + size - n, 0) for n in x.shape[:2]]
        image = np.pad(image, [(e // 2, e - e // 2) for e in extra] + [(0, 0)], constant_values=np.nan)
    windows = np.lib.stride_tricks.sliding_window_view(image, (size, size), axis=(0, 1))[::stride, ::stride]
    return np.nanmean(windows, axis=(-2, -1)).reshape(windows.shape[:2] + x.shape[2:])
