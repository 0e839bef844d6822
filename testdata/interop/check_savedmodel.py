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
      "tfkeras_layer": "head",                 # optional: also load with tf_keras.models.load_model,
                                               # check its predictions equal the signature's, and
                                               # report that layer's config as "layerConfig"
      "signature_inputs": ["a", "b"],          # optional: the signature's input keys in the model's
                                               # order, fed input.npz's x0, x1, ... (default: one input)
      "signature_outputs": ["out_a", "out_b"], # optional: its output keys in order, compared with
                                               # y0, y1, ... (default: one output)
      "dump": "path/dir"                       # optional: write the inputs fed and the baseline there
                                               # (raw little-endian x<i>.bin in the signature's dtype,
                                               # y<i>.bin float64), listed in the result as "dump",
                                               # so another runtime is compared with the same numbers
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


def signature(d, one=True):
    f = tf.saved_model.load(d).signatures["serving_default"]
    spec = f.structured_input_signature[1]
    if one and len(spec) != 1:
        raise ValueError("expected one input, the signature has %s" % sorted(spec))
    return f, spec


def serve_named(d, xs, in_keys, out_keys):
    """Feeds xs by in_keys, returns the outputs listed in out_keys (the model's orders)."""
    f, spec = signature(d, one=False)
    if sorted(spec) != sorted(in_keys):
        raise ValueError("signature inputs %s, expected %s" % (sorted(spec), sorted(in_keys)))
    out = f(**{k: tf.constant(x, dtype=spec[k].dtype) for k, x in zip(in_keys, xs)})
    if sorted(out) != sorted(out_keys):
        raise ValueError("signature outputs %s, expected %s" % (sorted(out), sorted(out_keys)))
    return [out[k].numpy() for k in out_keys], [spec[k].dtype.as_numpy_dtype for k in in_keys]


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


def keras_predict_all(ref, xs):
    """Keras's predictions, one array per model output."""
    y = keras_model_predict(ref, xs if len(xs) > 1 else xs[0])
    if isinstance(y, dict):
        y = list(y.values())
    return [np.asarray(v) for v in y] if isinstance(y, (list, tuple)) else [np.asarray(y)]


def keras_model_predict(ref, x):
    if ref.get("loader", "tfkeras") == "keras3":
        os.environ["KERAS_BACKEND"] = "tensorflow"
        import keras
        m = keras.saving.load_model(ref["file"], compile=False)
    else:
        import tf_keras
        m = tf_keras.models.load_model(ref["file"], compile=False)
    n = len(x[0]) if isinstance(x, list) else len(x)
    return m.predict(x, verbose=0, batch_size=n)


def run_named(case):
    """A case with signature_inputs/outputs: every output compared with Keras's, inputs and baseline dumped."""
    res = {"id": case["id"], "ok": False, "reason": None, "maxDiff": None}
    try:
        data = np.load(case["input"])
        in_keys, out_keys = case["signature_inputs"], case["signature_outputs"]
        xs = [data["x%d" % i] for i in range(len(in_keys))]
        ys, dtypes = serve_named(case["dir"], xs, in_keys, out_keys)
        for y in ys:
            if not np.all(np.isfinite(y)):
                raise ValueError("non-finite outputs")
        es = keras_predict_all(case["keras_reference"], xs)
        if len(es) != len(ys):
            raise ValueError("Keras gives %d outputs, the signature %d" % (len(es), len(ys)))
        if "dump" in case:
            d = case["dump"]
            os.makedirs(d, exist_ok=True)
            dump = {"inputs": [], "outputs": []}
            for i, (k, x, t) in enumerate(zip(in_keys, xs, dtypes)):
                a = np.ascontiguousarray(np.asarray(x).astype(t))
                f = os.path.join(d, "x%d.bin" % i)
                a.astype(a.dtype.newbyteorder("<")).tofile(f)
                dump["inputs"].append({"key": k, "dtype": str(a.dtype), "shape": list(a.shape), "file": f})
            for i, (k, e) in enumerate(zip(out_keys, es)):
                f = os.path.join(d, "y%d.bin" % i)
                np.asarray(e, dtype="<f8").tofile(f)
                dump["outputs"].append({"key": k, "shape": list(np.shape(e)), "file": f})
            res["dump"] = dump
        diff = max(difference(y, np.asarray(e), "Keras's prediction") for y, e in zip(ys, es))
        res["maxDiff"] = diff
        res["against"] = "Keras's prediction of the original"
        tol = case.get("tolerance", 1e-5)
        if diff > tol:
            raise ValueError("outputs differ from Keras's by %g > %g" % (diff, tol))
        res["ok"] = True
    except Exception as e:  # one failing case must not hide the others
        traceback.print_exc(file=sys.stderr)
        res["reason"] = "%s: %s" % (type(e).__name__, e)
    return res


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
    if "signature_inputs" in case:
        return run_named(case)
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
