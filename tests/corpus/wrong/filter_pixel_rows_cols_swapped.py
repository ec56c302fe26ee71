"""The window is cut with the column index first, as if image[x, y] were (x to the right, y down)."""

LESSON = "01_one_pixel"
MISTAKE = "row_col_swapped"
FAILING = {"filter_pixel_small_image"}


def filter_pixel(image, kernel, row, col):
    image, kernel, row, col = validate.pixel_window(image, kernel, row, col)
    half = kernel.shape[0] // 2
    x, y = col, row
    window = image[x - half:x + half + 1, y - half:y + half + 1]
    return weighted_sum(window, kernel)
