"""Layer classes imported by name from tensorflow.keras, the model grown with model.add, kernel_size=3 and pool_size=(2, 2) keywords, the input shape on the first Conv2D, a tf.keras.optimizers.Adam object; reshape with np.reshape and feature maps through a sub-model built from the layer's output."""

LESSON = "05_cnn_in_keras"
MISTAKE = None
FAILING = set()


def reshape_and_normalize(images):
    images = validate.fashion_images(images)
    scaled = images.astype("float32") / 255
    return np.reshape(scaled, (len(scaled), 28, 28, 1))


def build_dense_model():
    from tensorflow.keras.layers import Dense, Flatten, InputLayer
    from tensorflow.keras.models import Sequential

    model = Sequential()
    model.add(InputLayer(shape=(28, 28, 1)))
    model.add(Flatten())
    model.add(Dense(units=128, activation="relu"))
    model.add(Dense(units=10, activation="softmax"))
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def build_cnn():
    import tensorflow as tf
    from tensorflow.keras.layers import Conv2D, Dense, Flatten, MaxPooling2D
    from tensorflow.keras.models import Sequential

    model = Sequential()
    model.add(Conv2D(filters=64, kernel_size=3, activation="relu", input_shape=(28, 28, 1)))
    model.add(MaxPooling2D(pool_size=(2, 2)))
    model.add(Conv2D(filters=64, kernel_size=3, activation="relu"))
    model.add(MaxPooling2D(pool_size=(2, 2)))
    model.add(Flatten())
    model.add(Dense(128, activation="relu"))
    model.add(Dense(10, activation="softmax"))
    model.compile(optimizer=tf.keras.optimizers.Adam(), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model


def feature_maps(model, image, layer):
    image = np.asarray(image, dtype=np.float32).reshape(28, 28, 1)
    probe = keras.Model(inputs=model.inputs, outputs=model.layers[layer].output)
    return probe.predict(image[None], verbose=0)[0]
