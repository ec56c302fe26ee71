"""layer_shapes flattens the last convolution's feature maps (11 x 11 x 64 = 7744), skipping the pooling after it."""

LESSON = "04_filters_to_layers"
MISTAKE = "flatten_off"
FAILING = {"layer_shapes_seed_cnn"}


def layer_shapes(input_shape, layers):
    shape, layers = validate.layer_stack(input_shape, layers)
    table = []
    feature_maps = shape
    for number, layer in enumerate(layers, start=1):
        kind = layer[0]
        if kind == "conv":
            _, filters, k, padding = layer
            h, w, c = shape
            if padding == "valid":
                h, w = h - k + 1, w - k + 1
            params, shape = count_conv_params(k, c, filters), (h, w, filters)
            feature_maps = shape  # what the filters found
        elif kind == "pool":
            params, shape = 0, (shape[0] // layer[1], shape[1] // layer[1], shape[2])
        elif kind == "flatten":
            params, shape = 0, (feature_maps[0] * feature_maps[1] * feature_maps[2],)  # unroll the feature maps
        else:
            params, shape = count_dense_params(shape[0], layer[1]), (layer[1],)
        if min(shape) < 1:
            raise ValueError(f"layer {number} {layer} cannot be built: output {shape}")
        table.append((kind, shape, params))
    return table
