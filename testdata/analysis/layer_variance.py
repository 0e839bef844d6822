#!/usr/bin/env python
"""Per layer output variance of a model on a held-out batch, measured by real Keras.

    .venv/bin/python testdata/analysis/layer_variance.py MODEL [--batch 512] [--seed 12345] [--loader keras3|tfkeras]
                                                           [--npz DATA.npz --key x_train]

Loads MODEL (Keras 3 for .keras, tf-keras for .h5 unless --loader says otherwise; compile=False),
feeds a standard-normal batch of the model's input shape drawn with numpy's default_rng(seed), and
prints one JSON object on stdout: {"loaded": true, "layers": [{"name", "variance", "std"}, ...]}
for every layer with weights, in model order (the variance over all elements of the layer's output,
after its activation: what LSUV equalizes); a SimpleRNN, LSTM or GRU also has
"projectionVariance", the variance of its input at every time step times its kernel (what LSUV
equalizes for a recurrent layer, whose output is bounded). With --npz, the batch is the first --batch rows of that
array instead; with --images, the PNGs of a folder in name order. Used by the lsuv and analyze tests.
"""
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ["KERAS_BACKEND"] = "tensorflow"
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")

import argparse
import json
import logging
import sys
import warnings

warnings.filterwarnings("ignore")
logging.getLogger("absl").setLevel(logging.ERROR)

import numpy as np

RECURRENT = ("SimpleRNN", "LSTM", "GRU")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model")
    ap.add_argument("--batch", type=int, default=512)
    ap.add_argument("--seed", type=int, default=12345)
    ap.add_argument("--loader", choices=["keras3", "tfkeras"])
    ap.add_argument("--npz")
    ap.add_argument("--key", default="x_train")
    ap.add_argument("--images", help="a folder of PNGs read in name order, scaled to [0, 1] (no resizing)")
    a = ap.parse_args()
    loader = a.loader or ("keras3" if a.model.endswith(".keras") else "tfkeras")
    if loader == "keras3":
        import keras
        model = keras.saving.load_model(a.model, compile=False)
        Model = keras.Model
    else:
        import tf_keras
        model = tf_keras.models.load_model(a.model, compile=False)
        Model = tf_keras.Model
    layers = [l for l in model.layers if l.weights]
    # a recurrent layer's input too: its input projection (every time step times the kernel)
    recurrent = [l for l in layers if type(l).__name__ in RECURRENT]
    probe = Model(inputs=model.inputs, outputs=[l.output for l in layers] + [l.input for l in recurrent])
    shape = (a.batch,) + tuple(model.inputs[0].shape[1:])
    if a.images:
        import tensorflow as tf
        names = sorted(n for n in os.listdir(a.images) if n.lower().endswith(".png"))
        x = np.stack([tf.io.decode_png(tf.io.read_file(os.path.join(a.images, n)), channels=shape[-1]).numpy()
                      for n in names]).astype("float32") / 255.0
    elif a.npz:
        x = np.load(a.npz)[a.key][: a.batch].astype("float32")
    else:
        x = np.random.default_rng(a.seed).standard_normal(shape).astype("float32")
    outs = probe.predict(x, verbose=0)
    if not isinstance(outs, list):
        outs = [outs]
    res = [{"name": l.name, "variance": float(np.var(o.astype("float64"))), "std": float(np.std(o.astype("float64")))}
           for l, o in zip(layers, outs)]
    for l, x_in in zip(recurrent, outs[len(layers):]):
        kernel = np.asarray(l.weights[0].numpy(), dtype=np.float64)
        proj = x_in.astype("float64").reshape(-1, kernel.shape[0]) @ kernel
        next(r for r in res if r["name"] == l.name)["projectionVariance"] = float(np.var(proj))
    json.dump({"loaded": True, "loader": loader, "layers": res}, sys.stdout)
    print()


if __name__ == "__main__":
    main()
