#!/usr/bin/env python
"""Truth for `initkit transplant --map` from PyTorch-layout safetensors (TorchLayoutTransplantIT).

    python testdata/transplant/torch_layout.py make DIR
        For each model (cnn, bert, lstm, gru): builds it with real Keras 3, sets every weight to
        random non-trivial values, saves it as DIR/NAME_original.keras, writes the same weights in
        PyTorch layout with PyTorch (Hugging Face) names to DIR/NAME.safetensors (numpy + the
        safetensors package, no torch), and saves the same architecture freshly initialized
        (other values) as DIR/NAME_target.keras. The Keras layers carry the PyTorch module paths
        as names, as the shipped mappings expect (docs/transplant-mappings.md).
    python testdata/transplant/torch_layout.py check DIR NAME OUT.keras
        Prints JSON: every weight of OUT.keras compared bit for bit with NAME_original.keras, and
        the largest difference between the two models' predictions on random inputs.
    python testdata/transplant/torch_layout.py compare DIR NAME EXPORTED.safetensors
        Prints JSON: EXPORTED (`initkit convert NAME_original.keras --map ...`) against
        DIR/NAME.safetensors, read back with the safetensors package: keys only in one of them,
        keys whose dtype, shape or bytes differ, and for the LSTM's two summed biases (which
        cannot be split back) whether the exported bias_ih is the Keras bias, bias_hh is +0.0
        everywhere, and their float32 sum equals the one of the biases written here, bit for bit.

PyTorch layouts written: Conv2d weight OIHW; Linear weight (out, in); BatchNorm2d weight, bias,
running_mean, running_var, num_batches_tracked; BERT self-attention query/key/value weight
(heads*dim, in) and bias (heads*dim), attention output dense (out, heads*dim); LSTM
weight_ih_l{k} (4u, in), weight_hh_l{k} (4u, u) in gate order i,f,g,o and two biases whose sum is
Keras's bias; GRU gate order r,z,n (Keras z,r,h) and bias_ih/bias_hh as Keras's two bias rows.
"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import keras_env  # noqa: E402,F401  (first: quiet, CPU-only TensorFlow)

import json  # noqa: E402

import numpy as np  # noqa: E402

keras_env.determinism()

import keras  # noqa: E402
from keras import layers  # noqa: E402
from safetensors.numpy import save_file  # noqa: E402

NAMES = ("cnn", "bert", "lstm", "gru")


def build(name):
    if name == "cnn":
        i = keras.Input((8, 8, 3))
        x = layers.Conv2D(4, 3, padding="same", name="conv1")(i)
        x = layers.BatchNormalization(name="bn1")(x)
        x = layers.ReLU()(x)
        x = layers.Conv2D(6, 3, name="layer1.0.conv1")(x)
        x = layers.BatchNormalization(name="layer1.0.bn1")(x)
        x = layers.GlobalAveragePooling2D()(x)
        return keras.Model(i, layers.Dense(5, name="fc")(x))
    if name == "bert":
        ids = keras.Input((6,), dtype="int32")
        pos = keras.Input((6,), dtype="int32")
        x = layers.Add()([
            layers.Embedding(30, 8, name="embeddings.word_embeddings")(ids),
            layers.Embedding(6, 8, name="embeddings.position_embeddings")(pos),
        ])
        x = layers.LayerNormalization(epsilon=1e-12, name="embeddings.LayerNorm")(x)
        for n in range(2):
            p = f"encoder.layer.{n}."
            a = layers.MultiHeadAttention(2, 4, name=p + "attention")(x, x)
            x = layers.LayerNormalization(epsilon=1e-12, name=p + "attention.output.LayerNorm")(
                layers.Add()([x, a]))
            h = layers.Dense(16, activation="gelu", name=p + "intermediate.dense")(x)
            h = layers.Dense(8, name=p + "output.dense")(h)
            x = layers.LayerNormalization(epsilon=1e-12, name=p + "output.LayerNorm")(
                layers.Add()([x, h]))
        return keras.Model([ids, pos], x)
    if name == "lstm":
        i = keras.Input((5, 3))
        x = layers.LSTM(6, return_sequences=True, name="rnn")(i)
        x = layers.LSTM(6, name="rnn_l1")(x)
        return keras.Model(i, layers.Dense(2, name="fc")(x))
    i = keras.Input((5, 3))
    x = layers.GRU(6, name="rnn")(i)
    return keras.Model(i, layers.Dense(2, name="fc")(x))


def inputs(name, seed):
    rng = np.random.default_rng(seed)
    if name == "cnn":
        return rng.normal(size=(4, 8, 8, 3)).astype("float32")
    if name == "bert":
        return [rng.integers(0, 30, size=(4, 6)).astype("int32"),
                np.tile(np.arange(6, dtype="int32"), (4, 1))]
    return rng.normal(size=(4, 5, 3)).astype("float32")


def randomize(model, rng):
    """Random non-trivial values; returns {weight path: value} as set."""
    for w in model.weights:
        if w.path.endswith("moving_variance"):
            v = rng.uniform(0.5, 1.5, size=w.shape)
        else:
            v = rng.normal(scale=0.5, size=w.shape)
        w.assign(v.astype(w.dtype))


def gru_rows(a, u):
    """Keras z,r,h blocks of the last axis -> PyTorch r,z,n."""
    return np.concatenate([a[..., u:2 * u], a[..., :u], a[..., 2 * u:]], axis=-1)


def torch_layout(name, model, rng):
    t = {}
    for layer in model.layers:
        n = layer.name
        ws = {w.path.split("/")[-1] if not isinstance(layer, layers.MultiHeadAttention)
              else "/".join(w.path.split("/")[-2:]): w.numpy() for w in layer.weights}
        if isinstance(layer, layers.Conv2D):
            t[n + ".weight"] = ws["kernel"].transpose(3, 2, 0, 1)
            t[n + ".bias"] = ws["bias"]
        elif isinstance(layer, layers.BatchNormalization):
            t[n + ".weight"] = ws["gamma"]
            t[n + ".bias"] = ws["beta"]
            t[n + ".running_mean"] = ws["moving_mean"]
            t[n + ".running_var"] = ws["moving_variance"]
            t[n + ".num_batches_tracked"] = np.array(7, dtype="int64")
        elif isinstance(layer, layers.Dense):
            t[n + ".weight"] = ws["kernel"].T
            t[n + ".bias"] = ws["bias"]
        elif isinstance(layer, layers.Embedding):
            t[n + ".weight"] = ws["embeddings"]
        elif isinstance(layer, layers.LayerNormalization):
            t[n + ".weight"] = ws["gamma"]
            t[n + ".bias"] = ws["beta"]
        elif isinstance(layer, layers.MultiHeadAttention):
            p = n[: -len("attention")] + "attention."
            for q in ("query", "key", "value"):
                k = ws[q + "/kernel"]
                t[p + "self." + q + ".weight"] = k.reshape(k.shape[0], -1).T
                t[p + "self." + q + ".bias"] = ws[q + "/bias"].reshape(-1)
            k = ws["attention_output/kernel"]
            t[p + "output.dense.weight"] = k.reshape(-1, k.shape[-1]).T
            t[p + "output.dense.bias"] = ws["attention_output/bias"]
        elif isinstance(layer, (layers.LSTM, layers.GRU)):
            base, k = (n[: -3], n[-1]) if n.endswith("_l1") else (n, "0")
            u = layer.units
            kernel, rec, bias = ws["kernel"], ws["recurrent_kernel"], ws["bias"]
            if isinstance(layer, layers.GRU):
                t[f"{base}.weight_ih_l{k}"] = gru_rows(kernel, u).T
                t[f"{base}.weight_hh_l{k}"] = gru_rows(rec, u).T
                t[f"{base}.bias_ih_l{k}"] = gru_rows(bias[0], u)
                t[f"{base}.bias_hh_l{k}"] = gru_rows(bias[1], u)
            else:
                # two PyTorch biases; Keras's bias is their float32 sum
                b_ih = rng.normal(scale=0.5, size=bias.shape).astype("float32")
                b_hh = rng.normal(scale=0.5, size=bias.shape).astype("float32")
                layer.weights[2].assign(b_ih + b_hh)
                t[f"{base}.weight_ih_l{k}"] = kernel.T
                t[f"{base}.weight_hh_l{k}"] = rec.T
                t[f"{base}.bias_ih_l{k}"] = b_ih
                t[f"{base}.bias_hh_l{k}"] = b_hh
        elif layer.weights:
            raise SystemExit(f"no PyTorch layout for {layer.__class__.__name__} {n}")
    return {k: np.ascontiguousarray(v) for k, v in t.items()}


def make(out):
    out.mkdir(parents=True, exist_ok=True)
    for i, name in enumerate(NAMES):
        keras.utils.set_random_seed(100 + i)
        model = build(name)
        rng = np.random.default_rng(200 + i)
        randomize(model, rng)
        tensors = torch_layout(name, model, rng)
        model.save(out / f"{name}_original.keras")
        save_file(tensors, str(out / f"{name}.safetensors"))
        keras.utils.set_random_seed(300 + i)
        build(name).save(out / f"{name}_target.keras")


def check(out, name, transplanted):
    a = keras.saving.load_model(out / f"{name}_original.keras")
    b = keras.saving.load_model(transplanted)
    t = keras.saving.load_model(out / f"{name}_target.keras")
    mismatched = []
    fresh_equal = 0
    for wa, wb, wt in zip(a.weights, b.weights, t.weights):
        va, vb = wa.numpy(), wb.numpy()
        if wa.path != wb.path or va.shape != vb.shape or va.tobytes() != vb.tobytes():
            mismatched.append(wa.path)
        if np.array_equal(va, wt.numpy()):
            fresh_equal += 1
    x = inputs(name, 7)
    pa = np.asarray(a.predict(x, verbose=0))
    pb = np.asarray(b.predict(x, verbose=0))
    print(json.dumps({
        "weights": len(a.weights),
        "compared": min(len(a.weights), len(b.weights)),
        "mismatched": mismatched,
        "equal_before": fresh_equal,
        "max_diff": float(np.max(np.abs(pa - pb))),
        "output_std": float(np.std(pa)),
    }))


def compare(out, name, exported):
    from safetensors.numpy import load_file

    truth = load_file(str(out / f"{name}.safetensors"))
    got = load_file(str(exported))
    mismatched, summed = [], []
    for k in sorted(set(truth) & set(got)):
        a, b = truth[k], got[k]
        if name == "lstm" and ".bias_" in k:
            if ".bias_ih_l" not in k:
                continue
            hh = k.replace(".bias_ih_l", ".bias_hh_l")
            want = (truth[k] + truth[hh]).astype("float32")
            summed.append({
                "key": k,
                "value_is_sum": b.dtype == want.dtype and b.tobytes() == want.tobytes(),
                "zeros": bool(got[hh].dtype == b.dtype and got[hh].shape == b.shape
                              and np.all(got[hh].view("uint32") == 0)),
                "sum_equal": (b + got[hh]).tobytes() == want.tobytes(),
            })
        elif a.dtype != b.dtype or a.shape != b.shape or a.tobytes() != b.tobytes():
            mismatched.append(f"{k}: {a.dtype}{list(a.shape)} vs {b.dtype}{list(b.shape)}")
    print(json.dumps({
        "tensors": len(got),
        "only_truth": sorted(set(truth) - set(got)),
        "only_export": sorted(set(got) - set(truth)),
        "mismatched": mismatched,
        "summed": summed,
    }))


if __name__ == "__main__":
    if sys.argv[1] == "make":
        make(Path(sys.argv[2]))
    elif sys.argv[1] == "compare":
        compare(Path(sys.argv[2]), sys.argv[3], Path(sys.argv[4]))
    else:
        check(Path(sys.argv[2]), sys.argv[3], sys.argv[4])
