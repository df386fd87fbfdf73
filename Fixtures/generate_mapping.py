#!/usr/bin/env python3
"""Writes Fixtures/mapping/rne_vectors.json: dtype-conversion vectors cnzoo's round-to-nearest-even casts must
reproduce bit for bit, produced by the real peers (numpy for float16, torch for bfloat16).

Each entry is hex bit patterns: f32 inputs with their f16 (numpy `astype(float16)`) and bf16 (torch
`.to(torch.bfloat16)`) results; f16 inputs with their f32 widening (numpy); bf16 inputs with their f32 widening
(torch); f64 inputs with their f32 (numpy). NaN inputs are listed separately (`nan_f32`): peers agree that the
result is a NaN but not on its sign/payload, so cnzoo's tests check NaN-ness there.

Run: .venv/bin/python Fixtures/generate_mapping.py
"""
import json
import os
import struct

import numpy as np
import torch

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "mapping")


def f32_bits(values):
    return np.asarray(values, dtype=np.float32).view(np.uint32)


def main():
    rng = np.random.default_rng(20261122)
    special = [0.0, -0.0, 1.0, -1.0, np.inf, -np.inf, 65504.0, 65519.99, 65520.0, -65520.0, 1e10, -1e10,
               6.1035156e-05, 6.0e-05, 5.9604645e-08, 2.9802322e-08, 2.98023259e-08, 1e-8, 1e-40, -1e-40,
               3.4028235e38, -3.4028235e38, 1.1754944e-38, 1.0e-45, 0.333333, 1.0009765625, 1.00048828125,
               1.00146484375, 1.0 + 2 ** -8, 1.0 + 3 * 2 ** -9, 1.0 + 2 ** -9]
    bits = list(f32_bits(special))
    # Exact ties and near-ties for both targets: mantissas with the rounding bit set and sticky bits clear.
    for m in range(64):
        bits.append(0x3F800000 | (m << 13) | 0x1000)      # f16 tie
        bits.append(0x3F800000 | (m << 16) | 0x8000)      # bf16 tie
        bits.append(0x3F800000 | (m << 16) | 0x8001)
    # f16 subnormal range and random values over the whole f32 range.
    bits += list(f32_bits(rng.uniform(-6.2e-5, 6.2e-5, 200)))
    bits += list(rng.integers(0, 2 ** 32, 600, dtype=np.uint64).astype(np.uint32))
    f32 = np.array([b for b in bits if not np.isnan(np.uint32(b).view(np.float32))], dtype=np.uint32)
    x = f32.view(np.float32)
    with np.errstate(over="ignore"):
        f16 = x.astype(np.float16).view(np.uint16)
    bf16 = torch.from_numpy(x.copy()).to(torch.bfloat16).view(torch.int16).numpy().view(np.uint16)

    h = np.arange(0, 65536, 37, dtype=np.uint32).astype(np.uint16)
    h = np.concatenate([h, np.array([0x0000, 0x8000, 0x0001, 0x03FF, 0x0400, 0x7BFF, 0x7C00, 0xFC00], np.uint16)])
    h = h[~np.isnan(h.view(np.float16))]
    h_f32 = h.view(np.float16).astype(np.float32).view(np.uint32)
    b = h.copy()
    b = b[~torch.isnan(torch.from_numpy(b.view(np.int16)).view(torch.bfloat16)).numpy()]
    b_f32 = torch.from_numpy(b.view(np.int16)).view(torch.bfloat16).to(torch.float32).numpy().view(np.uint32)

    d = np.concatenate([rng.standard_normal(200) * 10.0 ** rng.integers(-45, 39, 200),
                        [1.0 + 2 ** -24, 1.0 + 2 ** -24 + 2 ** -52, 3.4028235677973366e38, 1e-46]])
    with np.errstate(over="ignore"):
        d_f32 = d.astype(np.float32).view(np.uint32)

    nan_f32 = [0x7FC00000, 0xFFC00000, 0x7F800001, 0x7FFFFFFF]
    out = {
        "generator": "numpy %s (float16), torch %s (bfloat16)" % (np.__version__, torch.__version__),
        "f32_to_f16": [["%08x" % a, "%04x" % r] for a, r in zip(f32, f16)],
        "f32_to_bf16": [["%08x" % a, "%04x" % r] for a, r in zip(f32, bf16)],
        "f16_to_f32": [["%04x" % a, "%08x" % r] for a, r in zip(h, h_f32)],
        "bf16_to_f32": [["%04x" % a, "%08x" % r] for a, r in zip(b, b_f32)],
        "f64_to_f32": [["%016x" % struct.unpack("<Q", struct.pack("<d", a))[0], "%08x" % r] for a, r in zip(d, d_f32)],
        "nan_f32": ["%08x" % n for n in nan_f32],
    }
    os.makedirs(HERE, exist_ok=True)
    with open(os.path.join(HERE, "rne_vectors.json"), "w") as f:
        json.dump(out, f, indent=0)
        f.write("\n")
    print("wrote", os.path.join(HERE, "rne_vectors.json"), {k: len(v) for k, v in out.items() if isinstance(v, list)})


if __name__ == "__main__":
    main()
