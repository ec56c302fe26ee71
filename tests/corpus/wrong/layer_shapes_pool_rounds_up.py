"""layer_shapes rounds pooled sizes up with math.ceil, as if the last incomplete window were kept (11 -> 6)."""

LESSON = "04_filters_to_layers"
MISTAKE = "pool_rounds_up"
FAILING = {"layer_shapes_seed_cnn"}


def layer_shapes(input_shape, layers):
    shape, layers = validate.layer_stack(input_shape, layers)
    import math
    table = []
    for number, layer in enumerate(layers, start=1):
        kind = layer[0]
        if kind == "conv":
            _, filters, k, padding = layer
            rows, cols, channels = shape
            if padding == "valid":
                rows, cols = rows - k + 1, cols - k + 1
            params, shape = count_conv_params(k, channels, filters), (rows, cols, filters)
        elif kind == "pool":
            size = layer[1]
            params, shape = 0, (math.ceil(shape[0] / size), math.ceil(shape[1] / size), shape[2])
        elif kind == "flatten":
            params, shape = 0, (math.prod(shape),)
        else:
            params, shape = count_dense_params(shape[0], layer[1]), (layer[1],)
        if min(shape) < 1:
            raise ValueError(f"layer {number} {layer} cannot be built: output {shape}")
        table.append((kind, shape, params))
    return table
