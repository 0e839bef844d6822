"""Truth for the TensorFlow analysis engine (analysis's TfEngineIT): real Keras 3 builds a small
CNN (Conv2D, BatchNormalization with non-trivial moving statistics, MaxPooling2D, Dense) and an
LSTM stack, saves them as .keras, writes a labelled flat dataset (N, 64) as data.npz, and measures
on the batch initkit analyzes (the first BATCH training rows) in inference mode
(model(x, training=False)): every layer's output mean and std, the loss (categorical
cross-entropy on the data's classes) and GradientTape's gradient norm per trainable weight.

    python tf_truth.py OUT_DIR    # writes cnn.keras, lstm.keras, data.npz, truth.json
"""

import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

N = 40  # initkit holds out the last 20%: the first 32 rows train
BATCH = 32


def cnn():
    inp = keras.Input((8, 8, 1), name="image")
    x = keras.layers.Conv2D(8, 3, padding="same", activation="relu", name="conv1")(inp)
    x = keras.layers.BatchNormalization(name="bn1")(x)
    x = keras.layers.MaxPooling2D(2, name="pool1")(x)
    x = keras.layers.Conv2D(16, 3, activation="relu", name="conv2")(x)
    x = keras.layers.Flatten(name="flat")(x)
    x = keras.layers.Dense(10, activation="softmax", name="head")(x)
    m = keras.Model(inp, x, name="cnn")
    bn = m.get_layer("bn1")
    rng = np.random.default_rng(3)
    gamma, beta, mean, var = bn.get_weights()
    bn.set_weights(
        [
            rng.uniform(0.5, 1.5, gamma.shape).astype("float32"),
            rng.normal(0, 0.1, beta.shape).astype("float32"),
            rng.uniform(0.1, 0.6, mean.shape).astype("float32"),
            rng.uniform(0.2, 2.0, var.shape).astype("float32"),
        ]
    )
    return m


def lstm():
    inp = keras.Input((8, 8), name="sequence")
    x = keras.layers.LSTM(16, return_sequences=True, name="lstm1")(inp)
    x = keras.layers.LSTM(12, name="lstm2")(x)
    x = keras.layers.Dense(10, activation="softmax", name="head")(x)
    return keras.Model(inp, x, name="lstm")


def measure(model, x, y):
    layers = [l for l in model.layers if not isinstance(l, keras.layers.InputLayer)]
    probe = keras.Model(model.inputs, [l.output for l in layers])
    outs = probe([x], training=False)
    stats = {}
    for l, o in zip(layers, outs):
        o = np.asarray(o, dtype=np.float64)
        stats[l.name] = {"mean": float(o.mean()), "std": float(o.std())}
    target = keras.ops.one_hot(y, 10)
    loss_fn = keras.losses.CategoricalCrossentropy()
    with tf.GradientTape() as tape:
        loss = loss_fn(target, model([x], training=False))
    owned = [(l.name, w) for l in layers for w in l.trainable_weights]
    grads = tape.gradient(loss, [w for _, w in owned])
    norms = {}
    for (layer, w), g in zip(owned, grads):
        norms.setdefault(layer, {})[w.name] = float(np.linalg.norm(np.asarray(g, np.float64)))
    return {"loss": float(loss), "layers": stats, "gradients": norms}


def main(out):
    os.makedirs(out, exist_ok=True)
    keras.utils.set_random_seed(7)
    rng = np.random.default_rng(11)
    x = rng.normal(0, 1, (N, 64)).astype("float32")
    y = rng.integers(0, 10, N).astype("int64")
    np.savez(os.path.join(out, "data.npz"), x=x, y=y)
    truth = {"keras": keras.__version__, "tensorflow": tf.__version__, "batch": BATCH}
    for name, build, shape in (("cnn", cnn, (8, 8, 1)), ("lstm", lstm, (8, 8))):
        m = build()
        m.save(os.path.join(out, name + ".keras"))
        xb = x[:BATCH].reshape((BATCH,) + shape)
        truth[name] = measure(m, xb, y[:BATCH])
    with open(os.path.join(out, "truth.json"), "w") as f:
        json.dump(truth, f, indent=1)


if __name__ == "__main__":
    main(sys.argv[1])
