"""'same' gets the right output size but no zeros around the image, so the last windows run off its edge."""

LESSON = "02_whole_image"
MISTAKE = "same_not_padded"
FAILING = {"correlate2d_same", "correlate2d_uint8"}


def correlate2d(image, kernel, stride=1, padding="valid"):
    image, kernel, stride, padding = validate.image_and_kernel(image, kernel, padding, stride)
    k = kernel.shape[0]
    rows = conv_output_size(image.shape[0], k, padding, stride)
    cols = conv_output_size(image.shape[1], k, padding, stride)
    image = image.astype(np.float64)
    result = np.zeros((rows, cols))
    for i in range(rows):
        for j in range(cols):
            result[i, j] = np.sum(image[i * stride:i * stride + k, j * stride:j * stride + k] * kernel)
    return result
