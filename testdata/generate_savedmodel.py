#!/usr/bin/env python
"""Generate the SavedModel test data under testdata/models/savedmodel/.

Run with the pinned venv:  .venv/bin/python testdata/generate_savedmodel.py

Every SavedModel is written by real TensorFlow, never by hand:

    NAME/tfkeras/        tf-keras model.save(dir, save_format="tf"): variables, the object
                         graph and keras_metadata.pb (the Keras config)
    NAME/tfkeras/ of "subclassed": a subclassed tf-keras model (no .h5: it has no config)
    NAME/keras3_export/  Keras 3 model.export(dir): a serving SavedModel, inference only,
                         no Keras metadata
    NAME/tfkeras.h5      the same tf-keras model as HDF5 (same weights), for convert checks
                         ("compiled": trained with Adam, so the checkpoint holds optimizer state)
    NAME/input.npz       fixed inputs x0
    NAME/expected.npz    the model's predictions y0 (the same for every file of NAME)

Deterministic (fixed seeds); the SavedModel bytes differ between runs only where TF
stamps them (fingerprint.pb).
"""
import keras_env  # noqa: F401  (first: quiet, CPU-only TensorFlow)

import shutil
from pathlib import Path

import numpy as np
import tensorflow as tf

import keras  # noqa: E402  (Keras 3)
import tf_keras  # noqa: E402  (Keras 2 API)

OUT = Path(__file__).resolve().parent / "models" / "savedmodel"


def tfk_mlp():
    L = tf_keras.layers
    return tf_keras.Sequential([
        L.InputLayer(input_shape=(6,)),
        L.Dense(16, activation="relu", kernel_initializer="he_normal", name="dense_relu"),
        L.Dropout(0.2, name="drop"),
        L.Dense(8, activation="tanh", name="dense_tanh"),
        L.Dense(3, activation="softmax", name="head"),
    ], name="mlp")


def tfk_cnn():
    L = tf_keras.layers
    inp = L.Input((8, 8, 2), name="image")
    x = L.Conv2D(4, 3, padding="same", name="conv")(inp)
    x = L.BatchNormalization(name="bn")(x)
    x = L.Activation("relu", name="act")(x)
    x = L.MaxPooling2D(2, name="pool")(x)
    x = L.Flatten(name="flat")(x)
    out = L.Dense(5, name="logits")(x)
    return tf_keras.Model(inp, out, name="cnn")


def tfk_residual():
    """Functional with merges: a residual Add and a Concatenate."""
    L = tf_keras.layers
    inp = L.Input((6,), name="x")
    h = L.Dense(6, activation="relu", name="d1")(inp)
    r = L.Add(name="res")([inp, h])
    c = L.Concatenate(name="cat")([r, L.Dense(3, activation="tanh", name="d2")(r)])
    out = L.Dense(2, name="head")(c)
    return tf_keras.Model(inp, out, name="residual")


def tfk_lstm():
    L = tf_keras.layers
    return tf_keras.Sequential([
        L.InputLayer(input_shape=(4, 3)),
        L.LSTM(5, name="lstm"),
        L.Dense(2, name="head"),
    ], name="lstm_model")


def tfk_embed_gru():
    L = tf_keras.layers
    return tf_keras.Sequential([
        L.InputLayer(input_shape=(5,), dtype="int32"),
        L.Embedding(20, 4, name="embed"),
        L.GRU(6, name="gru"),
        L.Dense(1, name="head"),
    ], name="embed_gru")


def save_tfkeras_compiled(name):
    """A compiled, trained tf-keras model: its checkpoint holds Adam's slots and step counter."""
    tf_keras.utils.set_random_seed(1)
    L = tf_keras.layers
    model = tf_keras.Sequential([
        L.InputLayer(input_shape=(4,)),
        L.Dense(8, activation="relu", name="d1"),
        L.Dense(1, name="d2"),
    ], name="compiled")
    model.compile(optimizer="adam", loss="mse")
    x = inputs((4,))
    rng = np.random.default_rng(0)
    xt = rng.normal(size=(16, 4)).astype("float32")
    model.fit(xt, xt.sum(axis=1, keepdims=True), epochs=2, verbose=0)
    d = OUT / name
    shutil.rmtree(d, ignore_errors=True)
    d.mkdir(parents=True)
    model.save(d / "tfkeras", save_format="tf")
    model.save(d / "tfkeras.h5")
    np.savez(d / "input.npz", x0=x)
    np.savez(d / "expected.npz", y0=model.predict(x, verbose=0))
    print("wrote", d)


class Subclassed(tf_keras.Model):
    """A subclassed model: Keras metadata per layer, but no layer graph in the root's config."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.a = tf_keras.layers.Dense(8, activation="relu", name="a")
        self.b = tf_keras.layers.Dense(2, name="b")

    def call(self, x):
        return self.b(self.a(x))


def save_tfkeras_subclassed(name):
    tf_keras.utils.set_random_seed(1)
    model = Subclassed(name="subclassed")
    x = inputs((4,))
    model(x)
    d = OUT / name
    shutil.rmtree(d, ignore_errors=True)
    d.mkdir(parents=True)
    model.save(d / "tfkeras", save_format="tf")
    np.savez(d / "input.npz", x0=x)
    np.savez(d / "expected.npz", y0=model.predict(x, verbose=0))
    print("wrote", d)


def k3_mlp():
    L = keras.layers
    return keras.Sequential([
        keras.Input((6,)),
        L.Dense(16, activation="relu", name="dense_relu"),
        L.Dense(3, name="head"),
    ], name="k3_mlp")


def inputs(shape, integer=False):
    rng = np.random.default_rng(7)
    if integer:
        return rng.integers(0, 20, size=(3,) + shape).astype("int32")
    return rng.normal(size=(3,) + shape).astype("float32")


def settle_batchnorm(model, x):
    """Give BatchNormalization non-trivial moving statistics (as after training)."""
    for layer in model.layers:
        if "BatchNormalization" in type(layer).__name__:
            mm, mv = layer.moving_mean, layer.moving_variance
            rng = np.random.default_rng(3)
            mm.assign(rng.normal(size=mm.shape).astype("float32") * 0.1)
            mv.assign(rng.uniform(0.5, 1.5, size=mv.shape).astype("float32"))


def save_tfkeras(name, build, shape, integer=False):
    tf_keras.utils.set_random_seed(1)
    model = build()
    x = inputs(shape, integer)
    settle_batchnorm(model, x)
    d = OUT / name
    shutil.rmtree(d, ignore_errors=True)
    d.mkdir(parents=True)
    model.save(d / "tfkeras", save_format="tf")
    model.save(d / "tfkeras.h5")
    np.savez(d / "input.npz", x0=x)
    np.savez(d / "expected.npz", y0=model.predict(x, verbose=0))
    print("wrote", d)


def save_keras3_export(name, build, shape):
    keras.utils.set_random_seed(1)
    model = build()
    x = inputs(shape)
    d = OUT / name
    shutil.rmtree(d, ignore_errors=True)
    d.mkdir(parents=True)
    model.export(str(d / "keras3_export"), format="tf_saved_model", verbose=False)
    model.save(d / "keras3.keras")
    np.savez(d / "input.npz", x0=x)
    np.savez(d / "expected.npz", y0=np.asarray(model.predict(x, verbose=0)))
    print("wrote", d)


def main():
    save_tfkeras("mlp", tfk_mlp, (6,))
    save_tfkeras("cnn", tfk_cnn, (8, 8, 2))
    save_tfkeras("lstm", tfk_lstm, (4, 3))
    save_tfkeras("residual", tfk_residual, (6,))
    save_tfkeras("embed_gru", tfk_embed_gru, (5,), integer=True)
    save_tfkeras_compiled("compiled")
    save_tfkeras_subclassed("subclassed")
    save_keras3_export("k3_mlp_export", k3_mlp, (6,))


if __name__ == "__main__":
    main()
