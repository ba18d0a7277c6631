"""Reads and writes safetensors files with NumPy alone (no torch): an 8-byte
little-endian header length, a JSON header {name: {dtype, shape,
data_offsets}} plus "__metadata__", padded with spaces to 8 bytes, then the
tensor bytes. BF16 has no NumPy dtype: it is kept as uint16 bit patterns and
converted here (round to nearest even, as torch's .to(torch.bfloat16) does)."""

import json
import struct

import numpy as np

NUMPY_DTYPES = {"F32": "<f4", "F16": "<f2", "F64": "<f8", "I64": "<i8", "I32": "<i4", "BOOL": "|b1", "U8": "|u1"}


def f32_to_bf16_bits(x):
    bits = np.ascontiguousarray(x, dtype="<f4").view("<u4").astype(np.uint64)
    rounded = (bits + 0x7FFF + ((bits >> 16) & 1)) >> 16
    return rounded.astype("<u2")


def bf16_bits_to_f32(bits):
    return (bits.astype("<u4") << 16).view("<f4")


def encode(array, dtype):
    """The stored bytes of `array` (float64 or float32) as F32, F16 or BF16."""
    if dtype == "F32":
        return np.ascontiguousarray(array, dtype="<f4")
    if dtype == "F16":
        return np.ascontiguousarray(array, dtype="<f2")
    if dtype == "BF16":
        return f32_to_bf16_bits(np.asarray(array, dtype="<f4"))
    if dtype in ("BOOL", "I64", "I32"):
        return np.ascontiguousarray(array, dtype=NUMPY_DTYPES[dtype])
    raise ValueError(f"unsupported dtype {dtype}")


def write_safetensors(path, tensors, metadata=None):
    """tensors: list of (name, dtype, numpy array) in file order."""
    header = {"__metadata__": metadata or {"format": "pt"}}
    blobs = []
    offset = 0
    for name, dtype, array in tensors:
        data = encode(array, dtype).tobytes()
        header[name] = {"dtype": dtype, "shape": list(np.shape(array)), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for blob in blobs:
            f.write(blob)
    return offset


def read_safetensors(path):
    """{name: float64 array} of every floating tensor (BOOL/int buffers are returned as they are)."""
    with open(path, "rb") as f:
        raw = f.read()
    (length,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + length])
    base = 8 + length
    out = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        start, end = entry["data_offsets"]
        chunk = raw[base + start : base + end]
        dtype = entry["dtype"]
        if dtype == "BF16":
            array = bf16_bits_to_f32(np.frombuffer(chunk, dtype="<u2")).astype(np.float64)
        elif dtype in ("F32", "F16", "F64"):
            array = np.frombuffer(chunk, dtype=NUMPY_DTYPES[dtype]).astype(np.float64)
        else:
            array = np.frombuffer(chunk, dtype=NUMPY_DTYPES[dtype]).copy()
        out[name] = array.reshape(entry["shape"])
    return out
