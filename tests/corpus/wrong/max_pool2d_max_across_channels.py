"""Each window's max is taken over its channels too (window.max()), and that one number fills every channel."""

LESSON = "03_pooling"
MISTAKE = "channels_pooled"
FAILING = {"max_pool2d_like_keras"}


def max_pool2d(x, size=2, stride=None, padding="valid"):
    x, size, stride, padding = validate.pooling(x, size, stride, padding)
    image = x if x.ndim == 3 else x[:, :, np.newaxis]
    rows = pooled_size(image.shape[0], size, stride, padding)
    cols = pooled_size(image.shape[1], size, stride, padding)
    if padding == "same":
        lowest = np.iinfo(x.dtype).min if np.issubdtype(x.dtype, np.integer) else -np.inf
        extra = [max((out - 1) * stride + size - n, 0) for out, n in zip((rows, cols), image.shape)]
        image = np.pad(image, [(e // 2, e - e // 2) for e in extra] + [(0, 0)], constant_values=lowest)
    out = np.empty((rows, cols, image.shape[2]), dtype=x.dtype)
    for i in range(rows):
        for j in range(cols):
            out[i, j] = image[i * stride:i * stride + size, j * stride:j * stride + size].max()
    return out if x.ndim == 3 else out[:, :, 0]
