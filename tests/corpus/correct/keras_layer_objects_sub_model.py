"""Scale in float64 then cast to float32; keyword arguments, keras.activations functions and loss and optimizer objects; feature maps from a Sequential of the model's first layers."""

LESSON = "05_cnn_in_keras"
MISTAKE = None
FAILING = set()


def reshape_and_normalize(images):
    images = validate.fashion_images(images)
    scaled = (images / 255).astype(np.float32)
    return scaled.reshape(len(scaled), 28, 28, 1)


def build_dense_model():
    model = keras.Sequential([
        keras.layers.Input(shape=(28, 28, 1)),
        keras.layers.Flatten(),
        keras.layers.Dense(128, activation=keras.activations.relu),
        keras.layers.Dense(10, activation=keras.activations.softmax),
    ])
    model.compile(optimizer=keras.optimizers.Adam(), loss=keras.losses.SparseCategoricalCrossentropy(),
                  metrics=["accuracy"])
    return model


def build_cnn():
    layers = keras.layers
    model = keras.Sequential([
        layers.Input(shape=(28, 28, 1)),
        layers.Conv2D(filters=64, kernel_size=3, activation="relu"),
        layers.MaxPooling2D(pool_size=2),
        layers.Conv2D(filters=64, kernel_size=3, activation="relu"),
        layers.MaxPooling2D(pool_size=2),
        layers.Flatten(),
        layers.Dense(units=128, activation="relu"),
        layers.Dense(units=10, activation="softmax"),
    ], name="seed_cnn")
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.001),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=False), metrics=["accuracy"])
    return model


def feature_maps(model, image, layer):
    image = np.asarray(image, dtype=np.float32).reshape(28, 28, 1)
    first_layers = keras.Sequential(model.layers[:layer + 1])
    return np.array(first_layers(image[None]))[0]
