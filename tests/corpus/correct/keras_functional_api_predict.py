"""Reshape with reshape(-1, 28, 28, 1); both models built with the functional API, keras.Model(inputs, outputs); feature maps from a probe model's predict(...)[0]."""

LESSON = "05_cnn_in_keras"
MISTAKE = None
FAILING = set()


def reshape_and_normalize(images):
    images = validate.fashion_images(images)
    return images.reshape(-1, 28, 28, 1).astype(np.float32) / 255


def build_dense_model():
    inputs = keras.Input(shape=(28, 28, 1))
    x = keras.layers.Flatten()(inputs)
    x = keras.layers.Dense(128, activation="relu")(x)
    outputs = keras.layers.Dense(10, activation="softmax")(x)
    model = keras.Model(inputs=inputs, outputs=outputs)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def build_cnn():
    inputs = keras.Input(shape=(28, 28, 1))
    x = keras.layers.Conv2D(64, (3, 3), activation="relu")(inputs)
    x = keras.layers.MaxPooling2D((2, 2))(x)
    x = keras.layers.Conv2D(64, (3, 3), activation="relu")(x)
    x = keras.layers.MaxPooling2D((2, 2))(x)
    x = keras.layers.Flatten()(x)
    x = keras.layers.Dense(128, activation="relu")(x)
    outputs = keras.layers.Dense(10, activation="softmax")(x)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def feature_maps(model, image, layer):
    image = np.asarray(image, dtype=np.float32).reshape(28, 28, 1)
    probe = keras.Model(model.inputs, model.layers[layer].output)
    return probe.predict(image[None], verbose=0)[0]
