"""max_pool2d from sliding_window_view, which gives every window one pixel apart; never stepping by the stride, the windows overlap."""

LESSON = "03_pooling"
MISTAKE = "overlapping"
FAILING = {"max_pool2d_like_keras"}


def max_pool2d(x, size=2, stride=None, padding="valid"):
    x, size, stride, padding = validate.pooling(x, size, stride, padding)
    image = x if x.ndim == 3 else x[:, :, np.newaxis]
    if padding == "same":
        rows = pooled_size(image.shape[0], size, stride, padding)
        cols = pooled_size(image.shape[1], size, stride, padding)
        extra = [max((out - 1) * stride + size - n, 0) for out, n in zip((rows, cols), image.shape)]
        image = np.pad(image, [(e // 2, e - e // 2) for e in extra] + [(0, 0)], mode="edge")
    windows = np.lib.stride_tricks.sliding_window_view(image, (size, size), axis=(0, 1))
    pooled = windows.max(axis=(-2, -1))
    return pooled if x.ndim == 3 else pooled[:, :, 0]
