"""Interop check: headless and features-only ConvNeXt backbones converted by cnzoo load strictly into the real
torchvision and timm modules, and `--wrap-key` output is what torch.load gives a training script.

Usage:  .venv/bin/python scripts/interop/check_backbones.py CNZOO_BINARY

1. torchvision `model.features.state_dict()` (Fixtures/generic/torchvision_features.pth) → `cnzoo convert --to torch
   --convention timm-features` → timm `create_model(..., features_only=True)` of the same configuration loads it with
   strict=True, and its last feature map equals torchvision's `model.features(x)` (within 1e-5: the two LayerNorm
   implementations differ in rounding only).
2. timm `features_only=True` (timm_features.pth) → MindSpore `.ckpt` → `--convention torchvision-features` →
   torchvision's `model.features.load_state_dict(strict=True)`, every tensor equal to timm's.
3. timm `num_classes=0` (timm_headless.pth) → `--to torch --wrap-key model` → `torch.load(weights_only=True)["model"]`
   loads into timm's headless model with strict=True.
Prints PASS / FAIL / SKIP lines; exits 1 on any FAIL.
"""
import os
import subprocess
import tempfile

from interop_report import FIXTURES, Reporter, cnzoo_binary

GENERIC = os.path.join(FIXTURES, "generic")
report = Reporter("backbones")


def main():
    cnzoo = cnzoo_binary()
    try:
        from generate_forward import import_torchvision
        torch, _ = import_torchvision()
        import timm
        from torchvision.models.convnext import CNBlockConfig, ConvNeXt
    except Exception as e:  # noqa: BLE001
        report.skip_all("torch/torchvision/timm not importable: %s" % e)
    torch.manual_seed(0)
    dims, depths = [8, 16, 32, 64], [1, 1, 2, 1]

    def tv_model():
        cfg = [CNBlockConfig(dims[i], dims[i + 1] if i < 3 else None, depths[i]) for i in range(4)]
        return ConvNeXt(cfg, num_classes=10).eval()

    def timm_model(**kw):
        return timm.create_model("convnext_tiny", pretrained=False, depths=tuple(depths), dims=tuple(dims), **kw).eval()

    def convert(*args):
        r = subprocess.run([cnzoo, "convert", *args], capture_output=True, text=True)
        return r.returncode == 0, r.stderr.strip()[-400:]

    work = tempfile.mkdtemp(prefix="cnzoo-backbones-")
    x = torch.randn(2, 3, 64, 64)

    out = os.path.join(work, "tv_as_timm.pth")
    ok, err = convert(os.path.join(GENERIC, "torchvision_features.pth"), "--to", "torch", "--convention",
                      "timm-features", "-o", out)
    if not ok:
        report("FAIL", "torchvision features → timm-features", err)
    else:
        tv = tv_model()
        tv.features.load_state_dict(torch.load(os.path.join(GENERIC, "torchvision_features.pth"), weights_only=True))
        tm = timm_model(features_only=True)
        try:
            tm.load_state_dict(torch.load(out, weights_only=True), strict=True)
            with torch.no_grad():
                diff = float((tm(x)[-1] - tv.features(x)).abs().max())
            status = "PASS" if diff <= 1e-5 else "FAIL"
            report(status, "torchvision model.features → timm features_only",
                   "timm load_state_dict(strict=True); last feature map max |diff| vs torchvision %.2e" % diff)
        except RuntimeError as e:
            report("FAIL", "torchvision model.features → timm features_only", str(e).splitlines()[0])

    ckpt, back = os.path.join(work, "f.ckpt"), os.path.join(work, "f_tv.pth")
    src = os.path.join(GENERIC, "timm_features.pth")
    ok, err = convert(src, "--to", "ms", "-o", ckpt)
    ok2, err2 = (convert(ckpt, "--to", "torch", "--convention", "torchvision-features", "-o", back) if ok
                 else (False, err))
    if not ok2:
        report("FAIL", "timm features_only → .ckpt → torchvision-features", err2)
    else:
        tv = tv_model()
        try:
            got = torch.load(back, weights_only=True)
            tv.features.load_state_dict(got, strict=True)
            want = list(torch.load(src, weights_only=True).values())
            same = all(torch.equal(a.reshape(-1), b.reshape(-1)) for a, b in zip(got.values(), want))
            report("PASS" if same and len(got) == len(want) else "FAIL",
                   "timm features_only → .ckpt → torchvision model.features",
                   "torchvision load_state_dict(strict=True); %d tensors equal to timm's" % len(got))
        except RuntimeError as e:
            report("FAIL", "timm features_only → .ckpt → torchvision model.features", str(e).splitlines()[0])

    wrapped = os.path.join(work, "wrapped.pth")
    ok, err = convert(os.path.join(GENERIC, "timm_headless.pth"), "--to", "torch", "--convention", "timm",
                      "--wrap-key", "model", "-o", wrapped)
    if not ok:
        report("FAIL", "--wrap-key model", err)
    else:
        obj = torch.load(wrapped, weights_only=True)
        try:
            if list(obj) != ["model"]:
                raise RuntimeError("top-level keys %s" % list(obj))
            timm_model(num_classes=0).load_state_dict(obj["model"], strict=True)
            report("PASS", "--wrap-key model", "torch.load(weights_only=True) → {'model': state_dict}; timm "
                                                "num_classes=0 load_state_dict(strict=True)")
        except RuntimeError as e:
            report("FAIL", "--wrap-key model", str(e).splitlines()[0])
    report.finish()


if __name__ == "__main__":
    main()
