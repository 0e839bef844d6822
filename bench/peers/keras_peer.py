"""Keras 3 doing initkit's jobs: load the model, do the work, save (what a Keras user writes).

Usage:
  keras_peer.py reinit  IN OUT --classes Dense[,Conv2D,...] [--seed N]
  keras_peer.py convert IN OUT        (the output format from OUT's extension, as Keras does)
  keras_peer.py inspect MODEL
  keras_peer.py report  MODEL

reinit   load_model, then every "kernel" variable of a layer of the given classes gets
         keras.initializers.HeNormal(seed) of its shape (the weights initkit's `reinit --scheme
         he_normal --only class:...` draws), then save.
convert  load_model + save.
inspect  load_model + summary() (Keras must load the weights to list the layers).
report   load_model, then per weight mean, std, min, max and fraction of zeros with numpy.
Runs on the TensorFlow backend (the testdata environment's), on CPU.
"""
import argparse
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")

import warnings  # noqa: E402

warnings.filterwarnings("ignore")

import keras  # noqa: E402
import numpy as np  # noqa: E402


def all_layers(model):
    for layer in model.layers:
        yield layer
        if hasattr(layer, "layers"):
            yield from all_layers(layer)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("op", choices=["reinit", "convert", "inspect", "report", "transplant"])
    ap.add_argument("input")
    ap.add_argument("output", nargs="?")
    ap.add_argument("--classes", default="Dense")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--target", help="transplant: the model whose same-named layers get the input's weights")
    a = ap.parse_args()
    model = keras.saving.load_model(a.input, compile=False)
    if a.op == "reinit":
        classes = set(a.classes.split(","))
        drawn = 0
        for layer in all_layers(model):
            if type(layer).__name__ not in classes:
                continue
            for v in layer.weights:
                if v.name == "kernel":
                    v.assign(keras.initializers.HeNormal(seed=a.seed + drawn)(v.shape, dtype=v.dtype))
                    drawn += 1
        print(f"{a.output}: {drawn} kernels drawn", file=sys.stderr)
        model.save(a.output)
    elif a.op == "convert":
        model.save(a.output)
    elif a.op == "transplant":
        target = keras.saving.load_model(a.target, compile=False)
        source = {layer.name: layer for layer in all_layers(model)}
        copied = 0
        for layer in all_layers(target):
            src = source.get(layer.name)
            if src is None or not layer.weights:
                continue
            ws = src.get_weights()
            if [w.shape for w in ws] == [tuple(v.shape) for v in layer.weights]:
                layer.set_weights(ws)
                copied += len(ws)
        print(f"{a.output}: {copied} weights transplanted", file=sys.stderr)
        target.save(a.output)
    elif a.op == "inspect":
        model.summary()
    else:
        for v in model.weights:
            x = np.asarray(v.numpy())
            if x.size == 0 or not np.issubdtype(x.dtype, np.floating):
                continue
            print(f"{v.path} {x.shape} mean={x.mean(dtype=np.float64):.4g} std={x.std(dtype=np.float64):.4g} "
                  f"min={x.min():.4g} max={x.max():.4g} zeros={np.count_nonzero(x == 0) / x.size:.3f}")


if __name__ == "__main__":
    main()
