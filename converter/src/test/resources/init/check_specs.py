"""Cross-checks initkit's initializer specs against the real Keras 3 and tf_keras.

Input: a JSON file written by dev.initkit.init.KerasCrossCheckIT (or by hand):
  {"cases": [{"name", "keras2", "keras3", "class3", "class2", "params",
              "sampling": [{"shape", "type", "a", "b"}], "values": [{"shape", "values"}]}],
   "orthogonal": [{"name", "shape", "gain", "normals", "values"}]}

For each case:
  * keras.initializers.get(keras3) and tf_keras.initializers.get(keras2) must build the class
    named class3 / class2 with the parameters in params (get_config, or the attribute for
    Identity's gain, which Keras 3's get_config omits);
  * calling the initializer on each shape must request exactly the distribution initkit computes:
    the random functions are replaced by recorders, so Keras's own fan and scale arithmetic runs
    and initkit's (minval, maxval) or (mean, stddev) are compared to what Keras asks for;
  * deterministic initializers (Identity, Zeros, Ones, Constant) must give the same values.
For Orthogonal, Keras's normal draw is replaced by initkit's Gaussian matrix, so Keras's own
QR, sign fix, transpose, reshape and gain run on it; the result must equal initkit's values.

Prints one line per check and a summary; exits 1 when any check fails.
Run: .venv/bin/python check_specs.py cases.json   (Keras 3.12 / tf_keras 2.20 when written)
"""
import json
import math
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
import keras  # noqa: E402
import tf_keras  # noqa: E402
from keras.src.initializers import random_initializers as k3random  # noqa: E402
from tf_keras.src import backend as tfk_backend  # noqa: E402

results = []


def record(ok, name, detail=""):
    results.append(ok)
    print(("OK   " if ok else "FAIL ") + name + (": " + detail if detail else ""))


def close(a, b, rel=1e-12):
    return math.isclose(float(a), float(b), rel_tol=rel, abs_tol=1e-300)


class Recorder:
    """Replaces random functions; remembers what distribution was requested."""

    def __init__(self):
        self.calls = []

    def k3_uniform(self, shape, minval=0.0, maxval=1.0, dtype=None, seed=None):
        self.calls.append(("UNIFORM", minval, maxval))
        return keras.ops.zeros(shape, dtype=dtype)

    def k3_normal(self, shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
        self.calls.append(("NORMAL", mean, stddev))
        return keras.ops.zeros(shape, dtype=dtype)

    def k3_truncated(self, shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
        self.calls.append(("TRUNCATED_NORMAL", mean, stddev))
        return keras.ops.zeros(shape, dtype=dtype)

    def tfk_uniform(self, gen, shape, minval=0.0, maxval=None, dtype=None, nonce=None):
        self.calls.append(("UNIFORM", minval, maxval))
        return np.zeros(shape, dtype="float32")

    def tfk_normal(self, gen, shape, mean=0.0, stddev=1.0, dtype=None, nonce=None):
        self.calls.append(("NORMAL", mean, stddev))
        return np.zeros(shape, dtype="float32")

    def tfk_truncated(self, gen, shape, mean=0.0, stddev=1.0, dtype=None, nonce=None):
        self.calls.append(("TRUNCATED_NORMAL", mean, stddev))
        return np.zeros(shape, dtype="float32")


def patched(rec):
    """Context: Keras 3 and tf_keras random draws go to the recorder."""

    class Ctx:
        def __enter__(self):
            self.saved = (k3random.random.uniform, k3random.random.normal, k3random.random.truncated_normal,
                          tfk_backend.RandomGenerator.random_uniform, tfk_backend.RandomGenerator.random_normal,
                          tfk_backend.RandomGenerator.truncated_normal)
            k3random.random.uniform = rec.k3_uniform
            k3random.random.normal = rec.k3_normal
            k3random.random.truncated_normal = rec.k3_truncated
            tfk_backend.RandomGenerator.random_uniform = lambda g, *a, **k: rec.tfk_uniform(g, *a, **k)
            tfk_backend.RandomGenerator.random_normal = lambda g, *a, **k: rec.tfk_normal(g, *a, **k)
            tfk_backend.RandomGenerator.truncated_normal = lambda g, *a, **k: rec.tfk_truncated(g, *a, **k)

        def __exit__(self, *exc):
            (k3random.random.uniform, k3random.random.normal, k3random.random.truncated_normal,
             tfk_backend.RandomGenerator.random_uniform, tfk_backend.RandomGenerator.random_normal,
             tfk_backend.RandomGenerator.truncated_normal) = self.saved

    return Ctx()


def params_of(obj, keys):
    # get_config, else the attribute: presets' get_config holds only the seed (their scale, mode
    # and distribution are attributes), and Keras 3's Identity.get_config() omits gain.
    cfg = dict(obj.get_config())
    for k in keys:
        if k not in cfg and hasattr(obj, k):
            cfg[k] = getattr(obj, k)
    return cfg


def check_params(label, obj, expected_class, params):
    cls = type(obj).__name__
    if cls != expected_class:
        record(False, label, f"class {cls}, expected {expected_class}")
        return False
    cfg = params_of(obj, params)
    for k, v in params.items():
        got = cfg.get(k)
        if isinstance(v, (int, float)) and not isinstance(v, bool) and got is not None and not isinstance(got, str):
            ok = close(got, v)
        else:
            ok = got == v
        if not ok:
            record(False, label, f"{k}={got!r}, expected {v!r}")
            return False
    record(True, label, f"{cls} {json.dumps(params, sort_keys=True)}")
    return True


def check_case(case):
    name = case["name"]
    o3 = o2 = None  # a null form: that loader is not expected to read this case
    if case.get("keras3") is not None:
        try:
            o3 = keras.initializers.get(case["keras3"])
        except Exception as e:  # noqa: BLE001
            record(False, name + " [keras3 load]", repr(e))
    if case.get("keras2") is not None:
        try:
            o2 = tf_keras.initializers.get(case["keras2"])
        except Exception as e:  # noqa: BLE001
            record(False, name + " [tf_keras load]", repr(e))
    if o3 is not None:
        check_params(name + " [keras3]", o3, case["class3"], case["params"])
    if o2 is not None:
        check_params(name + " [tf_keras]", o2, case["class2"], case["params"])
    for s in case.get("sampling", []):
        shape = tuple(s["shape"])
        for label, obj in (("keras3", o3), ("tf_keras", o2)):
            if obj is None:
                continue
            rec = Recorder()
            with patched(rec):
                obj(shape, dtype="float32")
            want = (s["type"], s["a"], s["b"])
            if len(rec.calls) != 1:
                record(False, f"{name} [{label}] {shape}", f"calls {rec.calls}")
                continue
            got = rec.calls[0]
            ok = got[0] == want[0] and close(got[1], want[1]) and close(got[2], want[2])
            record(ok, f"{name} [{label}] {shape} sampling", f"keras {got}, initkit {want}")
    for v in case.get("values", []):
        shape = tuple(v["shape"])
        # compared in float32, the dtype Keras models use: Keras 3's Constant goes through a
        # float32 tensor even for float64 weights (Constant(0.1) gives float32(0.1) in float64)
        expected = np.array(v["values"], dtype="float64").reshape(shape).astype("float32")
        for label, obj in (("keras3", o3), ("tf_keras", o2)):
            if obj is None:
                continue
            got = np.asarray(obj(shape, dtype="float32"))
            ok = got.shape == expected.shape and np.array_equal(got, expected)
            record(ok, f"{name} [{label}] {shape} values", "" if ok else f"max diff {np.max(np.abs(got - expected))}")


def check_orthogonal(o):
    shape = tuple(o["shape"])
    rows = int(np.prod(shape[:-1]))
    cols = shape[-1]
    flat = (max(rows, cols), min(rows, cols))
    normals = np.array(o["normals"], dtype="float64").reshape(flat)
    expected = np.array(o["values"], dtype="float64").reshape(shape)

    def k3_normal(shp, mean=0.0, stddev=1.0, dtype=None, seed=None):
        assert tuple(shp) == flat, (shp, flat)
        return keras.ops.convert_to_tensor(normals, dtype=dtype)

    def tfk_normal(gen, shp, mean=0.0, stddev=1.0, dtype=None, nonce=None):
        assert tuple(shp) == flat, (shp, flat)
        return normals.astype(dtype.as_numpy_dtype if hasattr(dtype, "as_numpy_dtype") else "float64")

    saved = (k3random.random.normal, tfk_backend.RandomGenerator.random_normal)
    k3random.random.normal = k3_normal
    tfk_backend.RandomGenerator.random_normal = tfk_normal
    try:
        for label, obj in (("keras3", keras.initializers.Orthogonal(gain=o["gain"])),
                           ("tf_keras", tf_keras.initializers.Orthogonal(gain=o["gain"]))):
            got = np.asarray(obj(shape, dtype="float64"))
            diff = float(np.max(np.abs(got - expected))) if got.size else 0.0
            record(got.shape == expected.shape and diff < 1e-10,
                   f"{o['name']} [{label}] Orthogonal {shape} on initkit's Gaussian matrix", f"max diff {diff:.2e}")
    finally:
        k3random.random.normal, tfk_backend.RandomGenerator.random_normal = saved


def main():
    with open(sys.argv[1]) as f:
        doc = json.load(f)
    print(f"keras {keras.__version__}, tf_keras {tf_keras.__version__}")
    for case in doc["cases"]:
        check_case(case)
    for o in doc.get("orthogonal", []):
        check_orthogonal(o)
    failed = results.count(False)
    print(f"checks: {len(results) - failed} ok, {failed} failing")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
