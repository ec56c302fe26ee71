"""The padding argument is never used, so 'same' returns the smaller 'valid' result."""

LESSON = "02_whole_image"
MISTAKE = "valid_for_same"
FAILING = {"correlate2d_same", "correlate2d_uint8"}


def correlate2d(image, kernel, stride=1, padding="valid"):
    image, kernel, stride, padding = validate.image_and_kernel(image, kernel, padding, stride)
    k = kernel.shape[0]
    image = image.astype(float)
    rows = (image.shape[0] - k) // stride + 1
    cols = (image.shape[1] - k) // stride + 1
    result = np.zeros((rows, cols))
    for r in range(rows):
        for c in range(cols):
            top, left = r * stride, c * stride
            result[r, c] = np.sum(image[top:top + k, left:left + k] * kernel)
    return result
