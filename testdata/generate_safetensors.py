#!/usr/bin/env python
"""Write the safetensors fixtures of initkit's reader tests with the reference library.

Run with the pinned venv (safetensors 0.8.0, numpy 2.2.6; no Keras needed):

    .venv/bin/python testdata/generate_safetensors.py [OUT_DIR]

OUT_DIR defaults to testdata/safetensors/ and is wiped first. Every .safetensors file is written
by `safetensors` itself: `safetensors.numpy.save_file` for the dtypes numpy has, and
`safetensors.serialize_file` with a `TensorSpec` over a numpy buffer for those it lacks (bfloat16,
float8, float4, complex64). The reference writer takes no F6 tensor (its `TensorSpec` knows no
float6 name), so `f6.safetensors` is written here, header and all, and then opened with the
reference reader (`safe_open`) to prove it valid. Beside each file, `<name>.expected.json` holds
what was handed to the writer, per tensor: the dtype code, the shape and the little-endian bytes in
hex; for the low-precision float codes also `float32_hex`, ml_dtypes' float32 decode of every
element. The Java tests compare what initkit reads with them bit for bit.

    dtypes.safetensors        one tensor per numpy dtype (BOOL, U8..U64, I8..I64, F16, F32, F64)
                              with edge values (NaN payloads, -0.0, inf, subnormals, min/max), a
                              scalar, an empty (0, 3) tensor, dotted PyTorch-style names,
                              and __metadata__
    bf16.safetensors          BF16 tensors (raw bits, NaN and subnormal included)
    f8_e4m3.safetensors       a small F8_E4M3 tensor beside an F32 one
    f8_e5m2.safetensors       the same with F8_E5M2
    lowp.safetensors          every 8-bit float code (F8_E4M3, F8_E5M2, F8_E4M3FNUZ, F8_E5M2FNUZ,
                              F8_E8M0) with all 256 byte patterns, F4 with all 16 codes (packed two
                              a byte, element 2i in the low nibble), and a C64 tensor
    f6.safetensors            F6_E2M3 and F6_E3M2 with all 64 codes each (four values in three
                              bytes, first element in the lowest bits), one of them in rows of two
                              values that do not start on byte boundaries
    sharded/model.safetensors.index.json + model-0000N-of-00002.safetensors
                              a checkpoint in two shards, the index as transformers writes it
                              (metadata.total_size and weight_map)
Deterministic: the same tensors and bytes on every run, except the order of the `__metadata__`
keys in the header (the reference library keeps them in a hash map).
"""
import json
import shutil
import sys
from pathlib import Path

import ml_dtypes
import numpy as np
import safetensors
from safetensors import TensorSpec
from safetensors.numpy import save_file

CODES = {
    np.dtype(bool): "BOOL",
    np.dtype(np.uint8): "U8",
    np.dtype(np.int8): "I8",
    np.dtype(np.uint16): "U16",
    np.dtype(np.int16): "I16",
    np.dtype(np.uint32): "U32",
    np.dtype(np.int32): "I32",
    np.dtype(np.uint64): "U64",
    np.dtype(np.int64): "I64",
    np.dtype(np.float16): "F16",
    np.dtype(np.float32): "F32",
    np.dtype(np.float64): "F64",
}


def le_hex(a):
    return np.ascontiguousarray(a).astype(a.dtype.newbyteorder("<"), copy=False).tobytes().hex()


def expected(path, tensors):
    """tensors: name -> (code, shape, little-endian bytes as hex)."""
    doc = {k: {"dtype": c, "shape": list(s), "hex": h} for k, (c, s, h) in tensors.items()}
    Path(str(path) + ".expected.json").write_text(json.dumps(doc, indent=1, sort_keys=True) + "\n")


def numpy_file(path, arrays, metadata=None):
    save_file(arrays, str(path), metadata=metadata)
    expected(path, {k: (CODES[a.dtype], a.shape, le_hex(a)) for k, a in arrays.items()})


def raw_file(path, tensors):
    """tensors: name -> (reference dtype name, code, shape, uint8 array of the bytes)."""
    specs = {}
    for k, (dtype, _code, shape, data) in tensors.items():
        specs[k] = TensorSpec(
            dtype=dtype, shape=list(shape), data_ptr=data.ctypes.data, data_len=data.nbytes
        )
    safetensors.serialize_file(specs, str(path))
    expected(path, {k: (c, s, d.tobytes().hex()) for k, (_t, c, s, d) in tensors.items()})


# the low-precision float codes and the ml_dtypes type of their values
LOW_PRECISION = {
    "F8_E4M3": ml_dtypes.float8_e4m3fn,
    "F8_E5M2": ml_dtypes.float8_e5m2,
    "F8_E4M3FNUZ": ml_dtypes.float8_e4m3fnuz,
    "F8_E5M2FNUZ": ml_dtypes.float8_e5m2fnuz,
    "F8_E8M0": ml_dtypes.float8_e8m0fnu,
    "F4": ml_dtypes.float4_e2m1fn,
    "F6_E2M3": ml_dtypes.float6_e2m3fn,
    "F6_E3M2": ml_dtypes.float6_e3m2fn,
}


def decoded_hex(code, codes):
    """ml_dtypes' float32 value of each element code (one code a uint8), little-endian hex."""
    return le_hex(codes.astype(np.uint8).view(LOW_PRECISION[code]).astype(np.float32))


def pack(codes, bits):
    """Element codes as one little-endian bit stream, element 0 in the lowest bits."""
    out = bytearray((len(codes) * bits + 7) // 8)
    for i, c in enumerate(codes.tolist()):
        at = i * bits
        word = int(c) << (at % 8)
        for k in range(0, 16, 8):
            if at // 8 + k // 8 < len(out):
                out[at // 8 + k // 8] |= (word >> k) & 0xFF
    return np.frombuffer(bytes(out), np.uint8)


def with_decoded(path, codes_by_key):
    """Adds float32_hex (ml_dtypes' decode of each element code) to the expected json."""
    e = Path(str(path) + ".expected.json")
    doc = json.loads(e.read_text())
    for k, (code, codes) in codes_by_key.items():
        doc[k]["float32_hex"] = decoded_hex(code, codes)
    e.write_text(json.dumps(doc, indent=1, sort_keys=True) + "\n")


def low_precision_files(out):
    every8 = np.arange(256, dtype=np.uint8)
    every4 = np.arange(16, dtype=np.uint8)
    tensors = {}
    codes = {}
    for code, name, shape in [
        ("F8_E4M3", "float8_e4m3fn", (16, 16)),
        ("F8_E5M2", "float8_e5m2", (256,)),
        ("F8_E4M3FNUZ", "float8_e4m3fnuz", (2, 128)),
        ("F8_E5M2FNUZ", "float8_e5m2fnuz", (256,)),
        ("F8_E8M0", "float8_e8m0fnu", (256,)),
    ]:
        key = "all." + code.lower()
        tensors[key] = (name, code, shape, every8.copy())
        codes[key] = (code, every8)
    # the reference writer's float4_e2m1fn_x2 takes torch's packed shape: the last dim halved
    packed4 = pack(every4, 4)
    tensors["all.f4"] = ("float4_e2m1fn_x2", "F4", (4, 2), packed4)
    codes["all.f4"] = ("F4", every4)
    c64 = np.array([1 + 2j, -0.5 - 0.25j, np.inf + 0j], np.complex64)
    tensors["complex.c64"] = ("complex64", "C64", (3,), c64.view(np.uint8))
    raw_file(out / "lowp.safetensors", tensors)
    # the expected json keeps the header's (logical) shape of F4: 16 elements
    doc = json.loads(Path(str(out / "lowp.safetensors") + ".expected.json").read_text())
    doc["all.f4"]["shape"] = [4, 4]
    Path(str(out / "lowp.safetensors") + ".expected.json").write_text(
        json.dumps(doc, indent=1, sort_keys=True) + "\n"
    )
    with_decoded(out / "lowp.safetensors", codes)

    every6 = np.arange(64, dtype=np.uint8)
    f6 = {
        # rows of two 6-bit values: 12 bits, so every other row starts mid-byte
        "all.f6_e2m3": ("F6_E2M3", (32, 2), pack(every6, 6)),
        "all.f6_e3m2": ("F6_E3M2", (8, 8), pack(every6[::-1].copy(), 6)),
    }
    header = {"__metadata__": {"written_by": "testdata/generate_safetensors.py"}}
    offset = 0
    data = b""
    for k, (code, shape, b) in f6.items():
        header[k] = {"dtype": code, "shape": list(shape), "data_offsets": [offset, offset + b.nbytes]}
        offset += b.nbytes
        data += b.tobytes()
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    path = out / "f6.safetensors"
    path.write_bytes(len(text).to_bytes(8, "little") + text + data)
    with safetensors.safe_open(str(path), "numpy") as f:  # the reference reader accepts it
        assert sorted(f.keys()) == sorted(f6), f.keys()
    expected(path, {k: (c, s, b.tobytes().hex()) for k, (c, s, b) in f6.items()})
    with_decoded(path, {"all.f6_e2m3": ("F6_E2M3", every6), "all.f6_e3m2": ("F6_E3M2", every6[::-1])})


def main():
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parent / "safetensors"
    if out.exists():
        shutil.rmtree(out)
    (out / "sharded").mkdir(parents=True)
    rng = np.random.default_rng(22)

    f32 = rng.standard_normal((3, 4)).astype(np.float32)
    f32[0, :4] = [np.float32("nan"), -0.0, np.inf, np.float32(1e-45)]
    f32_nan_payload = np.array([0x7FC00001, 0xFF800001, 0x00000001], np.uint32).view(np.float32)
    f64 = rng.standard_normal((2, 3))
    f64[0, 0] = np.nextafter(0.0, 1.0)
    f16 = rng.standard_normal((5,)).astype(np.float16)
    f16[:3] = [np.float16("nan"), np.float16(6.0e-8), np.float16(-65504)]
    arrays = {
        "embeddings.word_embeddings.weight": f32,
        "encoder.layer.0.attention.self.query.weight": rng.standard_normal((4, 2)).astype(
            np.float32
        ),
        "encoder.layer.0.attention.self.query.bias": rng.standard_normal((4,)).astype(np.float32),
        "nan_payloads.f32": f32_nan_payload,
        "double.f64": f64,
        "half.f16": f16,
        "flags.bool": np.array([True, False, True, True]),
        "ints.u8": np.array([0, 1, 127, 128, 255], np.uint8),
        "ints.i8": np.array([-128, -1, 0, 1, 127], np.int8),
        "ints.u16": np.array([0, 65535, 256], np.uint16),
        "ints.i16": np.array([-32768, 32767, -2], np.int16),
        "ints.u32": np.array([0, 2**32 - 1, 65536], np.uint32),
        "ints.i32": np.array([[-(2**31), 2**31 - 1], [7, -7]], np.int32),
        "ints.u64": np.array([0, 2**64 - 1, 2**40], np.uint64),
        "ints.i64": np.array([-(2**63), 2**63 - 1, -3], np.int64),
        "scalar": np.array(3.25, np.float32),
        "empty.weight": np.zeros((0, 3), np.float32),
    }
    numpy_file(
        out / "dtypes.safetensors",
        arrays,
        metadata={"format": "pt", "written_by": "testdata/generate_safetensors.py"},
    )

    bf16_bits = np.array([0x3F80, 0xBF80, 0x7FC0, 0x0001, 0x8000, 0x7F80, 0x4049], np.uint16)
    bf16_2d = (rng.standard_normal((2, 3)).astype(np.float32).view(np.uint32) >> 16).astype(
        np.uint16
    )
    raw_file(
        out / "bf16.safetensors",
        {
            "layer.bits": ("bfloat16", "BF16", (7,), bf16_bits.view(np.uint8)),
            "layer.kernel": ("bfloat16", "BF16", (2, 3), bf16_2d.view(np.uint8)),
        },
    )
    for name, dtype, code in [
        ("f8_e4m3", "float8_e4m3fn", "F8_E4M3"),
        ("f8_e5m2", "float8_e5m2", "F8_E5M2"),
    ]:
        raw_file(
            out / f"{name}.safetensors",
            {
                "quant.bias": ("float32", "F32", (2,), np.array([1, 2], np.float32).view(np.uint8)),
                "quant.kernel": (dtype, code, (2, 2), np.array([0x38, 0x40, 0xB8, 0x00], np.uint8)),
            },
        )

    low_precision_files(out)

    shards = [
        {
            "conv1.weight": rng.standard_normal((4, 3, 3, 3)).astype(np.float32),
            "conv1.bias": rng.standard_normal((4,)).astype(np.float32),
            "bn1.running_mean": rng.standard_normal((4,)).astype(np.float32),
        },
        {
            "bn1.num_batches_tracked": np.array(7, np.int64),
            "fc.weight": rng.standard_normal((5, 4)).astype(np.float32),
            "fc.bias": rng.standard_normal((5,)).astype(np.float32),
        },
    ]
    weight_map = {}
    total = 0
    all_expected = {}
    for i, shard in enumerate(shards):
        name = f"model-{i + 1:05d}-of-{len(shards):05d}.safetensors"
        save_file(shard, str(out / "sharded" / name), metadata={"format": "pt"})
        for k, a in shard.items():
            weight_map[k] = name
            total += a.nbytes
            all_expected[k] = (CODES[a.dtype], a.shape, le_hex(a))
    index = out / "sharded" / "model.safetensors.index.json"
    index.write_text(
        json.dumps(
            {"metadata": {"total_size": total}, "weight_map": dict(sorted(weight_map.items()))},
            indent=2,
        )
        + "\n"
    )
    expected(index, all_expected)
    print(f"wrote {out} with safetensors {safetensors.__version__}")


if __name__ == "__main__":
    main()
