#!/usr/bin/env python
"""Generate the real-Keras test data of analyze / lsuv / compare (issue 6).

Run with the pinned venv (testdata/setup-venv.sh; scikit-learn is pinned there for the digits):

    .venv/bin/python testdata/generate_analysis.py

Writes:

    analysis/models/mlp20/tfkeras.h5     20 Dense(128, relu) layers + Dense(10, softmax) on 64 inputs,
    analysis/models/mlp20/keras3.keras   He-normal kernels, zero biases; tf-keras and Keras 3, same weights
    analysis/models/tanh6/tfkeras.h5     6 Dense(64, tanh) + Dense(1, sigmoid), RandomNormal(stddev=1)
                                         kernels: a net whose tanh units saturate
    data/digits.npz                      scikit-learn's bundled 8x8 handwritten digits (UCI, 1797 images),
                                         pixels / 16 as float32; a stratified 80/20 split with seed 0:
                                         x_train (1437, 64), y_train (1437,) int64, x_test, y_test
    analysis/models/cnn8/tfkeras.h5      Conv2D(8, 3, relu) + Flatten + Dense(10, softmax) on 8x8x1 images
    analysis/models/lstm8/tfkeras.h5     LSTM(32) + Dense(10, softmax) over the 8 rows of 8 pixels
                                         (and keras3.keras of each, same weights)
    analysis/models/multi8/keras3.keras  two inputs (image 8x8x1, aux (4,)) and two softmax outputs
                                         (digit, echo): Conv2D(4, 3, relu) + Flatten, concatenated
                                         with Dense(8, tanh) of aux; Keras 3 only (compare of a
                                         multi-input/output model: the digits feed image, aux is
                                         generated)
    data/digits_png/<class>/NNN.png      the first 5 test digits of each class as 8x8 grayscale PNGs
                                         (round(pixel * 255)), written by TensorFlow's PNG encoder

Deterministic (fixed seeds); the .npz and the weights are identical between runs.
"""
import keras_env  # noqa: F401  (first: quiet, CPU-only TensorFlow)

from pathlib import Path

import numpy as np
import tensorflow as tf
import keras
import tf_keras
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

HERE = Path(__file__).resolve().parent
# not under models/: generate.py wipes that directory
MODELS = HERE / "analysis" / "models"
DATA = HERE / "data"


def mlp20(lib):
    lib.utils.set_random_seed(20)
    layers = [lib.Input(shape=(64,), name="input")]
    for i in range(20):
        layers.append(lib.layers.Dense(128, activation="relu", kernel_initializer="he_normal",
                                       name=f"dense_{i + 1:02d}"))
    layers.append(lib.layers.Dense(10, activation="softmax", name="head"))
    return lib.Sequential(layers, name="mlp20")


def tanh6(lib):
    lib.utils.set_random_seed(6)
    init = lib.initializers.RandomNormal(stddev=1.0, seed=6)
    layers = [lib.Input(shape=(16,), name="input")]
    for i in range(6):
        layers.append(lib.layers.Dense(64, activation="tanh", kernel_initializer=init, name=f"tanh_{i + 1}"))
    layers.append(lib.layers.Dense(1, activation="sigmoid", name="out"))
    return lib.Sequential(layers, name="tanh6")


def save(name, build):
    d = MODELS / name
    d.mkdir(parents=True, exist_ok=True)
    tfk = build(tf_keras)
    tfk.save(d / "tfkeras.h5")
    k3 = build(keras)
    k3.set_weights(tfk.get_weights())
    k3.save(d / "keras3.keras")
    x = np.random.default_rng(1).standard_normal((8,) + tuple(tfk.input_shape[1:])).astype("float32")
    diff = np.max(np.abs(tfk.predict(x, verbose=0) - k3.predict(x, verbose=0)))
    if diff > 1e-5:
        raise RuntimeError(f"{name}: tf-keras and Keras 3 differ by {diff}")
    print(f"wrote {d}")


def cnn8(lib):
    lib.utils.set_random_seed(8)
    return lib.Sequential([
        lib.Input(shape=(8, 8, 1), name="image"),
        lib.layers.Conv2D(8, 3, activation="relu", name="conv"),
        lib.layers.Flatten(name="flatten"),
        lib.layers.Dense(10, activation="softmax", name="head"),
    ], name="cnn8")


def lstm8(lib):
    lib.utils.set_random_seed(18)
    return lib.Sequential([
        lib.Input(shape=(8, 8), name="rows"),
        lib.layers.LSTM(32, name="lstm"),
        lib.layers.Dense(10, activation="softmax", name="head"),
    ], name="lstm8")


def multi8():
    keras.utils.set_random_seed(88)
    image = keras.Input(shape=(8, 8, 1), name="image")
    aux = keras.Input(shape=(4,), name="aux")
    a = keras.layers.Conv2D(4, 3, activation="relu", name="conv")(image)
    a = keras.layers.Flatten(name="flatten")(a)
    b = keras.layers.Dense(8, activation="tanh", name="aux_dense")(aux)
    x = keras.layers.Concatenate(name="concat")([a, b])
    digit = keras.layers.Dense(10, activation="softmax", name="digit")(x)
    echo = keras.layers.Dense(10, activation="softmax", name="echo")(a)
    return keras.Model([image, aux], [digit, echo], name="multi8")


def save_keras3(name, build):
    d = MODELS / name
    d.mkdir(parents=True, exist_ok=True)
    build().save(d / "keras3.keras")
    print(f"wrote {d}")


def digit_pngs(x_test, y_test):
    root = DATA / "digits_png"
    for c in range(10):
        d = root / str(c)
        d.mkdir(parents=True, exist_ok=True)
        for i, row in enumerate(x_test[y_test == c][:5]):
            img = np.round(row.reshape(8, 8, 1) * 255).astype("uint8")
            tf.io.write_file(str(d / f"{i:03d}.png"), tf.io.encode_png(img))
    print(f"wrote {root}")


def digits():
    DATA.mkdir(parents=True, exist_ok=True)
    d = load_digits()
    x = (d.data / 16.0).astype("float32")
    y = d.target.astype("int64")
    x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.2, random_state=0, stratify=y)
    np.savez(DATA / "digits.npz", x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)
    print(f"wrote {DATA / 'digits.npz'}: {x_train.shape[0]} train, {x_test.shape[0]} test")
    digit_pngs(x_test, y_test)


if __name__ == "__main__":
    save("mlp20", mlp20)
    save("tanh6", tanh6)
    save("cnn8", cnn8)
    save("lstm8", lstm8)
    save_keras3("multi8", multi8)
    digits()
