"""pooled_size written like a stride-1 convolution: n - size + 1 window positions, as if the windows moved one pixel at a time."""

LESSON = "03_pooling"
MISTAKE = "overlapping"
FAILING = {"pooled_size_worked_sizes", "max_pool2d_like_keras", "avg_pool2d_like_keras"}


def pooled_size(n, size=2, stride=None, padding="valid"):
    n, size, stride, padding = validate.pool_size_arguments(n, size, stride, padding)
    if padding == "same":
        return n
    return n - size + 1
