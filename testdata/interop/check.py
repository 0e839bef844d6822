#!/usr/bin/env python
"""Interop checker: load model files with real Keras and compare predictions.

Run with the pinned venv (testdata/setup-venv.sh):

    .venv/bin/python testdata/interop/check.py CASES.json [--json-out RESULTS.json]
    .venv/bin/python testdata/interop/check.py --self-test [--json-out R.json] [--cases-out C.json]

CASES.json is a JSON list of cases:

    {
      "id": "mlp-reinit-keras3",                 # unique label, printed
      "file": "path/the/file/initkit/wrote",     # .keras / .h5 / unzipped dir / weights file
      "loader": "keras3" | "tfkeras",
      "input": "path/input.npz",                 # keys x0, x1, ... (model input order)
      "reference": {                             # optional: the original, loaded in this process
        "file": "path/the/original",             #   and predicted on the same input: THE reference
        "loader": "keras3" | "tfkeras",          #   (defaults to the case's loader)
        "weights_into": {...}                    #   optional, as below
      },
      "expected": "path/expected.npz",           # optional; keys y0, y1, ... (output order)
      "tolerance": 1e-6,                         # optional, default 1e-6 (0 = bit-equal)
      "sanity_tolerance": 1e-3,                  # optional: reference vs expected.npz (default 1e-3)
      "expect": "equal" | "different",           # optional, default "equal"
      "weights_into": {                          # optional: "file" holds weights only
        "architecture": "path/model.keras|.h5|.json|unzipped dir",
        "loader": "keras3" | "tfkeras"           # optional, defaults to the case's loader
      },
      "timeout": 120                             # optional, seconds (default --timeout)
    }

Loading: keras3 = keras.saving.load_model(file, compile=False); tfkeras =
tf_keras.models.load_model(file, compile=False).  With weights_into, the
architecture is built with its loader (load_model, or model_from_json for a .json
file) and then model.load_weights(file) is called.  Note that both Keras 3 and
tf-keras pick the weights format from the file name: "*.weights.h5" /
"*.weights.json" = new (Keras 3 style) layout, any other "*.h5" = legacy layout.

Comparison: with "reference", every output vs the reference's matching output,
computed in this same process on this machine (floats recorded on another CPU
differ in their last bits, so a stored array is never the reference for a file
initkit wrote).  The difference is max |a-b| / max(1, |b|) in float64: the
absolute difference for values up to 1, the relative one above.  "equal" passes
iff every output's difference <= tolerance (tolerance 0: bit-equal);
"different" passes iff the largest difference > max(tolerance, 1e-6).  Output
count and shapes must match in both modes, and outputs must be finite.  With
"reference" and "expected", expected.npz is only a sanity check of the
reference (the original still predicts what generate.py recorded, within
sanity_tolerance); without "reference", "expected" is the reference (the
self-test, which checks the originals themselves).  With neither, a case passes
iff the model loads and predicts finite values ("equal" only).

Relative paths are resolved against the current directory, else against the
directory of CASES.json.

    .venv/bin/python testdata/interop/check.py --predict LIST.json --predict-out OUT.json

writes what Keras predicts, for another runtime's test to compare against (DL4J's, in
Dl4jForRuntimeIT) in the same run on the same machine: LIST is a JSON list of
{"id", "file", "loader", "input"}; OUT maps each id to {"shapes": [[...]], "outputs":
[[flattened row-major float64]]} or {"error": "..."}.  Exit status 0 once OUT is written.

Prints one line per case, "PASS id: diff D vs what" or "FAIL id: reason", then exactly one line
"N passed, N failed".  Exit status 0 iff nothing failed.  All other output
(Keras/TF logging) goes to stderr.
"""
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ["KERAS_BACKEND"] = "tensorflow"
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")

import argparse
import contextlib
import json
import logging
import re
import shutil
import signal
import sys
import tempfile
import time
import traceback
import warnings
from pathlib import Path

warnings.filterwarnings("ignore")
logging.getLogger("absl").setLevel(logging.ERROR)

REAL_STDOUT = sys.stdout
HERE = Path(__file__).resolve().parent
DEFAULT_MODELS = HERE.parent / "models"
LOADERS = ("keras3", "tfkeras")

# Imported lazily (inside main) so that --help is instant; both are loaded once.
np = tf = keras = tf_keras = None


def _import_frameworks():
    global np, tf, keras, tf_keras
    with contextlib.redirect_stdout(sys.stderr):
        import numpy as _np
        import tensorflow as _tf
        _tf.get_logger().setLevel(logging.ERROR)
        import keras as _keras
        import tf_keras as _tf_keras
    np, tf, keras, tf_keras = _np, _tf, _keras, _tf_keras


class CaseError(Exception):
    pass


class CaseTimeout(BaseException):
    """BaseException so that no `except Exception` inside Keras can swallow it."""


# ----------------------------------------------------------------------------

def _one_line(text, limit=500):
    text = " ".join(str(text).split())
    key = "Exception encountered:"
    if key in text:  # Keras's long deserialization errors: keep the reason
        head, _, why = text.partition(key)
        text = f"{head[:150]}... {key} {why.strip()}"
    return text if len(text) <= limit else text[:limit] + "..."


def resolve(path, base):
    if path is None:
        return None
    p = Path(path)
    if p.is_absolute() or p.exists() or base is None:
        return p
    alt = base / p
    return alt if alt.exists() else p


def ordered_arrays(npz_path, prefix):
    with np.load(npz_path, allow_pickle=False) as z:
        keys = list(z.keys())
        pat = re.compile(rf"^{prefix}(\d+)$")
        bad = [k for k in keys if not pat.match(k)]
        if bad:
            raise CaseError(f"{npz_path}: unexpected keys {bad} (want {prefix}0, {prefix}1, ...)")
        keys.sort(key=lambda k: int(pat.match(k).group(1)))
        if [int(pat.match(k).group(1)) for k in keys] != list(range(len(keys))):
            raise CaseError(f"{npz_path}: keys {keys} are not {prefix}0..{prefix}{len(keys) - 1}")
        if not keys:
            raise CaseError(f"{npz_path}: no arrays")
        return [z[k] for k in keys]


def load_model(path, loader):
    if loader == "keras3":
        return keras.saving.load_model(str(path), compile=False)
    return tf_keras.models.load_model(str(path), compile=False)


def build_architecture(path, loader):
    if str(path).endswith(".json"):
        text = Path(path).read_text()
        if loader == "keras3":
            return keras.models.model_from_json(text)
        return tf_keras.models.model_from_json(text)
    return load_model(path, loader)


def predict(model, xs):
    feed = xs[0] if len(xs) == 1 else list(xs)
    out = model.predict(feed, verbose=0, batch_size=len(xs[0]))
    if isinstance(out, dict):
        out = [out[k] for k in model.output_names]
    if not isinstance(out, (list, tuple)):
        out = [out]
    # bfloat16 outputs (ml_dtypes) widened exactly, so that numpy compares them as numbers
    return [np.asarray(o).astype(np.float32) if np.asarray(o).dtype.name == "bfloat16" else np.asarray(o)
            for o in out]


def compare(outs, exps, what="expected.npz"):
    """Per-output max |a-b| / max(1, |b|) (float64); raises CaseError on structural mismatch."""
    if len(outs) != len(exps):
        raise CaseError(f"model has {len(outs)} outputs, {what} has {len(exps)}")
    diffs = []
    for i, (o, e) in enumerate(zip(outs, exps)):
        if tuple(o.shape) != tuple(e.shape):
            raise CaseError(f"output y{i} shape {tuple(o.shape)} != {what} {tuple(e.shape)}")
        a, b = o.astype(np.float64), e.astype(np.float64)
        if not np.all(np.isfinite(a)[np.isfinite(b)]):
            raise CaseError(f"output y{i} has non-finite values where {what} is finite")
        if a.size == 0:
            diffs.append(0.0)
            continue
        both = np.isfinite(a) & np.isfinite(b)
        d = float(np.max(np.abs(a[both] - b[both]) / np.maximum(1.0, np.abs(b[both])))) if both.any() else 0.0
        diffs.append(d)
    return diffs


def load_for_case(spec, loader, base, res=None):
    """Loads spec["file"] (or weights_into an architecture) with loader; CaseError on failure."""
    file = resolve(spec["file"], base)
    if not file.exists():
        raise CaseError(f"file not found: {file}")
    wi = spec.get("weights_into")
    if wi is None:
        try:
            return load_model(file, loader)
        except Exception as e:  # noqa: BLE001
            raise CaseError(f"load failed: {type(e).__name__}: {_one_line(e)}") from e
    if not isinstance(wi, dict) or "architecture" not in wi:
        raise CaseError("weights_into needs an 'architecture' path")
    arch_loader = wi.get("loader", loader)
    if arch_loader not in LOADERS:
        raise CaseError(f"unknown weights_into.loader '{arch_loader}'")
    if arch_loader != loader:
        raise CaseError(f"weights_into.loader '{arch_loader}' != loader '{loader}' "
                        "(weights load into a model of the same framework)")
    arch = resolve(wi["architecture"], base)
    if not arch.exists():
        raise CaseError(f"architecture not found: {arch}")
    if res is not None:
        res["architecture"] = str(arch)
    try:
        model = build_architecture(arch, loader)
    except Exception as e:  # noqa: BLE001
        raise CaseError(f"building the architecture failed: {type(e).__name__}: {_one_line(e)}") from e
    try:
        model.load_weights(str(file))
    except Exception as e:  # noqa: BLE001
        raise CaseError(f"load_weights failed: {type(e).__name__}: {_one_line(e)}") from e
    return model


def predict_case(spec, loader, base, xs, res=None):
    model = load_for_case(spec, loader, base, res)
    try:
        return predict(model, xs)
    except Exception as e:  # noqa: BLE001
        raise CaseError(f"predict failed: {type(e).__name__}: {_one_line(e)}") from e


# The originals' predictions, computed once per process: (file, loader, weights_into, input) -> outputs
_REFERENCES = {}


def reference_outputs(ref, loader, base, xs, inp):
    if not isinstance(ref, dict) or "file" not in ref:
        raise CaseError("reference needs a 'file'")
    ref_loader = ref.get("loader", loader)
    if ref_loader not in LOADERS:
        raise CaseError(f"unknown reference.loader '{ref_loader}'")
    key = json.dumps([str(resolve(ref["file"], base)), ref_loader, ref.get("weights_into"), str(inp)],
                     sort_keys=True)
    if key not in _REFERENCES:
        try:
            _REFERENCES[key] = predict_case(ref, ref_loader, base, xs)
        except CaseError as e:
            _REFERENCES[key] = e
    got = _REFERENCES[key]
    if isinstance(got, CaseError):
        raise CaseError(f"reference {ref['file']} [{ref_loader}]: {got}")
    return got, ref_loader


def _on_alarm(signum, frame):
    raise CaseTimeout("timed out")


def run_case(case, base, default_timeout):
    """Returns a result dict; never raises (except KeyboardInterrupt)."""
    t0 = time.time()
    cid = str(case.get("id", "?")) if isinstance(case, dict) else "?"
    res = {"id": cid, "status": "FAIL", "reason": None}
    timeout = default_timeout
    try:
        if not isinstance(case, dict):
            raise CaseError("case is not a JSON object")
        for k in ("id", "file", "loader", "input"):
            if k not in case:
                raise CaseError(f"missing key '{k}'")
        loader = case["loader"]
        if loader not in LOADERS:
            raise CaseError(f"unknown loader '{loader}' (want keras3 or tfkeras)")
        expect = case.get("expect", "equal")
        if expect not in ("equal", "different"):
            raise CaseError(f"unknown expect '{expect}' (want equal or different)")
        tol = float(case.get("tolerance", 1e-6))
        sanity_tol = float(case.get("sanity_tolerance", SANITY_TOLERANCE))
        timeout = float(case.get("timeout", default_timeout))
        file = resolve(case["file"], base)
        inp = resolve(case["input"], base)
        exp = resolve(case.get("expected"), base)
        ref = case.get("reference")
        if expect == "different" and exp is None and ref is None:
            raise CaseError("expect=different needs 'reference' or 'expected'")
        for label, p in (("file", file), ("input", inp), ("expected", exp)):
            if p is not None and not p.exists():
                raise CaseError(f"{label} not found: {p}")
        res.update({"file": str(file), "loader": loader, "expect": expect, "tolerance": tol})

        xs = ordered_arrays(inp, "x")
        exps = ordered_arrays(exp, "y") if exp is not None else None

        old = signal.signal(signal.SIGALRM, _on_alarm)
        if timeout > 0:
            signal.setitimer(signal.ITIMER_REAL, timeout)
        try:
            with contextlib.redirect_stdout(sys.stderr):
                refs = None
                if ref is not None:
                    refs, ref_loader = reference_outputs(ref, loader, base, xs, inp)
                    res["reference"] = f"{ref['file']} [{ref_loader}]"
                outs = predict_case(case, loader, base, xs, res)
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, old)

        if refs is not None and exps is not None:
            # the original vs what generate.py recorded (on whatever CPU): a sanity check only
            sane = compare(refs, exps, "expected.npz")
            res["reference_vs_expected"] = max(sane)
            if max(sane) > sanity_tol:
                raise CaseError(f"the original itself predicts {max(sane):.6g} off expected.npz "
                                f"(> sanity tolerance {sanity_tol:g}): stale test data?")
        against = refs if refs is not None else exps
        what = "the original" if refs is not None else "expected.npz"
        if against is None:
            bad = [i for i, o in enumerate(outs) if not np.all(np.isfinite(o.astype(np.float64)))]
            if bad:
                raise CaseError(f"outputs {['y%d' % i for i in bad]} have non-finite values")
            res["status"] = "PASS"
            res["measured"] = "loads, finite outputs"
        else:
            diffs = compare(outs, against, what)
            worst = max(diffs)
            res["max_abs_diff"] = worst
            res["max_abs_diff_per_output"] = diffs
            res["measured"] = (f"diff {worst:.3g} vs {what}" + (" (bit-equal)" if worst == 0 else "")
                               + (f" {res['reference'].rsplit(' ', 1)[-1]}" if refs is not None else ""))
            if expect == "equal":
                if worst <= tol:
                    res["status"] = "PASS"
                else:
                    i = diffs.index(worst)
                    res["reason"] = f"diff {worst:.6g} vs {what} > tolerance {tol:g} (output y{i})"
            else:
                if worst > max(tol, 1e-6):
                    res["status"] = "PASS"
                else:
                    res["reason"] = (f"outputs equal {what} within tolerance {max(tol, 1e-6):g} "
                                     f"(diff {worst:.6g}) but expect=different")
    except CaseTimeout:
        res["reason"] = f"timed out after {timeout:g}s (load/predict hung)"
    except CaseError as e:
        res["reason"] = _one_line(e)
    except Exception as e:  # noqa: BLE001
        res["reason"] = f"{type(e).__name__}: {_one_line(e)}"
        traceback.print_exc(file=sys.stderr)
    res["seconds"] = round(time.time() - t0, 3)
    return res


def result_line(r):
    if r["status"] == "PASS":
        return f"PASS {r['id']}: {r['measured']}" if r.get("measured") else f"PASS {r['id']}"
    return f"FAIL {r['id']}: {r['reason']}"


def run_cases(cases, base, timeout, json_out=None):
    results = []
    for case in cases:
        r = run_case(case, base, timeout)
        results.append(r)
        print(result_line(r), file=REAL_STDOUT, flush=True)
    passed = sum(r["status"] == "PASS" for r in results)
    failed = len(results) - passed
    if json_out:
        Path(json_out).write_text(json.dumps(
            {"passed": passed, "failed": failed, "results": results}, indent=2) + "\n")
    print(f"{passed} passed, {failed} failed", file=REAL_STDOUT, flush=True)
    return failed


# ----------------------------------------------------------------------------
# Self-test: cases built from the generated files (testdata/models/MANIFEST.json).

CROSS_CASES = {
    # probe name in MANIFEST crossload -> (loader, file key, weights_into (arch key, loader) or None)
    "keras3_loads_tfkeras_h5": ("keras3", "tfkeras_h5", None),
    "keras3_loads_tfkeras_keras": ("keras3", "tfkeras_keras", None),
    "tfkeras_loads_keras3_h5": ("tfkeras", "keras3_h5", None),
    "tfkeras_loads_keras3_keras": ("tfkeras", "keras3_keras", None),
    "tfkeras_loads_tfkeras_keras": ("tfkeras", "tfkeras_keras", None),
    "keras3_loads_tfkeras_weights_h5": ("keras3", "tfkeras_weights_h5", ("keras3_keras", "keras3")),
    "tfkeras_loads_keras3_weights_h5": ("tfkeras", "keras3_weights_h5", ("tfkeras_h5", "tfkeras")),
    "keras3_builds_tfkeras_json": ("keras3", "tfkeras_weights_h5", ("tfkeras_json", "keras3")),
}


# Stored predictions vs the same file predicted here: float32 kernels differ in their last bits
# from one CPU to another (1.9e-6 seen on LayerNormalization), so a recorded array is checked
# with this relative tolerance only, never used as the reference for a file initkit wrote.
SANITY_TOLERANCE = 1e-3


def self_test_cases(models_dir, tmp):
    manifest = json.loads((models_dir / "MANIFEST.json").read_text())
    cases = []
    for m in manifest["models"]:
        d = models_dir / m["name"]
        f = m["files"]
        tol = m["tolerance"]
        common = {"input": str(d / f["input"]), "expected": str(d / f["expected"])}

        def add(cid, loader, key, tolerance, arch=None):
            if key not in f:  # e.g. no keras3.h5 where Keras cannot reload it (bfloat16, float8); tf-keras-only models have no Keras 3 files
                return
            # the originals against predictions recorded on another machine: a relative tolerance
            c = {"id": f"{m['name']}/{cid}", "file": str(d / f[key]), "loader": loader,
                 "tolerance": max(tolerance, SANITY_TOLERANCE), "expect": "equal", **common}
            if arch is not None:
                c["weights_into"] = {"architecture": str(d / f[arch[0]]), "loader": arch[1]}
            cases.append(c)

        add("keras3.keras", "keras3", "keras3_keras", tol["keras3"])
        add("keras3.h5", "keras3", "keras3_h5", tol["keras3"])
        if "keras3_unzipped" in f:
            add("keras3_unzipped", "keras3", "keras3_unzipped", tol["keras3"])
        if "keras3_weights_h5" in f:
            add("keras3.weights.h5", "keras3", "keras3_weights_h5", tol["keras3"],
                ("keras3_keras", "keras3"))
        if "keras3_sharded_weights" in f:
            add("keras3_sharded.weights.json", "keras3", "keras3_sharded_weights", tol["keras3"],
                ("keras3_keras", "keras3"))
        if "tfkeras_h5" in f:
            add("tfkeras.h5", "tfkeras", "tfkeras_h5", tol["tfkeras"])
        if "tfkeras_weights_h5" in f:
            add("tfkeras_weights.h5+tfkeras.json", "tfkeras", "tfkeras_weights_h5", tol["tfkeras"],
                ("tfkeras_json", "tfkeras"))
        # Cross-loads that generate.py found to work (a regression guard for them).
        for probe, r in sorted(m.get("crossload", {}).items()):
            if not r.get("ok") or probe not in CROSS_CASES or probe == "tfkeras_loads_tfkeras_keras":
                continue
            loader, key, arch = CROSS_CASES[probe]
            add(f"cross:{probe}", loader, key, tol["tfkeras"], arch)
        if "tfkeras_keras" in f and m["crossload"].get("tfkeras_loads_tfkeras_keras", {}).get("ok"):
            add("tfkeras.keras", "tfkeras", "tfkeras_keras", tol["tfkeras"])

    # "different": real Keras files whose weights were changed must be detected.
    by_name = {m["name"]: m for m in manifest["models"]}
    for name in ("mlp", "lstm", "multi_io"):
        if name not in by_name:
            continue
        m = by_name[name]
        d = models_dir / name
        f = m["files"]
        common = {"input": str(d / f["input"]), "expected": str(d / f["expected"])}
        rng = np.random.default_rng(7)
        with contextlib.redirect_stdout(sys.stderr):
            k3 = keras.saving.load_model(str(d / f["keras3_keras"]), compile=False)
            k3.set_weights([w + rng.normal(0, 0.1, w.shape).astype(w.dtype) for w in k3.get_weights()])
            k3.save(str(tmp / f"{name}-changed.keras"))
            k3.save_weights(str(tmp / f"{name}-changed.weights.h5"))
        cases.append({"id": f"{name}/different:keras3.keras", "file": str(tmp / f"{name}-changed.keras"),
                      "loader": "keras3", "tolerance": SANITY_TOLERANCE, "expect": "different",
                      **common})
        cases.append({"id": f"{name}/different:keras3.weights.h5",
                      "file": str(tmp / f"{name}-changed.weights.h5"),
                      "weights_into": {"architecture": str(d / f["keras3_keras"])},
                      "loader": "keras3", "tolerance": SANITY_TOLERANCE, "expect": "different",
                      **common})
        if "tfkeras_h5" in f:
            with contextlib.redirect_stdout(sys.stderr):
                tk = tf_keras.models.load_model(str(d / f["tfkeras_h5"]), compile=False)
                tk.set_weights([w + rng.normal(0, 0.1, w.shape).astype(w.dtype) for w in tk.get_weights()])
                tk.save(str(tmp / f"{name}-changed.h5"))
            cases.append({"id": f"{name}/different:tfkeras.h5", "file": str(tmp / f"{name}-changed.h5"),
                          "loader": "tfkeras", "tolerance": SANITY_TOLERANCE,
                          "expect": "different", **common})
    return cases


def self_test_negative(models_dir):
    """Cases that MUST fail; the self-test passes only if the checker reports them as FAIL."""
    d = models_dir / "mlp"
    base = {"input": str(d / "input.npz"), "expected": str(d / "expected.npz"), "tolerance": 1e-6}
    return [
        {"id": "neg/unchanged-but-expect-different", "file": str(d / "keras3.keras"),
         "loader": "keras3", "expect": "different", **base},
        {"id": "neg/missing-file", "file": str(d / "does-not-exist.keras"), "loader": "keras3", **base},
        {"id": "neg/wrong-expected", "file": str(d / "keras3.keras"), "loader": "keras3",
         **{**base, "expected": str(models_dir / "conv2d" / "expected.npz")}},
        {"id": "neg/bad-loader", "file": str(d / "keras3.keras"), "loader": "torch", **base},
        {"id": "neg/weights-into-mismatched-arch", "file": str(d / "keras3.weights.h5"),
         "loader": "keras3", "weights_into": {"architecture": str(models_dir / "conv2d" / "keras3.keras")},
         **base},
    ]


def write_predictions(list_path, out_path, timeout):
    """--predict: each file's outputs on its input, as JSON (see the module docstring)."""
    out = {}
    for spec in json.loads(list_path.read_text()):
        pid = str(spec.get("id", spec.get("file")))
        old = signal.signal(signal.SIGALRM, _on_alarm)
        if timeout > 0:
            signal.setitimer(signal.ITIMER_REAL, timeout)
        try:
            with contextlib.redirect_stdout(sys.stderr):
                xs = ordered_arrays(resolve(spec["input"], list_path.parent), "x")
                ys = predict_case(spec, spec["loader"], list_path.parent, xs)
            out[pid] = {"shapes": [list(y.shape) for y in ys],
                        "outputs": [np.asarray(y, dtype=np.float64).ravel().tolist() for y in ys]}
        except CaseTimeout:
            out[pid] = {"error": f"timed out after {timeout:g}s"}
        except Exception as e:  # noqa: BLE001
            out[pid] = {"error": f"{type(e).__name__}: {_one_line(e)}"}
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, old)
        print(f"predicted {pid}: {out[pid].get('error', out[pid].get('shapes'))}", file=REAL_STDOUT, flush=True)
    out_path.write_text(json.dumps(out) + "\n")
    return 0


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("cases", nargs="?", help="CASES.json (list of cases)")
    ap.add_argument("--json-out", help="write per-case results as JSON here")
    ap.add_argument("--timeout", type=float, default=120.0,
                    help="per-case timeout in seconds (default 120; 0 = none)")
    ap.add_argument("--self-test", action="store_true",
                    help="check the generated files in testdata/models (MANIFEST.json)")
    ap.add_argument("--models", default=str(DEFAULT_MODELS), help="models dir for --self-test")
    ap.add_argument("--cases-out", help="with --self-test: also write the generated cases here")
    ap.add_argument("--predict", help="LIST.json: predict each file (see above) instead of checking cases")
    ap.add_argument("--predict-out", help="with --predict: where the predictions go (JSON)")
    args = ap.parse_args(argv)
    if args.predict:
        if not args.predict_out:
            ap.error("--predict needs --predict-out")
        _import_frameworks()
        return write_predictions(Path(args.predict).resolve(), Path(args.predict_out), args.timeout)
    if bool(args.cases) == bool(args.self_test):
        ap.error("give exactly one of CASES.json or --self-test")

    if args.self_test:
        models_dir = Path(args.models).resolve()
        tmp = Path(tempfile.mkdtemp(prefix="initkit-selftest-"))
        try:
            _import_frameworks()
            cases = self_test_cases(models_dir, tmp)
            if args.cases_out:
                Path(args.cases_out).write_text(json.dumps(cases, indent=2) + "\n")
            # The checker must reject these; report each as one self-test line.
            neg_results = []
            for c in self_test_negative(models_dir):
                r = run_case(c, None, args.timeout)
                ok = r["status"] == "FAIL"
                neg_results.append({"id": c["id"], "status": "PASS" if ok else "FAIL",
                                    "reason": None if ok else "checker accepted a case it must reject",
                                    "checker_said": r["reason"]})
                print(f"# {c['id']}: checker said FAIL as required: {r['reason']}" if ok else
                      f"# {c['id']}: checker wrongly said PASS", file=sys.stderr)
            results = []
            for c in cases:
                r = run_case(c, None, args.timeout)
                results.append(r)
                print(result_line(r), file=REAL_STDOUT, flush=True)
            for r in neg_results:
                print(f"PASS {r['id']}" if r["status"] == "PASS" else f"FAIL {r['id']}: {r['reason']}",
                      file=REAL_STDOUT, flush=True)
            results += neg_results
            passed = sum(r["status"] == "PASS" for r in results)
            failed = len(results) - passed
            if args.json_out:
                Path(args.json_out).write_text(json.dumps(
                    {"passed": passed, "failed": failed, "results": results}, indent=2) + "\n")
            print(f"{passed} passed, {failed} failed", file=REAL_STDOUT, flush=True)
            return 0 if failed == 0 else 1
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    cases_path = Path(args.cases).resolve()
    try:
        cases = json.loads(cases_path.read_text())
        if not isinstance(cases, list):
            raise ValueError("top level must be a JSON list of cases")
    except Exception as e:  # noqa: BLE001
        print(f"FAIL {args.cases}: cannot read cases: {_one_line(e)}", file=REAL_STDOUT)
        print("0 passed, 1 failed", file=REAL_STDOUT)
        return 1
    _import_frameworks()
    failed = run_cases(cases, cases_path.parent, args.timeout, args.json_out)
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
