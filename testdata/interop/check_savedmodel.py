#!/usr/bin/env python
"""Interop checker for SavedModels initkit wrote: load each with TensorFlow, run its serving
signature, and compare its checkpoint with the SavedModel it came from.

    .venv/bin/python testdata/interop/check_savedmodel.py CASES.json

CASES.json is a JSON list of cases:

    {
      "id": "mlp-reinit",
      "dir": "path/the/savedmodel/initkit/wrote",
      "input": "path/input.npz",             # key x0; optional: without it a fixed input is made
                                             # from the signature (unknown dimensions = 2)
      "expected": "path/expected.npz",       # optional; key y0: a sanity check of the reference
                                             # (recorded on another machine: loose, relative), or
                                             # the baseline when there is no reference
      "expect": "equal" | "different",       # serving output vs the baseline (default equal)
      "tolerance": 1e-5,                     # on max |a-b| / max(1, |b|); 0 = bit-equal
      "reference": "path/original/savedmodel", # optional: the baseline is its serving output, run
                                               # in this process; checkpoint entries are compared
      "keras_reference": {"file": "path/model.keras", "loader": "keras3" | "tfkeras"},
                                               # optional: the baseline is that Keras model's
                                               # prediction in this process (a Keras file exported)
      "tfkeras_layer": "head"                  # optional: also load with tf_keras.models.load_model,
                                               # check its predictions equal the signature's, and
                                               # report that layer's config as "layerConfig"
    }

The baseline is always computed in this process on this machine when a reference is given:
floats recorded on another CPU differ in their last bits and are never the reference for what
initkit wrote.

Prints one JSON document on stdout: {"results": [{"id", "ok", "reason", "maxDiff",
"referenceVsExpected", "variables": {KEY: {"identical": bool|null, "mean", "std", "count"}}}]}.  A case is ok iff the
SavedModel loads, the signature runs and gives finite outputs of the expected shape, and the
"expect" comparison holds.  Logging goes to stderr.
"""
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")

import json
import logging
import sys
import traceback

import numpy as np
import tensorflow as tf

tf.get_logger().setLevel(logging.ERROR)


def signature(d):
    f = tf.saved_model.load(d).signatures["serving_default"]
    spec = f.structured_input_signature[1]
    if len(spec) != 1:
        raise ValueError("expected one input, the signature has %s" % sorted(spec))
    return f, spec


def made_input(d):
    _, spec = signature(d)
    s = next(iter(spec.values()))
    shape = [2 if v is None else v for v in s.shape.as_list()]
    n = int(np.prod(shape))
    if s.dtype.is_integer:
        return (np.arange(n) % 5).reshape(shape).astype(s.dtype.as_numpy_dtype)
    return np.sin(np.arange(n) * 0.37).reshape(shape).astype(s.dtype.as_numpy_dtype)


def serve(d, x):
    f, spec = signature(d)
    name, s = next(iter(spec.items()))
    out = f(**{name: tf.constant(x, dtype=s.dtype)})
    if len(out) != 1:
        raise ValueError("expected one output, the signature has %s" % sorted(out))
    return next(iter(out.values())).numpy()


def variables(d, reference):
    if not os.path.exists(os.path.join(d, "variables", "variables.index")):
        return {}
    r = tf.train.load_checkpoint(os.path.join(d, "variables", "variables"))
    ref = tf.train.load_checkpoint(os.path.join(reference, "variables", "variables")) if reference else None
    out = {}
    for key in sorted(r.get_variable_to_shape_map()):
        v = r.get_tensor(key)
        if not isinstance(v, (np.ndarray, np.generic)) or np.asarray(v).dtype.kind != "f":
            continue
        v = np.asarray(v)
        same = None
        if ref is not None:
            rv = np.asarray(ref.get_tensor(key))
            same = bool(rv.shape == v.shape and rv.dtype == v.dtype and rv.tobytes() == v.tobytes())
        out[key] = {"identical": same, "mean": float(v.mean()) if v.size else 0.0,
                    "std": float(v.std()) if v.size else 0.0, "count": int(v.size)}
    if ref is not None:
        missing = set(ref.get_variable_to_shape_map()) - set(r.get_variable_to_shape_map())
        if missing:
            raise ValueError("checkpoint entries lost: %s" % sorted(missing))
    return out


SANITY_TOLERANCE = 1e-3  # a reference vs predictions recorded on another machine


def difference(y, e, what):
    if e.shape != y.shape:
        raise ValueError("output shape %s, %s %s" % (y.shape, what, e.shape))
    a, b = y.astype("float64"), e.astype("float64")
    return float(np.max(np.abs(a - b) / np.maximum(1.0, np.abs(b)))) if a.size else 0.0


def keras_predict(ref, x):
    if ref.get("loader", "tfkeras") == "keras3":
        os.environ["KERAS_BACKEND"] = "tensorflow"
        import keras
        m = keras.saving.load_model(ref["file"], compile=False)
    else:
        import tf_keras
        m = tf_keras.models.load_model(ref["file"], compile=False)
    return np.asarray(m.predict(x, verbose=0, batch_size=len(x)))


def run(case):
    res = {"id": case["id"], "ok": False, "reason": None, "maxDiff": None, "variables": {}}
    try:
        x = np.load(case["input"])["x0"] if "input" in case else made_input(case["reference"])
        y = serve(case["dir"], x)
        if not np.all(np.isfinite(y)):
            raise ValueError("non-finite outputs")
        res["variables"] = variables(case["dir"], case.get("reference"))
        recorded = np.load(case["expected"])["y0"] if "expected" in case else None
        e, what = None, None
        if case.get("keras_reference"):
            e, what = keras_predict(case["keras_reference"], x), "Keras's prediction of the original"
        elif case.get("reference"):
            e, what = serve(case["reference"], x), "the original's serving output"
        if e is not None and recorded is not None:
            sane = difference(e, recorded, "expected.npz")
            res["referenceVsExpected"] = sane
            if sane > case.get("sanity_tolerance", SANITY_TOLERANCE):
                raise ValueError("the original itself is %g off expected.npz: stale test data?" % sane)
        elif recorded is not None:
            e, what = recorded, "expected.npz"
        if e is not None:
            diff = difference(y, e, what)
            res["maxDiff"] = diff
            res["against"] = what
            tol = case.get("tolerance", 1e-5)
            want = case.get("expect", "equal")
            if want == "equal" and diff > tol:
                raise ValueError("outputs differ from %s by %g > %g" % (what, diff, tol))
            if want == "different" and diff <= max(tol, 1e-6):
                raise ValueError("outputs equal %s (max diff %g): nothing changed" % (what, diff))
        if "tfkeras_layer" in case:
            import tf_keras
            km = tf_keras.models.load_model(case["dir"], compile=False)
            ky = km.predict(x, verbose=0)
            kd = float(np.max(np.abs(ky.astype("float64") - y.astype("float64"))))
            if kd > 1e-5:
                raise ValueError("tf_keras predictions differ from the signature's by %g" % kd)
            res["layerConfig"] = km.get_layer(case["tfkeras_layer"]).get_config()
        res["ok"] = True
    except Exception as e:  # one failing case must not hide the others
        traceback.print_exc(file=sys.stderr)
        res["reason"] = "%s: %s" % (type(e).__name__, e)
    return res


def main():
    cases = json.load(open(sys.argv[1]))
    json.dump({"results": [run(c) for c in cases]}, sys.stdout, default=str)
    print()


if __name__ == "__main__":
    main()
