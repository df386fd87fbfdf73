#!/usr/bin/env python3
"""Interop: `cnzoo convert --to onnx` against the real onnx checker, onnxruntime and the frameworks' own logits.

Usage: .venv/bin/python scripts/interop/check_onnx.py CNZOO_BINARY

For each micro fixture a framework wrote (torchvision .pth by torch.save; MindCV and MindSpore Vision .ckpt by
mindspore.save_checkpoint; timm .pth and MindCV .ckpt ConvMixer fixtures when Fixtures/convmixer/ is present), at
opset 20 (Gelu op) and 17 (Erf/Tanh arithmetic):
* `onnx.checker.check_model(full_check=True)` passes (full_check runs strict shape inference);
* onnxruntime's logits are within 1e-4 of the framework's own on the same input (torch's erf GELU for torch
  conventions; MindSpore's tanh GELU for MindSpore ones, with MindSpore Vision's neck LayerNorm eps 1e-7), top-1 equal;
* a batch of another size runs through the dynamic batch axis, and `--batch N` fixes it;
* converting the same input twice gives identical bytes.
The ConvNeXt references run live in torch / MindSpore; the ConvMixer ones are the logits the ConvMixer generator
recorded from timm and MindSpore (Fixtures/convmixer/*_logits_*.npy).
"""
import filecmp
import json
import os
import subprocess
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..")
FIX = os.path.join(ROOT, "Fixtures")
sys.path.insert(0, FIX)

TOL = 1e-4
DEPTHS, DIMS, CLASSES = [1, 1, 2, 1], [8, 16, 32, 64], 10
failures = 0


def report(ok, name, detail):
    global failures
    print(("PASS" if ok else "FAIL") + f" onnx {name}: {detail}", flush=True)
    failures += 0 if ok else 1


def export(binary, src, out, *extra):
    r = subprocess.run([binary, "convert", src, "--to", "onnx", "-o", out, "--force", "--quiet", *extra],
                       capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"cnzoo convert --to onnx {os.path.basename(src)} {' '.join(extra)}: {r.stderr.strip()}")
    return out


def torchvision_logits(path, x):
    from generate_forward import import_torchvision
    torch, _ = import_torchvision()
    from torchvision.models.convnext import CNBlockConfig, ConvNeXt
    cfg = [CNBlockConfig(DIMS[i], DIMS[i + 1] if i < 3 else None, DEPTHS[i]) for i in range(4)]
    net = ConvNeXt(cfg, num_classes=CLASSES).eval()
    net.load_state_dict(torch.load(path, weights_only=True), strict=True)
    with torch.inference_mode():
        return net(torch.from_numpy(x)).numpy()


def mindspore_logits(path, x, neck_eps=None):
    """MindSpore running mindcv's ConvNeXt on a mindcv-named .ckpt; `neck_eps` replaces the head LayerNorm's eps
    (MindSpore Vision's neck is `nn.LayerNorm` with MindSpore's default 1e-7)."""
    import mindspore as ms
    from mindcv.models.convnext import ConvNeXt
    ms.set_context(mode=ms.PYNATIVE_MODE, device_target="CPU")
    net = ConvNeXt(in_channels=3, num_classes=CLASSES, depths=DEPTHS, dims=DIMS)
    net.set_train(False)
    not_loaded, unused = ms.load_param_into_net(net, ms.load_checkpoint(path), strict_load=True)
    assert not not_loaded and not unused, (not_loaded, unused)
    if neck_eps is not None:
        net.norm.layer_norm = ms.ops.LayerNorm(begin_norm_axis=-1, begin_params_axis=-1, epsilon=neck_eps)
    return np.concatenate([net(ms.Tensor(x[i:i + 1])).asnumpy() for i in range(x.shape[0])])


def same_weights(mindcv_path, mindvision_path):
    """The MindSpore Vision fixture holds the MindCV fixture's tensors under MindSpore Vision names."""
    import mindspore as ms
    from generate_mindspore import mindvision_name
    a, b = ms.load_checkpoint(mindcv_path), ms.load_checkpoint(mindvision_path)
    return len(a) == len(b) and all(np.array_equal(v.asnumpy(), b[mindvision_name(k)].asnumpy()) for k, v in a.items())


def ort_run(path, x):
    import onnxruntime as ort
    s = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    return s.run(None, {s.get_inputs()[0].name: x})[0]


def check_case(binary, tmp, name, src, x, ref, extra=()):
    import onnx
    for opset in ("20", "17"):
        tag = f"{name} opset {opset}"
        try:
            a = export(binary, src, os.path.join(tmp, f"{name}_{opset}_a.onnx"), "--opset", opset, *extra)
            b = export(binary, src, os.path.join(tmp, f"{name}_{opset}_b.onnx"), "--opset", opset, *extra)
        except RuntimeError as e:
            report(False, tag, str(e))
            continue
        try:
            onnx.checker.check_model(onnx.load(a), full_check=True)
            report(True, tag + " checker", f"full_check passes ({os.path.getsize(a)} bytes)")
        except Exception as e:  # the checker raises ValidationError / InferenceError
            report(False, tag + " checker", str(e).splitlines()[0])
        y = ort_run(a, x)
        diff = float(np.abs(y - ref).max())
        top1 = bool((y.argmax(1) == ref.argmax(1)).all())
        report(diff <= TOL and top1 and y.shape == ref.shape, tag + " logits",
               f"max |onnxruntime - framework| = {diff:.2e} (tol {TOL}), top-1 {'equal' if top1 else 'DIFFERS'}")
        x2 = np.concatenate([x, x[:1]])
        y2 = ort_run(a, x2)
        report(y2.shape[0] == x2.shape[0] and float(np.abs(y2[:len(x)] - y).max()) <= 1e-5, tag + " dynamic batch",
               f"batch {x2.shape[0]} runs, rows match batch {x.shape[0]}")
        report(filecmp.cmp(a, b, shallow=False), tag + " deterministic", "the same input twice gives identical bytes")
    fixed = export(binary, src, os.path.join(tmp, f"{name}_fixed.onnx"), "--batch", str(len(x)), *extra)
    onnx.checker.check_model(onnx.load(fixed), full_check=True)
    y = ort_run(fixed, x)
    report(float(np.abs(y - ref).max()) <= TOL, f"{name} --batch {len(x)}", "a fixed batch axis runs and matches")


def main():
    binary = sys.argv[1]
    try:
        import onnx  # noqa: F401
        import onnxruntime  # noqa: F401
    except ImportError as e:
        print(f"SKIP onnx: onnx / onnxruntime are not installed in this Python ({e})")
        return 0
    helptext = subprocess.run([binary, "convert", "--help"], capture_output=True, text=True).stdout
    if "onnx" not in helptext:
        print("SKIP onnx: this cnzoo build has no `convert --to onnx` (the CLI wiring lands with the CLI refactor)")
        return 0
    from generate_forward import deterministic_inputs
    x = deterministic_inputs(2, 64, 96, 7)
    tv = os.path.join(FIX, "pytorch", "torchvision_micro_f32.pth")
    mcv = os.path.join(FIX, "mindspore", "micro_mindcv_f32.ckpt")
    mv = os.path.join(FIX, "mindspore", "micro_mindvision_f32.ckpt")
    with tempfile.TemporaryDirectory() as tmp:
        check_case(binary, tmp, "torchvision", tv, x, torchvision_logits(tv, x))
        ms_ref = mindspore_logits(mcv, x)
        check_case(binary, tmp, "mindcv", mcv, x, ms_ref)
        if same_weights(mcv, mv):
            mv_ref = mindspore_logits(mcv, x, neck_eps=1e-7)
            check_case(binary, tmp, "mindvision", mv, x, mv_ref)
        else:
            report(False, "mindvision", "the MindSpore Vision fixture no longer holds the MindCV fixture's weights")

        cm = os.path.join(FIX, "convmixer")
        if not os.path.isdir(cm):
            print("SKIP onnx convmixer: Fixtures/convmixer/ (timm and MindCV ConvMixer fixtures) is not in this tree")
        else:
            configs = json.load(open(os.path.join(cm, "reference.json")))["configs"]
            for cfg, c in sorted(configs.items()):
                if c.get("classes", 0) == 0:
                    continue  # headless: no logits to compare
                xin = np.load(os.path.join(cm, f"{cfg}_input.npy"))
                act = ("--activation", c["act"])  # a custom configuration's activation is not in its weights
                check_case(binary, tmp, f"convmixer {cfg} timm", os.path.join(cm, f"{cfg}_timm.pth"), xin,
                           np.load(os.path.join(cm, f"{cfg}_logits_timm.npy")), act)
                check_case(binary, tmp, f"convmixer {cfg} mindcv", os.path.join(cm, f"{cfg}_mindcv.ckpt"), xin,
                           np.load(os.path.join(cm, f"{cfg}_logits_mindspore.npy")), act)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
