#!/usr/bin/env python
"""Corpus checker: what real Keras predicts on each corpus original, and whether initkit's outputs
of it load and predict the same, all in this one process (KerasCorpusRuntimeIT, Dl4jCorpusRuntimeIT).

    .venv/bin/python testdata/interop/check_corpus.py ENTRIES.json --json-out RESULTS.json

ENTRIES.json is a JSON list of originals:

    {
      "id": "h5-full/k2-dense-tf.h5",          # the corpus path, printed
      "original": "/abs/path/of/the/original",
      "native": "keras3" | "tfkeras",           # the loader tried first (Keras 3 files: keras3)
      "inputs_out": "/abs/x.npz",               # optional: save the generated input here (x0, x1, ...)
      "predict": true,                          # optional: put the reference's outputs in the result
      "outputs": [{"file": "...", "loader": "keras3" | "tfkeras"}]   # initkit's files to check
    }

An output with "loader": "tensorflow" is a SavedModel directory, loaded by tf.saved_model.load and
run through its serving_default signature; it also names "signature_inputs" and
"signature_outputs", the signature's keys in the model's input and output order (fed x0, x1, ...;
compared with the reference's outputs in that order).

Corpus files come without an input, so one is generated from the original's input shapes and
dtypes (seeded by the id: the same every run): batch 2, other unknown dimensions 8 (sequences) or 32 (images), standard normal
floats, or integers below the smallest Embedding input_dim when the model has an Embedding. The
original is loaded by both Keras generations; the reference of an output is the original in the
output's own loader when that loads it, else in the other one. An output passes when every output
differs by at most --tolerance (max |a-b| / max(1, |b|), check.py's measure).

RESULTS.json maps each id to {"loads": {"keras3": "ok" | error, "tfkeras": ...}, "input": path,
"reference": loader or null, "shapes"/"outputs" (with "predict"), "cases": [{"file", "loader",
"status": "PASS" | "FAIL" | "UNVERIFIED", "max_diff", "reference", "reason"}]}. UNVERIFIED: no Keras
here loads and predicts on the original, so nothing to compare with (the reason says why, and
whether initkit's output loads). Prints one line per case; exit status 0 once RESULTS.json is written.
"""
import os
import sys
import zlib
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import check  # noqa: E402  (sets the TF/Keras environment before any import of them)

import argparse  # noqa: E402
import contextlib  # noqa: E402
import json  # noqa: E402
import signal  # noqa: E402

LOADER_NAMES = {"keras3": "Keras 3", "tfkeras": "tf-keras", "tensorflow": "TF Python"}


def _guarded(timeout, fn, *args):
    """fn(*args) under a timer; CaseError for any failure (one line)."""
    old = signal.signal(signal.SIGALRM, check._on_alarm)
    if timeout > 0:
        signal.setitimer(signal.ITIMER_REAL, timeout)
    try:
        with contextlib.redirect_stdout(sys.stderr):
            return fn(*args)
    except check.CaseTimeout:
        raise check.CaseError(f"timed out after {timeout:g}s")
    except check.CaseError:
        raise
    except Exception as e:  # noqa: BLE001
        raise check.CaseError(f"{type(e).__name__}: {check._one_line(e, 300)}") from e
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def _embedding_dims(model):
    dims = []
    for layer in getattr(model, "layers", []):
        if type(layer).__name__ == "Embedding":
            dims.append(int(layer.input_dim))
        dims += _embedding_dims(layer) if hasattr(layer, "layers") else []
    return dims


def generate_inputs(model, seed):
    np = check.np
    rng = np.random.default_rng(seed)
    emb = _embedding_dims(model)
    xs = []
    for t in model.inputs:
        dims = tuple(t.shape)
        # unknown sizes: 8 steps of a sequence, 32 pixels of an image (enough for a few VALID convolutions)
        free = 32 if len(dims) >= 4 else 8
        shape = [2 if i == 0 and d is None else (free if d is None else int(d)) for i, d in enumerate(dims)]
        dtype = str(getattr(t.dtype, "name", t.dtype))
        if emb or "int" in dtype:
            # int32 where Keras wants it, else float32 indices: DL4J reads neither uint16 nor int64 .npz
            x = rng.integers(0, max(1, min(emb) if emb else 10), size=shape)
            xs.append(x.astype("int32" if dtype in ("int32", "int64") else "float32"))
        else:
            xs.append(rng.standard_normal(shape).astype("float32" if "float" not in dtype or dtype == "bfloat16" else dtype))
    return xs


def serve_savedmodel(out, xs):
    """A SavedModel's serving_default signature on xs, fed and read by the keys in the model's order."""
    tf = check.tf
    f = tf.saved_model.load(out["file"]).signatures["serving_default"]
    spec = f.structured_input_signature[1]
    in_keys, out_keys = out["signature_inputs"], out["signature_outputs"]
    if sorted(spec) != sorted(in_keys):
        raise check.CaseError(f"signature inputs {sorted(spec)}, expected {sorted(in_keys)}")
    if len(xs) != len(in_keys):
        raise check.CaseError(f"the original has {len(xs)} inputs, the signature {len(in_keys)}")
    y = f(**{k: tf.constant(x, dtype=spec[k].dtype) for k, x in zip(in_keys, xs)})
    if sorted(y) != sorted(out_keys):
        raise check.CaseError(f"signature outputs {sorted(y)}, expected {sorted(out_keys)}")
    return [y[k].numpy() for k in out_keys]


def _load_output(out):
    if out["loader"] == "tensorflow":
        return check.tf.saved_model.load(out["file"])
    return check.load_model(out["file"], out["loader"])


def _predict_output(out, xs):
    if out["loader"] == "tensorflow":
        return serve_savedmodel(out, xs)
    return check.predict(check.load_model(out["file"], out["loader"]), xs)


def check_entry(e, tolerance, timeout):
    np = check.np
    eid = e["id"]
    native = e.get("native", "tfkeras")
    order = [native] + [x for x in check.LOADERS if x != native]
    res = {"loads": {}, "input": None, "reference": None, "cases": []}
    models = {}
    for loader in order:
        try:
            models[loader] = _guarded(timeout, check.load_model, e["original"], loader)
            res["loads"][loader] = "ok"
        except check.CaseError as err:
            res["loads"][loader] = str(err)
    xs = None
    for loader in order:
        if loader in models:
            try:
                xs = generate_inputs(models[loader], zlib.crc32(eid.encode()))
                break
            except Exception as err:  # noqa: BLE001
                res["loads"][loader] = f"no input can be made: {type(err).__name__}: {check._one_line(err, 200)}"
    refs = {}
    if xs is not None:
        if e.get("inputs_out"):
            np.savez(e["inputs_out"], **{f"x{i}": x for i, x in enumerate(xs)})
            res["input"] = e["inputs_out"]
        for loader in order:
            if loader in models and res["loads"][loader] == "ok":
                try:
                    refs[loader] = _guarded(timeout, check.predict, models[loader], xs)
                except check.CaseError as err:
                    res["loads"][loader] = f"loads, but predict failed: {err}"
    models.clear()
    best = next((x for x in order if x in refs), None)
    res["reference"] = best
    if e.get("predict") and best is not None:
        res["shapes"] = [list(y.shape) for y in refs[best]]
        res["outputs"] = [np.asarray(y, dtype=np.float64).ravel().tolist() for y in refs[best]]
    why_none = "; ".join(f"{LOADER_NAMES[k]}: {v}" for k, v in res["loads"].items())
    for out in e.get("outputs", []):
        c = {"file": out["file"], "loader": out["loader"], "status": "FAIL", "max_diff": None, "reference": None, "reason": None}
        ref_loader = out["loader"] if out["loader"] in refs else best
        try:
            got = _guarded(timeout, _predict_output, out, xs) if xs is not None \
                else _guarded(timeout, _load_output, out)
            if ref_loader is None:
                c["status"] = "UNVERIFIED"
                c["reason"] = f"no Keras here loads the original ({why_none}); initkit's output loads in {LOADER_NAMES[out['loader']]}"
            else:
                c["reference"] = ref_loader
                diffs = check.compare(got, refs[ref_loader], f"the original [{ref_loader}]")
                c["max_diff"] = max(diffs) if diffs else 0.0
                if c["max_diff"] <= tolerance:
                    c["status"] = "PASS"
                else:
                    c["reason"] = f"diff {c['max_diff']:.6g} vs the original [{ref_loader}] > tolerance {tolerance:g}"
        except check.CaseError as err:
            if ref_loader is None:
                c["status"] = "UNVERIFIED"
                c["reason"] = (f"no Keras here loads the original ({why_none}); initkit's output does not load "
                               f"in {LOADER_NAMES[out['loader']]} either: {err}")
            else:
                c["reference"] = ref_loader
                c["reason"] = str(err)
        res["cases"].append(c)
        line = f"{c['status']} {eid} -> {Path(out['file']).name} [{out['loader']}]"
        print(line + (f": diff {c['max_diff']:.3g}" if c["status"] == "PASS" else f": {c['reason']}"),
              file=check.REAL_STDOUT, flush=True)
    if not e.get("outputs"):
        print(f"ORIGINAL {eid}: reference {best} ({why_none})", file=check.REAL_STDOUT, flush=True)
    return res


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("entries", help="ENTRIES.json (list of originals)")
    ap.add_argument("--json-out", required=True, help="write the results as JSON here")
    ap.add_argument("--tolerance", type=float, default=1e-5, help="max difference of a PASS (default 1e-5)")
    ap.add_argument("--timeout", type=float, default=120.0, help="per load/predict, seconds (0 = none)")
    args = ap.parse_args(argv)
    entries = json.loads(Path(args.entries).read_text())
    check._import_frameworks()
    out = {}
    for e in entries:
        out[e["id"]] = check_entry(e, args.tolerance, args.timeout)
    Path(args.json_out).write_text(json.dumps(out) + "\n")
    return 0


if __name__ == "__main__":
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    sys.exit(main())
