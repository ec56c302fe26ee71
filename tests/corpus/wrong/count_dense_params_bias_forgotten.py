"""count_dense_params counts one weight per connection, n_in * n_out, and forgets each unit's bias."""

LESSON = "04_filters_to_layers"
MISTAKE = "bias_forgotten"
FAILING = {"count_params_seed_cnn", "layer_shapes_seed_cnn"}
ANSWER_CELLS = {"count_params": ("count_conv_params", "count_dense_params")}


def count_conv_params(k, c_in, filters):
    k, c_in, filters = validate.counts(k=k, c_in=c_in, filters=filters)
    return (k * k * c_in + 1) * filters


def count_dense_params(n_in, n_out):
    n_in, n_out = validate.counts(n_in=n_in, n_out=n_out)
    return n_in * n_out  # every input connects to every output
