"""Writes the benchmark's real Keras models (Keras 3, TensorFlow backend, seeded).

Usage: make_models.py OUTDIR [--only conv,lstm,small]

  conv   ResNet50 (keras.applications, weights=None: no download), 224x224x3, 1000 classes:
         ~98 MiB, 320 weight tensors (Conv2D, BatchNormalization, Dense)
  lstm   Embedding(20000, 256) -> LSTM(1024, return_sequences) -> LSTM(1024) -> Dense(20000):
         ~160 MiB, a few large tensors
  small  a 4-layer MLP (Dense 64-32-16-10, ~3k parameters): for inspect's startup-bound timing

Each model is saved twice by Keras itself: legacy HDF5 (NAME.h5) and Keras 3 archive (NAME.keras).
The >= 1 GiB Dense stack comes from testdata/make_large.py (same virtual environment).
"""
import argparse
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import warnings  # noqa: E402

warnings.filterwarnings("ignore")

import keras  # noqa: E402


def conv():
    return keras.applications.ResNet50(weights=None, input_shape=(224, 224, 3), classes=1000)


def lstm():
    return keras.Sequential([
        keras.Input((None,), dtype="int32"),
        keras.layers.Embedding(20000, 256, name="embedding"),
        keras.layers.LSTM(1024, return_sequences=True, name="lstm_1"),
        keras.layers.LSTM(1024, name="lstm_2"),
        keras.layers.Dense(20000, activation="softmax", name="out"),
    ], name="lstm_lm")


def small():
    return keras.Sequential([
        keras.Input((32,)),
        keras.layers.Dense(64, activation="relu", name="dense_1"),
        keras.layers.Dense(32, activation="relu", name="dense_2"),
        keras.layers.Dense(16, activation="relu", name="dense_3"),
        keras.layers.Dense(10, activation="softmax", name="out"),
    ], name="small_mlp")


BUILDERS = {"conv": conv, "lstm": lstm, "small": small}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("outdir")
    ap.add_argument("--only", default="conv,lstm,small")
    a = ap.parse_args()
    os.makedirs(a.outdir, exist_ok=True)
    for name in a.only.split(","):
        keras.utils.set_random_seed(1)
        model = BUILDERS[name]()
        for ext in ("h5", "keras"):
            out = os.path.join(a.outdir, f"{name}.{ext}")
            model.save(out)
            print(f"{out}: {len(model.layers)} layers, {len(model.weights)} weights, "
                  f"{os.path.getsize(out) / 2**20:.1f} MiB")


if __name__ == "__main__":
    main()
