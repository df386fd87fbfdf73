#!/usr/bin/env python3
"""Writes the safetensors fixtures with the real `safetensors` package (pinned in scripts/python-peers.sh).

Valid files go to Fixtures/safetensors/*.safetensors; Fixtures/safetensors/expected.json records, per file, every
tensor's name, dtype, shape and the sha256 of its raw little-endian bytes, plus the metadata. Malformed files go to
Fixtures/safetensors/malformed/: each is first shown to be REJECTED by the real safetensors package (the generator
fails otherwise), and expected.json records the reason cnzoo must report.

Run: .venv/bin/python Fixtures/generate_safetensors.py
"""
import hashlib
import json
import os
import struct

import numpy as np
import torch
import safetensors
from safetensors.torch import save_file
from safetensors import safe_open

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "safetensors")
MAL = os.path.join(HERE, "malformed")


def raw_bytes(t: torch.Tensor) -> bytes:
    t = t.contiguous()
    if t.dtype == torch.bfloat16:
        return t.view(torch.int16).numpy().tobytes()
    return t.numpy().tobytes()


ST_DTYPE = {torch.float64: "F64", torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16",
            torch.int64: "I64", torch.int32: "I32", torch.int16: "I16", torch.int8: "I8", torch.uint8: "U8",
            torch.bool: "BOOL"}


def describe(tensors, metadata):
    return {
        "tensors": [{"name": k, "dtype": ST_DTYPE[v.dtype], "shape": list(v.shape),
                     "sha256": hashlib.sha256(raw_bytes(v)).hexdigest()} for k, v in tensors.items()],
        "metadata": metadata or {},
    }


def main():
    os.makedirs(MAL, exist_ok=True)
    g = torch.Generator().manual_seed(20261122)
    expected = {"generator": f"safetensors {safetensors.__version__}, torch {torch.__version__}", "files": {}}

    all_dtypes = {
        "f64": torch.randn(3, 2, generator=g, dtype=torch.float64),
        "f32": torch.randn(2, 3, 4, generator=g),
        "f16": torch.randn(5, generator=g).to(torch.float16),
        "bf16": torch.randn(4, 2, generator=g).to(torch.bfloat16),
        "i64": torch.tensor([-(2**40), 0, 7, 2**62], dtype=torch.int64),
        "i32": torch.tensor([[-5, 6], [7, -(2**31)]], dtype=torch.int32),
        "i16": torch.tensor([-300, 300, 1], dtype=torch.int16),
        "i8": torch.tensor([-128, 0, 127], dtype=torch.int8),
        "u8": torch.tensor([0, 255, 3, 4], dtype=torch.uint8),
        "bool": torch.tensor([True, False, True], dtype=torch.bool),
    }
    files = {
        "dtypes.safetensors": (all_dtypes, {"format": "pt", "note": "every dtype cnzoo must carry"}),
        "edge_shapes.safetensors": ({
            "scalar_f32": torch.tensor(3.5),
            "scalar_i64": torch.tensor(42, dtype=torch.int64),
            "empty_f32": torch.zeros(0),
            "empty_2d_f16": torch.zeros(3, 0, dtype=torch.float16),
            "one": torch.ones(1, 1, 1),
        }, {"format": "pt"}),
        "no_metadata.safetensors": ({"w": torch.arange(6, dtype=torch.float32).reshape(2, 3)}, None),
        "unicode_metadata.safetensors": ({"weight.é": torch.ones(2)},
                                         {"format": "pt", "author": "测试 \"quoted\"\n", "empty": ""}),
    }
    for name, (tensors, metadata) in files.items():
        save_file(tensors, os.path.join(HERE, name), metadata=metadata)
        expected["files"][name] = describe(tensors, metadata)

    # Malformed: start from a small valid file and break one rule at a time.
    def header(obj):
        h = json.dumps(obj, separators=(",", ":")).encode()
        return h + b" " * ((8 - len(h) % 8) % 8)

    def build(obj, data, raw_header=None):
        h = raw_header if raw_header is not None else header(obj)
        return struct.pack("<Q", len(h)) + h + data

    ok_data = np.arange(6, dtype=np.float32).tobytes() + np.arange(2, dtype=np.float32).tobytes()
    a = {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 24]}
    b = {"dtype": "F32", "shape": [2], "data_offsets": [24, 32]}
    cases = {
        "header_too_large": (struct.pack("<Q", 100_000_001) + b"{}", "limit-exceeded"),
        "header_past_end": (struct.pack("<Q", 64) + b"{}", "truncated"),
        "overlap": (build({"a": a, "b": {**b, "data_offsets": [20, 28]}}, ok_data[:28]), "malformed"),
        "gap": (build({"a": a, "b": {**b, "data_offsets": [28, 36]}}, ok_data + b"\0\0\0\0"), "malformed"),
        "trailing_bytes": (build({"a": a, "b": b}, ok_data + b"\0"), "malformed"),
        "missing_bytes": (build({"a": a, "b": b}, ok_data[:-1]), "malformed"),
        "metadata_not_string": (build({"__metadata__": {"k": 1}, "a": a, "b": b}, ok_data), "malformed"),
        "bad_json": (build(None, ok_data, raw_header=b'{"a": {"dtype": "F32",   }}    '), "malformed"),
        "unknown_dtype": (build({"a": {**a, "dtype": "F33"}, "b": b}, ok_data), "malformed"),
        "lowercase_dtype": (build({"a": {**a, "dtype": "f32"}, "b": b}, ok_data), "malformed"),
        "size_mismatch": (build({"a": {**a, "shape": [2, 2]}, "b": b}, ok_data), "malformed"),
        "negative_dim": (build({"a": {**a, "shape": [-2, -3]}, "b": b}, ok_data), "malformed"),
        "offsets_reversed": (build({"a": a, "b": {**b, "data_offsets": [32, 24]}}, ok_data), "malformed"),
        "shape_overflow": (build({"a": {**a, "shape": [2**40, 2**40]}, "b": b}, ok_data), "malformed"),
        "not_utf8": (build(None, ok_data, raw_header=b'{"\xff": {}}    '), "malformed"),
        "header_not_object": (build(None, b"", raw_header=b"[]      "), "malformed"),
        "short_length_prefix": (b"\x10\x00\x00", "truncated"),
    }
    expected["malformed"] = {}
    for name, (blob, code) in cases.items():
        path = os.path.join(MAL, name + ".safetensors")
        with open(path, "wb") as f:
            f.write(blob)
        try:
            with safe_open(path, framework="pt") as f:
                for k in f.keys():
                    f.get_tensor(k)
        except Exception as e:  # the reference implementation must reject it
            expected["malformed"][name] = {"code": code, "reference_error": type(e).__name__ + ": " + str(e)[:160]}
            continue
        raise SystemExit(f"the real safetensors package ACCEPTED malformed case {name}; fix the generator")

    with open(os.path.join(HERE, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1, sort_keys=True, ensure_ascii=False)
        f.write("\n")
    print(f"wrote {len(files)} valid and {len(cases)} malformed fixtures to {HERE}")


if __name__ == "__main__":
    main()
