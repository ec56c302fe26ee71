"""reshape_and_normalize adds the channel axis and converts to float32 but never divides by 255, so the pixels still run from 0 to 255."""

LESSON = "05_cnn_in_keras"
MISTAKE = "not_normalised"
FAILING = {"reshape_and_normalize_batch"}


def reshape_and_normalize(images):
    images = validate.fashion_images(images)
    return images.reshape(-1, 28, 28, 1).astype("float32")
