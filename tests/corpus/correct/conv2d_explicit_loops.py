"""conv2d with explicit loops over output pixels, filters and channels, padding 'same' into a zero canvas."""

LESSON = "04_filters_to_layers"
MISTAKE = None
FAILING = set()


def conv2d(x, kernels, bias, stride=1, padding="valid"):
    x, kernels, bias, stride, padding = validate.conv_layer(x, kernels, bias, stride, padding)
    height, width, channels = x.shape
    k, filters = kernels.shape[0], kernels.shape[3]
    if padding == "same":
        out_h, out_w = (height + stride - 1) // stride, (width + stride - 1) // stride
        total_h = max((out_h - 1) * stride + k - height, 0)
        total_w = max((out_w - 1) * stride + k - width, 0)
        top, left = total_h // 2, total_w // 2  # Keras: the odd extra zero goes after
        canvas = np.zeros((height + total_h, width + total_w, channels))
        canvas[top:top + height, left:left + width] = x
    else:
        out_h, out_w = (height - k) // stride + 1, (width - k) // stride + 1
        canvas = x.astype(np.float64)
    out = np.empty((out_h, out_w, filters))
    for i in range(out_h):
        for j in range(out_w):
            for f in range(filters):
                total = float(bias[f])
                for a in range(k):
                    for b in range(k):
                        for c in range(channels):
                            total += canvas[i * stride + a, j * stride + b, c] * kernels[a, b, c, f]
                out[i, j, f] = total
    return out
