"""conv2d builds one feature map per filter and stacks them first, returning (F, H', W') like PyTorch."""

LESSON = "04_filters_to_layers"
MISTAKE = "channels_first"
FAILING = {"conv2d_like_keras"}


def conv2d(x, kernels, bias, stride=1, padding="valid"):
    x, kernels, bias, stride, padding = validate.conv_layer(x, kernels, bias, stride, padding)
    k = kernels.shape[0]
    image = x.astype(float)
    if padding == "same":
        pads = []
        for n in image.shape[:2]:
            total = max((-(-n // stride) - 1) * stride + k - n, 0)
            pads.append((total // 2, total - total // 2))
        image = np.pad(image, pads + [(0, 0)])
    rows = (image.shape[0] - k) // stride + 1
    cols = (image.shape[1] - k) // stride + 1
    feature_maps = []
    for f in range(kernels.shape[3]):
        fmap = np.full((rows, cols), float(bias[f]))
        for i in range(rows):
            for j in range(cols):
                fmap[i, j] += np.sum(image[i * stride:i * stride + k, j * stride:j * stride + k] * kernels[..., f])
        feature_maps.append(fmap)
    return np.stack(feature_maps)  # one map per filter: (filters, rows, cols)
