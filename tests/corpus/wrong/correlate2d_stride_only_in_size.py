"""The output size uses the stride, but the window loop forgets it: window (i, j) starts at (i, j), not (i*stride, j*stride)."""

LESSON = "02_whole_image"
MISTAKE = "stride_ignored"
FAILING = {"correlate2d_stride", "correlate2d_valid", "correlate2d_same", "correlate2d_uint8"}


def correlate2d(image, kernel, stride=1, padding="valid"):
    image, kernel, stride, padding = validate.image_and_kernel(image, kernel, padding, stride)
    k = kernel.shape[0]
    rows = conv_output_size(image.shape[0], k, padding, stride)
    cols = conv_output_size(image.shape[1], k, padding, stride)
    if padding == "same":
        image = pad2d(image, (k - 1) // 2)
    image = image.astype(np.float64)
    result = np.zeros((rows, cols))
    for i in range(rows):
        for j in range(cols):
            result[i, j] = np.sum(image[i:i + k, j:j + k] * kernel)
    return result
