"""The sum is clipped to the pixel range 0-255 before it is returned, so 577 comes back as 255."""

LESSON = "01_one_pixel"
MISTAKE = "clipped"
FAILING = {"weighted_sum_seed_pixel", "filter_pixel_small_image"}


def weighted_sum(patch, kernel):
    patch, kernel = validate.patch_and_kernel(patch, kernel)
    total = np.sum(patch.astype(float) * kernel)
    # a pixel has to stay between 0 and 255
    return float(np.clip(total, 0, 255))
