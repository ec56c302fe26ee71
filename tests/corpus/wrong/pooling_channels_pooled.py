"""max_pool2d and avg_pool2d written for grey images: window.max() and window.mean() of an (H, W, C) window pool the channels too."""

LESSON = "03_pooling"
MISTAKE = "channels_pooled"
FAILING = {"max_pool2d_like_keras", "avg_pool2d_like_keras"}


def max_pool2d(x, size=2, stride=None, padding="valid"):
    x, size, stride, padding = validate.pooling(x, size, stride, padding)
    rows = pooled_size(x.shape[0], size, stride, padding)
    cols = pooled_size(x.shape[1], size, stride, padding)
    out = np.zeros((rows, cols), dtype=x.dtype)
    top = max((rows - 1) * stride + size - x.shape[0], 0) // 2 if padding == "same" else 0
    left = max((cols - 1) * stride + size - x.shape[1], 0) // 2 if padding == "same" else 0
    for i in range(rows):
        for j in range(cols):
            r, c = i * stride - top, j * stride - left
            out[i, j] = x[max(r, 0):r + size, max(c, 0):c + size].max()
    return out


def avg_pool2d(x, size=2, stride=None, padding="valid"):
    x, size, stride, padding = validate.pooling(x, size, stride, padding)
    rows = pooled_size(x.shape[0], size, stride, padding)
    cols = pooled_size(x.shape[1], size, stride, padding)
    out = np.zeros((rows, cols))
    top = max((rows - 1) * stride + size - x.shape[0], 0) // 2 if padding == "same" else 0
    left = max((cols - 1) * stride + size - x.shape[1], 0) // 2 if padding == "same" else 0
    for i in range(rows):
        for j in range(cols):
            r, c = i * stride - top, j * stride - left
            out[i, j] = x[max(r, 0):r + size, max(c, 0):c + size].mean()
    return out
