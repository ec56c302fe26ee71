"""conv2d does a textbook convolution: each kernel is turned 180 degrees before it meets the window."""

LESSON = "04_filters_to_layers"
MISTAKE = "flipped"
FAILING = {"conv2d_like_keras"}


def conv2d(x, kernels, bias, stride=1, padding="valid"):
    x, kernels, bias, stride, padding = validate.conv_layer(x, kernels, bias, stride, padding)
    k = kernels.shape[0]
    kernels = kernels[::-1, ::-1]  # a convolution flips the kernel in both spatial directions
    image = x.astype(float)
    if padding == "same":
        pads = []
        for n in image.shape[:2]:
            total = max((-(-n // stride) - 1) * stride + k - n, 0)
            pads.append((total // 2, total - total // 2))
        image = np.pad(image, pads + [(0, 0)])
    rows = (image.shape[0] - k) // stride + 1
    cols = (image.shape[1] - k) // stride + 1
    out = np.zeros((rows, cols, kernels.shape[3]))
    for i in range(rows):
        for j in range(cols):
            window = image[i * stride:i * stride + k, j * stride:j * stride + k]
            out[i, j] = np.tensordot(window, kernels, axes=3) + bias
    return out
