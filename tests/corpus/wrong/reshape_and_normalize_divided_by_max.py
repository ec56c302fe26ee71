"""reshape_and_normalize divides by the brightest pixel of the batch instead of by 255, the brightest possible pixel."""

LESSON = "05_cnn_in_keras"
MISTAKE = "normalised_by_max"
FAILING = {"reshape_and_normalize_batch"}


def reshape_and_normalize(images):
    images = validate.fashion_images(images)
    images = images.astype(np.float32)
    images = images / images.max()
    return images.reshape(images.shape[0], 28, 28, 1)
