"""Forward-pass benchmark: cnzoo vs onnxruntime vs torch eager on the same weights, 2 threads, pinned.

Usage (from the repository root, after `swift build -c release`):
    .venv/bin/python scripts/bench/forward.py [.build/release/cnzoo] [--runs 10] [--warmup 3] [--rounds 1]
        [--variants tiny,base,convmixer_768_32] [--batches 1,8] [--threads 2] [--isas active] [--openblas]

ConvNeXt weights are the deterministic SplitMix64 weights of Fixtures/generate_forward.py (seed 2022), written as a
canonical-named safetensors file for cnzoo and loaded into torchvision's ConvNeXt; `convmixer_768_32` uses those of
Fixtures/generate_convmixer.py (same seed, non-trivial BatchNorm statistics) loaded into timm's ConvMixer with ReLU,
as released. onnxruntime runs the ONNX model `cnzoo convert --to onnx` writes from that file (opset 20, exact GELU;
no torch needed to make it). The process (and so every engine and the cnzoo child) is pinned to the first
--threads CPUs, and every engine runs --threads intra-op threads.

Each time is the median of --runs timed runs after --warmup untimed ones, in one process per engine (cnzoo times
inside the process with `cnzoo forward --repeats`, so process start and weight loading are excluded everywhere);
with --rounds R the engines take turns R times and the median is over all R × --runs times, so the slow phases of a
shared machine fall on every engine alike.
For each batch B in --batches the table gives the median time of a batch of B and the time per image at that batch
size, t(B)/B; "marginal per image" is (t(B + 10) − t(B))/10, the cost of one more image once the batch is running
(batch-independent overheads cancel out).

Also measured in the same run: torch's own sgemm (torch.mm, --threads threads) on the shapes of ConvNeXt's linear
layers — its best GFLOP/s is the "sgemm peak" — and cnzoo's time per kernel family (`--profile`) turned into
GFLOP/s per family. --isas runs cnzoo once per kernel set (e.g. avx512,avx2,portable through CNZOO_ISA);
--openblas adds cnzoo with `--gemm openblas` (OPENBLAS_CORETYPE as inherited, then unset).
"""
import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "Fixtures"))
from generate_forward import (VARIANTS, SEED, deterministic_inputs, deterministic_weights,  # noqa: E402
                              import_torchvision, to_torchvision)
import generate_convmixer  # noqa: E402

MARGINAL = 10


def load_avg():
    with open("/proc/loadavg") as f:
        return f.read().split()[0]


def cpu_model():
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor()


def samples_ms(fn, runs, warmup):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1e3)
    return times


def median_ms(fn, runs, warmup):
    return statistics.median(samples_ms(fn, runs, warmup))


def cnzoo_run(binary, ckpt, x_path, out_path, runs, warmup, threads, extra, env):
    cmd = [binary, "forward", "--checkpoint", ckpt, "--input", x_path, "--output", out_path, "--force", "--json",
           "--threads", str(threads), "--repeats", str(runs), "--warmup", str(warmup), "--profile"] + extra
    r = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if r.returncode != 0:
        raise SystemExit(f"cnzoo failed: {r.stderr}")
    return json.loads(r.stdout), np.load(out_path)


def family_flops(depths, dims, res=224, k=7, p=4, classes=1000):
    """FLOPs of one image per cnzoo profile family: gemm (stem + downsampling), mlp (the block linears),
    dwconv+ln (the depthwise convs; LayerNorm is not counted), head."""
    hw = (res // p) ** 2
    fam = {"gemm": 2 * hw * dims[0] * 3 * p * p, "mlp": 0, "dwconv+ln": 0, "head": 2 * dims[-1] * classes}
    for s in range(4):
        c = dims[s]
        if s > 0:
            hw //= 4
            fam["gemm"] += 2 * hw * c * dims[s - 1] * 4
        fam["dwconv+ln"] += depths[s] * 2 * hw * c * k * k
        fam["mlp"] += depths[s] * 2 * 2 * hw * c * 4 * c
    return fam


def convmixer_flops(cfg, res=224):
    """FLOPs of one image per cnzoo ConvMixer profile family: gemm (patch conv + the 1×1 convs), dwconv (the k×k
    depthwise convs; the folded BatchNorm and activation are not counted), other (pool + head)."""
    hw = (res // cfg["patch"]) ** 2
    d = cfg["dim"]
    return {"gemm": 2 * hw * d * 3 * cfg["patch"] ** 2 + cfg["depth"] * 2 * hw * d * d,
            "dwconv": cfg["depth"] * 2 * hw * d * cfg["kernel"] ** 2, "other": 2 * d * cfg["classes"]}


def torch_sgemm_peak(torch, runs, convmixer):
    """torch.mm GFLOP/s on ConvNeXt-tiny's block linear shapes (batch 8 rows), and ConvMixer-768's 1×1 conv when
    that model is benchmarked: the sgemm reference."""
    out = {}
    shapes = [(8 * 3136, 96, 384), (8 * 3136, 384, 96), (8 * 784, 192, 768), (8 * 196, 384, 1536), (8 * 49, 768, 3072)]
    for m, k, n in shapes + ([(8 * 1024, 768, 768)] if convmixer else []):
        a = torch.randn(m, k)
        b = torch.randn(k, n)
        t = median_ms(lambda: torch.mm(a, b), runs, 2)
        out[f"{m}x{k}x{n}"] = 2 * m * n * k / (t * 1e6)
    return out


def model_name(variant):
    return variant if variant.startswith("convmixer_") else f"convnext_{variant}"


def make_onnx(binary, ckpt, onnx_path):
    """The ONNX model cnzoo writes from `ckpt` (graph from the spec, canonical numerics = torch's erf GELU)."""
    subprocess.run([binary, "convert", ckpt, "--to", "onnx", "-o", onnx_path, "--force", "--quiet"], check=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("binary", nargs="?", default=os.path.join(ROOT, ".build/release/cnzoo"))
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--rounds", type=int, default=1,
                    help="repeat the engines' --runs this many times, engines taking turns; the medians are over "
                         "all rounds (a shared machine's slow phases then fall on every engine alike)")
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--variants", default="tiny,base")
    ap.add_argument("--batches", default="1,8")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--isas", default="active", help="comma list of CNZOO_ISA values; 'active' = no override")
    ap.add_argument("--openblas", action="store_true", help="also run cnzoo with --gemm openblas")
    args = ap.parse_args()

    cpus = sorted(os.sched_getaffinity(0))[:args.threads]
    os.sched_setaffinity(0, cpus)
    torch, torchvision = import_torchvision()
    import onnxruntime as ort
    from torchvision.models.convnext import CNBlockConfig, ConvNeXt
    torch.set_num_threads(args.threads)
    print(f"CPU {cpu_model()}; pinned to CPUs {cpus}; torch {torch.__version__}, onnxruntime {ort.__version__}, "
          f"{args.threads} threads, runs {args.runs} after {args.warmup} warm-up, load average at start {load_avg()}",
          flush=True)
    with torch.inference_mode():
        sgemm = torch_sgemm_peak(torch, args.runs, any(v.startswith("convmixer") for v in args.variants.split(",")))
    peak = max(sgemm.values())
    print("torch sgemm GFLOP/s: " + ", ".join(f"{k} {v:.0f}" for k, v in sgemm.items()), flush=True)

    engines = []
    for isa in args.isas.split(","):
        env = dict(os.environ)
        env.pop("CNZOO_ISA", None)
        if isa != "active":
            env["CNZOO_ISA"] = isa
        engines.append((f"cnzoo {isa}", [], env))
    if args.openblas:
        env_unset = {k: v for k, v in os.environ.items() if k != "OPENBLAS_CORETYPE"}
        engines += [("cnzoo+openblas", ["--gemm", "openblas"], dict(os.environ)),
                    ("cnzoo+openblas, CORETYPE unset", ["--gemm", "openblas"], env_unset)]

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for variant in args.variants.split(","):
            from safetensors.numpy import save_file
            ckpt = os.path.join(tmp, f"{variant}.safetensors")
            extra_args = []
            if variant.startswith("convmixer_"):
                cfg = generate_convmixer.FULL[variant[len("convmixer_"):]]
                weights = generate_convmixer.deterministic_weights(cfg, SEED)
                save_file(weights, ckpt)
                model = generate_convmixer.timm_model(cfg, weights)
                torch.set_num_threads(args.threads)  # timm_model's import path may reset it
                extra_args = ["--activation", cfg["act"]]
                fam = convmixer_flops(cfg)
            else:
                depths, dims = VARIANTS[variant]
                weights = deterministic_weights(depths, dims, 1000, SEED)
                save_file(weights, ckpt)
                setting = [CNBlockConfig(dims[i], dims[i + 1] if i + 1 < 4 else None, depths[i]) for i in range(4)]
                model = ConvNeXt(setting, num_classes=1000).eval()
                sd = {to_torchvision(k): torch.from_numpy(v.reshape(-1, 1, 1) if k.endswith("layer_scale") else v)
                      for k, v in weights.items()}
                model.load_state_dict(sd, strict=True)
                fam = family_flops(depths, dims)
            onnx_path = os.path.join(tmp, f"{variant}.onnx")
            make_onnx(args.binary, ckpt, onnx_path)
            so = ort.SessionOptions()
            so.intra_op_num_threads = args.threads
            so.inter_op_num_threads = 1
            sess = ort.InferenceSession(onnx_path, so, providers=["CPUExecutionProvider"])
            del weights
            for batch in [int(b) for b in args.batches.split(",")]:
                t = {}
                diffs = {}
                prof = {}
                for b in (batch, batch + MARGINAL):
                    x = deterministic_inputs(b, 224, 224, SEED)
                    x_path = os.path.join(tmp, f"x{b}.npy")
                    np.save(x_path, x)
                    xt = torch.from_numpy(x)
                    with torch.inference_mode():
                        ref = model(xt).numpy()
                    diffs["onnxruntime"] = float(np.abs(sess.run(None, {sess.get_inputs()[0].name: x})[0] - ref).max())
                    out = os.path.join(tmp, "y.npy")
                    samples = {}
                    for _ in range(args.rounds):
                        with torch.inference_mode():
                            samples.setdefault("torch eager", []).extend(samples_ms(lambda: model(xt), args.runs, args.warmup))
                        samples.setdefault("onnxruntime", []).extend(
                            samples_ms(lambda: sess.run(None, {sess.get_inputs()[0].name: x}), args.runs, args.warmup))
                        for label, extra, env in engines:
                            rep, y = cnzoo_run(args.binary, ckpt, x_path, out, args.runs, args.warmup, args.threads,
                                               extra + extra_args, env)
                            samples.setdefault(label, []).extend(rep["times_ms"])
                            diffs[label] = float(np.abs(y - ref).max())
                            if b == batch:
                                prof[label] = (rep["profile_ms"], rep.get("isa"), rep["gemm"], rep["openblas_core"])
                    for label, v in samples.items():
                        t[(label, b)] = statistics.median(v)
                row = dict(variant=variant, batch=batch, load=load_avg(), diffs=diffs, profile=prof, flops=fam,
                           times={f"{k[0]}@{k[1]}": v for k, v in t.items()})
                for name in ["torch eager", "onnxruntime"] + [e[0] for e in engines]:
                    row[name] = dict(batch_ms=t[(name, batch)], per_image=t[(name, batch)] / batch,
                                     marginal=(t[(name, batch + MARGINAL)] - t[(name, batch)]) / MARGINAL)
                rows.append(row)
                print(json.dumps(row), flush=True)

    names = ["torch eager", "onnxruntime"] + [e[0] for e in engines]
    print(f"\nCPU {cpu_model()}, {args.threads} threads pinned, medians of {args.rounds} × {args.runs} runs; "
          f"torch sgemm peak {peak:.0f} GFLOP/s\n")
    print("| model | batch B | " + " | ".join(f"{n}: t(B) ms / per image / marginal" for n in names)
          + " | first cnzoo ÷ ort, ÷ torch: per image at B; marginal | load |")
    print("|---|---|" + "---|" * len(names) + "---|---|")
    first = engines[0][0]
    for r in rows:
        cells = [f"{r[n]['batch_ms']:.1f} / {r[n]['per_image']:.1f} / {r[n]['marginal']:.1f}" for n in names]
        ratio = (f"{r[first]['per_image'] / r['onnxruntime']['per_image']:.2f}, "
                 f"{r[first]['per_image'] / r['torch eager']['per_image']:.2f}; "
                 f"{r[first]['marginal'] / r['onnxruntime']['marginal']:.2f}, "
                 f"{r[first]['marginal'] / r['torch eager']['marginal']:.2f}")
        print(f"| {model_name(r['variant'])} | {r['batch']} | " + " | ".join(cells) + f" | {ratio} | {r['load']} |")
    print("\nGFLOP/s per cnzoo kernel family (profile at batch B; ConvNeXt: LayerNorm time is inside dwconv+ln, its "
          f"FLOPs are not counted; ConvMixer: gemm = patch conv + 1×1 convs), torch sgemm peak {peak:.0f}:\n")
    print("| model | batch | engine (isa) | family: GFLOP/s (ms), % of sgemm peak | max diff vs torch |")
    print("|---|---|---|---|---|")
    for r in rows:
        fam = r["flops"]
        for label, (p, isa, gemm, core) in r["profile"].items():
            cells = []
            for key in fam:
                ms = p.get(key)
                if ms:
                    g = fam[key] * r["batch"] / (ms * 1e6)
                    cells.append(f"{key}: {g:.0f} ({ms:.1f} ms), {100 * g / peak:.0f} %")
            if p.get("layernorm"):
                cells.append(f"layernorm {p['layernorm']:.1f} ms")
            print(f"| {model_name(r['variant'])} | {r['batch']} | {label} ({isa}, {gemm}, OpenBLAS {core}) | "
                  f"{'; '.join(cells)} | {r['diffs'][label]:.1e} |")
    print(f"\nload average at end {load_avg()}")
    sys.stdout.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
