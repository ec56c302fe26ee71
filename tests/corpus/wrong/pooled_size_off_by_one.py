"""pooled_size counts the steps between windows, (n - size) // stride, not the windows: one too few."""

LESSON = "03_pooling"
MISTAKE = "size_short"
FAILING = {"pooled_size_worked_sizes", "max_pool2d_like_keras", "avg_pool2d_like_keras"}


def pooled_size(n, size=2, stride=None, padding="valid"):
    n, size, stride, padding = validate.pool_size_arguments(n, size, stride, padding)
    if padding == "same":
        return (n + stride - 1) // stride
    return (n - size) // stride
