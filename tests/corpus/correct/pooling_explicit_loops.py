"""Pooling with explicit loops over the output pixels; 'same' border windows are clipped to the image, so padding is never counted; pooled_size with math.ceil."""

LESSON = "03_pooling"
MISTAKE = None
FAILING = set()


def pooled_size(n, size=2, stride=None, padding="valid"):
    n, size, stride, padding = validate.pool_size_arguments(n, size, stride, padding)
    import math

    if padding == "same":
        return math.ceil(n / stride)
    return math.ceil((n - size + 1) / stride)


def max_pool2d(x, size=2, stride=None, padding="valid"):
    x, size, stride, padding = validate.pooling(x, size, stride, padding)
    height, width = x.shape[:2]
    rows = pooled_size(height, size, stride, padding)
    cols = pooled_size(width, size, stride, padding)
    top = max((rows - 1) * stride + size - height, 0) // 2 if padding == "same" else 0
    left = max((cols - 1) * stride + size - width, 0) // 2 if padding == "same" else 0
    out = np.empty((rows, cols) + x.shape[2:], dtype=x.dtype)
    for i in range(rows):
        for j in range(cols):
            r0, c0 = max(i * stride - top, 0), max(j * stride - left, 0)
            r1, c1 = min(i * stride - top + size, height), min(j * stride - left + size, width)
            out[i, j] = x[r0:r1, c0:c1].max(axis=(0, 1))
    return out


def avg_pool2d(x, size=2, stride=None, padding="valid"):
    x, size, stride, padding = validate.pooling(x, size, stride, padding)
    height, width = x.shape[:2]
    rows = pooled_size(height, size, stride, padding)
    cols = pooled_size(width, size, stride, padding)
    top = max((rows - 1) * stride + size - height, 0) // 2 if padding == "same" else 0
    left = max((cols - 1) * stride + size - width, 0) // 2 if padding == "same" else 0
    out = np.empty((rows, cols) + x.shape[2:], dtype=np.float64)
    for i in range(rows):
        for j in range(cols):
            r0, c0 = max(i * stride - top, 0), max(j * stride - left, 0)
            r1, c1 = min(i * stride - top + size, height), min(j * stride - left + size, width)
            out[i, j] = x[r0:r1, c0:c1].astype(np.float64).mean(axis=(0, 1))
    return out
