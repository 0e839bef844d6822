#!/usr/bin/env python3
"""Structural mutations of Keras HDF5 files for initkit's fuzzer (FuzzIT / fuzz/run.sh).

Byte-level mutations (bit flips, truncation) and JSON/zip tampering are done in Java; this script
does what needs an HDF5 library to express: attributes replaced with values of the wrong type,
datasets whose declared size dwarfs the file (allocation bombs), huge chunks (decompression bombs),
unusual datatypes, external storage and external links (reads of other files), hard-link cycles,
deep group chains, huge name lists.

Usage:
  h5mutate.py mutate SPEC.json     SPEC: [{"seed": path, "out": path, "op": name, "rng": int}, ...]
  h5mutate.py ranges SEED...       prints {"seed": [[offset, length], ...]} of raw data (contiguous
                                   datasets and allocated chunks), so byte flips can aim elsewhere
  h5mutate.py ops                  lists the operation names

A .keras seed is mutated through its model.weights.h5 and zipped again (stored, as Keras does).
Prints one JSON line per spec entry: {"out", "op", "ok", "detail"}.
"""
import json
import os
import random
import shutil
import sys
import tempfile
import zipfile
import zlib

import h5py
import numpy as np

# ------------------------------------------------------------------------------------------------
# helpers


def all_objects(f):
    groups, datasets = [], []

    def visit(name, obj):
        if isinstance(obj, h5py.Dataset):
            datasets.append(name)
        elif isinstance(obj, h5py.Group):
            groups.append(name)

    f.visititems(visit)
    return groups, datasets


def attr_targets(f):
    """(object path, attribute name) pairs of every attribute in the file."""
    out = [("/", a) for a in f.attrs]
    groups, datasets = all_objects(f)
    for p in groups + datasets:
        for a in f[p].attrs:
            out.append((p, a))
    return out


def replace_dataset(f, path, make):
    """Deletes the dataset at path and lets make(parent_group, name) create something there."""
    parent_path, _, name = path.rpartition("/")
    parent = f[parent_path] if parent_path else f["/"]
    del parent[name]
    make(parent, name)


def weird_values(rng):
    return [
        ("int scalar", np.int64(7)),
        ("float array", np.arange(5, dtype="f4")),
        ("empty float array", np.array([], dtype="f8")),
        ("null dataspace", h5py.Empty("f4")),
        ("2-D string array", np.array([[b"a", b"b"], [b"c", b"d"]])),
        ("invalid UTF-8 bytes", np.bytes_(b"\xff\xfe{\"a\xc3\x28\":1}")),
        ("compound", np.array([(1, 2.0)], dtype=[("a", "i4"), ("b", "f8")])),
        ("bool array", np.array([True, False])),
        ("float16 scalar", np.float16(1.5)),
        ("opaque", np.void(b"\x00\x01\x02")),
        ("empty string", np.bytes_(b"")),
        ("long string", "x" * 60000),
        ("unicode str array", np.array(["\u00e9", "\U0001F600"], dtype=h5py.string_dtype())),
        ("string with NUL", np.bytes_(b"abc\x00def")),
        ("json array", np.bytes_(b"[1, 2, 3]")),
        ("json number", np.bytes_(b"1e400")),
    ]


def set_attr(obj, name, value):
    if name in obj.attrs:
        del obj.attrs[name]
    obj.attrs[name] = value


# ------------------------------------------------------------------------------------------------
# operations: each takes (file, rng) and returns a description


def op_attr_wrong_type(f, rng):
    groups, datasets = all_objects(f)
    targets = attr_targets(f) or [(p, "name") for p in ["/"] + groups]
    if not targets:
        raise Skip("no attributes")
    path, name = rng.choice(targets)
    what, value = rng.choice(weird_values(rng))
    set_attr(f[path], name, value)
    return f"{path}@{name} := {what}"


def op_attr_key_wrong_type(f, rng):
    """A Keras key attribute (model_config, layer_names, weight_names...) of the wrong type."""
    keys = {"model_config", "training_config", "layer_names", "weight_names", "keras_version",
            "backend", "name", "dtype"}
    targets = [t for t in attr_targets(f) if t[1] in keys]
    if not targets:
        # Keras 3 before 3.12 writes no attributes: give a group a "name" or a dataset a "dtype"
        groups, datasets = all_objects(f)
        targets = [(g, "name") for g in groups] + [(d, "dtype") for d in datasets]
    if not targets:
        raise Skip("no objects")
    path, name = rng.choice(targets)
    what, value = rng.choice(weird_values(rng))
    set_attr(f[path], name, value)
    return f"{path}@{name} := {what}"


def op_attr_reference(f, rng):
    targets = attr_targets(f)
    if not targets:
        raise Skip("no attributes")
    path, name = rng.choice(targets)
    obj = f[path]
    del obj.attrs[name]
    obj.attrs.create(name, f["/"].ref, dtype=h5py.ref_dtype)
    return f"{path}@{name} := object reference"


def op_attr_vlen_int(f, rng):
    targets = attr_targets(f)
    if not targets:
        raise Skip("no attributes")
    path, name = rng.choice(targets)
    obj = f[path]
    del obj.attrs[name]
    dt = h5py.vlen_dtype(np.int32)
    arr = np.empty(2, dtype=object)
    arr[0] = np.arange(3, dtype=np.int32)
    arr[1] = np.arange(1, dtype=np.int32)
    obj.attrs.create(name, arr, dtype=dt)
    return f"{path}@{name} := vlen int32"


def op_names_missing(f, rng):
    """A name list (layer_names / weight_names) naming objects that do not exist, or odd paths."""
    targets = [t for t in attr_targets(f) if t[1] in ("layer_names", "weight_names")]
    if not targets:
        raise Skip("no name lists")
    path, name = rng.choice(targets)
    choices = [
        [b"does_not_exist"],
        [b"/"],
        [b""],
        [b"."],
        [b".."],
        [b"../../x"],
        [b"/model_weights"],
        [b"a" * 5000],
        [b"x/" * 300 + b"y"],
    ]
    vals = list(f[path].attrs[name]) if f[path].attrs[name].size else []
    vals = [v if isinstance(v, bytes) else str(v).encode() for v in vals]
    extra = rng.choice(choices)
    set_attr(f[path], name, np.array(vals + extra))
    return f"{path}@{name} += {extra[0][:40]!r}"


def op_names_duplicated(f, rng):
    targets = [t for t in attr_targets(f) if t[1] in ("layer_names", "weight_names")]
    targets = [t for t in targets if f[t[0]].attrs[t[1]].size > 0]
    if not targets:
        raise Skip("no name lists")
    path, name = rng.choice(targets)
    vals = list(f[path].attrs[name])
    set_attr(f[path], name, np.array(vals + vals))
    return f"{path}@{name} duplicated"


def op_names_huge(f, rng):
    """A name list of 20000 entries repeating a real name (time bomb if each is re-read)."""
    targets = [t for t in attr_targets(f) if t[1] in ("layer_names", "weight_names")]
    targets = [t for t in targets if f[t[0]].attrs[t[1]].size > 0]
    if not targets:
        raise Skip("no name lists")
    path, name = rng.choice(targets)
    v = f[path].attrs[name][0]
    # h5py needs dense attribute storage for attributes over 64 KB: split as Keras does
    arr = np.array([v] * 20000)
    del f[path].attrs[name]
    chunk = max(1, 60000 // max(1, arr.itemsize))
    for i in range(0, len(arr), chunk):
        f[path].attrs[f"{name}{i // chunk}"] = arr[i:i + chunk]
    return f"{path}@{name} split into {name}0.. with 20000 copies of {v!r}"


def pick_dataset(f, rng):
    _, datasets = all_objects(f)
    if not datasets:
        raise Skip("no datasets")
    return rng.choice(datasets)


def op_bomb_declared(f, rng):
    """A weight whose declared shape is astronomically large; no storage allocated."""
    path = pick_dataset(f, rng)
    # HDF5 itself refuses a dataspace whose byte size overflows: these stay just below
    dims = rng.choice([(2 ** 30, 2 ** 20), (2 ** 25, 2 ** 25), (2 ** 50,), (2 ** 20, 2 ** 20, 4),
                       (1 << 16, 1 << 16, 1 << 16), (2 ** 40, 3, 3, 64)])

    def make(parent, name):
        space = h5py.h5s.create_simple(dims)
        h5py.h5d.create(parent.id, name.encode(), h5py.h5t.IEEE_F32LE, space)

    replace_dataset(f, path, make)
    return f"{path} := float32 {dims}, unallocated"


def op_bomb_fill(f, rng):
    """Declared 64 GiB with a non-zero fill value: reading it would materialise the fill."""
    path = pick_dataset(f, rng)

    def make(parent, name):
        dcpl = h5py.h5p.create(h5py.h5p.DATASET_CREATE)
        dcpl.set_fill_value(np.array(1.0, dtype="f4"))
        dcpl.set_chunk((1 << 20,))
        space = h5py.h5s.create_simple((1 << 34,), (h5py.h5s.UNLIMITED,))
        h5py.h5d.create(parent.id, name.encode(), h5py.h5t.IEEE_F32LE, space, dcpl=dcpl)

    replace_dataset(f, path, make)
    return f"{path} := float32 (2^34,) chunked, fill 1.0, nothing stored"


_ZIP_BOMB = {}


def deflated_zeros(n):
    """zlib stream of n zero bytes, built in 1 MiB steps (cached)."""
    if n not in _ZIP_BOMB:
        c = zlib.compressobj(9)
        block = bytes(1 << 20)
        parts = [c.compress(block) for _ in range(n >> 20)]
        parts.append(c.flush())
        _ZIP_BOMB[n] = b"".join(parts)
    return _ZIP_BOMB[n]


def op_bomb_chunk(f, rng):
    """One gzip chunk that inflates to 1 GiB (a decompression bomb inside HDF5)."""
    path = pick_dataset(f, rng)
    rows = rng.choice([1 << 16, 1 << 18])

    def make(parent, name):
        ds = parent.create_dataset(name, shape=(rows * 4, 1 << 10), chunks=(rows, 1 << 10),
                                   dtype="f4", compression="gzip")
        ds.id.write_direct_chunk((0, 0), deflated_zeros(rows * 4096))

    replace_dataset(f, path, make)
    return f"{path} := gzip chunks of {rows * 4096 >> 20} MiB, one stored"


def op_huge_chunk_dims(f, rng):
    """Chunk dimensions far larger than the data (HDF5 allows up to 4 GiB per chunk)."""
    path = pick_dataset(f, rng)

    def make(parent, name):
        parent.create_dataset(name, shape=(8, 8), maxshape=(None, None), chunks=(4096, 4096),
                              dtype="f4", data=np.ones((8, 8), "f4"), compression="gzip")

    replace_dataset(f, path, make)
    return f"{path} := (8, 8) with 64 MiB gzip chunks (4096, 4096)"


def op_weird_dtype(f, rng):
    path = pick_dataset(f, rng)
    kinds = [
        ("vlen str", lambda p, n: p.create_dataset(n, data=np.array(["a", "bc"], dtype=object),
                                                    dtype=h5py.string_dtype())),
        ("fixed str", lambda p, n: p.create_dataset(n, data=np.array([b"ab", b"cd"]))),
        ("compound", lambda p, n: p.create_dataset(n, data=np.zeros(3, dtype=[("a", "i4"), ("b", "f8")]))),
        ("vlen int", lambda p, n: p.create_dataset(n, shape=(2,), dtype=h5py.vlen_dtype("i4"))),
        ("reference", lambda p, n: p.create_dataset(n, data=[f["/"].ref], dtype=h5py.ref_dtype)),
        ("enum int8", lambda p, n: p.create_dataset(n, data=np.zeros(4, "i1"),
                                                     dtype=h5py.enum_dtype({"A": 0, "B": 1}, basetype="i1"))),
        ("enum int32", lambda p, n: p.create_dataset(n, data=np.zeros(4, "i4"),
                                                      dtype=h5py.enum_dtype({"A": 0, "B": 1}, basetype="i4"))),
        ("opaque", lambda p, n: p.create_dataset(n, data=np.zeros(2, dtype="V7"))),
        ("array type", lambda p, n: p.create_dataset(n, data=np.zeros(2, dtype=("f4", (3,))))),
        ("bool", lambda p, n: p.create_dataset(n, data=np.array([True, False]))),
        ("float16", lambda p, n: p.create_dataset(n, data=np.ones((3, 2), "f2"))),
        ("big-endian float32", lambda p, n: p.create_dataset(n, data=np.ones((3, 2), ">f4"))),
        ("longdouble", lambda p, n: p.create_dataset(n, data=np.ones(3, np.longdouble))),
        ("complex64", lambda p, n: p.create_dataset(n, data=np.ones(3, np.complex64))),
        ("uint64", lambda p, n: p.create_dataset(n, data=np.ones(3, "u8"))),
        ("int8 tagged bfloat16", lambda p, n: p.create_dataset(n, data=np.ones(6, "i1")).attrs.__setitem__("dtype", "bfloat16")),
        ("float32 tagged bfloat16", lambda p, n: p.create_dataset(n, data=np.ones(6, "f4")).attrs.__setitem__("dtype", "bfloat16")),
        ("scalar", lambda p, n: p.create_dataset(n, data=np.float32(3))),
        ("null dataspace", lambda p, n: p.create_dataset(n, data=h5py.Empty("f4"))),
        ("zero-size", lambda p, n: p.create_dataset(n, shape=(0, 5), dtype="f4")),
        ("rank 32", lambda p, n: p.create_dataset(n, shape=(1,) * 32, dtype="f4", data=np.ones((1,) * 32, "f4"))),
        ("unallocated", lambda p, n: p.create_dataset(n, shape=(1000, 1000), dtype="f4")),
        ("compact", lambda p, n: h5py_compact(p, n)),
    ]
    what, make = rng.choice(kinds)
    replace_dataset(f, path, make)
    return f"{path} := {what}"


def h5py_compact(parent, name):
    dcpl = h5py.h5p.create(h5py.h5p.DATASET_CREATE)
    dcpl.set_layout(h5py.h5d.COMPACT)
    space = h5py.h5s.create_simple((4,))
    ds = h5py.h5d.create(parent.id, name.encode(), h5py.h5t.IEEE_F32LE, space, dcpl=dcpl)
    ds.write(h5py.h5s.ALL, h5py.h5s.ALL, np.ones(4, "f4"))


def op_external_storage(f, rng):
    """A weight whose raw data lives in another file (here /etc/passwd or the seed itself)."""
    path = pick_dataset(f, rng)
    target = rng.choice(["/etc/passwd", "/proc/self/environ", os.path.abspath(f.filename)])

    def make(parent, name):
        parent.create_dataset(name, shape=(4,), dtype="u1", external=[(target, 0, 4)])

    replace_dataset(f, path, make)
    return f"{path} := external storage in {target}"


def op_external_link(f, rng):
    """A weight that is an external link into another file."""
    path = pick_dataset(f, rng)
    target = rng.choice(["/etc/passwd", "/nonexistent/file.h5", os.path.abspath(f.filename)])

    def make(parent, name):
        parent[name] = h5py.ExternalLink(target, "/" + path)

    replace_dataset(f, path, make)
    return f"{path} := external link to {target}"


def op_soft_link_loop(f, rng):
    path = pick_dataset(f, rng)

    def make(parent, name):
        parent[name] = h5py.SoftLink(parent.name.rstrip("/") + "/" + name)

    replace_dataset(f, path, make)
    return f"{path} := soft link to itself"


def op_hard_link_cycle(f, rng):
    """A group holding a hard link to the root or to an ancestor: an infinite tree to a walker."""
    groups, _ = all_objects(f)
    g = f[rng.choice(groups)] if groups else f["/"]
    target = rng.choice(["/", g.name, g.parent.name])
    g["zz_loop"] = f[target]
    return f"{g.name}/zz_loop := hard link to {target}"


def op_deep_groups(f, rng):
    """A chain of 3000 nested groups under a weights group."""
    groups, _ = all_objects(f)
    g = f[rng.choice(groups)] if groups else f["/"]
    depth = 3000
    cur = g
    for i in range(depth):
        cur = cur.create_group("d")
    cur.create_dataset("0", data=np.ones(2, "f4"))
    return f"{g.name}: {depth} nested groups"


def op_many_groups(f, rng):
    groups, _ = all_objects(f)
    g = f[rng.choice(groups)] if groups else f["/"]
    for i in range(3000):
        g.create_group(f"zz{i}")
    return f"{g.name}: 3000 empty groups"


def op_delete_object(f, rng):
    groups, datasets = all_objects(f)
    victims = groups + datasets
    if not victims:
        raise Skip("empty")
    p = rng.choice(victims)
    del f[p]
    return f"deleted {p}"


def op_dataset_becomes_group(f, rng):
    path = pick_dataset(f, rng)
    replace_dataset(f, path, lambda p, n: p.create_group(n))
    return f"{path} := empty group"


def op_group_becomes_dataset(f, rng):
    groups, _ = all_objects(f)
    if not groups:
        raise Skip("no groups")
    p = rng.choice(groups)
    parent, _, name = p.rpartition("/")
    par = f[parent] if parent else f["/"]
    del par[name]
    par.create_dataset(name, data=np.ones(3, "f4"))
    return f"{p} := dataset"


def op_shape_mismatch(f, rng):
    """A weight whose shape no longer fits its layer (e.g. a kernel transposed / grown)."""
    path = pick_dataset(f, rng)
    ds = f[path]
    shape = ds.shape
    new = tuple(reversed(shape)) + (3,) if shape else (7,)
    dt = ds.dtype

    def make(parent, name):
        parent.create_dataset(name, data=np.zeros(new, dtype=dt if dt.kind in "fiub" else "f4"))

    replace_dataset(f, path, make)
    return f"{path}: shape {shape} -> {new}"


OPS = {
    "attr_wrong_type": op_attr_wrong_type,
    "attr_key_wrong_type": op_attr_key_wrong_type,
    "attr_reference": op_attr_reference,
    "attr_vlen_int": op_attr_vlen_int,
    "names_missing": op_names_missing,
    "names_duplicated": op_names_duplicated,
    "names_huge": op_names_huge,
    "bomb_declared": op_bomb_declared,
    "bomb_fill": op_bomb_fill,
    "bomb_chunk": op_bomb_chunk,
    "huge_chunk_dims": op_huge_chunk_dims,
    "weird_dtype": op_weird_dtype,
    "external_storage": op_external_storage,
    "external_link": op_external_link,
    "soft_link_loop": op_soft_link_loop,
    "hard_link_cycle": op_hard_link_cycle,
    "deep_groups": op_deep_groups,
    "many_groups": op_many_groups,
    "delete_object": op_delete_object,
    "dataset_becomes_group": op_dataset_becomes_group,
    "group_becomes_dataset": op_group_becomes_dataset,
    "shape_mismatch": op_shape_mismatch,
}


class Skip(Exception):
    pass


# ------------------------------------------------------------------------------------------------


def mutate_h5(path, op, rng):
    with h5py.File(path, "r+", libver=("earliest", "latest")) as f:
        return OPS[op](f, rng)


def mutate(entry):
    seed, out, op = entry["seed"], entry["out"], entry["op"]
    rng = random.Random(entry.get("rng", 0))
    os.makedirs(os.path.dirname(out), exist_ok=True)
    if zipfile.is_zipfile(seed):
        with tempfile.TemporaryDirectory() as td:
            with zipfile.ZipFile(seed) as z:
                names = z.namelist()
                if "model.weights.h5" not in names:
                    raise Skip("no model.weights.h5")
                z.extractall(td, members=[n for n in names if ".." not in n and not n.startswith("/")])
            detail = mutate_h5(os.path.join(td, "model.weights.h5"), op, rng)
            with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED) as z:
                for n in names:
                    z.write(os.path.join(td, n), n)
            return "model.weights.h5: " + detail
    shutil.copyfile(seed, out)
    return mutate_h5(out, op, rng)


def raw_ranges(path):
    out = []
    try:
        with h5py.File(path, "r") as f:
            _, datasets = all_objects(f)
            for p in datasets:
                ds = f[p]
                try:
                    if ds.chunks is None:
                        off = ds.id.get_offset()
                        if off is not None:
                            out.append([off, ds.id.get_storage_size()])
                    else:
                        for i in range(ds.id.get_num_chunks()):
                            info = ds.id.get_chunk_info(i)
                            out.append([info.byte_offset, info.size])
                except Exception:
                    pass
    except Exception:
        pass
    return out


def main(argv):
    if len(argv) >= 2 and argv[1] == "ops":
        print("\n".join(OPS))
        return 0
    if len(argv) >= 2 and argv[1] == "ranges":
        print(json.dumps({p: raw_ranges(p) for p in argv[2:]}))
        return 0
    if len(argv) != 3 or argv[1] != "mutate":
        print(__doc__, file=sys.stderr)
        return 2
    with open(argv[2]) as fh:
        spec = json.load(fh)
    for entry in spec:
        res = {"out": entry["out"], "op": entry["op"]}
        try:
            res["detail"] = mutate(entry)
            res["ok"] = True
        except Skip as e:
            res["ok"] = False
            res["detail"] = "skipped: " + str(e)
        except Exception as e:  # a mutation h5py refuses: report, go on
            res["ok"] = False
            res["detail"] = f"{type(e).__name__}: {e}"
        if not res["ok"] and os.path.exists(entry["out"]):
            os.remove(entry["out"])
        print(json.dumps(res), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
