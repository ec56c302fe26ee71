"""The kernel is turned 180 degrees before multiplying (a textbook convolution), so the 192 pixel gives 732."""

LESSON = "01_one_pixel"
MISTAKE = "flipped"
FAILING = {"weighted_sum_seed_pixel", "filter_pixel_small_image"}


def weighted_sum(patch, kernel):
    patch, kernel = validate.patch_and_kernel(patch, kernel)
    # convolution flips the kernel, like in my signal-processing class
    flipped = np.flip(kernel)
    return float(np.sum(patch.astype(float) * flipped))
