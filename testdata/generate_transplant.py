#!/usr/bin/env python
"""Generate the real-Keras test data of `initkit transplant` under testdata/models/transplant/.

Run with the pinned venv, after generate.py (which wipes testdata/models/):

    .venv/bin/python testdata/generate_transplant.py

Sources are trained for a few steps (Adam, random data), so their weights are no longer at their
initial values; targets are fresh, untrained variants of the same architecture. Every file is
written by real Keras (Keras 3 unless the name says tfkeras). Layout:

    cnn/source.keras              Keras 3 .keras, trained (optimizer state included)
    cnn/source.h5                 Keras 3 legacy h5 of the same model
    cnn/source_tfkeras.h5         tf-keras h5, the same weights (copied layer by layer)
    cnn/source_weights.h5         tf-keras save_weights (legacy weights-only h5, no config)
    cnn/source.weights.h5         Keras 3 save_weights (new layout, no config)
    cnn/same.keras                the source architecture, untrained (Keras 3)
    cnn/same_tfkeras.h5           the source architecture, untrained (tf-keras h5)
    cnn/head3.keras               another head: 3 classes instead of 5
    cnn/gray.keras                grayscale input (1 channel instead of 3)
    cnn/c5.keras                  5 input channels
    cnn/renamed.keras             every layer renamed
    cnn/extra.keras               an extra Dense layer before the head
    cnn/wide.keras                conv2 with 8 filters instead of 6
    cnn/nested.keras              the trunk as a nested Sequential "backbone", then the head
    rnn/lstm_source.keras         Embedding(20) -> LSTM(6) -> Dense(3), trained
    rnn/lstm_units8.keras         LSTM(8)
    rnn/lstm_units4.keras         LSTM(4)
    rnn/lstm_vocab30.keras        Embedding(30)
    rnn/lstm_vocab12.keras        Embedding(12)
    rnn/gru_source.keras          Embedding(20) -> GRU(6) -> Dense(3), trained
    rnn/gru_units8.keras          GRU(8)
    inputs.npz                    rgb (4,8,8,3), gray (4,8,8,1), c5 (4,8,8,5), tokens (4,7) < 12

Layer names of the cnn models: stem (Conv2D 3x3, 4 filters), bn, relu, conv2 (Conv2D 3x3, 6
filters), gap, head (Dense softmax); renamed.keras uses features_conv0, features_norm0,
features_relu0, features_conv1, features_pool, classifier. Deterministic: fixed seeds, op
determinism.
"""
import keras_env  # noqa: F401  (first: quiet, CPU-only TensorFlow)

import shutil
import sys
import time
from pathlib import Path

import numpy as np
import tensorflow as tf

keras_env.determinism()

import keras  # noqa: E402  (Keras 3)
import tf_keras  # noqa: E402

HERE = Path(__file__).resolve().parent
OUT = HERE / "models" / "transplant"

NAMES = dict(stem="stem", bn="bn", relu="relu", conv2="conv2", gap="gap", head="head")
RENAMED = dict(stem="features_conv0", bn="features_norm0", relu="features_relu0", conv2="features_conv1",
               gap="features_pool", head="classifier")


def trunk(K, n, conv2_filters=6):
    L = K.layers
    return [
        L.Conv2D(4, 3, padding="same", name=n["stem"]),
        L.BatchNormalization(name=n["bn"]),
        L.ReLU(name=n["relu"]),
        L.Conv2D(conv2_filters, 3, padding="same", kernel_initializer="he_normal", name=n["conv2"]),
        L.GlobalAveragePooling2D(name=n["gap"]),
    ]


def cnn(K, channels=3, classes=5, names=NAMES, conv2_filters=6, extra=False):
    L = K.layers
    x = inp = K.Input(shape=(8, 8, channels), name="image")
    for layer in trunk(K, names, conv2_filters):
        x = layer(x)
    if extra:
        x = L.Dense(conv2_filters, activation="relu", name="extra")(x)
    out = L.Dense(classes, activation="softmax", name=names["head"])(x)
    return K.Model(inp, out, name="cnn")


def cnn_nested(K):
    L = K.layers
    backbone = K.Sequential([K.Input(shape=(8, 8, 3))] + trunk(K, NAMES), name="backbone")
    inp = K.Input(shape=(8, 8, 3), name="image")
    out = L.Dense(5, activation="softmax", name="head")(backbone(inp))
    return K.Model(inp, out, name="cnn_nested")


def rnn(K, cell="lstm", units=6, vocab=20):
    L = K.layers
    inp = K.Input(shape=(7,), dtype="int32", name="tokens")
    x = L.Embedding(vocab, 4, name="emb")(inp)
    x = (L.LSTM if cell == "lstm" else L.GRU)(units, name="rnn")(x)
    out = L.Dense(3, activation="softmax", name="head")(x)
    return K.Model(inp, out, name=cell)


def train(model, x, classes, seed):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, classes, size=(len(x),))
    model.compile(optimizer=keras.optimizers.Adam(0.05), loss="sparse_categorical_crossentropy")
    model.fit(x, y, batch_size=8, epochs=3, verbose=0, shuffle=False)


def copy_to_tfkeras(src, dst):
    for a, b in zip(src.layers, dst.layers):
        b.set_weights(a.get_weights())


def fresh(build, path, seed):
    keras_env.fresh_session(seed)
    m = build()
    m.save(path)
    return m


def main():
    t0 = time.time()
    if OUT.exists():
        shutil.rmtree(OUT)
    (OUT / "cnn").mkdir(parents=True)
    (OUT / "rnn").mkdir(parents=True)
    rng = np.random.default_rng(7)
    inputs = {
        "rgb": rng.normal(size=(4, 8, 8, 3)).astype("float32"),
        "gray": rng.normal(size=(4, 8, 8, 1)).astype("float32"),
        "c5": rng.normal(size=(4, 8, 8, 5)).astype("float32"),
        "tokens": rng.integers(0, 12, size=(4, 7)).astype("int32"),
    }
    np.savez(OUT / "inputs.npz", **inputs)

    # the trained CNN source, in every generation
    keras_env.fresh_session(1)
    src = cnn(keras)
    x = rng.normal(size=(24, 8, 8, 3)).astype("float32")
    train(src, x, 5, 1)
    src.save(OUT / "cnn/source.keras")
    src.save(OUT / "cnn/source.h5")
    src.save_weights(OUT / "cnn/source.weights.h5")
    tfk = cnn(tf_keras)
    copy_to_tfkeras(src, tfk)
    diff = np.max(np.abs(tfk.predict(inputs["rgb"], verbose=0) - src.predict(inputs["rgb"], verbose=0)))
    assert diff < 1e-5, f"tf-keras copy differs by {diff}"
    tfk.save(OUT / "cnn/source_tfkeras.h5")
    tfk.save_weights(OUT / "cnn/source_weights.h5")

    # untrained targets
    fresh(lambda: cnn(keras), OUT / "cnn/same.keras", 11)
    keras_env.fresh_session(12)
    cnn(tf_keras).save(OUT / "cnn/same_tfkeras.h5")
    fresh(lambda: cnn(keras, classes=3), OUT / "cnn/head3.keras", 13)
    fresh(lambda: cnn(keras, channels=1), OUT / "cnn/gray.keras", 14)
    fresh(lambda: cnn(keras, channels=5), OUT / "cnn/c5.keras", 15)
    fresh(lambda: cnn(keras, names=RENAMED), OUT / "cnn/renamed.keras", 16)
    fresh(lambda: cnn(keras, extra=True), OUT / "cnn/extra.keras", 17)
    fresh(lambda: cnn(keras, conv2_filters=8), OUT / "cnn/wide.keras", 18)
    fresh(lambda: cnn_nested(keras), OUT / "cnn/nested.keras", 19)

    # recurrent sources and targets
    tokens = rng.integers(0, 20, size=(24, 7)).astype("int32")
    for cell, seed in (("lstm", 2), ("gru", 3)):
        keras_env.fresh_session(seed)
        m = rnn(keras, cell)
        train(m, tokens, 3, seed)
        m.save(OUT / f"rnn/{cell}_source.keras")
    fresh(lambda: rnn(keras, "lstm", units=8), OUT / "rnn/lstm_units8.keras", 21)
    fresh(lambda: rnn(keras, "lstm", units=4), OUT / "rnn/lstm_units4.keras", 22)
    fresh(lambda: rnn(keras, "lstm", vocab=30), OUT / "rnn/lstm_vocab30.keras", 23)
    fresh(lambda: rnn(keras, "lstm", vocab=12), OUT / "rnn/lstm_vocab12.keras", 24)
    fresh(lambda: rnn(keras, "gru", units=8), OUT / "rnn/gru_units8.keras", 25)
    total = sum(p.stat().st_size for p in OUT.rglob("*") if p.is_file())
    print(f"wrote {OUT} ({total // 1024} KiB) in {time.time() - t0:.1f}s", file=sys.stderr)


if __name__ == "__main__":
    main()
