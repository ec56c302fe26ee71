"""feature_maps counts the Input as layer 0 and so returns the activations of model.layers[layer + 1], the next layer."""

LESSON = "05_cnn_in_keras"
MISTAKE = "layer_off_by_one"
FAILING = {"feature_maps_layers"}


def feature_maps(model, image, layer):
    image = np.asarray(image, dtype=np.float32).reshape(28, 28, 1)
    # layer 0 is the Input, so the first Conv2D is layer 1
    probe = keras.Model(inputs=model.inputs[0], outputs=model.layers[layer + 1].output)
    return np.asarray(probe(image[np.newaxis]))[0]
