"""weighted_sum multiplies with np.dot, a matrix product (rows times columns), then adds up the result."""

LESSON = "01_one_pixel"
MISTAKE = "matrix_product"
FAILING = {"weighted_sum_seed_pixel", "filter_pixel_small_image"}


def weighted_sum(patch, kernel):
    patch, kernel = validate.patch_and_kernel(patch, kernel)
    return float(np.dot(patch.astype(float), kernel).sum())
