"""The window is always 3x3 (row - 1 to row + 2), so any other kernel size fails: right on every visible 3x3 example."""

LESSON = "01_one_pixel"
MISTAKE = "window_fixed_3x3"
FAILING = {"filter_pixel_small_image"}


def filter_pixel(image, kernel, row, col):
    image, kernel, row, col = validate.pixel_window(image, kernel, row, col)
    window = image[row - 1:row + 2, col - 1:col + 2]
    return weighted_sum(window, kernel)
