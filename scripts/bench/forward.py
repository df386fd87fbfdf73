"""Forward-pass benchmark: cnzoo vs torch eager vs onnxruntime on the same ConvNeXt weights, 2 threads by default.

Usage (from the repository root, after `swift build -c release`):
    .venv/bin/python scripts/bench/forward.py [.build/release/cnzoo] [--runs 10] [--warmup 3]
        [--variants tiny,base] [--batches 1,8] [--threads 2]

Weights are the deterministic SplitMix64 weights of Fixtures/generate_forward.py (seed 2022), written as a
canonical-named safetensors file for cnzoo and loaded into torchvision's ConvNeXt; onnxruntime runs the ONNX model
`cnzoo convert --to onnx` writes from that file (opset 20, exact GELU; no torch needed to make it). Each figure is the median of --runs timed runs after --warmup untimed ones, in
one process per engine (cnzoo times inside the process with `cnzoo forward --repeats`, so process start and weight
loading are excluded for every engine). cnzoo runs under the inherited environment (OPENBLAS_CORETYPE as set) with
its default GEMM engine, then with `--gemm openblas`, and with `--gemm openblas` and OPENBLAS_CORETYPE unset
(benchmark only). Also prints the max |logit diff| of cnzoo and onnxruntime against torch.
"""
import argparse
import json
import os
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


def load_avg():
    with open("/proc/loadavg") as f:
        return f.read().split()[0]


def median_ms(fn, runs, warmup):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(times), min(times), max(times)


def cnzoo_run(binary, ckpt, x_path, out_path, runs, warmup, threads, extra, env):
    cmd = [binary, "forward", "--checkpoint", ckpt, "--input", x_path, "--output", out_path, "--force", "--json",
           "--threads", str(threads), "--repeats", str(runs), "--warmup", str(warmup)] + extra
    r = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if r.returncode != 0:
        raise SystemExit(f"cnzoo failed: {r.stderr}")
    rep = json.loads(r.stdout)
    return rep, np.load(out_path)


def make_onnx(binary, ckpt, onnx_path):
    """The ONNX model cnzoo writes from `ckpt` (graph from the spec, canonical numerics = torch's erf GELU)."""
    subprocess.run([binary, "convert", ckpt, "--to", "onnx", "-o", onnx_path, "--force", "--quiet"], check=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("binary", nargs="?", default=os.path.join(ROOT, ".build/release/cnzoo"))
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--variants", default="tiny,base")
    ap.add_argument("--batches", default="1,8")
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()

    torch, torchvision = import_torchvision()
    import onnxruntime as ort
    from torchvision.models.convnext import CNBlockConfig, ConvNeXt
    torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, onnxruntime {ort.__version__}, {args.threads} threads, "
          f"runs {args.runs} after {args.warmup} warm-up, "
          f"load average at start {load_avg()}", flush=True)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for variant in args.variants.split(","):
            depths, dims = VARIANTS[variant]
            weights = deterministic_weights(depths, dims, 1000, SEED)
            from safetensors.numpy import save_file
            ckpt = os.path.join(tmp, f"{variant}.safetensors")
            save_file(weights, ckpt)
            setting = [CNBlockConfig(dims[i], dims[i + 1] if i + 1 < 4 else None, depths[i]) for i in range(4)]
            model = ConvNeXt(setting, num_classes=1000).eval()
            sd = {to_torchvision(k): torch.from_numpy(v.reshape(-1, 1, 1) if k.endswith("layer_scale") else v)
                  for k, v in weights.items()}
            model.load_state_dict(sd, strict=True)
            onnx_path = os.path.join(tmp, f"{variant}.onnx")
            make_onnx(args.binary, ckpt, onnx_path)
            so = ort.SessionOptions()
            so.intra_op_num_threads = args.threads
            so.inter_op_num_threads = 1
            sess = ort.InferenceSession(onnx_path, so, providers=["CPUExecutionProvider"])
            del weights
            for batch in [int(b) for b in args.batches.split(",")]:
                x = deterministic_inputs(batch, 224, 224, SEED)
                x_path = os.path.join(tmp, f"x{batch}.npy")
                np.save(x_path, x)
                xt = torch.from_numpy(x)
                with torch.inference_mode():
                    ref = model(xt).numpy()
                    t_torch = median_ms(lambda: model(xt), args.runs, args.warmup)
                feed = {sess.get_inputs()[0].name: x}
                t_ort = median_ms(lambda: sess.run(None, feed), args.runs, args.warmup)
                ort_diff = float(np.abs(sess.run(None, feed)[0] - ref).max())
                out = os.path.join(tmp, "y.npy")
                env = dict(os.environ)
                env_unset = {k: v for k, v in os.environ.items() if k != "OPENBLAS_CORETYPE"}
                runs = {}
                for label, extra, e in [("cnzoo", [], env), ("cnzoo+openblas", ["--gemm", "openblas"], env),
                                        ("cnzoo+openblas, CORETYPE unset", ["--gemm", "openblas"], env_unset)]:
                    rep, y = cnzoo_run(args.binary, ckpt, x_path, out, args.runs, args.warmup, args.threads, extra, e)
                    ts = rep["times_ms"]
                    runs[label] = (statistics.median(ts), min(ts), max(ts), rep["gflops"], rep["openblas_core"],
                                   rep["gemm"], float(np.abs(y - ref).max()))
                flops = 2 * model_macs(depths, dims) * batch
                row = dict(variant=variant, batch=batch, torch=t_torch, ort=t_ort, ort_diff=ort_diff, cnzoo=runs,
                           gflop=flops / 1e9, load=load_avg())
                rows.append(row)
                print(json.dumps(row), flush=True)
    print()
    print("| model | batch | torch eager ms | onnxruntime ms | cnzoo ms (GEMM engine, OpenBLAS core) | cnzoo GFLOP/s | "
          "cnzoo + OpenBLAS ms | cnzoo + OpenBLAS, CORETYPE unset ms | max diff vs torch (cnzoo / ort) | load |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        c = r["cnzoo"]["cnzoo"]
        o = r["cnzoo"]["cnzoo+openblas"]
        u = r["cnzoo"]["cnzoo+openblas, CORETYPE unset"]
        print(f"| convnext_{r['variant']} | {r['batch']} | {r['torch'][0]:.1f} (min {r['torch'][1]:.1f}) | "
              f"{r['ort'][0]:.1f} (min {r['ort'][1]:.1f}) | {c[0]:.1f} (min {c[1]:.1f}; {c[5]}, {c[4]}) | "
              f"{r['gflop'] / c[0] * 1e3:.0f} | {o[0]:.1f} ({o[4]}) | {u[0]:.1f} ({u[4]}) | "
              f"{c[6]:.1e} / {r['ort_diff']:.1e} | {r['load']} |")
    print(f"\nload average at end {load_avg()}")
    sys.stdout.flush()
    os._exit(0)


def model_macs(depths, dims, res=224, k=7, p=4, classes=1000):
    hw = (res // p) ** 2
    total = hw * dims[0] * 3 * p * p
    for s in range(4):
        c = dims[s]
        if s > 0:
            hw //= 4
            total += hw * c * dims[s - 1] * 4
        total += depths[s] * (hw * c * k * k + 2 * hw * c * 4 * c)
    return total + dims[-1] * classes


if __name__ == "__main__":
    main()
