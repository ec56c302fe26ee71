"""conv2d pads 'same' like lesson 02, (k - 1) // 2 zeros on every side, which Keras only agrees with at stride 1."""

LESSON = "04_filters_to_layers"
MISTAKE = "same_symmetric"
FAILING = {"conv2d_like_keras"}


def conv2d(x, kernels, bias, stride=1, padding="valid"):
    x, kernels, bias, stride, padding = validate.conv_layer(x, kernels, bias, stride, padding)
    k = kernels.shape[0]
    image = x.astype(float)
    if padding == "same":
        p = (k - 1) // 2
        image = np.pad(image, [(p, p), (p, p), (0, 0)])
    rows = (image.shape[0] - k) // stride + 1
    cols = (image.shape[1] - k) // stride + 1
    out = np.zeros((rows, cols, kernels.shape[3]))
    for i in range(rows):
        for j in range(cols):
            window = image[i * stride:i * stride + k, j * stride:j * stride + k]
            out[i, j] = np.einsum("abc,abcf->f", window, kernels) + bias
    return out
