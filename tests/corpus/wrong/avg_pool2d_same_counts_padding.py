"""avg_pool2d pads 'same' images with zeros and takes each window's mean, so border windows divide by size * size, padding included."""

LESSON = "03_pooling"
MISTAKE = "same_counts_padding"
FAILING = {"avg_pool2d_like_keras"}


def avg_pool2d(x, size=2, stride=None, padding="valid"):
    x, size, stride, padding = validate.pooling(x, size, stride, padding)
    image = (x if x.ndim == 3 else x[:, :, np.newaxis]).astype(float)
    rows = pooled_size(image.shape[0], size, stride, padding)
    cols = pooled_size(image.shape[1], size, stride, padding)
    if padding == "same":
        pad_rows = max((rows - 1) * stride + size - image.shape[0], 0)
        pad_cols = max((cols - 1) * stride + size - image.shape[1], 0)
        image = np.pad(image, ((pad_rows // 2, pad_rows - pad_rows // 2),
                               (pad_cols // 2, pad_cols - pad_cols // 2), (0, 0)))
    out = np.zeros((rows, cols, image.shape[2]))
    for i in range(rows):
        for j in range(cols):
            window = image[i * stride:i * stride + size, j * stride:j * stride + size]
            out[i, j] = window.sum(axis=(0, 1)) / (size * size)
    return out if x.ndim == 3 else out[:, :, 0]
