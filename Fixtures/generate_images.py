"""Writes the image fixtures under Fixtures/images/ with real PIL, torchvision transforms and torchvision's ConvNeXt.

Run from the package root:  .venv/bin/python Fixtures/generate_images.py

- `preprocess/`: small synthetic images (PNG RGB / gray / palette / RGBA / 16-bit, JPEG RGB / gray / CMYK) and, for each
  image and interpolation, the tensor torchvision's `Resize(36) → CenterCrop(32) → ToTensor → Normalize(ImageNet)`
  makes from it: the 32×32 RGB8 crop PIL produces (`<image>.<interpolation>.crop.rgb`) for every image, the float32
  CHW tensor (`.npy`) for one, and for JPEGs the RGB8 bytes PIL decodes (`<image>.rgb`).
- `folders/<class index>/`: images labelled with what the real torchvision micro ConvNeXt (the weights of
  Fixtures/pytorch/torchvision_micro_f32.pth) predicts after the bilinear transform above, so cnzoo must score
  100 % top-1 on them; `list.txt` names the same images as `path label` lines, and `list_wrong.txt` gives one of
  them a wrong label whose rank under torchvision is recorded.
- `corrupt/`: a truncated JPEG, a PNG with a broken chunk CRC, and a text file named .jpg.
- `expected.json`: per image the torchvision top-5 and the top-1 margin (images with a margin under 1e-3 are not
  used, so float32 reassociation cannot flip a label), and the expected accuracies of both lists.
"""
import io
import json
import os
import shutil

import numpy as np
import torch
import torch.library
from PIL import Image

_orig = torch.library.register_fake
torch.library.register_fake = lambda *a, **k: (lambda f: f)
try:
    import torchvision
    from torchvision import transforms as T
    from torchvision.models.convnext import CNBlockConfig, ConvNeXt
finally:
    torch.library.register_fake = _orig

ROOT = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(ROOT, "images")
MEAN, STD = [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]
RESIZE, CROP = 36, 32


def transform(interp):
    mode = {"bilinear": T.InterpolationMode.BILINEAR, "bicubic": T.InterpolationMode.BICUBIC}[interp]
    return T.Compose([T.Resize(RESIZE, interpolation=mode), T.CenterCrop(CROP), T.ToTensor(), T.Normalize(MEAN, STD)])


def synthetic(w, h, seed):
    """Smooth colour gradients + blobs + a little noise: structured enough that resampling matters."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    img = np.zeros((h, w, 3))
    for c in range(3):
        fx, fy, ph = rng.uniform(0.05, 0.5), rng.uniform(0.05, 0.5), rng.uniform(0, 6.3)
        img[..., c] = 127 + 100 * np.sin(fx * x + ph) * np.cos(fy * y - ph)
    for _ in range(3):
        cx, cy, r = rng.uniform(0, w), rng.uniform(0, h), rng.uniform(3, max(4, min(w, h) / 3))
        img[(x - cx) ** 2 + (y - cy) ** 2 < r * r] = rng.uniform(0, 255, 3)
    img += rng.normal(0, 4, img.shape)
    return np.clip(img, 0, 255).astype(np.uint8)


def micro_model():
    dims, depths = [8, 16, 32, 64], [1, 1, 2, 1]
    cfg = [CNBlockConfig(dims[i], dims[i + 1] if i < 3 else None, depths[i]) for i in range(4)]
    m = ConvNeXt(cfg, num_classes=10)
    sd = torch.load(os.path.join(ROOT, "pytorch", "torchvision_micro_f32.pth"), map_location="cpu", weights_only=True)
    m.load_state_dict(sd)
    return m.eval()


def save(img, path, fmt):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    if fmt == "jpeg":
        img.save(path, format="JPEG", quality=90)
    else:
        img.save(path, format="PNG")


def main():
    if os.path.isdir(OUT):
        shutil.rmtree(OUT)
    os.makedirs(OUT)
    expected = {"resize": RESIZE, "crop": CROP, "mean": MEAN, "std": STD, "versions": {
        "torch": torch.__version__, "torchvision": torchvision.__version__, "PIL": Image.__version__}}

    # --- preprocessing cases: every decoder path, downscaling and upscaling, odd and even crop offsets ---
    cases = [
        ("rgb_down.png", 97, 61, "RGB", "png"),       # landscape, strong downscale (antialiasing)
        ("rgb_up.png", 23, 29, "RGB", "png"),         # portrait, upscale
        ("gray.png", 50, 41, "L", "png"),
        ("palette.png", 45, 70, "P", "png"),
        ("rgba.png", 64, 48, "RGBA", "png"),
        ("deep16.png", 40, 37, "RGB16", "png"),
        ("rgb.jpg", 80, 53, "RGB", "jpeg"),
        ("gray.jpg", 39, 52, "L", "jpeg"),
        ("cmyk.jpg", 44, 38, "CMYK", "jpeg"),        # PIL writes an Adobe (inverted) CMYK JPEG
    ]
    pre = os.path.join(OUT, "preprocess")
    expected["preprocess"] = []
    for i, (name, w, h, mode, fmt) in enumerate(cases):
        arr = synthetic(w, h, 100 + i)
        path = os.path.join(pre, name)
        if mode == "RGB16":
            # 16-bit RGB PNG written directly (PIL cannot write it): samples v*257 + noise in the low byte
            import zlib, struct
            low = np.random.default_rng(7).integers(0, 256, arr.shape, dtype=np.uint16)
            a16 = (arr.astype(np.uint16) << 8) | low
            raw = b"".join(b"\x00" + a16[r].astype(">u2").tobytes() for r in range(h))
            def chunk(t, d):
                return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xFFFFFFFF)
            data = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 16, 2, 0, 0, 0)) \
                + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")
            os.makedirs(pre, exist_ok=True)
            open(path, "wb").write(data)
        else:
            img = Image.fromarray(arr)
            if mode == "L":
                img = img.convert("L")
            elif mode == "CMYK":
                img = img.convert("CMYK")
            elif mode == "P":
                img = img.quantize(colors=32)
            elif mode == "RGBA":
                a = np.random.default_rng(5).integers(0, 256, (h, w), dtype=np.uint8)
                img = Image.fromarray(np.dstack([arr, a]), "RGBA")
            save(img, path, fmt)
        pil = Image.open(path)
        if mode == "RGB16":
            rgb = arr  # what a high-byte reduction gives; PIL's own 16-bit RGB read agrees (checked below)
            assert np.array_equal(np.asarray(pil.convert("RGB")), arr), "PIL 16-bit RGB reading is not high-byte"
            pil = Image.fromarray(arr)
        else:
            pil = pil.convert("RGB")
            rgb = np.asarray(pil)
        if fmt == "jpeg":  # decoder identity matters for JPEG only (PNG is lossless; the crops below cover it)
            open(path + ".rgb", "wb").write(rgb.tobytes())
        entry = {"file": name, "width": w, "height": h, "mode": mode}
        for interp in ["bilinear", "bicubic"]:
            mode_ = {"bilinear": T.InterpolationMode.BILINEAR, "bicubic": T.InterpolationMode.BICUBIC}[interp]
            cropped = T.CenterCrop(CROP)(T.Resize(RESIZE, interpolation=mode_)(pil))
            open(os.path.join(pre, f"{name}.{interp}.crop.rgb"), "wb").write(np.asarray(cropped).tobytes())
            if name == "rgb_down.png":  # the full float tensor (ToTensor + Normalize) for one image
                t = transform(interp)(pil).numpy().astype(np.float32)
                np.save(os.path.join(pre, f"{name}.{interp}.npy"), t)
        expected["preprocess"].append(entry)

    # --- labelled images from the micro model's own predictions ---
    model = micro_model()
    t = transform("bilinear")
    labelled = []
    seed = 1000
    while len(labelled) < 8 and seed < 1200:
        seed += 1
        rng = np.random.default_rng(seed)
        w, h = int(rng.integers(34, 90)), int(rng.integers(34, 90))
        fmt = "jpeg" if seed % 2 else "png"
        buf = io.BytesIO()
        Image.fromarray(synthetic(w, h, seed)).save(buf, format="JPEG" if fmt == "jpeg" else "PNG", quality=90)
        img = Image.open(io.BytesIO(buf.getvalue())).convert("RGB")
        with torch.no_grad():
            logits = model(t(img).unsqueeze(0))[0].numpy()
        order = np.argsort(-logits)
        margin = float(logits[order[0]] - logits[order[1]])
        if margin < 1e-3:
            continue
        label = int(order[0])
        name = f"img{seed}.{'jpg' if fmt == 'jpeg' else 'png'}"
        rel = f"folders/{label}/{name}"
        os.makedirs(os.path.join(OUT, "folders", str(label)), exist_ok=True)
        open(os.path.join(OUT, rel), "wb").write(buf.getvalue())
        labelled.append({"path": rel, "label": label, "top5": [int(k) for k in order[:5]], "margin": margin})
    assert len(labelled) == 8, "not enough images with a clear top-1"
    expected["labelled"] = labelled
    with open(os.path.join(OUT, "list.txt"), "w") as f:
        f.write("# path label (labels = torchvision micro ConvNeXt predictions)\n")
        for e in labelled:
            f.write(f"{e['path']} {e['label']}\n")
    # One wrong label: the class torchvision ranks second for the first image (so top-5 still holds it).
    wrong = labelled[0]["top5"][1]
    with open(os.path.join(OUT, "list_wrong.txt"), "w") as f:
        for i, e in enumerate(labelled):
            f.write(f"{e['path']} {wrong if i == 0 else e['label']}\n")
    n = len(labelled)
    expected["list_wrong"] = {"top1": 100.0 * (n - 1) / n, "top5": 100.0, "wrong_label": wrong}

    # --- corrupt files ---
    bad = os.path.join(OUT, "corrupt")
    os.makedirs(bad)
    jb = io.BytesIO()
    Image.fromarray(synthetic(60, 60, 9)).save(jb, format="JPEG", quality=90)
    open(os.path.join(bad, "truncated.jpg"), "wb").write(jb.getvalue()[: len(jb.getvalue()) // 2])
    pb = io.BytesIO()
    Image.fromarray(synthetic(40, 40, 10)).save(pb, format="PNG")
    p = bytearray(pb.getvalue())
    idat = p.find(b"IDAT")
    p[idat + 8] ^= 0xFF  # corrupt compressed data inside IDAT (the CRC no longer matches)
    open(os.path.join(bad, "badcrc.png"), "wb").write(bytes(p))
    open(os.path.join(bad, "notimage.jpg"), "wb").write(b"this is not an image\n")

    with open(os.path.join(OUT, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1)
    total = sum(os.path.getsize(os.path.join(d, x)) for d, _, fs in os.walk(OUT) for x in fs)
    print("images fixtures:", total, "bytes;", [(e["path"], e["label"], round(e["margin"], 4)) for e in labelled])


if __name__ == "__main__":
    main()
