#!/usr/bin/env python3
"""Interop: real keras and real torchvision load what cnzoo converts between them.

Usage: .venv/bin/python scripts/interop/check_keras.py CNZOO_BINARY
(torch side in .venv; keras 3 + JAX in its own venv .venv-keras, built by scripts/python-peers-keras.sh, run as a
child process since it needs numpy>=2.)

* keras-load: the torchvision micro ConvNeXt (Fixtures/pytorch/torchvision_micro_f32.pth) → `cnzoo convert --to keras`
  → keras `ConvNeXt(depths, projection_dims).load_weights` (any warning about skipped or mismatched objects fails)
  → keras' logits within 1e-4 of torchvision's on the same images.
* to-torch:<file>: each Keras-written fixture (Fixtures/keras: .weights.h5, .keras, legacy weights-only and full-model
  .h5) → `cnzoo convert --to torch` → torchvision `load_state_dict(strict=True)` → logits within 1e-4 of keras' own
  (recorded by Fixtures/generate_keras.py).
* notop:<file>: Keras' include_top=False files (Fixtures/keras/micro_notop*.h5, the form of its `_notop.h5` ImageNet
  weights) → `cnzoo convert --to torch --convention timm` → timm ConvNeXt(num_classes=0) strict load → pooled
  features within 1e-4 of keras' own; then that .pth → `cnzoo convert --to keras` → keras ConvNeXt(include_top=False,
  pooling="avg").load_weights with no warning → the same features.
"""
import json
import os
import subprocess
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "Fixtures"))
from generate_forward import import_torchvision  # noqa: E402

DEPTHS, DIMS, CLASSES = [1, 1, 2, 1], [8, 16, 32, 64], 10
TOL = 1e-4
MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32)
STD = np.array([0.229, 0.224, 0.225], dtype=np.float32)

KERAS_CHILD = r"""
import os, sys, warnings, logging, io
os.environ["KERAS_BACKEND"] = "jax"
import numpy as np, keras
from keras.src.applications.convnext import ConvNeXt
weights, images, out, top = sys.argv[1:5]
x = np.load(images)
model = ConvNeXt(depths=%r, projection_dims=%r, classes=%d, input_shape=x.shape[1:], classifier_activation=None,
                 weights=None, name="convnext_micro", include_top=top == "top", pooling=None if top == "top" else "avg")
log = io.StringIO()
logging.getLogger().addHandler(logging.StreamHandler(log))
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    model.load_weights(weights)
messages = [str(w.message) for w in caught] + log.getvalue().splitlines()
bad = [m for m in messages if any(k in m.lower() for k in ("skip", "mismatch", "did not", "not load", "unused"))]
if bad:
    print("KERAS-WARNING " + " | ".join(bad))
    sys.exit(3)
np.save(out, np.asarray(model(x, training=False)).astype(np.float32))
""" % (DEPTHS, DIMS, CLASSES)


def torchvision_model(torch, torchvision):
    from torchvision.models.convnext import CNBlockConfig, ConvNeXt
    setting = [CNBlockConfig(DIMS[i], DIMS[i + 1] if i + 1 < len(DIMS) else None, DEPTHS[i]) for i in range(len(DIMS))]
    return ConvNeXt(setting, num_classes=CLASSES).eval()


def torch_logits(torch, model, x255):
    x = ((x255 / np.float32(255) - MEAN) / STD).transpose(0, 3, 1, 2).astype(np.float32)
    with torch.inference_mode():
        return model(torch.from_numpy(np.ascontiguousarray(x))).numpy().astype(np.float32)


def run(cmd):
    return subprocess.run(cmd, capture_output=True, text=True, timeout=600)


def main() -> int:
    binary = sys.argv[1]
    if subprocess.run(["bash", os.path.join(ROOT, "scripts", "python-peers-keras.sh")]).returncode != 0:
        print("SKIP keras: the keras venv (.venv-keras) could not be installed; see messages above")
        return 0
    keras_py = os.path.join(ROOT, ".venv-keras", "bin", "python")
    torch, torchvision = import_torchvision()
    torch.set_num_threads(2)
    images = os.path.join(ROOT, "Fixtures", "keras", "micro_input.npy")
    x255 = np.load(images)
    failures = 0
    with tempfile.TemporaryDirectory() as tmp:
        # torchvision → cnzoo → keras
        src = os.path.join(ROOT, "Fixtures", "pytorch", "torchvision_micro_f32.pth")
        model = torchvision_model(torch, torchvision)
        model.load_state_dict(torch.load(src, weights_only=True), strict=True)
        want = torch_logits(torch, model, x255)
        out = os.path.join(tmp, "micro.weights.h5")
        r = run([binary, "convert", src, "--to", "keras", "-o", out])
        if r.returncode != 0:
            print(f"FAIL keras-load: cnzoo convert --to keras exited {r.returncode}: {r.stderr.strip()[-500:]}")
            failures += 1
        else:
            logits = os.path.join(tmp, "keras_logits.npy")
            k = run([keras_py, "-c", KERAS_CHILD, out, images, logits, "top"])
            if k.returncode != 0:
                print(f"FAIL keras-load: keras could not load cnzoo's file: {(k.stdout + k.stderr).strip()[-800:]}")
                failures += 1
            else:
                diff = float(np.abs(np.load(logits) - want).max())
                if diff <= TOL:
                    print(f"PASS keras-load: torchvision → cnzoo --to keras → keras load_weights, max |Δlogit| {diff:.3g}")
                else:
                    print(f"FAIL keras-load: keras logits differ from torchvision's by {diff:.3g} (> {TOL})")
                    failures += 1

        # keras-written files → cnzoo → torchvision
        keras_logits = np.load(os.path.join(ROOT, "Fixtures", "keras", "micro_logits_keras.npy"))
        for name in ["micro.weights.h5", "micro.keras", "micro_legacy_weights.h5", "micro_legacy_model.h5"]:
            out = os.path.join(tmp, name + ".pth")
            r = run([binary, "convert", os.path.join(ROOT, "Fixtures", "keras", name), "--to", "torch", "-o", out])
            if r.returncode != 0:
                print(f"FAIL to-torch:{name}: cnzoo convert exited {r.returncode}: {r.stderr.strip()[-500:]}")
                failures += 1
                continue
            model = torchvision_model(torch, torchvision)
            try:
                model.load_state_dict(torch.load(out, weights_only=True), strict=True)
            except Exception as e:  # noqa: BLE001
                print(f"FAIL to-torch:{name}: torchvision strict load refused it: {e}")
                failures += 1
                continue
            diff = float(np.abs(torch_logits(torch, model, x255) - keras_logits).max())
            if diff <= TOL:
                print(f"PASS to-torch:{name}: keras file → cnzoo --to torch → torchvision strict, max |Δlogit| {diff:.3g}")
            else:
                print(f"FAIL to-torch:{name}: torchvision logits differ from keras' by {diff:.3g} (> {TOL})")
                failures += 1

        # Keras include_top=False files → cnzoo → timm num_classes=0 → cnzoo → keras include_top=False
        import timm  # noqa: F401  (after import_torchvision's shim)
        from timm.models.convnext import ConvNeXt as TimmConvNeXt
        features = np.load(os.path.join(ROOT, "Fixtures", "keras", "micro_notop_features_keras.npy"))
        for name in ["micro_notop.weights.h5", "micro_notop_legacy.h5"]:
            failures += check_notop(binary, keras_py, torch, TimmConvNeXt, name, images, x255, features, tmp)
    return 1 if failures else 0


def check_notop(binary, keras_py, torch, TimmConvNeXt, name, images, x255, features, tmp) -> int:
    """One notop fixture through timm (headless) and back into keras (include_top=False); 0 when both agree."""
    pth = os.path.join(tmp, name + ".timm.pth")
    r = run([binary, "convert", os.path.join(ROOT, "Fixtures", "keras", name), "--to", "torch", "--convention",
             "timm", "-o", pth])
    if r.returncode != 0:
        print(f"FAIL notop:{name}: cnzoo convert --to torch exited {r.returncode}: {r.stderr.strip()[-500:]}")
        return 1
    model = TimmConvNeXt(depths=DEPTHS, dims=DIMS, num_classes=0).eval()
    try:
        model.load_state_dict(torch.load(pth, weights_only=True), strict=True)
    except Exception as e:  # noqa: BLE001
        print(f"FAIL notop:{name}: timm num_classes=0 strict load refused it: {e}")
        return 1
    diff = float(np.abs(torch_logits(torch, model, x255) - features).max())
    if diff > TOL:
        print(f"FAIL notop:{name}: timm pooled features differ from keras' by {diff:.3g} (> {TOL})")
        return 1
    back = os.path.join(tmp, name + ".back.weights.h5")
    r = run([binary, "convert", pth, "--to", "keras", "-o", back])
    if r.returncode != 0:
        print(f"FAIL notop:{name}: cnzoo convert --to keras exited {r.returncode}: {r.stderr.strip()[-500:]}")
        return 1
    out = os.path.join(tmp, name + ".features.npy")
    k = run([keras_py, "-c", KERAS_CHILD, back, images, out, "notop"])
    if k.returncode != 0:
        print(f"FAIL notop:{name}: keras include_top=False could not load cnzoo's file: {(k.stdout + k.stderr).strip()[-800:]}")
        return 1
    back_diff = float(np.abs(np.load(out) - features).max())
    if back_diff > TOL:
        print(f"FAIL notop:{name}: features after the round trip differ by {back_diff:.3g} (> {TOL})")
        return 1
    print(f"PASS notop:{name}: keras include_top=False → cnzoo → timm num_classes=0 strict (max |Δ| {diff:.3g}) → "
          f"cnzoo --to keras → keras load_weights (max |Δ| {back_diff:.3g})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
