"""feature_maps hands the sub-model a single image, shape (28, 28, 1), without the batch axis Keras expects."""

LESSON = "05_cnn_in_keras"
MISTAKE = "batch_axis_missing"
FAILING = {"feature_maps_layers"}


def feature_maps(model, image, layer):
    image = np.asarray(image, dtype=np.float32).reshape(28, 28, 1)
    probe = keras.Model(inputs=model.inputs[0], outputs=model.layers[layer].output)
    return np.asarray(probe(image))
