"""Both poolings from np.lib.stride_tricks.as_strided: a (rows, cols, size, size, C) view of the windows, no copy, reduced with max or mean; 'same' borders padded with NaN and reduced with nanmax / nanmean so padding never counts."""

LESSON = "03_pooling"
MISTAKE = None
FAILING = set()


def max_pool2d(x, size=2, stride=None, padding="valid"):
    x, size, stride, padding = validate.pooling(x, size, stride, padding)
    image = (x if x.ndim == 3 else x[:, :, np.newaxis]).astype(np.float64)
    rows = pooled_size(image.shape[0], size, stride, padding)
    cols = pooled_size(image.shape[1], size, stride, padding)
    if padding == "same":
        extra = [max((out - 1) * stride + size - n, 0) for out, n in zip((rows, cols), image.shape)]
        image = np.pad(image, [(e // 2, e - e // 2) for e in extra] + [(0, 0)], constant_values=np.nan)
    image = np.ascontiguousarray(image)
    s0, s1, s2 = image.strides
    windows = np.lib.stride_tricks.as_strided(
        image, shape=(rows, cols, size, size, image.shape[2]), strides=(s0 * stride, s1 * stride, s0, s1, s2),
        writeable=False)
    pooled = np.nanmax(windows, axis=(2, 3)).astype(x.dtype)
    return pooled if x.ndim == 3 else pooled[:, :, 0]


def avg_pool2d(x, size=2, stride=None, padding="valid"):
    x, size, stride, padding = validate.pooling(x, size, stride, padding)
    image = (x if x.ndim == 3 else x[:, :, np.newaxis]).astype(np.float64)
    rows = pooled_size(image.shape[0], size, stride, padding)
    cols = pooled_size(image.shape[1], size, stride, padding)
    if padding == "same":
        extra = [max((out - 1) * stride + size - n, 0) for out, n in zip((rows, cols), image.shape)]
        image = np.pad(image, [(e // 2, e - e // 2) for e in extra] + [(0, 0)], constant_values=np.nan)
    windows = np.lib.stride_tricks.sliding_window_view(image, (size, size), axis=(0, 1))[::stride, ::stride]
    pooled = np.nanmean(windows[:rows, :cols], axis=(3, 4))
    return pooled if x.ndim == 3 else pooled[:, :, 0]
