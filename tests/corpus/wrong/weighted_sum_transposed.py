"""Explicit loops pair patch[i, j] with kernel[j, i], which multiplies by the transposed kernel."""

LESSON = "01_one_pixel"
MISTAKE = "transposed"
FAILING = {"weighted_sum_seed_pixel", "filter_pixel_small_image"}


def weighted_sum(patch, kernel):
    patch, kernel = validate.patch_and_kernel(patch, kernel)
    k = kernel.shape[0]
    total = 0.0
    for i in range(k):
        for j in range(k):
            total += float(patch[i, j]) * kernel[j][i]
    return total
