"""pooled_size steps by the window size even when a different stride is given: (n - size) // size + 1."""

LESSON = "03_pooling"
MISTAKE = "stride_as_size"
FAILING = {"pooled_size_worked_sizes", "max_pool2d_like_keras", "avg_pool2d_like_keras"}


def pooled_size(n, size=2, stride=None, padding="valid"):
    n, size, stride, padding = validate.pool_size_arguments(n, size, stride, padding)
    if padding == "same":
        return -(-n // stride)
    return (n - size) // size + 1
