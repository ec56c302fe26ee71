"""The products are summed without converting the uint8 patch, so a uint8 kernel overflows and wraps modulo 256."""

LESSON = "01_one_pixel"
MISTAKE = "uint8"
FAILING = {"weighted_sum_seed_pixel"}


def weighted_sum(patch, kernel):
    patch, kernel = validate.patch_and_kernel(patch, kernel)
    return np.sum(patch * kernel)
