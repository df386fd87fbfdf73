"""Peak memory of a forward pass: `cnzoo forward` vs torch eager on the same weights and batch (GNU time -v).

Usage (from the repository root, after `swift build -c release`):
    .venv/bin/python scripts/bench/forward_memory.py [.build/release/cnzoo] [--variants tiny,base] [--batches 1,8]
        [--threads 2]

Weights: the deterministic SplitMix64 weights of Fixtures/generate_forward.py (seed 2022; for `convmixer_768_32`
those of Fixtures/generate_convmixer.py), as a canonical-named safetensors file. cnzoo runs `cnzoo forward
--checkpoint W --input X` (one forward, output written); torch runs a fresh Python process that imports torch +
torchvision (+ timm for ConvMixer), builds the model (torchvision ConvNeXt; timm ConvMixer with ReLU), loads the same
safetensors weights and runs one forward under inference_mode. Each process's peak RSS ("Maximum resident set size") comes from
/usr/bin/time -v; the weights' bytes are printed beside it.
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "Fixtures"))
from generate_forward import VARIANTS, SEED, deterministic_inputs, deterministic_weights  # noqa: E402
import generate_convmixer  # noqa: E402

TORCH_SCRIPT = r"""
import sys
sys.path.insert(0, sys.argv[1])
import numpy as np
from generate_forward import import_torchvision, to_torchvision
from safetensors.numpy import load_file
torch, torchvision = import_torchvision()
from torchvision.models.convnext import CNBlockConfig, ConvNeXt
torch.set_num_threads(int(sys.argv[5]))
depths = [int(v) for v in sys.argv[3].split(",")]
dims = [int(v) for v in sys.argv[4].split(",")]
setting = [CNBlockConfig(dims[i], dims[i + 1] if i + 1 < 4 else None, depths[i]) for i in range(4)]
model = ConvNeXt(setting, num_classes=1000).eval()
weights = load_file(sys.argv[2])
model.load_state_dict({to_torchvision(k): torch.from_numpy(v.reshape(-1, 1, 1) if k.endswith("layer_scale") else v)
                       for k, v in weights.items()}, strict=True)
del weights
x = torch.from_numpy(np.load(sys.argv[6]))
with torch.inference_mode():
    y = model(x)
print(float(y.abs().max()))
"""

TORCH_CONVMIXER = r"""
import sys
sys.path.insert(0, sys.argv[1])
import numpy as np
import generate_convmixer
from safetensors.numpy import load_file
cfg = generate_convmixer.FULL[sys.argv[3]]
model = generate_convmixer.timm_model(cfg, load_file(sys.argv[2]))
import torch
torch.set_num_threads(int(sys.argv[4]))
x = torch.from_numpy(np.load(sys.argv[5]))
with torch.inference_mode():
    y = model(x)
print(float(y.abs().max()))
"""


def peak_rss_mb(cmd, env=None):
    r = subprocess.run(["/usr/bin/time", "-v"] + cmd, capture_output=True, text=True, env=env)
    if r.returncode != 0:
        raise SystemExit(f"{cmd[0]} failed: {r.stderr[-2000:]}")
    m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", r.stderr)
    return int(m.group(1)) / 1024


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("binary", nargs="?", default=os.path.join(ROOT, ".build/release/cnzoo"))
    ap.add_argument("--variants", default="tiny,base")
    ap.add_argument("--batches", default="1,8")
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    print("| model | batch | weights MB (f32) | cnzoo forward peak RSS MB | torch eager peak RSS MB | cnzoo ÷ torch |")
    print("|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for variant in args.variants.split(","):
            convmixer = variant.startswith("convmixer_")
            if convmixer:
                cfg = variant[len("convmixer_"):]
                weights = generate_convmixer.deterministic_weights(generate_convmixer.FULL[cfg], SEED)
            else:
                depths, dims = VARIANTS[variant]
                weights = deterministic_weights(depths, dims, 1000, SEED)
            nbytes = sum(v.nbytes for v in weights.values())
            from safetensors.numpy import save_file
            ckpt = os.path.join(tmp, f"{variant}.safetensors")
            save_file(weights, ckpt)
            del weights
            for batch in [int(b) for b in args.batches.split(",")]:
                x_path = os.path.join(tmp, f"x{batch}.npy")
                np.save(x_path, deterministic_inputs(batch, 224, 224, SEED))
                out = os.path.join(tmp, "y.npy")
                cn = peak_rss_mb([args.binary, "forward", "--checkpoint", ckpt, "--input", x_path, "--output", out,
                                  "--force", "--threads", str(args.threads)])
                if convmixer:
                    th = peak_rss_mb([sys.executable, "-c", TORCH_CONVMIXER, os.path.join(ROOT, "Fixtures"), ckpt, cfg,
                                      str(args.threads), x_path])
                else:
                    th = peak_rss_mb([sys.executable, "-c", TORCH_SCRIPT, os.path.join(ROOT, "Fixtures"), ckpt,
                                      ",".join(map(str, depths)), ",".join(map(str, dims)), str(args.threads), x_path])
                name = variant if convmixer else f"convnext_{variant}"
                print(f"| {name} | {batch} | {nbytes / 2**20:.0f} | {cn:.0f} | {th:.0f} | {cn / th:.2f} |",
                      flush=True)


if __name__ == "__main__":
    main()
