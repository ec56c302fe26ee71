"""avg_pool2d fills np.zeros_like(x), cropped to the output size, so a uint8 image's averages are truncated (86.5 -> 86)."""

LESSON = "03_pooling"
MISTAKE = "average_truncated"
FAILING = {"avg_pool2d_like_keras"}


def avg_pool2d(x, size=2, stride=None, padding="valid"):
    x, size, stride, padding = validate.pooling(x, size, stride, padding)
    rows = pooled_size(x.shape[0], size, stride, padding)
    cols = pooled_size(x.shape[1], size, stride, padding)
    top = left = 0
    if padding == "same":
        top = max((rows - 1) * stride + size - x.shape[0], 0) // 2
        left = max((cols - 1) * stride + size - x.shape[1], 0) // 2
    out = np.zeros_like(x)  # big enough: pooling never makes the image larger
    for i in range(rows):
        for j in range(cols):
            r, c = i * stride - top, j * stride - left
            out[i, j] = x[max(r, 0):r + size, max(c, 0):c + size].mean(axis=(0, 1))
    return out[:rows, :cols]
