"""build_dense_model keeps the softmax on its last layer and also compiles with SparseCategoricalCrossentropy(from_logits=True), so softmax is applied twice."""

LESSON = "05_cnn_in_keras"
MISTAKE = "softmax_from_logits"
FAILING = {"build_dense_model_seed"}


def build_dense_model():
    model = keras.Sequential([
        keras.Input(shape=(28, 28, 1)),
        keras.layers.Flatten(),
        keras.layers.Dense(128, activation="relu"),
        keras.layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer="adam",
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    return model
