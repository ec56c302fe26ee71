"""correlate2d by the FFT: SciPy's fftconvolve with the kernel turned 180 degrees (which makes convolution a cross-correlation), then Keras's strided 'same' windows picked out of the stride-1 result."""

LESSON = "02_whole_image"
MISTAKE = None
FAILING = set()


def correlate2d(image, kernel, stride=1, padding="valid"):
    image, kernel, stride, padding = validate.image_and_kernel(image, kernel, padding, stride)
    from scipy.signal import fftconvolve

    k = kernel.shape[0]
    rows = conv_output_size(image.shape[0], k, padding, stride)
    cols = conv_output_size(image.shape[1], k, padding, stride)
    first = [0, 0]
    if padding == "same":
        for axis, out in enumerate((rows, cols)):
            first[axis] = (k - 1) // 2 - max((out - 1) * stride + k - image.shape[axis], 0) // 2
        image = np.pad(image, (k - 1) // 2)
    full = fftconvolve(image.astype(np.float64), kernel[::-1, ::-1].astype(np.float64), mode="valid")
    return full[first[0]::stride, first[1]::stride][:rows, :cols]
