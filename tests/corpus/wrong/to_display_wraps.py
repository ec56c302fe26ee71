"""'clip' converts straight to uint8 without clipping, so -20 wraps to 236 and 300 to 44."""

LESSON = "02_whole_image"
MISTAKE = "display_wrapped"
FAILING = {"to_display_clip_and_rescale"}


def to_display(values, mode="clip"):
    values = validate.grid(values, "values")
    mode = validate.display_mode(mode)
    if mode == "rescale":
        low, high = values.min(), values.max()
        if high == low:
            return np.zeros(values.shape, dtype=np.uint8)
        values = (values - low) / (high - low) * 255
    return np.round(values).astype(np.uint8)
