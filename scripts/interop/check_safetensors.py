#!/usr/bin/env python3
"""Interop: the real `safetensors` package loads every file cnzoo wrote and gets the same bytes and metadata.

Usage: .venv/bin/python scripts/interop/check_safetensors.py CNZOO_BINARY   (files come from $CNZOO_INTEROP_OUT/safetensors,
written there by `swift test` when CNZOO_INTEROP_OUT is set; each has a `.expected.json` summary beside it)
"""
import glob
import hashlib
import json
import os
import sys

import numpy as np
from safetensors import safe_open


def main() -> int:
    out = os.environ.get("CNZOO_INTEROP_OUT")
    files = sorted(glob.glob(os.path.join(out or "/nonexistent", "safetensors", "*.safetensors")))
    if not files:
        print("SKIP safetensors: no cnzoo-written files (run swift test with CNZOO_INTEROP_OUT set)")
        return 0
    failures = 0
    for path in files:
        expected = json.load(open(path + ".expected.json"))
        problems = []
        with safe_open(path, framework="np") as f:
            if f.metadata() != expected["metadata"]:
                problems.append(f"metadata {f.metadata()} != {expected['metadata']}")
            keys = list(f.keys())
            want = {t["name"]: t for t in expected["tensors"]}
            if sorted(keys) != sorted(want):
                problems.append(f"keys {sorted(keys)} != {sorted(want)}")
            for k in keys:
                if k not in want:
                    continue
                if want[k]["dtype"] in ("BF16", "F8_E5M2", "F8_E4M3", "F8_E4M3FNUZ", "F8_E5M2FNUZ", "F8_E8M0"):
                    # numpy has no such dtypes; the slice API still validates header + offsets for them.
                    f.get_slice(k)
                    continue
                a = f.get_tensor(k)
                digest = hashlib.sha256(np.ascontiguousarray(a).tobytes()).hexdigest()
                if list(a.shape) != want[k]["shape"] or digest != want[k]["sha256"]:
                    problems.append(f"{k}: shape {list(a.shape)} sha {digest[:12]} differs")
        name = os.path.basename(path)
        if problems:
            failures += 1
            print(f"FAIL safetensors {name}: " + "; ".join(problems))
        else:
            print(f"PASS safetensors {name}: {len(expected['tensors'])} tensors bit-exact in safetensors.safe_open")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
