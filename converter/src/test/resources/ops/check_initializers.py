#!/usr/bin/env python
"""Checks initializer configs that initkit rewrote, with real Keras.

    python check_initializers.py CASES.json

CASES.json is a list of files, each with the initializer entries to check:

    [{"id": "mlp.k3.set.keras",
      "file": "/tmp/.../mlp.k3.set.keras",        # .keras zip or dir, or legacy .h5
      "library": "keras3" | "tfkeras",            # whose initializers.get to ask
      "checks": [{"layer": "outer/dense_1",       # layer names from the top model down, "/"-joined
                  "key": "kernel_initializer",    # "/"-joined path inside the layer's config
                  "class": "HeUniform",           # the class initkit meant (keras.initializers.<class>)
                  "config": {"seed": 7}}],        # parameters get_config() must report (floats: rel 1e-9)
      "fans": [{"weight": "dense/kernel:0",       # optional: fans initkit computed for each shape,
                "shape": [8, 16], "fan_in": 8, "fan_out": 16}]}]   # checked against Keras's own

The model config is read without building the model: config.json of a .keras archive, the
model_config attribute of an .h5 file (h5py). Each entry is deserialized with
keras.initializers.get(...) (Keras 3) or tf_keras.initializers.get(...) (tf-keras); the check
passes when the object is an instance of keras.initializers.<class> and its get_config() has
every expected parameter. Each "fans" entry must equal what Keras computes for the shape
(keras.src.initializers.random_initializers.compute_fans for Keras 3,
tf_keras.src.initializers.initializers._compute_fans for tf-keras).

Prints "PASS id layer key" or "FAIL id layer key: reason" per check, then "N passed, N failed".
Exit status 0 iff nothing failed.
"""
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ["KERAS_BACKEND"] = "tensorflow"
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")

import contextlib
import json
import math
import sys
import warnings
import zipfile
from pathlib import Path

warnings.filterwarnings("ignore")


def read_config(path):
    p = Path(path)
    if p.is_dir():
        return json.loads((p / "config.json").read_text())
    if zipfile.is_zipfile(p):
        with zipfile.ZipFile(p) as z:
            return json.loads(z.read("config.json"))
    import h5py

    with h5py.File(p, "r") as f:
        c = f.attrs["model_config"]
        if isinstance(c, bytes):
            c = c.decode("utf-8")
        return json.loads(c)


def layer_entries(model_config):
    cfg = model_config.get("config")
    if isinstance(cfg, list):
        return cfg
    return cfg.get("layers", [])


def find_layer(model_config, path):
    parts = path.split("/")
    node = model_config
    for i, name in enumerate(parts):
        found = None
        for entry in layer_entries(node):
            n = entry.get("name") or entry.get("config", {}).get("name")
            if n == name:
                found = entry
                break
        if found is None:
            raise KeyError("no layer %r in %s" % (name, "/".join(parts[:i]) or "the model"))
        node = found
    return node["config"]


def dig(config, key_path):
    node = config
    for k in key_path.split("/"):
        if isinstance(node, list):
            node = node[int(k)]
        else:
            node = node[k]
    return node


def same(a, b):
    if isinstance(a, float) or isinstance(b, float):
        try:
            return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-12)
        except (TypeError, ValueError):
            return False
    return a == b


def main(argv):
    cases = json.loads(Path(argv[1]).read_text())
    with contextlib.redirect_stdout(sys.stderr):
        import keras
        import tf_keras
    libs = {"keras3": keras, "tfkeras": tf_keras}
    from keras.src.initializers.random_initializers import compute_fans as k3_fans
    from tf_keras.src.initializers.initializers import _compute_fans as tfk_fans

    fan_fns = {"keras3": k3_fans, "tfkeras": tfk_fans}
    passed = failed = 0
    for case in cases:
        lib = libs[case["library"]]
        for f in case.get("fans", []):
            label = "%s fans %s %s" % (case["id"], f["weight"], tuple(f["shape"]))
            got = tuple(int(x) for x in fan_fns[case["library"]](tuple(f["shape"])))
            if got == (f["fan_in"], f["fan_out"]):
                print("PASS " + label)
                passed += 1
            else:
                print("FAIL %s: Keras computes %s, initkit %s" % (label, got, (f["fan_in"], f["fan_out"])))
                failed += 1
        try:
            model_config = read_config(case["file"])
        except Exception as e:  # noqa: BLE001 - report and go on
            for chk in case["checks"]:
                print("FAIL %s %s %s: cannot read config: %s" % (case["id"], chk["layer"], chk["key"], e))
                failed += 1
            continue
        for chk in case["checks"]:
            label = "%s %s %s" % (case["id"], chk["layer"], chk["key"])
            try:
                value = dig(find_layer(model_config, chk["layer"]), chk["key"])
                with contextlib.redirect_stdout(sys.stderr):
                    obj = lib.initializers.get(value)
                cls = getattr(lib.initializers, chk["class"], None)
                if cls is None:
                    raise AssertionError("%s has no initializers.%s" % (case["library"], chk["class"]))
                if not isinstance(obj, cls):
                    raise AssertionError("got %s, expected %s" % (type(obj).__name__, chk["class"]))
                got = obj.get_config()
                for k, v in chk.get("config", {}).items():
                    if k not in got:
                        raise AssertionError("get_config() has no %r: %s" % (k, got))
                    if not same(got[k], v):
                        raise AssertionError("%s = %r, expected %r" % (k, got[k], v))
                print("PASS " + label)
                passed += 1
            except Exception as e:  # noqa: BLE001 - one line per failure
                print("FAIL %s: %s: %s" % (label, type(e).__name__, str(e).splitlines()[0] if str(e) else ""))
                failed += 1
    print("%d passed, %d failed" % (passed, failed))
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
