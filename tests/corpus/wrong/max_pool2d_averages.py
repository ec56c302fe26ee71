"""max_pool2d copied from avg_pool2d: each window is averaged with np.mean instead of keeping its largest value."""

LESSON = "03_pooling"
MISTAKE = "averaged_not_max"
FAILING = {"max_pool2d_like_keras"}


def max_pool2d(x, size=2, stride=None, padding="valid"):
    x, size, stride, padding = validate.pooling(x, size, stride, padding)
    rows = pooled_size(x.shape[0], size, stride, padding)
    cols = pooled_size(x.shape[1], size, stride, padding)
    top = left = 0
    if padding == "same":
        top = max((rows - 1) * stride + size - x.shape[0], 0) // 2
        left = max((cols - 1) * stride + size - x.shape[1], 0) // 2
    out = np.zeros((rows, cols) + x.shape[2:])
    for i in range(rows):
        for j in range(cols):
            r, c = i * stride - top, j * stride - left
            window = x[max(r, 0):r + size, max(c, 0):c + size]
            out[i, j] = np.mean(window, axis=(0, 1))
    return out
