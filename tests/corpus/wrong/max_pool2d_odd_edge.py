"""max_pool2d steps through range(0, H, stride), so the last, incomplete window (cut short by slicing) is kept in 'valid'."""

LESSON = "03_pooling"
MISTAKE = "odd_edge"
FAILING = {"max_pool2d_like_keras"}


def max_pool2d(x, size=2, stride=None, padding="valid"):
    x, size, stride, padding = validate.pooling(x, size, stride, padding)
    rows = []
    for r in range(0, x.shape[0], stride):
        row = []
        for c in range(0, x.shape[1], stride):
            row.append(x[r:r + size, c:c + size].max(axis=(0, 1)))
        rows.append(row)
    return np.array(rows, dtype=x.dtype)
