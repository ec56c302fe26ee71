"""pad2d with np.pad and to_display with np.interp (rescale) and np.minimum/np.maximum (clip)."""

LESSON = "02_whole_image"
MISTAKE = None
FAILING = set()


def pad2d(image, width, value=0):
    image = validate.grid(image, "image")
    width = validate.non_negative_int(width, "width")
    value = validate.number(value, "value")
    return np.pad(image, width, mode="constant", constant_values=value)


def to_display(values, mode="clip"):
    values = validate.grid(values, "values")
    mode = validate.display_mode(mode)
    values = values.astype(float)
    if mode == "clip":
        shown = np.minimum(np.maximum(values, 0), 255)
    elif values.max() == values.min():
        shown = np.zeros_like(values)
    else:
        shown = np.interp(values, [values.min(), values.max()], [0, 255])
    return np.round(shown).astype(np.uint8)
