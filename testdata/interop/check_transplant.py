#!/usr/bin/env python
"""Transplant checker: load what `initkit transplant` wrote with real Keras and check its weights.

    .venv/bin/python testdata/interop/check_transplant.py CASES.json

CASES.json is a JSON list; every case has "id" and "kind". A model reference is
{"file": PATH, "loader": "keras3" | "tfkeras", "layer": "name" or "outer/inner", "index": N}
(layer and index where a weight is meant; index into layer.get_weights()).

  load      {"model": REF, "input": NPZ, "key": K}
            the model loads (compile=False) and predicts finite values on input[K]
  equal     {"a": REF, "b": REF}
            the two weights are bit for bit equal (same shape, dtype and bytes)
  overlap   {"a": REF (source), "b": REF (target), "gates": G}
            the elements both shapes have are bit for bit equal; the last axis is G gate
            blocks compared block by block (G = 1: plain overlap)
  formula   {"a": REF (source conv kernel), "b": REF (adapted kernel), "mode": "sum"|"tile"}
            sum: b[..., 0, :] == float32(sum over a's input channels in float64);
            tile: b[..., j, :] == float32(a[..., j mod c, :] * c / c') in float64, exactly
  cast      {"a": REF (source), "b": REF (target), "dtype": D}
            b has dtype D, a does not, and b is bit for bit a.astype(D) (numpy's rounding)
  features  {"a": REF (source, layer = feature layer), "b": REF (target), "input": NPZ, "key": K,
             "tolerance": T}
            the feature layers' outputs on input[K] agree within T (default 0: identical)

Prints "PASS id" or "FAIL id: reason" per case, then "N passed, N failed"; exit status 0 iff
nothing failed. Keras/TF logging goes to stderr.
"""
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ["KERAS_BACKEND"] = "tensorflow"
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")

import contextlib
import json
import logging
import sys
import traceback
import warnings

warnings.filterwarnings("ignore")
logging.getLogger("absl").setLevel(logging.ERROR)

REAL_STDOUT = sys.stdout
with contextlib.redirect_stdout(sys.stderr):
    import numpy as np
    import keras
    import tf_keras

_models = {}


def model(ref):
    key = (ref["file"], ref.get("loader", "keras3"))
    if key not in _models:
        with contextlib.redirect_stdout(sys.stderr):
            lib = keras if key[1] == "keras3" else tf_keras
            _models[key] = lib.models.load_model(ref["file"], compile=False)
    return _models[key]


def layer(ref):
    m = model(ref)
    parts = ref["layer"].split("/")
    lay = m.get_layer(parts[0])
    for p in parts[1:]:
        lay = lay.get_layer(p)
    return lay


def weight(ref):
    return np.asarray(layer(ref).get_weights()[ref["index"]])


def same_bits(a, b):
    return a.shape == b.shape and a.dtype == b.dtype and a.tobytes() == b.tobytes()


def features(ref, x):
    m = model(ref)
    lib = keras if ref.get("loader", "keras3") == "keras3" else tf_keras
    sub = lib.Model(m.inputs, m.get_layer(ref["layer"]).output)
    with contextlib.redirect_stdout(sys.stderr):
        return np.asarray(sub.predict(x, verbose=0))


def check(case):
    kind = case["kind"]
    if kind == "load":
        x = np.load(case["input"])[case["key"]]
        with contextlib.redirect_stdout(sys.stderr):
            y = model(case["model"]).predict(x, verbose=0)
        ys = y if isinstance(y, (list, tuple)) else [y]
        if not all(np.all(np.isfinite(np.asarray(v))) for v in ys):
            return "non-finite predictions"
        return None
    if kind == "equal":
        a, b = weight(case["a"]), weight(case["b"])
        return None if same_bits(a, b) else f"differ: {a.shape} {a.dtype} vs {b.shape} {b.dtype}"
    if kind == "overlap":
        a, b = weight(case["a"]), weight(case["b"])
        g = case.get("gates", 1)
        if a.ndim != b.ndim or a.dtype != b.dtype:
            return f"rank/dtype differ: {a.shape} {a.dtype} vs {b.shape} {b.dtype}"
        ua, ub = a.shape[-1] // g, b.shape[-1] // g
        m = min(ua, ub)
        lead = tuple(slice(0, min(x, y)) for x, y in zip(a.shape[:-1], b.shape[:-1]))
        for k in range(g):
            pa = a[lead + (slice(k * ua, k * ua + m),)]
            pb = b[lead + (slice(k * ub, k * ub + m),)]
            if not same_bits(np.ascontiguousarray(pa), np.ascontiguousarray(pb)):
                return f"gate block {k} differs"
        return None
    if kind == "formula":
        a, b = weight(case["a"]), weight(case["b"])
        c, c2 = a.shape[-2], b.shape[-2]
        a64 = a.astype(np.float64)
        if case["mode"] == "sum":
            want = a64.sum(axis=-2, keepdims=True)
        else:
            idx = [j % c for j in range(c2)]
            want = a64[..., idx, :] * (c / c2)
        want = want.astype(b.dtype)
        return None if same_bits(want, b) else f"max diff {np.max(np.abs(want.astype(np.float64) - b)):.3g}"
    if kind == "cast":
        a, b = weight(case["a"]), weight(case["b"])
        if str(b.dtype) != case["dtype"] or a.dtype == b.dtype:
            return f"dtypes {a.dtype} -> {b.dtype}, expected a cast to {case['dtype']}"
        return None if same_bits(a.astype(b.dtype), b) else f"not a.astype({b.dtype}): {a.ravel()[:3]} vs {b.ravel()[:3]}"
    if kind == "features":
        x = np.load(case["input"])[case["key"]]
        fa, fb = features(case["a"], x), features(case["b"], x)
        if fa.shape != fb.shape:
            return f"feature shapes {fa.shape} vs {fb.shape}"
        d = float(np.max(np.abs(fa.astype(np.float64) - fb.astype(np.float64))))
        return None if d <= case.get("tolerance", 0.0) else f"features differ by {d:.3g}"
    return f"unknown kind {kind}"


def main():
    cases = json.load(open(sys.argv[1]))
    passed = failed = 0
    for case in cases:
        try:
            problem = check(case)
        except Exception as e:  # noqa: BLE001 (a case that cannot even run is a failure)
            traceback.print_exc(file=sys.stderr)
            problem = f"{type(e).__name__}: {e}"
        if problem is None:
            passed += 1
            print(f"PASS {case['id']}", file=REAL_STDOUT)
        else:
            failed += 1
            print(f"FAIL {case['id']}: {problem}", file=REAL_STDOUT)
    print(f"{passed} passed, {failed} failed", file=REAL_STDOUT)
    REAL_STDOUT.flush()
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
