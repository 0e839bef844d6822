"""The h5py + numpy way of doing initkit's jobs: what a user writes today without initkit.

Usage:
  h5py_peer.py reinit  IN.h5 OUT.h5 --classes Dense[,Conv2D,...] [--seed N]
  h5py_peer.py convert IN.h5 OUT.keras        (h5 -> Keras 3 archive)
  h5py_peer.py convert IN.keras OUT.h5        (Keras 3 archive -> h5)
  h5py_peer.py convert IN.h5 OUT.h5           (h5 -> h5: a copy of the whole tree)
  h5py_peer.py inspect MODEL                  (.h5 or .keras)
  h5py_peer.py report  MODEL                  (.h5 or .keras)
  h5py_peer.py transplant SRC.h5 TARGET.keras OUT.keras   (same-named layers' weights into a copy of TARGET)

reinit   copies the file, then for every "kernel" of a layer of the given classes draws He normal
         exactly as Keras defines it (truncated normal, |z| <= 2 re-drawn, stddev =
         sqrt(2 / fan_in) / .87962566103423978), vectorised with numpy's float32 ziggurat, and
         writes it back: the same weights initkit's `reinit --scheme he_normal --only class:...`
         draws.
convert  moves every weight through h5py's native object copy (H5Ocopy, like initkit) into the
         other layout, and zips or unzips like Keras (stored, not deflated). It does NOT translate
         the config between Keras generations (initkit does), so its output is not a loadable
         model: it is a lower bound on the work of a correct h5py converter.
inspect  lists every layer (class, name) and its weights' names and shapes.
report   per weight: mean, std, min, max and fraction of zeros, with numpy (initkit's report
         computes these and more).
"""
import argparse
import json
import os
import shutil
import sys
import tempfile
import zipfile

import h5py
import numpy as np

HE_TRUNC = 0.87962566103423978  # std of a standard normal truncated to [-2, 2]


def walk_layers(config):
    """(class_name, name) of every layer of a model config, nested models included."""
    cfg = config.get("config", {})
    for layer in cfg.get("layers", []) if isinstance(cfg, dict) else []:
        yield layer["class_name"], layer["config"].get("name", layer.get("name"))
        if isinstance(layer.get("config"), dict) and "layers" in layer["config"]:
            yield from walk_layers(layer)


def as_str(v):
    return v.decode() if isinstance(v, bytes) else str(v)


def truncated_he_normal(rng, shape):
    fan_in = int(np.prod(shape[:-1])) if len(shape) > 1 else int(shape[0])
    std = np.float32(np.sqrt(2.0 / fan_in) / HE_TRUNC)
    z = rng.standard_normal(int(np.prod(shape)), dtype=np.float32)
    bad = np.flatnonzero(np.abs(z) > 2)
    while bad.size:
        z[bad] = rng.standard_normal(bad.size, dtype=np.float32)
        bad = bad[np.abs(z[bad]) > 2]
    z *= std
    return z.reshape(shape)


def reinit(a):
    classes = set(a.classes.split(","))
    rng = np.random.default_rng(a.seed)
    shutil.copyfile(a.input, a.output)
    drawn = 0
    with h5py.File(a.output, "r+") as f:
        config = json.loads(as_str(f.attrs["model_config"]))
        selected = {name for cls, name in walk_layers(config) if cls in classes}
        g = f["model_weights"] if "model_weights" in f else f
        for lname in g.attrs["layer_names"]:
            lname = as_str(lname)
            if lname not in selected:
                continue
            lg = g[lname]
            for wname in lg.attrs["weight_names"]:
                wname = as_str(wname)
                if wname.split("/")[-1].split(":")[0] != "kernel":
                    continue
                ds = lg[wname]
                ds[...] = truncated_he_normal(rng, ds.shape)
                drawn += 1
    print(f"{a.output}: {drawn} kernels drawn", file=sys.stderr)


def h5_to_keras(a):
    out_dir = os.path.dirname(os.path.abspath(a.output))
    with h5py.File(a.input, "r") as src:
        config = as_str(src.attrs["model_config"])
        fd, tmp = tempfile.mkstemp(dir=out_dir, suffix=".weights.h5")
        os.close(fd)
        try:
            with h5py.File(tmp, "w") as dst:
                g = src["model_weights"]
                for lname in g.attrs["layer_names"]:
                    lname = as_str(lname)
                    wnames = [as_str(w) for w in g[lname].attrs["weight_names"]]
                    vg = dst.create_group(f"layers/{lname}/vars")
                    for i, w in enumerate(wnames):
                        src.copy(g[lname][w], vg, name=str(i))
                dst.create_group("vars")
            with zipfile.ZipFile(a.output, "w", zipfile.ZIP_STORED) as z:
                z.writestr("metadata.json", json.dumps({"keras_version": "3.12.0"}))
                z.writestr("config.json", config)
                z.write(tmp, "model.weights.h5")
        finally:
            os.remove(tmp)


def h5_to_h5(a):
    with h5py.File(a.input, "r") as src, h5py.File(a.output, "w") as dst:
        for k, v in src.attrs.items():
            dst.attrs[k] = v
        for name in src:
            src.copy(src[name], dst, name=name)


def keras_to_h5(a):
    out_dir = os.path.dirname(os.path.abspath(a.output))
    with zipfile.ZipFile(a.input) as z, tempfile.TemporaryDirectory(dir=out_dir) as td:
        config = z.read("config.json").decode()
        weights = z.extract("model.weights.h5", td)
        with h5py.File(weights, "r") as src, h5py.File(a.output, "w") as dst:
            dst.attrs["model_config"] = config
            dst.attrs["keras_version"] = "3.12.0"
            dst.attrs["backend"] = "tensorflow"
            mw = dst.create_group("model_weights")
            names = []
            for lname in src["layers"]:
                lg = src["layers"][lname]
                if "vars" not in lg:
                    continue
                names.append(lname)
                g = mw.create_group(lname)
                wnames = []
                for v in lg["vars"]:
                    src.copy(lg["vars"][v], g, name=f"{lname}/{v}")
                    wnames.append(f"{lname}/{v}")
                g.attrs["weight_names"] = wnames
            mw.attrs["layer_names"] = names


def transplant(a):
    """Every weight of a source layer (legacy .h5) into the same-named layer of a copy of the
    target (.keras), where the shapes agree; the target's config and metadata are kept."""
    out_dir = os.path.dirname(os.path.abspath(a.output))
    copied = 0
    with zipfile.ZipFile(a.target) as z, tempfile.TemporaryDirectory(dir=out_dir) as td, \
            h5py.File(a.source, "r") as src:
        weights = z.extract("model.weights.h5", td)
        with h5py.File(weights, "r+") as dst:
            g = src["model_weights"]
            for lname in g.attrs["layer_names"]:
                lname = as_str(lname)
                path = f"layers/{lname}/vars"
                if path not in dst:
                    continue
                vs = dst[path]
                for i, w in enumerate(as_str(x) for x in g[lname].attrs["weight_names"]):
                    if str(i) in vs and vs[str(i)].shape == g[lname][w].shape:
                        vs[str(i)][...] = g[lname][w][()]
                        copied += 1
        with zipfile.ZipFile(a.output, "w", zipfile.ZIP_STORED) as out:
            for info in z.infolist():
                if info.filename == "model.weights.h5":
                    out.write(weights, "model.weights.h5")
                else:
                    out.writestr(info.filename, z.read(info.filename))
    print(f"{a.output}: {copied} weights transplanted", file=sys.stderr)


def open_config_and_weights(path, stack):
    """(config dict, {weight path: dataset}) of a .h5 or .keras file."""
    if zipfile.is_zipfile(path):
        z = stack(zipfile.ZipFile(path))
        config = json.loads(z.read("config.json"))
        td = stack(tempfile.TemporaryDirectory(dir=os.path.dirname(os.path.abspath(path)) or "."))
        f = stack(h5py.File(z.extract("model.weights.h5", td), "r"))
    else:
        f = stack(h5py.File(path, "r"))
        config = json.loads(as_str(f.attrs["model_config"]))
    datasets = {}
    f.visititems(lambda p, o: datasets.__setitem__(p, o) if isinstance(o, h5py.Dataset) else None)
    return config, datasets


def inspect(a):
    from contextlib import ExitStack
    with ExitStack() as es:
        config, datasets = open_config_and_weights(a.input, es.enter_context)
        for cls, name in walk_layers(config):
            print(f"{cls:24s} {name}")
        for p, ds in datasets.items():
            print(f"  {p} {ds.shape} {ds.dtype}")


def report(a):
    from contextlib import ExitStack
    with ExitStack() as es:
        _, datasets = open_config_and_weights(a.input, es.enter_context)
        for p, ds in datasets.items():
            v = ds[()]
            if v.size == 0 or not np.issubdtype(v.dtype, np.floating):
                continue
            x = v.astype(np.float64, copy=False) if v.dtype != np.float32 else v
            print(f"{p} {v.shape} mean={x.mean(dtype=np.float64):.4g} std={x.std(dtype=np.float64):.4g} "
                  f"min={x.min():.4g} max={x.max():.4g} zeros={np.count_nonzero(x == 0) / x.size:.3f}")


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="op", required=True)
    r = sub.add_parser("reinit")
    r.add_argument("input")
    r.add_argument("output")
    r.add_argument("--classes", default="Dense")
    r.add_argument("--seed", type=int, default=1)
    c = sub.add_parser("convert")
    c.add_argument("input")
    c.add_argument("output")
    for op in ("inspect", "report"):
        sub.add_parser(op).add_argument("input")
    t = sub.add_parser("transplant")
    t.add_argument("source")
    t.add_argument("target")
    t.add_argument("output")
    a = ap.parse_args()
    if a.op == "reinit":
        reinit(a)
    elif a.op == "convert":
        if zipfile.is_zipfile(a.input):
            keras_to_h5(a)
        else:
            (h5_to_keras if a.output.endswith(".keras") else h5_to_h5)(a)
    elif a.op == "inspect":
        inspect(a)
    elif a.op == "transplant":
        transplant(a)
    else:
        report(a)


if __name__ == "__main__":
    main()
