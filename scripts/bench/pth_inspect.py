#!/usr/bin/env python3
"""Benchmark: `cnzoo inspect` on a convnext_base-sized .pth vs real torch loading the same file.

Makes the file with real torch (torchvision convnext_base, random init, ~354 MB float32, not committed) under /tmp,
then times, in the same run:
  * `cnzoo inspect FILE --json` as a whole process (exec + zip directory + data.pkl + print), release build;
  * torch.load(FILE, weights_only=True) in-process (reads every tensor);
  * torch.load(FILE, weights_only=True, mmap=True) in-process (maps the storages);
Prints medians of N runs. Usage:
  .venv/bin/python scripts/bench/pth_inspect.py .build/release/cnzoo [runs]
"""
import os
import statistics
import subprocess
import sys
import tempfile
import time

import torch
import torch.library

_orig = torch.library.register_fake
torch.library.register_fake = lambda *a, **k: (lambda f: f)
try:
    import torchvision
finally:
    torch.library.register_fake = _orig


def median_ms(fn, runs):
    fn()  # warm-up (page cache, imports)
    xs = [fn() for _ in range(runs)]
    return statistics.median(xs) * 1e3, min(xs) * 1e3, max(xs) * 1e3


def main():
    binary = sys.argv[1]
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    torch.set_num_threads(2)
    tmp = tempfile.mkdtemp(prefix="cnzoo-bench-")
    path = os.path.join(tmp, "convnext_base.pth")
    t0 = time.perf_counter()
    model = torchvision.models.convnext_base(weights=None)
    sd = model.state_dict()
    torch.save(sd, path)
    del model
    size = os.path.getsize(path)
    print(f"made {path}: {size / 2**20:.1f} MiB, {len(sd)} tensors, "
          f"{sum(t.numel() for t in sd.values()):,} parameters in {time.perf_counter() - t0:.1f} s")
    del sd

    def cnzoo():
        t = time.perf_counter()
        subprocess.run([binary, "inspect", path, "--json"], check=True, stdout=subprocess.DEVNULL)
        return time.perf_counter() - t

    tiny = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "Fixtures", "pytorch", "tiny.pth")

    def cnzoo_tiny():
        t = time.perf_counter()
        subprocess.run([binary, "inspect", tiny, "--json"], check=True, stdout=subprocess.DEVNULL)
        return time.perf_counter() - t

    def load(**kw):
        def f():
            t = time.perf_counter()
            sd = torch.load(path, weights_only=True, **kw)
            dt = time.perf_counter() - t
            del sd
            return dt
        return f

    rows = [
        ("cnzoo inspect --json (whole process)", median_ms(cnzoo, runs)),
        ("cnzoo inspect --json on the 2-tensor tiny.pth (process start baseline)", median_ms(cnzoo_tiny, runs)),
        ("torch.load(weights_only=True) (in-process)", median_ms(load(), runs)),
        ("torch.load(weights_only=True, mmap=True) (in-process)", median_ms(load(mmap=True), runs)),
    ]
    for name, (med, lo, hi) in rows:
        print(f"{name}: median {med:.1f} ms (min {lo:.1f}, max {hi:.1f}), {runs} runs")
    os.remove(path)
    os.rmdir(tmp)


if __name__ == "__main__":
    main()
    sys.stdout.flush()
    os._exit(0)
