#!/usr/bin/env python3
"""Interop: real torch loads every .pth cnzoo wrote, with weights_only=True and with mmap=True (also with torch's
calculate_storage_offsets layout shortcut), bit-exactly.

Usage: .venv/bin/python scripts/interop/check_pytorch.py CNZOO_BINARY
Files come from $CNZOO_INTEROP_OUT/pytorch/*.pth, written there by `swift test` (PyTorchWriterTests) when
CNZOO_INTEROP_OUT is set; each has a `.expected.json` (name, dtype, shape, sha256 of the little-endian bytes) beside it.
The binary is also checked end to end: `cnzoo inspect --json` must list the same tensors torch loads.
"""
import glob
import hashlib
import json
import os
import subprocess
import sys

try:
    import torch
    import torch.utils.serialization.config as config
except Exception as e:  # noqa: BLE001
    print(f"SKIP pytorch: torch is not importable ({e})")
    sys.exit(0)

DTYPE = {
    torch.float64: "F64", torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16",
    torch.int64: "I64", torch.int32: "I32", torch.int16: "I16", torch.int8: "I8", torch.uint8: "U8",
    torch.bool: "BOOL",
}


def digest(t):
    return hashlib.sha256(t.detach().contiguous().reshape(-1).view(torch.uint8).numpy().tobytes()).hexdigest()


def compare(sd, expected):
    problems = []
    names = list(sd.keys())
    want = [t["name"] for t in expected]
    if names != want:
        problems.append(f"names/order differ: {names[:3]}... vs {want[:3]}...")
    for t in expected:
        got = sd.get(t["name"])
        if got is None:
            continue
        if DTYPE.get(got.dtype) != t["dtype"] or list(got.shape) != t["shape"] or digest(got) != t["sha256"]:
            problems.append(f"{t['name']}: {got.dtype} {list(got.shape)} differs from {t['dtype']} {t['shape']}")
    return problems


def main() -> int:
    binary = sys.argv[1] if len(sys.argv) > 1 else None
    out = os.environ.get("CNZOO_INTEROP_OUT")
    files = sorted(glob.glob(os.path.join(out or "/nonexistent", "pytorch", "*.pth")))
    if not files:
        print("SKIP pytorch: no cnzoo-written .pth files (run swift test with CNZOO_INTEROP_OUT set)")
        return 0
    failures = 0
    for path in files:
        expected = json.load(open(path + ".expected.json"))["tensors"]
        name = os.path.basename(path)
        modes = [("weights_only", {"weights_only": True}, False), ("mmap", {"weights_only": True, "mmap": True}, False),
                 # torch's fast path that computes storage offsets from its own zip layout instead of the directory
                 ("mmap+calculate_storage_offsets", {"weights_only": True, "mmap": True}, True)]
        for mode, kwargs, calculate in modes:
            try:
                config.load.calculate_storage_offsets = calculate
                sd = torch.load(path, map_location="cpu", **kwargs)
                problems = compare(sd, expected)
            except Exception as e:  # noqa: BLE001
                problems = [f"torch.load raised {type(e).__name__}: {e}"]
            finally:
                config.load.calculate_storage_offsets = False
            if problems:
                failures += 1
                print(f"FAIL pytorch {name} ({mode}): " + "; ".join(problems[:5]))
            else:
                print(f"PASS pytorch {name} ({mode}): {len(expected)} tensors bit-exact in torch {torch.__version__}")
        if binary:
            r = subprocess.run([binary, "inspect", path, "--json"], capture_output=True, text=True)
            listed = [t["name"] for t in json.loads(r.stdout)["tensors"]] if r.returncode == 0 else None
            if listed != [t["name"] for t in expected]:
                failures += 1
                print(f"FAIL pytorch {name} (cnzoo inspect): exit {r.returncode} {r.stderr.strip()[:200]}")
            else:
                print(f"PASS pytorch {name} (cnzoo inspect): lists the {len(listed)} tensors")
    return 1 if failures else 0


if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    os._exit(code)
