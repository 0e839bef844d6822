#!/usr/bin/env python
"""Survey what changes meaning between tf-keras (Keras 2) and Keras 3, asking the code itself.

    TF_CPP_MIN_LOG_LEVEL=3 .venv/bin/python testdata/survey_generations.py [--json OUT.json]
    TF_CPP_MIN_LOG_LEVEL=3 .venv-newest/bin/python testdata/survey_generations.py

Both generations are imported into one process. Three parts:

1. layers: every class tf_keras.layers exports that keras.layers also exports is built with its
   defaults (plus the fewest required arguments) in tf-keras; its get_config() goes to Keras 3's
   from_config. Prints what fails and why: the keys initkit's KeyRule tables must drop or refuse.
2. activations: every activation name both generations resolve is evaluated on one grid of inputs
   in both; prints the largest difference and where it occurs. A name whose outputs differ means
   something else in the other generation (initkit warns, see ActivationSemantics).
3. thresholded_relu: tf-keras ThresholdedReLU(theta) against Keras 3 ReLU(threshold=theta) on a
   grid that includes x == theta exactly (initkit translates the one into the other).

Nothing is written but the optional JSON report; the findings of each run are summarised in the
Javadoc of dev.initkit.format.config.ActivationSemantics and KerasCatalog.
"""
import keras_env  # noqa: F401  (first: quiet, CPU-only TensorFlow)

import argparse
import inspect
import json
import sys

import numpy as np

import keras  # noqa: E402
import tf_keras  # noqa: E402

# The fewest arguments a class needs to be built; everything else keeps its default.
REQUIRED = {
    "Dense": dict(units=2), "EinsumDense": dict(equation="ab,bc->ac", output_shape=2),
    "Conv1D": dict(filters=2, kernel_size=1), "Conv2D": dict(filters=2, kernel_size=1),
    "Conv3D": dict(filters=2, kernel_size=1), "Conv1DTranspose": dict(filters=2, kernel_size=1),
    "Conv2DTranspose": dict(filters=2, kernel_size=1), "Conv3DTranspose": dict(filters=2, kernel_size=1),
    "SeparableConv1D": dict(filters=2, kernel_size=1), "SeparableConv2D": dict(filters=2, kernel_size=1),
    "DepthwiseConv1D": dict(kernel_size=1), "DepthwiseConv2D": dict(kernel_size=1),
    "ConvLSTM1D": dict(filters=2, kernel_size=1), "ConvLSTM2D": dict(filters=2, kernel_size=1),
    "ConvLSTM3D": dict(filters=2, kernel_size=1),
    "SimpleRNN": dict(units=2), "LSTM": dict(units=2), "GRU": dict(units=2),
    "SimpleRNNCell": dict(units=2), "LSTMCell": dict(units=2), "GRUCell": dict(units=2),
    "Embedding": dict(input_dim=3, output_dim=2), "Dropout": dict(rate=0.5),
    "SpatialDropout1D": dict(rate=0.5), "SpatialDropout2D": dict(rate=0.5),
    "SpatialDropout3D": dict(rate=0.5), "AlphaDropout": dict(rate=0.5),
    "GaussianDropout": dict(rate=0.5), "GaussianNoise": dict(stddev=0.5),
    "Activation": dict(activation="relu"), "Reshape": dict(target_shape=(2,)),
    "Permute": dict(dims=(1,)), "RepeatVector": dict(n=2), "Rescaling": dict(scale=1.0),
    "Resizing": dict(height=2, width=2), "CenterCrop": dict(height=2, width=2),
    "RandomCrop": dict(height=2, width=2), "RandomRotation": dict(factor=0.1),
    "RandomTranslation": dict(height_factor=0.1, width_factor=0.1), "RandomZoom": dict(height_factor=0.1),
    "RandomContrast": dict(factor=0.1), "RandomBrightness": dict(factor=0.1),
    "MultiHeadAttention": dict(num_heads=2, key_dim=2), "Dot": dict(axes=1),
    "Hashing": dict(num_bins=3), "HashedCrossing": dict(num_bins=3),
    "CategoryEncoding": dict(num_tokens=3), "Discretization": dict(bin_boundaries=[0.0]),
    "GroupNormalization": dict(groups=1), "Lambda": dict(function=lambda x: x),
    "ActivityRegularization": dict(),
}
WRAPPERS = {"Bidirectional", "TimeDistributed", "RNN", "StackedRNNCells", "SpectralNormalization",
            "Wrapper"}


def reason(e):
    """One line; Keras's deserialization errors repeat the config first, keep the cause."""
    text = " ".join(str(e).split())
    head, sep, why = text.partition("Exception encountered:")
    return f"{type(e).__name__}: " + (why.strip() if sep else text)[:300]


def layer_survey():
    rows = []
    common = sorted(n for n in dir(tf_keras.layers)
                    if inspect.isclass(getattr(tf_keras.layers, n))
                    and issubclass(getattr(tf_keras.layers, n), tf_keras.layers.Layer)
                    and hasattr(keras.layers, n))
    only_tfk = sorted(n for n in dir(tf_keras.layers)
                      if inspect.isclass(getattr(tf_keras.layers, n))
                      and issubclass(getattr(tf_keras.layers, n), tf_keras.layers.Layer)
                      and not hasattr(keras.layers, n))
    for name in common:
        row = {"class": name}
        try:
            if name in WRAPPERS:
                inner = {"SpectralNormalization": tf_keras.layers.Dense(2)}.get(name)
                if name in ("Bidirectional",):
                    layer = tf_keras.layers.Bidirectional(tf_keras.layers.LSTM(2))
                elif name == "TimeDistributed":
                    layer = tf_keras.layers.TimeDistributed(tf_keras.layers.Dense(2))
                elif name == "RNN":
                    layer = tf_keras.layers.RNN(tf_keras.layers.LSTMCell(2))
                elif name == "StackedRNNCells":
                    layer = tf_keras.layers.StackedRNNCells([tf_keras.layers.LSTMCell(2)])
                elif inner is not None:
                    layer = tf_keras.layers.SpectralNormalization(inner)
                else:
                    row["skipped"] = "abstract wrapper"
                    rows.append(row)
                    continue
            else:
                cls = getattr(tf_keras.layers, name)
                # aliases (Convolution2D is Conv2D) need their class's arguments
                layer = cls(**REQUIRED.get(name, REQUIRED.get(cls.__name__, {})))
            cfg = layer.get_config()
        except Exception as e:  # noqa: BLE001
            row["skipped"] = f"tf-keras cannot build it with defaults: {type(e).__name__}: {e}"[:200]
            rows.append(row)
            continue
        row["tfkeras_config"] = {k: repr(v) for k, v in cfg.items() if k not in ("name",)}
        try:
            if name in WRAPPERS or name == "Lambda":
                # nested layer dicts need the full deserializer, which the .keras loader uses
                keras.layers.deserialize({"class_name": name, "config": cfg, "module": "keras.layers"})
            else:
                getattr(keras.layers, name).from_config(cfg)
            row["keras3"] = "ok"
        except Exception as e:  # noqa: BLE001
            row["keras3"] = reason(e)
        rows.append(row)
    return rows, only_tfk


def activation_survey():
    grid = np.concatenate([np.linspace(-12.0, 12.0, 24001), [-3.0, -2.5, 0.0, 2.5, 3.0]]).astype(np.float32)
    # names either module exports, plus spellings get() may resolve without exporting them
    extra = {"relu6", "silu", "leaky_relu", "log_softmax", "hard_silu", "hard_swish", "log_sigmoid",
             "celu", "glu", "sparse_plus", "sparsemax", "squareplus", "tanh_shrink", "hard_tanh",
             "soft_shrink", "hard_shrink", "threshold", "sparse_sigmoid"}
    names = sorted((set(n for n in dir(tf_keras.activations) if not n.startswith("_"))
                    | set(n for n in dir(keras.activations) if not n.startswith("_")) | extra))
    rows = []
    for n in names:
        if n in ("get", "serialize", "deserialize", "serialize_keras_object", "deserialize_keras_object"):
            continue
        known = []
        for mod in (tf_keras.activations, keras.activations):
            try:
                known.append(mod.get(n))
            except Exception:  # noqa: BLE001
                known.append(None)
        f2, f3 = known
        if f2 is None or f3 is None:
            rows.append({"name": n, "only_in": "tf-keras" if f3 is None and f2 is not None
                         else "Keras 3" if f3 is not None else "neither"})
            continue
        if not callable(f2) or not callable(f3):
            continue
        try:
            x2 = grid.reshape(1, -1)  # softmax-like activations act along the last axis
            y2 = np.asarray(f2(tf_keras.backend.constant(x2))).astype(np.float64).ravel()
            y3 = np.asarray(keras.ops.convert_to_numpy(f3(keras.ops.convert_to_tensor(x2)))).astype(np.float64).ravel()
        except Exception as e:  # noqa: BLE001
            rows.append({"name": n, "error": f"{type(e).__name__}: {e}"[:200]})
            continue
        d = np.abs(y2 - y3)
        i = int(np.argmax(d))
        rows.append({"name": n, "max_abs_diff": float(d[i]), "at_x": float(grid[i]),
                     "tfkeras_y": float(y2[i]), "keras3_y": float(y3[i]),
                     "differs_above_1e-6": bool(d[i] > 1e-6)})
    return rows


def thresholded_relu_survey():
    out = []
    for theta in (1.0, 0.5, 0.0, 2.0, 0.1):  # tf-keras refuses theta < 0
        grid = np.concatenate([np.linspace(-4, 4, 8001), [theta, np.nextafter(theta, 9), np.nextafter(theta, -9)]])
        grid = grid.astype(np.float32).reshape(1, -1)
        y2 = np.asarray(tf_keras.layers.ThresholdedReLU(theta=theta)(grid)).ravel()
        y3 = keras.ops.convert_to_numpy(keras.layers.ReLU(threshold=theta)(grid)).ravel()
        diff = np.abs(y2.astype(np.float64) - y3)
        bad = grid.ravel()[diff > 0]
        out.append({"theta": theta, "max_abs_diff": float(diff.max()),
                    "x_where_different": sorted(set(float(v) for v in bad))[:5]})
    default_theta = tf_keras.layers.ThresholdedReLU().get_config()["theta"]
    k3_relu = keras.layers.ReLU().get_config()
    return {"per_theta": out, "tfkeras_default_theta": default_theta,
            "keras3_relu_defaults": {k: k3_relu[k] for k in ("max_value", "negative_slope", "threshold")}}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--json")
    args = ap.parse_args()
    layers, only_tfk = layer_survey()
    acts = activation_survey()
    trelu = thresholded_relu_survey()
    print(f"tf-keras {tf_keras.__version__}, Keras {keras.__version__}")
    print("\n== layers tf-keras exports and Keras 3 does not:")
    print("  " + ", ".join(only_tfk))
    print("\n== tf-keras default-built configs Keras 3 from_config rejects:")
    for r in layers:
        if r.get("keras3", "ok") != "ok" or "skipped" in r:
            print(f"  {r['class']}: {r.get('keras3') or r.get('skipped')}")
    print("\n== activations both generations know, tf-keras vs Keras 3 on [-12, 12]:")
    for r in acts:
        if "only_in" in r:
            if r["only_in"] != "neither":
                print(f"  {r['name']:<14} resolves in {r['only_in']} only")
        elif "error" in r:
            print(f"  {r['name']}: {r['error']}")
        else:
            print(f"  {r['name']:<14} max |diff| {r['max_abs_diff']:.3g} at x={r['at_x']:g} "
                  f"(tf-keras {r['tfkeras_y']:.6g}, Keras 3 {r['keras3_y']:.6g})")
    print("\n== ThresholdedReLU(theta) vs ReLU(threshold=theta):")
    print(f"  tf-keras default theta {trelu['tfkeras_default_theta']}; Keras 3 ReLU defaults "
          f"{trelu['keras3_relu_defaults']}")
    for r in trelu["per_theta"]:
        print(f"  theta {r['theta']:>5}: max |diff| {r['max_abs_diff']:.3g}, at x in {r['x_where_different']}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"tf_keras": tf_keras.__version__, "keras": keras.__version__,
                       "layers_only_in_tfkeras": only_tfk, "layers": layers,
                       "activations": acts, "thresholded_relu": trelu}, f, indent=1)


if __name__ == "__main__":
    sys.exit(main())
