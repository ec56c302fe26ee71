"""np.expand_dims and a division by np.float32(255); both models grown with model.add(...); feature maps by calling the model's first layers one after another."""

LESSON = "05_cnn_in_keras"
MISTAKE = None
FAILING = set()


def reshape_and_normalize(images):
    images = validate.fashion_images(images)
    return np.expand_dims(images, axis=-1) / np.float32(255)


def build_dense_model():
    model = keras.Sequential()
    model.add(keras.Input(shape=(28, 28, 1)))
    model.add(keras.layers.Flatten())
    model.add(keras.layers.Dense(128, activation="relu"))
    model.add(keras.layers.Dense(10, activation="softmax"))
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def build_cnn():
    model = keras.Sequential()
    model.add(keras.Input(shape=(28, 28, 1)))
    for _ in range(2):
        model.add(keras.layers.Conv2D(64, 3, activation="relu"))
        model.add(keras.layers.MaxPooling2D())
    model.add(keras.layers.Flatten())
    model.add(keras.layers.Dense(128, activation="relu"))
    model.add(keras.layers.Dense(10, activation="softmax"))
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def feature_maps(model, image, layer):
    image = np.asarray(image, dtype=np.float32).reshape(28, 28, 1)
    x = image[np.newaxis]
    for current in model.layers[:layer + 1]:
        x = current(x)
    return keras.ops.convert_to_numpy(x)[0]
