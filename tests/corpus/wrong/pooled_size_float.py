"""pooled_size divides with / instead of //, so it returns a float (2.0 for 4 pixels) that no array shape or slice accepts."""

LESSON = "03_pooling"
MISTAKE = "float_size"
FAILING = {"pooled_size_worked_sizes", "max_pool2d_like_keras", "avg_pool2d_like_keras"}


def pooled_size(n, size=2, stride=None, padding="valid"):
    n, size, stride, padding = validate.pool_size_arguments(n, size, stride, padding)
    if padding == "same":
        return np.ceil(n / stride)
    return (n - size) / stride + 1
