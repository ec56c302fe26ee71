"""build_cnn compiles with categorical_crossentropy, which expects one-hot labels, although Fashion-MNIST's labels are the integers 0-9."""

LESSON = "05_cnn_in_keras"
MISTAKE = "one_hot_loss"
FAILING = {"build_cnn_seed"}


def build_cnn():
    model = keras.Sequential([
        keras.Input(shape=(28, 28, 1)),
        keras.layers.Conv2D(64, (3, 3), activation="relu"),
        keras.layers.MaxPooling2D(2, 2),
        keras.layers.Conv2D(64, (3, 3), activation="relu"),
        keras.layers.MaxPooling2D(2, 2),
        keras.layers.Flatten(),
        keras.layers.Dense(128, activation="relu"),
        keras.layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    return model
