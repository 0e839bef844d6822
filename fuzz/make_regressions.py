#!/usr/bin/env python3
"""Builds the fuzz regression inputs in testdata/fuzz/ (committed; run again only to rebuild them).

Each file is a minimal form of something the fuzzer found (see testdata/fuzz/README.md and
FuzzRegressionTest): made from testdata/models/mlp (small files in the repository) by an exact,
deterministic change, so the bytes are reproducible. Needs h5py (the testdata venv).

  .venv/bin/python fuzz/make_regressions.py
"""
import io
import json
import os
import shutil
import struct
import sys
import zipfile
import zlib

import h5py
import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MLP = os.path.join(ROOT, "testdata", "models", "mlp")
OUT = os.path.join(ROOT, "testdata", "fuzz")


def header_addr(f, path):
    """Object header address of an object (h5py low level)."""
    return h5py.h5o.get_info(f[path].id).addr


def v1_messages(data, addr):
    """(type, data offset, size) of the messages of a version 1 object header, continuations followed."""
    version, _, nmsgs, _, size = struct.unpack_from("<BBHII", data, addr)
    assert version == 1, version
    blocks = [(addr + 16, size)]
    out = []
    for start, length in blocks:
        p = start
        while p + 8 <= start + length:
            mtype, msize, _flags = struct.unpack_from("<HHB", data, p)
            if mtype == 0x10:
                caddr, clen = struct.unpack_from("<QQ", data, p + 8)
                blocks.append((caddr, clen))
            else:
                out.append((mtype, p + 8, msize))
            p += 8 + msize
    return out


def attribute_data(data, addr, name):
    """Offset of the raw data of attribute `name` (version 1 attribute message)."""
    for mtype, off, _size in v1_messages(data, addr):
        if mtype != 0x0C:
            continue
        version, _, nsize, dtsize, dssize = struct.unpack_from("<BBHHH", data, off)
        assert version == 1, version
        n = data[off + 8: off + 8 + nsize - 1].decode()
        pad = lambda x: (x + 7) & ~7
        if n == name:
            return off + 8 + pad(nsize) + pad(dtsize) + pad(dssize)
    raise KeyError(name)


def layout_message(data, addr):
    for mtype, off, _size in v1_messages(data, addr):
        if mtype == 0x08:
            return off
    raise KeyError("layout")


def heap_regressions():
    src = os.path.join(MLP, "tfkeras.h5")
    data = bytearray(open(src, "rb").read())
    with h5py.File(src, "r") as f:
        root = header_addr(f, "/")
    # model_config is a scalar variable-length string: 4-byte length, 8-byte collection, 4-byte index
    at = attribute_data(data, root, "model_config")
    length, coll, index = struct.unpack_from("<IQI", data, at)

    bad_index = bytearray(data)
    struct.pack_into("<I", bad_index, at + 12, index + (1 << 24))
    write("heap-index-out-of-range.h5", bad_index)

    # the heap object behind it claims more bytes than the string (HDF5 copied them all)
    bad_size = bytearray(data)
    p = coll + 16  # first object after the collection header
    while True:
        idx, _refs, _res, osize = struct.unpack_from("<HHIQ", bad_size, p)
        if idx == index or idx == 0:
            break
        p += 16 + ((osize + 7) & ~7)
    assert idx == index
    struct.pack_into("<Q", bad_size, p + 8, osize + (1 << 20))
    write("heap-object-overruns-collection.h5", bad_size)


def layout_regression():
    src = os.path.join(MLP, "tfkeras.h5")
    data = bytearray(open(src, "rb").read())
    with h5py.File(src, "r") as f:
        names = []
        f.visititems(lambda n, o: names.append(n) if isinstance(o, h5py.Dataset) else None)
        ds = sorted(names)[0]
        addr = header_addr(f, ds)
    off = layout_message(data, addr)
    version, cls = struct.unpack_from("<BB", data, off)
    assert version == 3 and cls == 1, (version, cls)  # contiguous: address (8), size (8)
    _address, size = struct.unpack_from("<QQ", data, off + 2)
    struct.pack_into("<Q", data, off + 10, size + (64 << 20))
    write("layout-size-disagrees.h5", data)


def names_regression():
    dst = os.path.join(OUT, "weight-names-repeated.h5")
    shutil.copyfile(os.path.join(MLP, "tfkeras.h5"), dst)
    with h5py.File(dst, "r+") as f:
        mw = f["model_weights"]
        layer = [n for n in mw.attrs["layer_names"] if len(mw[n].attrs["weight_names"])][0]
        g = mw[layer]
        first = g.attrs["weight_names"][0]
        del g.attrs["weight_names"]
        g.attrs["weight_names"] = np.array([first] * 4000, dtype=h5py.string_dtype())
    print("weight-names-repeated.h5", os.path.getsize(dst))


def deep_config_regression():
    dst = os.path.join(OUT, "config-nested-too-deep.h5")
    shutil.copyfile(os.path.join(MLP, "tfkeras.h5"), dst)
    with h5py.File(dst, "r+") as f:
        config = json.loads(f.attrs["model_config"])
        config["config"]["layers"][-1]["config"]["name"] = "@@DEEP@@"
        text = json.dumps(config).replace('"@@DEEP@@"', "[" * 1000 + "]" * 1000)
        f.attrs["model_config"] = text.encode()
    print("config-nested-too-deep.h5", os.path.getsize(dst))


def cycle_regression():
    dst = os.path.join(OUT, "hard-link-cycle.weights.h5")
    shutil.copyfile(os.path.join(MLP, "keras3.weights.h5"), dst)
    with h5py.File(dst, "r+") as f:
        f["layers"]["zz_loop"] = f["/"]
    print("hard-link-cycle.weights.h5", os.path.getsize(dst))


def external_regression():
    dst = os.path.join(OUT, "external-storage.h5")
    shutil.copyfile(os.path.join(MLP, "tfkeras.h5"), dst)
    with h5py.File(dst, "r+") as f:
        names = []
        f.visititems(lambda n, o: names.append(n) if isinstance(o, h5py.Dataset) else None)
        ds = sorted(names)[0]
        shape, dtype = f[ds].shape, f[ds].dtype
        parent, _, name = ds.rpartition("/")
        del f[parent][name]
        # raw data read from another file of the machine: /etc/passwd
        f[parent].create_dataset(name, shape=shape, dtype=dtype, external=[("/etc/passwd", 0, h5py.h5f.UNLIMITED)])
    print("external-storage.h5", os.path.getsize(dst))


def external_link_regression():
    dst = os.path.join(OUT, "external-link.h5")
    shutil.copyfile(os.path.join(MLP, "tfkeras.h5"), dst)
    with h5py.File(dst, "r+") as f:
        names = []
        f.visititems(lambda n, o: names.append(n) if isinstance(o, h5py.Dataset) else None)
        ds = sorted(names)[0]
        parent, _, name = ds.rpartition("/")
        del f[parent][name]
        # the weight is a link into another file (HDF5 resolves it beside this one)
        f[parent][name] = h5py.ExternalLink("../models/mlp/tfkeras.h5", "/" + ds)
    print("external-link.h5", os.path.getsize(dst))


def nested_config_regression():
    dst = os.path.join(OUT, "nested-layer-without-name.h5")
    shutil.copyfile(os.path.join(ROOT, "testdata", "models", "nested_sequential", "tfkeras.h5"), dst)
    with h5py.File(dst, "r+") as f:
        config = json.loads(f.attrs["model_config"])
        # the nested model's first layer loses its config, and with it its name
        config["config"]["layers"][1]["config"]["layers"][0]["config"] = {}
        f.attrs["model_config"] = json.dumps(config).encode()
    print("nested-layer-without-name.h5", os.path.getsize(dst))


def root_header_regression():
    src = os.path.join(MLP, "tfkeras.h5")
    data = bytearray(open(src, "rb").read())
    with h5py.File(src, "r") as f:
        root = header_addr(f, "/")
    # the root's symbol table message gets an unknown type (one bit, as the fuzzer found it):
    # the file opens, but its root is no longer a group
    stab = [off for mtype, off, _size in v1_messages(data, root) if mtype == 0x11][0]
    data[stab - 8] ^= 0x80
    write("root-group-unreadable.h5", data)


def number_overflow_regression():
    dst = os.path.join(OUT, "config-number-overflows.h5")
    shutil.copyfile(os.path.join(ROOT, "testdata", "models", "depthwise_conv2d", "tfkeras.h5"), dst)
    with h5py.File(dst, "r+") as f:
        config = json.loads(f.attrs["model_config"])
        config["config"]["layers"][1]["config"]["groups"] = "@@BIG@@"
        # 1e400 is valid JSON (Python reads it as inf); Java parses it as a double infinity
        f.attrs["model_config"] = json.dumps(config).replace('"@@BIG@@"', "1E+400").encode()
    print("config-number-overflows.h5", os.path.getsize(dst))


def zip_regressions():
    src = os.path.join(MLP, "keras3.keras")
    with zipfile.ZipFile(src) as z:
        members = [(i.filename, z.read(i.filename)) for i in z.infolist()]

    # model.weights.h5 replaced by 64 MiB of zeros, deflated (64 KiB): a decompression bomb
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for n, d in members:
            if n == "model.weights.h5":
                info = zipfile.ZipInfo(n, date_time=(1980, 1, 2, 0, 0, 0))
                info.compress_type = zipfile.ZIP_DEFLATED
                with z.open(info, "w", force_zip64=False) as w:
                    block = bytes(1 << 20)
                    for _ in range(64):
                        w.write(block)
            else:
                z.writestr(zipfile.ZipInfo(n, date_time=(1980, 1, 2, 0, 0, 0)), d)
    write("bomb-weights.keras", buf.getvalue())

    # two members named config.json: zip tools disagree on which one they read
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for n, d in members:
            z.writestr(zipfile.ZipInfo(n, date_time=(1980, 1, 2, 0, 0, 0)), d)
        import warnings
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            z.writestr(zipfile.ZipInfo("config.json", date_time=(1980, 1, 2, 0, 0, 0)),
                       b'{"class_name": "Sequential", "config": {"layers": []}}')
    write("duplicate-config.keras", buf.getvalue())


def write(name, data):
    with open(os.path.join(OUT, name), "wb") as fh:
        fh.write(data)
    print(name, len(data))


def main():
    os.makedirs(OUT, exist_ok=True)
    heap_regressions()
    layout_regression()
    names_regression()
    deep_config_regression()
    cycle_regression()
    external_regression()
    external_link_regression()
    nested_config_regression()
    root_header_regression()
    number_overflow_regression()
    zip_regressions()
    return 0


if __name__ == "__main__":
    sys.exit(main())
