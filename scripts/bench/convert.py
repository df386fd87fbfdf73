#!/usr/bin/env python3
"""Benchmark: `cnzoo convert` .pth → .ckpt (MindSpore Vision names) and .ckpt → .pth, side by side in one run with
  * the Python path people use today: torch.load + rename (+ layer-scale reshape) + mindspore.save_checkpoint,
    and back: mindspore.load_checkpoint + rename + torch.save;
  * `cp` of the same bytes (and `cp` + `sync FILE`, since cnzoo fsyncs its output before the atomic rename).
The .ckpt that both `.ckpt → .pth` paths read is written once, before timing, by the REAL MindSpore
(`mindspore.save_checkpoint` of the renamed torchvision tensors), as issue 17 asks; the .pth by real torch/torchvision
(random init). Every command runs as its own process under /usr/bin/time -v (wall time and peak RSS); the cases run
interleaved, `runs` rounds, and the table gives medians. Files live in a temp dir and are deleted afterwards.
After the table: each cnzoo direction's throughput ÷ `cp + sync` of its input and its wall ÷ the Python path's, and
`--dtype f16` against `--dtype bf16` (the same .pth → .safetensors with a narrowing cast).

Usage: .venv/bin/python scripts/bench/convert.py .build/release/cnzoo [sizes=base,xlarge] [runs=3] [workdir]
With `workdir` the input files are kept there and reused by the next run (making them takes minutes on a busy
machine); without it a temp dir is used and deleted.
"""
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile

PY = sys.executable

MAKE = r"""
import sys, torch, torch.library
_orig = torch.library.register_fake
torch.library.register_fake = lambda *a, **k: (lambda f: f)
try:
    from torchvision.models.convnext import ConvNeXt, CNBlockConfig
finally:
    torch.library.register_fake = _orig
dims = {"base": [128, 256, 512, 1024], "xlarge": [256, 512, 1024, 2048]}[sys.argv[1]]
depths = [3, 3, 27, 3]
cfg = [CNBlockConfig(dims[i], dims[i + 1] if i < 3 else None, depths[i]) for i in range(4)]
torch.manual_seed(0)
with torch.no_grad():
    m = ConvNeXt(cfg, stochastic_depth_prob=0.0)
torch.save(m.state_dict(), sys.argv[2])
"""

# The rename people write by hand (formats.md §3.1: torchvision ⇄ MindSpore Vision).
RENAME = r"""
import re
def block(s, b):
    return "backbone.block1.%d" % b if s == 0 else "backbone.down_sample_blocks.%d.%d" % (2 * s - 1, b)
def ln(leaf):
    return {"weight": "gamma", "bias": "beta"}[leaf]
def tv_to_mv(k):
    p = k.split(".")
    if k.startswith("classifier.0."): return "neck.layer_norm." + ln(p[2])
    if k.startswith("classifier.2."): return "head.dense." + p[2]
    f = int(p[1])
    if f == 0: return "backbone.start_cell.0." + p[3] if p[2] == "0" else "backbone.start_cell.2." + ln(p[3])
    if f % 2 == 0:
        base = "backbone.down_sample_blocks.%d." % (f - 2)
        return base + ("layer_norm." + ln(p[3]) if p[2] == "0" else "conv." + p[3])
    s, b = (f - 1) // 2, int(p[2])
    if p[3] == "layer_scale": return block(s, b) + ".gamma"
    sub = {"0": "dwconv", "2": "layer_norm", "3": "pwconv1", "5": "pwconv2"}[p[4]]
    return block(s, b) + "." + sub + "." + (ln(p[5]) if sub == "layer_norm" else p[5])
"""

TO_MS = RENAME + r"""
import sys, torch, mindspore as ms, os
sd = torch.load(sys.argv[1], map_location="cpu", weights_only=True)
items = []
for k, v in sd.items():
    a = v.numpy()
    if k.endswith("layer_scale"): a = a.reshape(a.shape[0])
    items.append({"name": tv_to_mv(k), "data": ms.Tensor(a)})
ms.save_checkpoint(items, sys.argv[2])
sys.stdout.flush(); os._exit(0)
"""

TO_TORCH = RENAME + r"""
import sys, torch, mindspore as ms, os
params = ms.load_checkpoint(sys.argv[1])
inverse = {tv_to_mv(k): k for k in sys.argv[3].split(",")}  # the hand-written map, inverted over torchvision's names
out = {}
for name, p in params.items():
    k = inverse[name]
    a = p.asnumpy()
    if k.endswith("layer_scale"): a = a.reshape(a.shape[0], 1, 1)
    out[k] = torch.from_numpy(a)
torch.save(out, sys.argv[2])
sys.stdout.flush(); os._exit(0)
"""


def timed(cmd):
    """(wall seconds, peak RSS MiB) of one process, from /usr/bin/time -v."""
    r = subprocess.run(["/usr/bin/time", "-v"] + cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if r.returncode != 0:
        sys.exit("command failed: %s\n%s" % (" ".join(cmd), r.stderr[-2000:]))
    wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (?:(\d+):)?(\d+):([\d.]+)", r.stderr)
    h, m, s = wall.groups()
    seconds = int(h or 0) * 3600 + int(m) * 60 + float(s)
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", r.stderr).group(1)) / 1024
    return seconds, rss


def cpu_model():
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return "unknown CPU"


def main():
    cnzoo = os.path.abspath(sys.argv[1])
    sizes = (sys.argv[2] if len(sys.argv) > 2 else "base,xlarge").split(",")
    runs = int(sys.argv[3]) if len(sys.argv) > 3 else 3
    keep = len(sys.argv) > 4
    tmp = sys.argv[4] if keep else tempfile.mkdtemp(prefix="cnzoo-bench-convert-")
    os.makedirs(tmp, exist_ok=True)
    rows, ratios, f16_vs_bf16 = [], [], []
    loads = [os.getloadavg()[0]]
    try:
        for size in sizes:
            pth = os.path.join(tmp, size + ".pth")
            if not os.path.exists(pth):
                subprocess.run([PY, "-c", MAKE, size, pth + ".part"], check=True)
                os.rename(pth + ".part", pth)
            names = subprocess.run([PY, "-c", "import sys,torch;print(','.join(torch.load(sys.argv[1],weights_only=True)))", pth],
                                   check=True, capture_output=True, text=True).stdout.strip()
            ckpt, mckpt, back, pyckpt, pyback, copy, half = (
                os.path.join(tmp, size + x) for x in
                (".ckpt", ".ms.ckpt", ".back.pth", ".py.ckpt", ".py.back.pth", ".copy", ".half.safetensors"))
            if not os.path.exists(mckpt):  # the MindSpore-written input of .ckpt → .pth
                part = mckpt[:-len(".ckpt")] + ".part.ckpt"  # save_checkpoint appends .ckpt to other names
                subprocess.run([PY, "-c", TO_MS, pth, part], check=True)
                os.rename(part, mckpt)
            sizes_of = {"pth": os.path.getsize(pth), "ckpt": os.path.getsize(mckpt)}
            cp_sync = 'rm -f "$2"; cp "$1" "$2" && sync "$2"'
            cases = [
                ("pth", "cnzoo convert .pth → .ckpt", [cnzoo, "convert", pth, "--to", "ms", "-o", ckpt, "--force", "--quiet"]),
                ("ckpt", "cnzoo convert .ckpt → .pth (MindSpore-written .ckpt)",
                 [cnzoo, "convert", mckpt, "--to", "torch", "-o", back, "--force", "--quiet"]),
                ("pth", "python torch.load+rename+ms.save_checkpoint", [PY, "-c", TO_MS, pth, pyckpt]),
                ("ckpt", "python ms.load_checkpoint+rename+torch.save", [PY, "-c", TO_TORCH, mckpt, pyback, names]),
                ("pth", "cp .pth", ["cp", pth, copy]),
                ("pth", "cp + sync FILE (.pth)", ["sh", "-c", cp_sync, "sh", pth, copy]),
                ("ckpt", "cp + sync FILE (.ckpt)", ["sh", "-c", cp_sync, "sh", mckpt, copy]),
                ("pth", "cnzoo convert .pth → .safetensors --dtype bf16",
                 [cnzoo, "convert", pth, "--to", "safetensors", "--dtype", "bf16", "-o", half, "--force", "--quiet"]),
                ("pth", "cnzoo convert .pth → .safetensors --dtype f16",
                 [cnzoo, "convert", pth, "--to", "safetensors", "--dtype", "f16", "-o", half, "--force", "--quiet"]),
            ]
            results = {label: [] for _, label, _ in cases}
            for _ in range(runs):
                for _, label, cmd in cases:
                    results[label].append(timed(cmd))
                loads.append(os.getloadavg()[0])
            # cnzoo's .pth must hold the same tensors (bytes, order) as the original torchvision state dict.
            check = subprocess.run([PY, "-c", (
                "import sys,torch\n"
                "a=torch.load(sys.argv[1],weights_only=True);b=torch.load(sys.argv[2],weights_only=True)\n"
                "assert list(a)==list(b) and all(torch.equal(a[k],b[k]) and a[k].shape==b[k].shape for k in a)\n"
                "print('.ckpt → .pth bit-exact against the original .pth:', len(a), 'tensors')"), pth, back],
                capture_output=True, text=True)
            if check.returncode != 0:
                sys.exit(size + ": " + check.stderr[-500:])
            print(size, check.stdout.strip())
            med = {label: statistics.median(w for w, _ in results[label]) for label in results}
            for kind, label, _ in cases:
                walls = [w for w, _ in results[label]]
                rows.append((size, sizes_of[kind], label, med[label], min(walls), max(walls),
                             max(r for _, r in results[label])))
            for direction, label, py, cp in (
                    (".pth → .ckpt", cases[0][1], cases[2][1], cases[5][1]),
                    (".ckpt → .pth", cases[1][1], cases[3][1], cases[6][1])):
                ratios.append((size, direction, med[cp] / med[label], med[label] / med[py]))
            f16_vs_bf16.append((size, med[cases[-1][1]] / med[cases[-2][1]]))
    finally:
        if not keep:
            shutil.rmtree(tmp, ignore_errors=True)
    print("CPU: %s, %d CPUs; load average (1 min) %s; %d runs, medians" %
          (cpu_model(), os.cpu_count(), " → ".join("%.1f" % l for l in loads), runs))
    print("| size | file | what | median wall | min | max | MB/s (median) | peak RSS |")
    print("|---|---|---|---|---|---|---|---|")
    for size, nbytes, label, med, lo, hi, rss in rows:
        print("| %s | %.0f MiB | %s | %.3f s | %.3f | %.3f | %.0f | %.0f MiB |" %
              (size, nbytes / 2 ** 20, label, med, lo, hi, nbytes / 2 ** 20 / med, rss))
    print()
    print("| size | cnzoo direction | throughput ÷ cp + sync (target ≥ 0.5) | wall ÷ Python path (target ≤ 0.1) |")
    print("|---|---|---|---|")
    for size, direction, vs_cp, vs_py in ratios:
        print("| %s | %s | %.2f | %.2f |" % (size, direction, vs_cp, vs_py))
    for size, r in f16_vs_bf16:
        print("%s: --dtype f16 wall ÷ --dtype bf16 wall = %.2f (target: as fast, ≈ 1)" % (size, r))


if __name__ == "__main__":
    main()
