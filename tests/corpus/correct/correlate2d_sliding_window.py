"""correlate2d from NumPy's sliding_window_view: every k x k window at once, strided by slicing, then summed."""

LESSON = "02_whole_image"
MISTAKE = None
FAILING = set()


def correlate2d(image, kernel, stride=1, padding="valid"):
    image, kernel, stride, padding = validate.image_and_kernel(image, kernel, padding, stride)
    k = kernel.shape[0]
    rows = conv_output_size(image.shape[0], k, padding, stride)
    cols = conv_output_size(image.shape[1], k, padding, stride)
    first_row = first_col = 0
    if padding == "same":  # Keras's windows start part-way into a symmetric (k - 1) // 2 border
        first_row = (k - 1) // 2 - max((rows - 1) * stride + k - image.shape[0], 0) // 2
        first_col = (k - 1) // 2 - max((cols - 1) * stride + k - image.shape[1], 0) // 2
        image = pad2d(image, (k - 1) // 2)
    windows = np.lib.stride_tricks.sliding_window_view(image.astype(np.float64), (k, k))
    windows = windows[first_row::stride, first_col::stride][:rows, :cols]
    return (windows * kernel).sum(axis=(2, 3))
