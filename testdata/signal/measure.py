#!/usr/bin/env python
"""Builds real architectures with Keras and measures the signal through them.

    .venv/bin/python testdata/signal/measure.py OUT_DIR [--archs a,b] [--schemes s,t]

For every architecture (ResNet50, MobileNetV2, a Transformer encoder block, an LSTM
stack, a 20-layer ReLU MLP) and every initialization scheme (the architecture's
configured one, He normal, Glorot uniform, small random N(0, 0.01^2)), Keras builds
the model (the scheme set on every kernel of the config, Keras drawing the weights),
saves it as OUT_DIR/<arch>-<scheme>.keras, and runs its forward pass in training
mode (normalization on batch statistics, dropout off) on a seeded standard-normal
batch, and its backward pass for the loss sum(y * r), r standard normal (a
unit-variance gradient at the output). OUT_DIR/measured.json holds, per model,
every layer's output statistics (mean, E[x^2], std over all elements) and the
second moment of the gradient at that output, in layer order: what initkit's data-free
estimate is compared against (SignalEstimateIT).
"""
import json
import os
import sys

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
import keras  # noqa: E402

SCHEMES = {
    "configured": None,
    "he_normal": {"module": "keras.initializers", "class_name": "HeNormal", "config": {"seed": None},
                  "registered_name": None},
    "glorot_uniform": {"module": "keras.initializers", "class_name": "GlorotUniform", "config": {"seed": None},
                       "registered_name": None},
    "small_random": {"module": "keras.initializers", "class_name": "RandomNormal",
                     "config": {"mean": 0.0, "stddev": 0.01, "seed": None}, "registered_name": None},
}
KERNEL_KEYS = ("kernel_initializer", "depthwise_initializer", "pointwise_initializer")


def resnet50():
    return keras.applications.ResNet50(weights=None, input_shape=(64, 64, 3), classes=10)


def mobilenetv2():
    return keras.applications.MobileNetV2(weights=None, input_shape=(64, 64, 3), classes=10)


def transformer():
    x = keras.Input((16, 32), name="tokens")
    a = keras.layers.MultiHeadAttention(num_heads=4, key_dim=8, name="mha")(x, x)
    h = keras.layers.LayerNormalization(name="ln1")(keras.layers.Add(name="res1")([x, a]))
    f = keras.layers.Dense(64, activation="gelu", name="ffn1")(h)
    f = keras.layers.Dense(32, name="ffn2")(f)
    h = keras.layers.LayerNormalization(name="ln2")(keras.layers.Add(name="res2")([h, f]))
    y = keras.layers.Dense(10, name="head")(keras.layers.GlobalAveragePooling1D(name="pool")(h))
    return keras.Model(x, y, name="encoder_block")


def lstm_stack():
    x = keras.Input((12, 8), name="seq")
    h = keras.layers.LSTM(32, return_sequences=True, name="lstm1")(x)
    h = keras.layers.LSTM(32, return_sequences=True, name="lstm2")(h)
    h = keras.layers.LSTM(32, name="lstm3")(h)
    return keras.Model(x, keras.layers.Dense(4, name="head")(h), name="lstm_stack")


def mlp20():
    x = keras.Input((64,), name="x")
    h = x
    for i in range(20):
        h = keras.layers.Dense(64, activation="relu", name=f"dense_{i}")(h)
    return keras.Model(x, keras.layers.Dense(10, name="head")(h), name="mlp20")


ARCHS = {"resnet50": resnet50, "mobilenetv2": mobilenetv2, "transformer": transformer, "lstm_stack": lstm_stack,
         "mlp20": mlp20}


def with_scheme(model, scheme):
    spec = SCHEMES[scheme]
    if spec is None:
        return model
    config = model.get_config()

    def visit(node):
        if isinstance(node, dict):
            for k in list(node):
                if k in KERNEL_KEYS:
                    node[k] = json.loads(json.dumps(spec))
                else:
                    visit(node[k])
        elif isinstance(node, list):
            for v in node:
                visit(v)
    visit(config)
    return model.__class__.from_config(config)


def measure(model, seed):
    import tensorflow as tf
    rng = np.random.default_rng(seed)
    inputs = [rng.standard_normal((16,) + tuple(i.shape[1:])).astype("float32") for i in model.inputs]
    layers = [l for l in model.layers if not isinstance(l, keras.layers.InputLayer)]
    probe = keras.Model(model.inputs, [l.output for l in layers] + list(model.outputs))
    # the loss sum(y * r) with r standard normal: a unit-variance gradient at every output
    weights = [rng.standard_normal((16,) + tuple(o.shape[1:])).astype("float32") for o in model.outputs]
    with tf.GradientTape() as tape:
        outs = probe(inputs, training=True)
        loss = tf.add_n([tf.reduce_sum(y * r) for y, r in zip(outs[len(layers):], weights)])
    grads = tape.gradient(loss, outs[:len(layers)])
    stats = []
    for layer, y, g in zip(layers, outs, grads):
        y = np.asarray(y, dtype="float64")
        entry = {"layer": layer.name, "class": layer.__class__.__name__, "mean": float(y.mean()),
                 "second_moment": float((y * y).mean()), "std": float(y.std())}
        if g is not None:
            g = np.asarray(g, dtype="float64")
            entry["grad_second_moment"] = float((g * g).mean())
        stats.append(entry)
    return stats


def main(argv):
    out = argv[1]
    archs = list(ARCHS)
    schemes = list(SCHEMES)
    for i, a in enumerate(argv):
        if a == "--archs":
            archs = argv[i + 1].split(",")
        if a == "--schemes":
            schemes = argv[i + 1].split(",")
    os.makedirs(out, exist_ok=True)
    keras.utils.set_random_seed(7)
    results = {"keras": keras.__version__, "models": []}
    for arch in archs:
        base = ARCHS[arch]()
        for scheme in schemes:
            model = with_scheme(base, scheme)
            path = os.path.join(out, f"{arch}-{scheme}.keras")
            model.save(path)
            results["models"].append({"arch": arch, "scheme": scheme, "file": path, "layers": measure(model, 11)})
            print(f"{arch} {scheme}: {len(model.layers)} layers", file=sys.stderr)
    with open(os.path.join(out, "measured.json"), "w") as f:
        json.dump(results, f, indent=1)


if __name__ == "__main__":
    main(sys.argv)
