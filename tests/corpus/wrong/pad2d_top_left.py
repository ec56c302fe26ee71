"""The new array is only width bigger in each direction, so the border is added on the top and left only."""

LESSON = "02_whole_image"
MISTAKE = "pad_one_side"
FAILING = {"pad2d_border", "correlate2d_same", "correlate2d_uint8"}


def pad2d(image, width, value=0):
    image = validate.grid(image, "image")
    width = validate.non_negative_int(width, "width")
    value = validate.number(value, "value")
    h, w = image.shape
    padded = np.full((h + width, w + width), value, dtype=image.dtype)
    padded[width:, width:] = image
    return padded
