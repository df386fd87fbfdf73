"""`cnzoo verify --images` beside PIL + torchvision + torch eager on the same images and the same weights.

Usage:  .venv/bin/python scripts/bench/verify_images.py CNZOO_BINARY [N_IMAGES] [THREADS]

Writes N synthetic 500×375 JPEGs (ImageNet's typical size, quality 90) into 10 class folders under a temp dir and a
randomly initialised torchvision convnext_tiny .pth (seed 0), then times, in one run:
  - cnzoo verify --checkpoint tiny.pth --images DIR --json  (zoo convnext_tiny/torchvision preprocessing:
    Resize(236, bilinear) → CenterCrop(224) → ImageNet Normalize; batch 16), whole command wall time;
  - the same pipeline in Python: PIL decode + torchvision transforms, and torch eager forward (batch 16).
Prints images/s for both, the decode/preprocess and forward split, and how many top-1 predictions agree.
Random weights: the accuracy itself is meaningless (labels are random); the agreement is the correctness check.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np
import torch
import torch.library
from PIL import Image

_orig = torch.library.register_fake
torch.library.register_fake = lambda *a, **k: (lambda f: f)
try:
    import torchvision
    from torchvision import transforms as T
finally:
    torch.library.register_fake = _orig


def main():
    binary = os.path.abspath(sys.argv[1])
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 64
    threads = int(sys.argv[3]) if len(sys.argv) > 3 else 2
    torch.set_num_threads(threads)
    work = tempfile.mkdtemp(prefix="cnzoo-bench-images-")
    rng = np.random.default_rng(0)
    paths = []
    y, x = np.mgrid[0:375, 0:500].astype(np.float32)
    for i in range(n):
        label = i % 10
        d = os.path.join(work, "images", str(label))
        os.makedirs(d, exist_ok=True)
        img = np.zeros((375, 500, 3), np.float32)
        for c in range(3):
            fx, fy, ph = rng.uniform(0.005, 0.1, 3)[0], rng.uniform(0.005, 0.1), rng.uniform(0, 6.3)
            img[..., c] = 127 + 100 * np.sin(fx * x + ph) * np.cos(fy * y - ph)
        img += rng.normal(0, 6, img.shape)
        p = os.path.join(d, f"{i:05d}.jpg")
        Image.fromarray(np.clip(img, 0, 255).astype(np.uint8)).save(p, quality=90)
        paths.append((p, label))
    torch.manual_seed(0)
    model = torchvision.models.convnext_tiny().eval()
    ckpt = os.path.join(work, "tiny.pth")
    torch.save(model.state_dict(), ckpt)

    cmd = [binary, "verify", "--checkpoint", ckpt, "--images", os.path.join(work, "images"), "--json",
           "--threads", str(threads)]
    t0 = time.perf_counter()
    r = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if r.returncode != 0:
        print("FAIL: cnzoo:", r.stderr)
        sys.exit(1)
    rep = json.loads(r.stdout)

    tf = T.Compose([T.Resize(236, interpolation=T.InterpolationMode.BILINEAR), T.CenterCrop(224), T.ToTensor(),
                    T.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])])
    ordered = sorted(paths, key=lambda pl: (str(pl[1]), pl[0]))  # cnzoo's order: sorted folder, then file
    t0 = time.perf_counter()
    dec = 0.0
    fwd = 0.0
    preds = {}
    with torch.no_grad():
        for s in range(0, n, 16):
            a = time.perf_counter()
            batch = torch.stack([tf(Image.open(p).convert("RGB")) for p, _ in ordered[s:s + 16]])
            b = time.perf_counter()
            out = model(batch)
            fwd += time.perf_counter() - b
            dec += b - a
            for (p, _), k in zip(ordered[s:s + 16], out.argmax(1).tolist()):
                preds[p] = k
    torch_wall = time.perf_counter() - t0
    agree = sum(1 for e in rep["predictions"] if preds.get(e["path"]) == e["top1"])
    print(f"images: {n} × 500×375 JPEG, convnext_tiny random init, {threads} threads, batch 16")
    print(f"cnzoo verify --images: {n / wall:.1f} images/s (whole command {wall:.2f} s incl. loading the checkpoint; "
          f"decode+preprocess {rep['decode_seconds']:.2f} s, forward {rep['forward_seconds']:.2f} s); "
          f"preprocessing: {rep['preprocessing_summary']} from {rep['zoo_id']}/{rep['published_source']}")
    print(f"PIL + torchvision + torch eager: {n / torch_wall:.1f} images/s (decode+preprocess {dec:.2f} s, "
          f"forward {fwd:.2f} s)")
    print(f"top-1 agreement cnzoo vs torch: {agree}/{n}")
    shutil.rmtree(work)
    print("PASS: cnzoo verify --images top-1 equals torch's on every image" if agree == n
          else "FAIL: cnzoo verify --images top-1 differs from torch's")
    sys.exit(0 if agree == n else 1)


if __name__ == "__main__":
    main()
