#!/usr/bin/env python
"""Truth for transplanting low-precision safetensors tensors (LowPrecisionTransplantIT).

    python testdata/transplant/low_precision.py make DIR
        Builds a small Keras 3 model (Dense layers fc float32, fc16 float16, fnuz float32 and bf
        bfloat16) and saves it as DIR/target.keras; writes DIR/source.safetensors holding, for
        those weights, tensors of every low-precision float code safetensors defines (F8_E4M3 in
        PyTorch (out, in) layout, F8_E8M0, F8_E5M2, F4, F8_E4M3FNUZ, F8_E5M2FNUZ, F6_E3M2,
        F6_E2M3), every bit pattern of each code where the weight has room, plus an unused C64
        tensor; DIR/source.map, the tensor rules that place them; DIR/keras_source.safetensors,
        the same values under the Keras paths in Keras layout (matched by name, no mapping); and
        DIR/keras_c64.safetensors, a C64 tensor named bf/bias.
    python testdata/transplant/low_precision.py check DIR OUT.keras
        Prints JSON: every weight of OUT.keras (loaded by Keras) compared bit for bit, NaN equal to
        NaN, with ml_dtypes' float32 decode of its source tensor (transposed for fc/kernel), cast
        by numpy to the weight's dtype.

The header and bytes are written here (the reference writer takes no F6), sub-byte codes as one
little-endian bit stream, first element in the lowest bits; `check` decodes them independently of
initkit, from the file's header and bytes, with ml_dtypes.
"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import keras_env  # noqa: E402,F401  (first: quiet, CPU-only TensorFlow)

import json  # noqa: E402

import ml_dtypes  # noqa: E402
import numpy as np  # noqa: E402

keras_env.determinism()

import keras  # noqa: E402
from keras import layers  # noqa: E402

TYPES = {
    "F8_E4M3": ml_dtypes.float8_e4m3fn,
    "F8_E5M2": ml_dtypes.float8_e5m2,
    "F8_E4M3FNUZ": ml_dtypes.float8_e4m3fnuz,
    "F8_E5M2FNUZ": ml_dtypes.float8_e5m2fnuz,
    "F8_E8M0": ml_dtypes.float8_e8m0fnu,
    "F4": ml_dtypes.float4_e2m1fn,
    "F6_E2M3": ml_dtypes.float6_e2m3fn,
    "F6_E3M2": ml_dtypes.float6_e3m2fn,
}
BITS = {"F4": 4, "F6_E2M3": 6, "F6_E3M2": 6}

# source key -> (code, shape in the file, target weight, transposed)
SOURCES = {
    "fc.weight": ("F8_E4M3", (16, 16), "fc/kernel", True),
    "fc.bias": ("F8_E8M0", (16,), "fc/bias", False),
    "fc16.weight": ("F8_E5M2", (16, 16), "fc16/kernel", False),
    "fc16.bias": ("F4", (16,), "fc16/bias", False),
    "fnuz.weight": ("F8_E4M3FNUZ", (16, 16), "fnuz/kernel", False),
    "fnuz.bias": ("F8_E5M2FNUZ", (16,), "fnuz/bias", False),
    "bf.weight": ("F6_E3M2", (16, 4), "bf/kernel", False),
    "bf.bias": ("F6_E2M3", (4,), "bf/bias", False),
}


def build():
    inp = keras.Input((16,))
    x = layers.Dense(16, name="fc")(inp)
    x = layers.Dense(16, name="fc16", dtype="float16")(x)
    x = layers.Dense(16, name="fnuz")(x)
    out = layers.Dense(4, name="bf", dtype="bfloat16")(x)
    return keras.Model(inp, out)


def pack(codes, bits):
    """Element codes as one little-endian bit stream, element 0 in the lowest bits."""
    stream = 0
    for i, c in enumerate(codes.tolist()):
        stream |= int(c) << (i * bits)
    return stream.to_bytes((len(codes) * bits + 7) // 8, "little")


def unpack(data, bits, n):
    stream = int.from_bytes(data, "little")
    return np.array([(stream >> (i * bits)) & ((1 << bits) - 1) for i in range(n)], np.uint8)


def codes_for(code, n, rng):
    width = BITS.get(code, 8)
    every = np.arange(1 << width, dtype=np.uint8)
    if n >= every.size:
        return np.concatenate([every, rng.integers(0, 1 << width, n - every.size, np.uint8)])
    return rng.choice(every, n, replace=False).astype(np.uint8)


def write_file(path, tensors):
    """tensors: key -> (code, shape, element codes); the header and bytes written here."""
    header = {}
    data = b""
    for key, (code, shape, c) in tensors.items():
        b = pack(c, BITS[code]) if code in BITS else c.tobytes()
        header[key] = {"dtype": code, "shape": list(shape), "data_offsets": [len(data), len(data) + len(b)]}
        data += b
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    Path(path).write_bytes(len(text).to_bytes(8, "little") + text + data)


def make(d):
    d = Path(d)
    build().save(d / "target.keras")
    rng = np.random.default_rng(8)
    torch_style, keras_style = {}, {}
    for key, (code, shape, target, transposed) in SOURCES.items():
        c = codes_for(code, int(np.prod(shape)), rng)
        torch_style[key] = (code, shape, c)
        # the same values under the Keras path, in Keras layout
        kc = c.reshape(shape).T.reshape(-1).copy() if transposed else c
        keras_style[target] = (code, shape[::-1] if transposed else shape, kc)
    # the shape of bf/bias, so that a rule could place it (LowPrecisionTransplantIT: refused)
    c64 = np.frombuffer(np.array([1 + 2j, -3 - 4j, 0.5j, 7], np.complex64).tobytes(), np.uint8)
    write_file(d / "source.safetensors", {**torch_style, "unused.c64": ("C64", (4,), c64)})
    write_file(d / "keras_source.safetensors", keras_style)
    write_file(d / "keras_c64.safetensors", {"bf/bias": ("C64", (4,), c64)})
    rules = []
    for key, (_c, _s, target, transposed) in SOURCES.items():
        rules.append(f"{key} => {target}" + (" | transpose(1,0)" if transposed else ""))
    (d / "source.map").write_text("\n".join(rules) + "\n")


def read_source(path):
    raw = Path(path).read_bytes()
    n = int.from_bytes(raw[:8], "little")
    header = json.loads(raw[8 : 8 + n])
    body = raw[8 + n :]
    out = {}
    for key, t in header.items():
        if t["dtype"] not in TYPES:
            continue
        b = body[t["data_offsets"][0] : t["data_offsets"][1]]
        count = int(np.prod(t["shape"]))
        codes = unpack(b, BITS[t["dtype"]], count) if t["dtype"] in BITS else np.frombuffer(b, np.uint8)
        out[key] = codes.view(TYPES[t["dtype"]]).astype(np.float32).reshape(t["shape"])
    return out


def same(a, b):
    """Bit for bit, a NaN equal to any NaN."""
    if a.shape != b.shape or a.dtype != b.dtype:
        return False
    a, b = np.ascontiguousarray(a).reshape(-1), np.ascontiguousarray(b).reshape(-1)
    na, nb = np.isnan(a.astype(np.float32)), np.isnan(b.astype(np.float32))
    bits = (a.view(np.uint8).reshape(a.size, -1) == b.view(np.uint8).reshape(b.size, -1)).all(1)
    return bool(np.all(na == nb) and np.all(bits | na))


def check(d, out):
    model = keras.models.load_model(out)
    src = read_source(Path(d) / "source.safetensors")
    weights = {}
    for layer in model.layers:
        for v in layer.weights:
            weights[layer.name + "/" + v.name.split("/")[-1]] = np.asarray(v.numpy())
    mismatched, compared, nans = [], 0, 0
    for key, (_c, _s, target, transposed) in SOURCES.items():
        want = src[key].T if transposed else src[key]
        got = weights[target]
        want = want.astype(got.dtype)
        compared += 1
        nans += int(np.isnan(want.astype(np.float32)).sum())
        if not same(want, got):
            mismatched.append(target)
    print(
        json.dumps(
            {
                "weights": len(weights),
                "compared": compared,
                "mismatched": mismatched,
                "nans": nans,
                "keras": keras.__version__,
                "ml_dtypes": ml_dtypes.__version__,
            }
        )
    )


if __name__ == "__main__":
    if sys.argv[1] == "make":
        make(sys.argv[2])
    else:
        check(sys.argv[2], sys.argv[3])
