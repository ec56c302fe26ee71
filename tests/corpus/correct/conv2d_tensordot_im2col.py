"""conv2d as one matrix product: every window gathered into a row (im2col) and np.tensordot with the kernels."""

LESSON = "04_filters_to_layers"
MISTAKE = None
FAILING = set()


def conv2d(x, kernels, bias, stride=1, padding="valid"):
    x, kernels, bias, stride, padding = validate.conv_layer(x, kernels, bias, stride, padding)
    k = kernels.shape[0]
    image = np.asarray(x, dtype=float)
    if padding == "same":
        pads = []
        for n in image.shape[:2]:
            out = -(-n // stride)
            total = max((out - 1) * stride + k - n, 0)
            pads.append((total // 2, total - total // 2))
        image = np.pad(image, pads + [(0, 0)])
    rows = (image.shape[0] - k) // stride + 1
    cols = (image.shape[1] - k) // stride + 1
    patches = np.stack([image[i * stride:i * stride + k, j * stride:j * stride + k]
                        for i in range(rows) for j in range(cols)])  # (rows * cols, k, k, channels)
    out = np.tensordot(patches, kernels, axes=([1, 2, 3], [0, 1, 2])) + bias  # (rows * cols, filters)
    return out.reshape(rows, cols, kernels.shape[3])
