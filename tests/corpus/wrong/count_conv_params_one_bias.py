"""count_conv_params adds one bias for the whole layer instead of one per filter."""

LESSON = "04_filters_to_layers"
MISTAKE = "bias_once"
FAILING = {"count_params_seed_cnn", "layer_shapes_seed_cnn"}
ANSWER_CELLS = {"count_params": ("count_conv_params", "count_dense_params")}


def count_conv_params(k, c_in, filters):
    k, c_in, filters = validate.counts(k=k, c_in=c_in, filters=filters)
    return k * k * c_in * filters + 1


def count_dense_params(n_in, n_out):
    n_in, n_out = validate.counts(n_in=n_in, n_out=n_out)
    return (n_in + 1) * n_out
