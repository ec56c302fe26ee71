"""The window is anchored with its top-left corner at (row, col) instead of being centred on the pixel."""

LESSON = "01_one_pixel"
MISTAKE = "corner"
FAILING = {"filter_pixel_small_image"}


def filter_pixel(image, kernel, row, col):
    image, kernel, row, col = validate.pixel_window(image, kernel, row, col)
    k = kernel.shape[0]
    window = image[row:row + k, col:col + k]
    return weighted_sum(window, kernel)
