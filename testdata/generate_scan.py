"""Builds the hostile and health test files of `initkit scan` (testdata/scan/).

Every file starts as a model real Keras (or h5py) wrote; hostile ones are then edited as data:
config.json rewritten, HDF5 links or datasets added with h5py, zip members added. Nothing here ever
loads a hostile file back (loading is what they attack). Run with the pinned venv:

    .venv/bin/python testdata/generate_scan.py
"""

import io
import json
import os
import zipfile

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import h5py  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "scan")


def path(name):
    return os.path.join(OUT, name)


def nested_lambda_model():
    """A Lambda inside a TimeDistributed inside a nested Sequential inside a Functional model."""
    inner = keras.Sequential(
        [
            keras.Input((4, 3)),
            keras.layers.TimeDistributed(keras.layers.Lambda(lambda x: x * 2.0), name="td"),
        ],
        name="inner",
    )
    inp = keras.Input((4, 3), name="x")
    out = keras.layers.Dense(2, name="head")(inner(inp))
    return keras.Model(inp, out, name="outer")


def clean_model():
    inp = keras.Input((3,), name="x")
    h = keras.layers.Dense(8, activation="relu", name="d1")(inp)
    out = keras.layers.Dense(2, name="d2")(h)
    return keras.Model(inp, out, name="clean")


def rewrite_keras(src, dst, edit_config=None, extra=(), replace=None):
    """Copies a .keras zip, editing config.json and adding raw members (name, bytes, method)."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename == "config.json" and edit_config is not None:
                cfg = json.loads(data)
                edit_config(cfg)
                data = json.dumps(cfg).encode()
            if replace and info.filename in replace:
                data = replace[info.filename]
            zout.writestr(info, data)
        for name, data, method in extra:
            zi = zipfile.ZipInfo(name)
            zi.compress_type = method
            zout.writestr(zi, data)


def layers_of(cfg):
    return cfg["config"]["layers"]


def main():
    os.makedirs(OUT, exist_ok=True)
    keras.utils.set_random_seed(7)

    # clean reference: must raise nothing at high severity
    clean = clean_model()
    clean.save(path("clean.keras"))
    clean.save(path("clean.h5"))

    # Lambda nested three deep, in both formats
    m = nested_lambda_model()
    m.save(path("lambda_nested.keras"))
    m.save(path("lambda_nested.h5"))

    # a layer whose module/registered_name import an arbitrary module
    def foreign_module(cfg):
        d = layers_of(cfg)[1]
        d["module"] = "subprocess"
        d["class_name"] = "Popen"
        d["registered_name"] = "subprocess>Popen"

    rewrite_keras(path("clean.keras"), path("foreign_module.keras"), foreign_module)

    # the same in a wrapper's backward layer and in an RNN cell: nested where ModelScan does not look
    bi = keras.Sequential(
        [keras.Input((5, 3)),
         keras.layers.Bidirectional(keras.layers.LSTM(4, name="lstm"), name="bi"),
         keras.layers.Dense(2, name="out")],
        name="wrapped",
    )
    bi.save(path("wrapped_base.keras"))

    def backward_foreign(cfg):
        b = layers_of(cfg)[1]["config"]
        b["backward_layer"]["module"] = "evil.layers"

    rewrite_keras(path("wrapped_base.keras"), path("bidirectional_foreign.keras"),
                  backward_foreign)
    os.remove(path("wrapped_base.keras"))

    rnn = keras.Sequential(
        [keras.Input((5, 3)),
         keras.layers.RNN(keras.layers.SimpleRNNCell(2, name="cell"), name="rnn")],
        name="cells",
    )
    rnn.save(path("rnn_base.keras"))

    def cell_foreign(cfg):
        layers_of(cfg)[1]["config"]["cell"]["module"] = "evil.cells"

    rewrite_keras(path("rnn_base.keras"), path("rnn_cell_foreign.keras"), cell_foreign)
    os.remove(path("rnn_base.keras"))

    # a config that calls keras.config.enable_unsafe_deserialization (CVE-2025-9906's shape)
    def unsafe(cfg):
        d = layers_of(cfg)[1]
        d["config"]["activation"] = {
            "module": "keras.config",
            "class_name": "function",
            "config": "enable_unsafe_deserialization",
            "registered_name": "function",
        }

    rewrite_keras(path("clean.keras"), path("unsafe_deserialization.keras"), unsafe)

    # a reference to a Keras utility that fetches files (the route of CVE-2025-8747's bypass)
    def utility(cfg):
        layers_of(cfg)[2]["config"]["activation"] = {
            "module": "keras.utils",
            "class_name": "function",
            "config": "get_file",
            "registered_name": "function",
        }

    rewrite_keras(path("clean.keras"), path("keras_utility.keras"), utility)

    # lookup layers whose vocabulary is a local file and a URL
    lk = keras.Sequential(
        [
            keras.Input((1,), dtype="string"),
            keras.layers.StringLookup(vocabulary=["a", "b"], name="words"),
        ],
        name="lookup",
    )
    lk.save(path("lookup_base.keras"))

    def vocab_path(cfg):
        layers_of(cfg)[1]["config"]["vocabulary"] = "/etc/passwd"

    rewrite_keras(path("lookup_base.keras"), path("vocab_file.keras"), vocab_path)

    def vocab_url(cfg):
        layers_of(cfg)[1]["config"]["vocabulary"] = "https://example.invalid/vocab.txt"

    rewrite_keras(path("lookup_base.keras"), path("vocab_url.keras"), vocab_url)
    os.remove(path("lookup_base.keras"))

    # a TFSMLayer pointing at a SavedModel outside the archive
    def tfsm(cfg):
        layers_of(cfg)[1] = {
            "module": "keras.layers",
            "class_name": "TFSMLayer",
            "config": {"name": "d1", "filepath": "/tmp/attacker_savedmodel",
                       "call_endpoint": "serve", "trainable": False},
            "registered_name": None,
        }

    rewrite_keras(path("clean.keras"), path("tfsm_layer.keras"), tfsm)

    # zip structure: traversal, duplicate, bomb, a member that is not what its name says
    rewrite_keras(path("clean.keras"), path("zip_traversal.keras"),
                  extra=[("../../evil.txt", b"x", zipfile.ZIP_STORED)])
    with zipfile.ZipFile(path("clean.keras")) as z:
        cfg_bytes = z.read("config.json")
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about the duplicate, which is the point
        rewrite_keras(path("clean.keras"), path("zip_duplicate.keras"),
                      extra=[("config.json", cfg_bytes, zipfile.ZIP_STORED)])
    rewrite_keras(path("clean.keras"), path("zip_bomb.keras"),
                  extra=[("assets/zeros.bin", bytes(64 << 20), zipfile.ZIP_DEFLATED)])
    rewrite_keras(path("clean.keras"), path("zip_disguised.keras"),
                  replace={"model.weights.h5": b"#!/bin/sh\necho not hdf5\n"})

    # HDF5: an external link, external storage, a virtual dataset, a shape bomb
    import shutil
    for name in ["h5_external_link", "h5_external_storage", "h5_virtual", "h5_shape_bomb",
                 "h5_gzip", "h5_gzip_bomb"]:
        shutil.copy(path("clean.h5"), path(name + ".h5"))
    with h5py.File(path("h5_external_link.h5"), "a") as f:
        f["model_weights/d1/leak"] = h5py.ExternalLink("/etc/passwd", "/")
    with h5py.File(path("h5_external_storage.h5"), "a") as f:
        f.create_dataset("model_weights/d1/ext", shape=(16,), dtype="f4",
                         external=[("/etc/hostname", 0, 64)])
    with h5py.File(path("h5_virtual.h5"), "a") as f:
        layout = h5py.VirtualLayout(shape=(4,), dtype="f4")
        layout[:] = h5py.VirtualSource("/tmp/elsewhere.h5", "data", shape=(4,))
        f.create_virtual_dataset("model_weights/d1/virtual", layout)
    with h5py.File(path("h5_shape_bomb.h5"), "a") as f:
        f.create_dataset("model_weights/d1/huge", shape=(1 << 20, 1 << 20), dtype="f4",
                         chunks=(256, 256))
    # gzip-compressed chunks: a real one (clean) and one declaring 4 TiB (a shape bomb; deflate
    # gives at most ~1032:1, so a 16 KB file cannot hold it)
    write_gzip_files()

    # health: NaN, zero and badly scaled kernels (real Keras set_weights)
    for name, fn in [
        ("health_nan", lambda k: np.where(np.arange(k.size).reshape(k.shape) == 0, np.nan, k)),
        ("health_zero", lambda k: np.zeros_like(k)),
        ("health_constant", lambda k: np.full_like(k, 0.25)),
        ("health_scaled", lambda k: k * 50.0),
    ]:
        hm = clean_model()
        layer = hm.get_layer("d1")
        k, b = layer.get_weights()
        layer.set_weights([fn(k).astype("float32"), b])
        hm.save(path(name + ".keras"))


def write_gzip_files():
    with h5py.File(path("h5_gzip.h5"), "a") as f:
        f.create_dataset("model_weights/d1/packed", data=np.linspace(-1, 1, 4096, dtype="f4").reshape(64, 64),
                         chunks=(16, 64), compression="gzip")
    with h5py.File(path("h5_gzip_bomb.h5"), "a") as f:
        f.create_dataset("model_weights/d1/huge", shape=(1 << 20, 1 << 20), dtype="f4",
                         chunks=(256, 256), compression="gzip")


if __name__ == "__main__":
    main()
