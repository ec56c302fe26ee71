"""layer_shapes dispatching on a dict of per-kind functions; counts written with math.prod."""

LESSON = "04_filters_to_layers"
MISTAKE = None
FAILING = set()
ANSWER_CELLS = {"count_params": ("count_conv_params", "count_dense_params")}


def count_conv_params(k, c_in, filters):
    k, c_in, filters = validate.counts(k=k, c_in=c_in, filters=filters)
    import math
    weights = math.prod((k, k, c_in, filters))
    return weights + filters


def count_dense_params(n_in, n_out):
    n_in, n_out = validate.counts(n_in=n_in, n_out=n_out)
    import math
    return math.prod((n_in, n_out)) + n_out


def layer_shapes(input_shape, layers):
    shape, layers = validate.layer_stack(input_shape, layers)
    import math

    def conv(shape, filters, k, padding):
        shrink = 0 if padding == "same" else k - 1
        return (shape[0] - shrink, shape[1] - shrink, filters), count_conv_params(k, shape[2], filters)

    def pool(shape, size):
        return (shape[0] // size, shape[1] // size, shape[2]), 0

    def flatten(shape):
        return (math.prod(shape),), 0

    def dense(shape, units):
        return (units,), count_dense_params(shape[0], units)

    rules = {"conv": conv, "pool": pool, "flatten": flatten, "dense": dense}
    table = []
    for position, (kind, *args) in enumerate(layers, start=1):
        shape, params = rules[kind](shape, *args)
        if any(n < 1 for n in shape):
            raise ValueError(f"layer {position} ({kind}) leaves no room: its output shape would be {shape}")
        table.append((kind, shape, params))
    return table
