"""The filtered image is clipped to 0-255 before it is returned, so that it looks like an image."""

LESSON = "02_whole_image"
MISTAKE = "clipped"
FAILING = {"correlate2d_valid", "correlate2d_stride", "correlate2d_same", "correlate2d_uint8"}


def correlate2d(image, kernel, stride=1, padding="valid"):
    image, kernel, stride, padding = validate.image_and_kernel(image, kernel, padding, stride)
    k = kernel.shape[0]
    out_h = conv_output_size(image.shape[0], k, padding, stride)
    out_w = conv_output_size(image.shape[1], k, padding, stride)
    if padding == "same":
        extra_h = max((out_h - 1) * stride + k - image.shape[0], 0)
        extra_w = max((out_w - 1) * stride + k - image.shape[1], 0)
        image = np.pad(image, ((extra_h // 2, extra_h - extra_h // 2), (extra_w // 2, extra_w - extra_w // 2)))
    image = image.astype(float)
    out = np.zeros((out_h, out_w))
    for i in range(out_h):
        for j in range(out_w):
            window = image[i * stride:i * stride + k, j * stride:j * stride + k]
            out[i, j] = np.sum(window * kernel)
    # pixels must be between 0 and 255
    return np.clip(out, 0, 255)
