#!/usr/bin/env python
"""Check a .safetensors file initkit wrote against the Keras model it came from, bit for bit.

    python testdata/interop/check_safetensors.py MODEL.keras OUT.safetensors

Loads MODEL with real Keras 3 and OUT with the reference `safetensors` library (numpy API), and
requires: the same set of names, where a weight's name is its Keras path (the layer names from the
top down, `/`, the variable's name: `dense/kernel`, `inner/dense_1/bias`), and every array equal in
dtype, shape and bytes. Prints `OK <n> tensors` and exits 0, or prints the first difference and
exits 1.
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import keras_env  # noqa: E402,F401  (first: quiet, CPU-only TensorFlow)

import keras  # noqa: E402
import numpy as np  # noqa: E402
from safetensors.numpy import load_file  # noqa: E402


def keras_paths(layer, prefix, out):
    path = f"{prefix}/{layer.name}" if prefix else layer.name
    if hasattr(layer, "layers") and isinstance(layer, keras.Model):
        for sub in layer.layers:
            keras_paths(sub, path, out)
        return
    for v in layer.weights:
        out[f"{path}/{v.name}"] = np.asarray(v.numpy())


def main():
    model = keras.saving.load_model(sys.argv[1], compile=False)
    expected = {}
    for layer in model.layers:
        keras_paths(layer, "", expected)
    written = load_file(sys.argv[2])
    if set(expected) != set(written):
        print("names differ: only in Keras", sorted(set(expected) - set(written)),
              "only in the file", sorted(set(written) - set(expected)))
        return 1
    for k, a in expected.items():
        b = written[k]
        if a.dtype != b.dtype or a.shape != b.shape or a.tobytes() != b.tobytes():
            print(f"{k}: Keras {a.dtype}{a.shape}, file {b.dtype}{b.shape}, bytes equal: "
                  f"{a.tobytes() == b.tobytes()}")
            return 1
    print(f"OK {len(expected)} tensors")
    return 0


if __name__ == "__main__":
    sys.exit(main())
