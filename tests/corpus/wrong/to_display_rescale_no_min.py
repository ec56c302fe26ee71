"""'rescale' divides by the maximum without subtracting the minimum, so negative values stay below 0."""

LESSON = "02_whole_image"
MISTAKE = "rescale_no_min"
FAILING = {"to_display_clip_and_rescale"}


def to_display(values, mode="clip"):
    values = validate.grid(values, "values")
    mode = validate.display_mode(mode)
    values = values.astype(float)
    if mode == "clip":
        return np.clip(values, 0, 255).astype(np.uint8)
    if values.max() == values.min():
        return np.zeros(values.shape, dtype=np.uint8)
    return (values / values.max() * 255).astype(np.uint8)
