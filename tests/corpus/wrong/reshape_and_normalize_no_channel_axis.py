"""reshape_and_normalize scales to float32 in [0, 1] but returns (n, 28, 28): the grey channel axis Conv2D expects is missing."""

LESSON = "05_cnn_in_keras"
MISTAKE = "channel_axis_missing"
FAILING = {"reshape_and_normalize_batch"}


def reshape_and_normalize(images):
    images = validate.fashion_images(images)
    return images.astype(np.float32) / 255
