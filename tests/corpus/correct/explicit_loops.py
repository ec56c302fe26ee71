"""weighted_sum and filter_pixel written with explicit Python loops over the kernel, converting each pixel to float."""

LESSON = "01_one_pixel"
MISTAKE = None
FAILING = set()


def weighted_sum(patch, kernel):
    patch, kernel = validate.patch_and_kernel(patch, kernel)
    total = 0.0
    for i in range(kernel.shape[0]):
        for j in range(kernel.shape[1]):
            total += float(patch[i, j]) * float(kernel[i, j])
    return total


def filter_pixel(image, kernel, row, col):
    image, kernel, row, col = validate.pixel_window(image, kernel, row, col)
    half = kernel.shape[0] // 2
    total = 0.0
    for di in range(-half, half + 1):
        for dj in range(-half, half + 1):
            total += float(image[row + di, col + dj]) * float(kernel[di + half, dj + half])
    return total
