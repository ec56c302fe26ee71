"""conv2d sums each filter's window but never adds that filter's bias, so every output is off by bias[f]."""

LESSON = "04_filters_to_layers"
MISTAKE = "bias_forgotten"
FAILING = {"conv2d_like_keras"}


def conv2d(x, kernels, bias, stride=1, padding="valid"):
    x, kernels, bias, stride, padding = validate.conv_layer(x, kernels, bias, stride, padding)
    k = kernels.shape[0]
    image = x.astype(float)
    if padding == "same":
        out_rows, out_cols = -(-image.shape[0] // stride), -(-image.shape[1] // stride)
        pad_rows = max((out_rows - 1) * stride + k - image.shape[0], 0)
        pad_cols = max((out_cols - 1) * stride + k - image.shape[1], 0)
        image = np.pad(image, [(pad_rows // 2, pad_rows - pad_rows // 2), (pad_cols // 2, pad_cols - pad_cols // 2), (0, 0)])
    rows = (image.shape[0] - k) // stride + 1
    cols = (image.shape[1] - k) // stride + 1
    out = np.zeros((rows, cols, kernels.shape[3]))
    for i in range(rows):
        for j in range(cols):
            window = image[i * stride:i * stride + k, j * stride:j * stride + k, :]
            for f in range(kernels.shape[3]):
                out[i, j, f] = np.sum(window * kernels[:, :, :, f])  # the weighted sum is the layer, right?
    return out
