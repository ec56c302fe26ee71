"""correlate2d with fancy-indexed windows contracted by np.einsum, and conv_output_size by counting positions."""

LESSON = "02_whole_image"
MISTAKE = None
FAILING = set()


def conv_output_size(n, k, padding="valid", stride=1):
    n, k, padding, stride = validate.size_arguments(n, k, padding, stride)
    if padding == "same":
        n += k - 1
    return len(range(0, n - k + 1, stride))


def correlate2d(image, kernel, stride=1, padding="valid"):
    image, kernel, stride, padding = validate.image_and_kernel(image, kernel, padding, stride)
    k = kernel.shape[0]
    rows = conv_output_size(image.shape[0], k, padding, stride)
    cols = conv_output_size(image.shape[1], k, padding, stride)
    if padding == "same":  # as Keras pads: what the strided windows reach, the odd zero after
        pads = []
        for n, out in zip(image.shape, (rows, cols)):
            total = max((out - 1) * stride + k - n, 0)
            pads.append((total // 2, total - total // 2))
        image = np.pad(image, pads)
    r = (np.arange(rows) * stride)[:, None] + np.arange(k)  # (rows, k): the image rows of each window
    c = (np.arange(cols) * stride)[:, None] + np.arange(k)  # (cols, k)
    windows = image.astype(float)[r[:, None, :, None], c[None, :, None, :]]  # (rows, cols, k, k)
    return np.einsum("ijab,ab->ij", windows, kernel.astype(float))
