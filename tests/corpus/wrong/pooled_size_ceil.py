"""pooled_size rounds up for both paddings (7 pixels in 2x2 blocks -> 4), so 'valid' keeps the odd edge."""

LESSON = "03_pooling"
MISTAKE = "odd_edge"
FAILING = {"pooled_size_worked_sizes", "max_pool2d_like_keras", "avg_pool2d_like_keras"}


def pooled_size(n, size=2, stride=None, padding="valid"):
    n, size, stride, padding = validate.pool_size_arguments(n, size, stride, padding)
    return int(np.ceil(n / stride))
