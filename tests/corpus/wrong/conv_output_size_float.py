"""The size is divided by the stride with / instead of //, so it comes back as a float (13.5 for 28, 5, 'same', 2)."""

LESSON = "02_whole_image"
MISTAKE = "float_size"
FAILING = {"conv_output_size_worked_sizes", "correlate2d_valid", "correlate2d_stride", "correlate2d_same",
           "correlate2d_uint8"}


def conv_output_size(n, k, padding="valid", stride=1):
    n, k, padding, stride = validate.size_arguments(n, k, padding, stride)
    p = (k - 1) // 2 if padding == "same" else 0
    return (n + 2 * p - k) / stride + 1
