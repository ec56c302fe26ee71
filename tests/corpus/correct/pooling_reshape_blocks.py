"""Non-overlapping 'valid' pooling by reshaping the cropped image into (rows, size, cols, size, C) blocks; other strides and 'same' fall back to a list of windows."""

LESSON = "03_pooling"
MISTAKE = None
FAILING = set()


def max_pool2d(x, size=2, stride=None, padding="valid"):
    x, size, stride, padding = validate.pooling(x, size, stride, padding)
    image = x if x.ndim == 3 else x[:, :, None]
    rows = pooled_size(image.shape[0], size, stride, padding)
    cols = pooled_size(image.shape[1], size, stride, padding)
    if stride == size and padding == "valid":
        blocks = image[:rows * size, :cols * size].reshape(rows, size, cols, size, image.shape[2])
        pooled = blocks.max(axis=(1, 3))
    else:
        offsets = [max((out - 1) * stride + size - n, 0) // 2 if padding == "same" else 0
                   for out, n in zip((rows, cols), image.shape)]
        pooled = np.array([[image[max(i * stride - offsets[0], 0):i * stride - offsets[0] + size,
                                  max(j * stride - offsets[1], 0):j * stride - offsets[1] + size].max(axis=(0, 1))
                            for j in range(cols)] for i in range(rows)], dtype=x.dtype)
    return pooled if x.ndim == 3 else pooled[:, :, 0]


def avg_pool2d(x, size=2, stride=None, padding="valid"):
    x, size, stride, padding = validate.pooling(x, size, stride, padding)
    image = (x if x.ndim == 3 else x[:, :, None]).astype(float)
    rows = pooled_size(image.shape[0], size, stride, padding)
    cols = pooled_size(image.shape[1], size, stride, padding)
    if stride == size and padding == "valid":
        blocks = image[:rows * size, :cols * size].reshape(rows, size, cols, size, image.shape[2])
        pooled = blocks.mean(axis=(1, 3))
    else:
        offsets = [max((out - 1) * stride + size - n, 0) // 2 if padding == "same" else 0
                   for out, n in zip((rows, cols), image.shape)]
        pooled = np.array([[image[max(i * stride - offsets[0], 0):i * stride - offsets[0] + size,
                                  max(j * stride - offsets[1], 0):j * stride - offsets[1] + size].mean(axis=(0, 1))
                            for j in range(cols)] for i in range(rows)])
    return pooled if x.ndim == 3 else pooled[:, :, 0]
