"""The output size is computed as n - k (the steps between window positions) instead of n - k + 1 positions."""

LESSON = "02_whole_image"
MISTAKE = "size_short"
FAILING = {"conv_output_size_worked_sizes", "correlate2d_valid", "correlate2d_stride", "correlate2d_same",
           "correlate2d_uint8"}


def conv_output_size(n, k, padding="valid", stride=1):
    n, k, padding, stride = validate.size_arguments(n, k, padding, stride)
    if padding == "same":
        n = n + 2 * ((k - 1) // 2)
    return (n - k) // stride
