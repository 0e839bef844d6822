"""Writes a large Keras model (a Dense stack) with real Keras, for streaming tests and benchmarks.

Usage: make_large.py OUT.h5|OUT.keras SIZE_MIB [--width N]
Weights are drawn by Keras's own initializers; the file is written by Keras's own saver.
"""
import argparse
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import keras  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("size_mib", type=int)
    ap.add_argument("--width", type=int, default=8192)
    a = ap.parse_args()
    per_layer = a.width * a.width * 4
    layers = max(1, -(-a.size_mib * 1024 * 1024 // per_layer))
    keras.utils.set_random_seed(1)
    model = keras.Sequential([keras.Input((a.width,))] + [
        keras.layers.Dense(a.width, activation="relu", name=f"dense_{i}") for i in range(layers)
    ], name="large_dense_stack")
    model.save(a.out)
    print(f"{a.out}: {layers} Dense({a.width}) layers, {os.path.getsize(a.out) / 2**20:.0f} MiB")


if __name__ == "__main__":
    main()
