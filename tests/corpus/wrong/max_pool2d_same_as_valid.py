"""max_pool2d never looks at padding: 'same' gets the smaller 'valid' result."""

LESSON = "03_pooling"
MISTAKE = "valid_for_same"
FAILING = {"max_pool2d_like_keras"}


def max_pool2d(x, size=2, stride=None, padding="valid"):
    x, size, stride, padding = validate.pooling(x, size, stride, padding)
    image = x if x.ndim == 3 else x[:, :, np.newaxis]
    rows = pooled_size(image.shape[0], size, stride, "valid")
    cols = pooled_size(image.shape[1], size, stride, "valid")
    out = np.empty((rows, cols, image.shape[2]), dtype=x.dtype)
    for i in range(rows):
        for j in range(cols):
            out[i, j] = image[i * stride:i * stride + size, j * stride:j * stride + size].max(axis=(0, 1))
    return out if x.ndim == 3 else out[:, :, 0]
