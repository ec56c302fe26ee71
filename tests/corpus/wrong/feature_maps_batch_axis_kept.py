"""feature_maps returns what predict gives for a batch of one image, shape (1, H, W, F), without taking its only item."""

LESSON = "05_cnn_in_keras"
MISTAKE = "batch_axis_kept"
FAILING = {"feature_maps_layers"}


def feature_maps(model, image, layer):
    image = np.asarray(image, dtype=np.float32).reshape(28, 28, 1)
    probe = keras.Model(inputs=model.inputs[0], outputs=model.layers[layer].output)
    return probe.predict(image[np.newaxis], verbose=0)
