#!/usr/bin/env python
"""The models of the initialization experiment (docs/initialization-experiment.md), built with real
Keras 3 into a work directory (never committed: docs/experiment/run.py regenerates everything).

    python docs/experiment/generate_models.py WORKDIR DIGITS.npz

Writes, for each architecture ARCH in mlp, cnn, lstm (all on the 8x8 digits, softmax over 10):

    WORKDIR/ARCH.keras          the untrained model as Keras builds it (its configured initializers)
    WORKDIR/ARCH-source.keras   a pretraining source: the same architecture (same layer names), seeded
                                apart, trained by Keras for 3 epochs on the second half of the training
                                set; `initkit transplant` moves its weights into ARCH.keras to make the
                                "pretrained" scheme

mlp: 6 x Dense(128, relu) on the 64 pixels; cnn: two Conv2D(relu) + BatchNormalization + MaxPooling2D
blocks on 8x8x1; lstm: LSTM(64) over the 8 rows of 8 pixels. Seeded; Keras is the only judge of what
the files mean.
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "testdata"))
import keras_env  # noqa: E402,F401  (first: quiet, CPU-only TensorFlow)

import numpy as np  # noqa: E402
import keras  # noqa: E402


def mlp():
    layers = [keras.Input(shape=(64,), name="pixels")]
    for i in range(6):
        layers.append(keras.layers.Dense(128, activation="relu", name=f"dense_{i + 1}"))
    layers.append(keras.layers.Dense(10, activation="softmax", name="head"))
    return keras.Sequential(layers, name="mlp")


def cnn():
    return keras.Sequential([
        keras.Input(shape=(8, 8, 1), name="image"),
        keras.layers.Conv2D(16, 3, padding="same", activation="relu", name="conv_1"),
        keras.layers.BatchNormalization(name="bn_1"),
        keras.layers.MaxPooling2D(2, name="pool_1"),
        keras.layers.Conv2D(32, 3, padding="same", activation="relu", name="conv_2"),
        keras.layers.BatchNormalization(name="bn_2"),
        keras.layers.MaxPooling2D(2, name="pool_2"),
        keras.layers.Flatten(name="flatten"),
        keras.layers.Dense(10, activation="softmax", name="head"),
    ], name="cnn")


def lstm():
    return keras.Sequential([
        keras.Input(shape=(8, 8), name="rows"),
        keras.layers.LSTM(64, name="lstm"),
        keras.layers.Dense(10, activation="softmax", name="head"),
    ], name="lstm")


def main():
    work, digits = sys.argv[1], sys.argv[2]
    os.makedirs(work, exist_ok=True)
    d = np.load(digits)
    x, y = d["x_train"].astype("float32"), d["y_train"].astype("int64")
    half = len(x) // 2
    for seed, (name, build) in enumerate([("mlp", mlp), ("cnn", cnn), ("lstm", lstm)], start=1):
        keras.utils.set_random_seed(seed)
        model = build()
        model.save(os.path.join(work, f"{name}.keras"))
        keras.utils.set_random_seed(100 + seed)
        source = build()
        shape = (-1,) + tuple(source.inputs[0].shape[1:])
        source.compile(optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy")
        source.fit(x[half:].reshape(shape), y[half:], batch_size=32, epochs=3, verbose=0, shuffle=True)
        source.save(os.path.join(work, f"{name}-source.keras"))
        print(f"{name}: {model.count_params()} parameters")


if __name__ == "__main__":
    main()
