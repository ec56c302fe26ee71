"""correlate2d from NumPy's sliding_window_view: every k x k window at once, strided by slicing, then summed."""

LESSON = "02_whole_image"
MISTAKE = None
FAILING = set()


def correlate2d(image, kernel, stride=1, padding="valid"):
    image, kernel, stride, padding = validate.image_and_kernel(image, kernel, padding, stride)
    k = kernel.shape[0]
    if padding == "same":
        image = pad2d(image, (k - 1) // 2)
    windows = np.lib.stride_tricks.sliding_window_view(image.astype(np.float64), (k, k))
    windows = windows[::stride, ::stride]
    return (windows * kernel).sum(axis=(2, 3))
