"""layer_shapes never checks that a layer fits, so a stack too deep for its input comes back with negative sizes."""

LESSON = "04_filters_to_layers"
MISTAKE = "impossible_accepted"
FAILING = {"layer_shapes_seed_cnn"}


def layer_shapes(input_shape, layers):
    shape, layers = validate.layer_stack(input_shape, layers)
    table = []
    for layer in layers:
        kind = layer[0]
        if kind == "conv":
            _, filters, k, padding = layer
            rows, cols, channels = shape
            if padding == "valid":
                rows, cols = rows - k + 1, cols - k + 1
            params, shape = count_conv_params(k, channels, filters), (rows, cols, filters)
        elif kind == "pool":
            params, shape = 0, (shape[0] // layer[1], shape[1] // layer[1], shape[2])
        elif kind == "flatten":
            params, shape = 0, (int(np.prod(shape)),)
        else:
            params, shape = count_dense_params(shape[0], layer[1]), (layer[1],)
        table.append((kind, shape, params))
    return table
