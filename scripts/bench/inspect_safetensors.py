#!/usr/bin/env python3
"""Benchmark: `cnzoo inspect` on a multi-GB safetensors file vs the real safetensors package listing the same header.

Makes the file on the fly with the real safetensors package (not committed), then times, in the same run:
  * `cnzoo inspect FILE --json` as a whole process (exec + parse + print), release build;
  * safetensors.safe_open(FILE) + keys + per-tensor dtype/shape in-process (Python interpreter already started).
Prints medians of N runs. Usage:
  .venv/bin/python scripts/bench/inspect_safetensors.py .build/release/cnzoo [GiB] [runs]
"""
import os
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np
from safetensors import safe_open
from safetensors.numpy import save_file


def main():
    binary = sys.argv[1]
    gib = float(sys.argv[2]) if len(sys.argv) > 2 else 3.0
    runs = int(sys.argv[3]) if len(sys.argv) > 3 else 10
    tmp = tempfile.mkdtemp(prefix="cnzoo-bench-")
    path = os.path.join(tmp, "big.safetensors")
    n_tensors = 344  # as many as convnext_base has
    per = int(gib * (1 << 30) / n_tensors / 4)
    rng = np.random.default_rng(0)
    chunk = rng.standard_normal(per, dtype=np.float32)
    t0 = time.perf_counter()
    save_file({f"layer.{i}.weight": chunk for i in range(n_tensors)}, path, metadata={"format": "pt"})
    size = os.path.getsize(path)
    print(f"made {size / 2**30:.2f} GiB, {n_tensors} tensors in {time.perf_counter() - t0:.1f} s: {path}")

    def cnzoo():
        t = time.perf_counter()
        subprocess.run([binary, "inspect", path, "--json"], check=True, stdout=subprocess.DEVNULL)
        return time.perf_counter() - t

    def peer():
        t = time.perf_counter()
        with safe_open(path, framework="np") as f:
            for k in f.keys():
                s = f.get_slice(k)
                s.get_shape(), s.get_dtype()
        return time.perf_counter() - t

    listing = ("import sys\nfrom safetensors import safe_open\nwith safe_open(sys.argv[1], framework='np') as f:\n"
               "    print([(k, f.get_slice(k).get_shape(), f.get_slice(k).get_dtype()) for k in f.keys()])")

    def peer_process():
        t = time.perf_counter()
        subprocess.run([sys.executable, "-c", listing, path], check=True, stdout=subprocess.DEVNULL)
        return time.perf_counter() - t

    for fn in (cnzoo, peer, peer_process):  # warm-up
        fn()
    a = [cnzoo() for _ in range(runs)]
    b = [peer() for _ in range(runs)]
    c = [peer_process() for _ in range(runs)]
    print(f"cnzoo inspect --json (whole process): median {statistics.median(a) * 1e3:.1f} ms "
          f"(min {min(a) * 1e3:.1f}, max {max(a) * 1e3:.1f}), {runs} runs")
    print(f"safetensors.safe_open + keys/shapes (in-process): median {statistics.median(b) * 1e3:.1f} ms "
          f"(min {min(b) * 1e3:.1f}, max {max(b) * 1e3:.1f}), {runs} runs")
    print(f"python -c 'safe_open + keys/shapes' (whole process): median {statistics.median(c) * 1e3:.1f} ms "
          f"(min {min(c) * 1e3:.1f}, max {max(c) * 1e3:.1f}), {runs} runs")
    os.remove(path)
    os.rmdir(tmp)


if __name__ == "__main__":
    main()
