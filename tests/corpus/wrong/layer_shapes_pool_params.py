"""layer_shapes counts a pooling window like a small kernel per channel, (size * size + 1) * channels parameters."""

LESSON = "04_filters_to_layers"
MISTAKE = "pool_params"
FAILING = {"layer_shapes_seed_cnn"}


def layer_shapes(input_shape, layers):
    shape, layers = validate.layer_stack(input_shape, layers)
    table = []
    for number, layer in enumerate(layers, start=1):
        if layer[0] == "conv":
            _, filters, k, padding = layer
            h, w, c = shape
            if padding == "valid":
                h, w = h - k + 1, w - k + 1
            params = count_conv_params(k, c, filters)
            shape = (h, w, filters)
        elif layer[0] == "pool":
            size = layer[1]
            h, w, c = shape
            params = (size * size + 1) * c  # a 2x2 window per channel, plus its bias
            shape = (h // size, w // size, c)
        elif layer[0] == "flatten":
            params = 0
            shape = (int(np.prod(shape)),)
        else:
            params = count_dense_params(shape[0], layer[1])
            shape = (layer[1],)
        if min(shape) < 1:
            raise ValueError(f"layer {number} {layer} does not fit: its output would be {shape}")
        table.append((layer[0], shape, params))
    return table
