"""SciPy's convolve2d is used for the whole image, and convolution flips the kernel (732 where 577 belongs)."""

LESSON = "02_whole_image"
MISTAKE = "flipped"
FAILING = {"correlate2d_valid", "correlate2d_stride", "correlate2d_same", "correlate2d_uint8"}


def correlate2d(image, kernel, stride=1, padding="valid"):
    image, kernel, stride, padding = validate.image_and_kernel(image, kernel, padding, stride)
    from scipy.signal import convolve2d
    result = convolve2d(image.astype(float), kernel, mode=padding)
    return result[::stride, ::stride]
