"""The output starts as np.zeros_like(image), so a uint8 image gives uint8 sums that wrap around."""

LESSON = "02_whole_image"
MISTAKE = "uint8"
FAILING = {"correlate2d_valid", "correlate2d_stride", "correlate2d_same", "correlate2d_uint8"}


def correlate2d(image, kernel, stride=1, padding="valid"):
    image, kernel, stride, padding = validate.image_and_kernel(image, kernel, padding, stride)
    k = kernel.shape[0]
    rows = conv_output_size(image.shape[0], k, padding, stride)
    cols = conv_output_size(image.shape[1], k, padding, stride)
    dr = dc = 0
    if padding == "same":
        half = (k - 1) // 2
        dr = half - max((rows - 1) * stride + k - image.shape[0], 0) // 2
        dc = half - max((cols - 1) * stride + k - image.shape[1], 0) // 2
        image = pad2d(image, half)
    result = np.zeros_like(image)  # a blank image to fill in, cropped to the output size at the end
    for i in range(rows):
        for j in range(cols):
            patch = image[dr + i * stride:dr + i * stride + k, dc + j * stride:dc + j * stride + k]
            result[i, j] = np.sum(patch * kernel)
    return result[:rows, :cols]
