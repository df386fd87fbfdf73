#!/usr/bin/env python3
"""Interop: the real transformers (and torchvision, mindcv) load the Hugging Face model folders cnzoo writes and reads.

Usage: .venv/bin/python scripts/interop/check_transformers.py CNZOO_BINARY

* to-hf:<form>: a torchvision micro ConvNeXt (seeded weights) → `cnzoo convert --to safetensors|torch --convention
  transformers -o DIR` (form `safetensors`, `sharded` with --max-shard-size 40KB, `bin` for pytorch_model.bin) →
  `ConvNextForImageClassification.from_pretrained(DIR, output_loading_info=True)` with no missing, unexpected or
  mismatched keys → logits within 1e-4 of torchvision's.
* hf-to-torch:<folder>: each transformers-written fixture folder (Fixtures/transformers: model.safetensors,
  pytorch_model.bin, sharded safetensors, sharded .bin) → `cnzoo convert --to torch` → torchvision
  `load_state_dict(strict=True)` → logits within 1e-4 of transformers' own (recorded by the generator).
* folder-to-hf:<folder>: timm's Hub folder → `--convention transformers` → ConvNextForImageClassification clean, logits
  within 1e-4 of timm's; the ConvNextModel backbone folder → ConvNextModel clean, pooled output within 1e-4 of the
  recorded one (config.json's layer_norm_eps 0.01 carried over).
* hf-to-ms: Fixtures/transformers/micro → `cnzoo convert --to ms --convention mindcv` → mindcv's ConvNeXt
  `load_param_into_net(strict_load=True)` leaves nothing unloaded (a child process: MindSpore beside torch).
"""
import os
import subprocess
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
FIXTURES = os.path.join(ROOT, "Fixtures", "transformers")
sys.path.insert(0, os.path.join(ROOT, "Fixtures"))
from generate_forward import import_torchvision  # noqa: E402

DEPTHS, DIMS, CLASSES = [1, 1, 2, 1], [8, 16, 24, 32], 10
TOL = 1e-4

MINDCV_CHILD = r"""
import sys
import mindspore as ms
from mindcv.models.convnext import ConvNeXt
net = ConvNeXt(in_channels=3, num_classes=%d, depths=%r, dims=%r)
not_loaded, ckpt_not_loaded = ms.load_param_into_net(net, ms.load_checkpoint(sys.argv[1]), strict_load=True)
if not_loaded or ckpt_not_loaded:
    print("UNLOADED", not_loaded, ckpt_not_loaded)
    sys.exit(3)
""" % (CLASSES, DEPTHS, DIMS)


def run(cmd):
    return subprocess.run(cmd, capture_output=True, text=True, timeout=600)


def torchvision_model(torch):
    from torchvision.models.convnext import CNBlockConfig, ConvNeXt
    setting = [CNBlockConfig(DIMS[i], DIMS[i + 1] if i + 1 < len(DIMS) else None, DEPTHS[i]) for i in range(len(DIMS))]
    return ConvNeXt(setting, num_classes=CLASSES).eval()


def seeded(torch, model):
    g = torch.Generator().manual_seed(7)
    with torch.no_grad():
        for name, p in model.named_parameters():
            p.copy_(torch.rand(p.shape, generator=g) * 0.4 + 0.1 if "layer_scale" in name
                    else torch.randn(p.shape, generator=g) * 0.2)
    return model


def main() -> int:
    binary = sys.argv[1]
    torch, _ = import_torchvision()
    try:
        import transformers
        from transformers import ConvNextForImageClassification
    except Exception as e:  # noqa: BLE001
        print(f"SKIP transformers: not importable: {e}")
        return 0
    torch.set_num_threads(2)
    x = torch.from_numpy(np.load(os.path.join(FIXTURES, "micro_input.npy")))
    failures = 0

    def fail(name, why):
        nonlocal failures
        failures += 1
        print(f"FAIL {name}: {why}")

    def convert_and_load(name, source, args, out, cls, expect):
        """cnzoo convert → `expect` in the folder → cls.from_pretrained(output_loading_info=True) with nothing
        missing, unexpected or mismatched: the model, or None after a FAIL line."""
        r = run([binary, "convert", source, *args, "--convention", "transformers", "-o", out, "--quiet"])
        if r.returncode != 0:
            fail(name, f"cnzoo convert exited {r.returncode}: {r.stderr.strip()[-500:]}")
            return None
        if not os.path.exists(os.path.join(out, expect)):
            fail(name, f"no {expect} in {sorted(os.listdir(out))}")
            return None
        try:
            model, info = cls.from_pretrained(out, output_loading_info=True)
        except Exception as e:  # noqa: BLE001
            fail(name, f"{cls.__name__}.from_pretrained refused it: {e}")
            return None
        bad = {k: v for k, v in info.items() if k in ("missing_keys", "unexpected_keys", "mismatched_keys") and v}
        if bad:
            fail(name, f"from_pretrained reported {bad}")
            return None
        return model.eval()

    with tempfile.TemporaryDirectory() as tmp:
        tv = seeded(torch, torchvision_model(torch))
        with torch.no_grad():
            want = tv(x).numpy()
        src = os.path.join(tmp, "tv.pth")
        torch.save(tv.state_dict(), src)
        forms = [("safetensors", ["--to", "safetensors"], "model.safetensors"),
                 ("sharded", ["--to", "safetensors", "--max-shard-size", "40KB"], "model.safetensors.index.json"),
                 ("bin", ["--to", "torch"], "pytorch_model.bin")]
        for form, args, expect in forms:
            name = f"to-hf:{form}"
            model = convert_and_load(name, src, args, os.path.join(tmp, "hf_" + form), ConvNextForImageClassification,
                                     expect)
            if model is None:
                continue
            with torch.no_grad():
                diff = float(np.abs(model(pixel_values=x).logits.numpy() - want).max())
            if diff <= TOL:
                print(f"PASS {name}: torchvision → cnzoo → {expect} → from_pretrained(output_loading_info=True) clean "
                      f"(transformers {transformers.__version__}), max |Δlogit| {diff:.3g}")
            else:
                fail(name, f"transformers logits differ from torchvision's by {diff:.3g} (> {TOL})")

        # Other folders → a transformers folder: timm's Hub folder (logits as timm's) and a ConvNextModel backbone
        # (pooled output as transformers' own, its config.json layer_norm_eps 0.01 carried over).
        from transformers import ConvNextModel
        for folder, cls, recorded, output in [
                ("timm_hub", ConvNextForImageClassification, "timm_hub_logits_timm.npy", "logits"),
                ("backbone", ConvNextModel, "backbone_pooled_transformers.npy", "pooler_output")]:
            name = f"folder-to-hf:{folder}"
            model = convert_and_load(name, os.path.join(FIXTURES, folder), ["--to", "safetensors"],
                                     os.path.join(tmp, "hf_from_" + folder), cls, "model.safetensors")
            if model is None:
                continue
            with torch.no_grad():
                got = getattr(model(pixel_values=x), output).numpy()
            diff = float(np.abs(got - np.load(os.path.join(FIXTURES, recorded))).max())
            if diff <= TOL:
                print(f"PASS {name}: {folder} folder → cnzoo → {cls.__name__}.from_pretrained clean, "
                      f"max |Δ{output}| {diff:.3g}")
            else:
                fail(name, f"{output} differs from the recorded one by {diff:.3g} (> {TOL})")

        hf_logits = np.load(os.path.join(FIXTURES, "micro_logits_transformers.npy"))
        for folder in ["micro", "micro_bin", "micro_sharded", "micro_sharded_bin"]:
            name = f"hf-to-torch:{folder}"
            out = os.path.join(tmp, folder + ".pth")
            r = run([binary, "convert", os.path.join(FIXTURES, folder), "--to", "torch", "-o", out, "--quiet"])
            if r.returncode != 0:
                fail(name, f"cnzoo convert exited {r.returncode}: {r.stderr.strip()[-500:]}")
                continue
            model = torchvision_model(torch)
            try:
                model.load_state_dict(torch.load(out, weights_only=True), strict=True)
            except Exception as e:  # noqa: BLE001
                fail(name, f"torchvision strict load refused it: {e}")
                continue
            with torch.no_grad():
                diff = float(np.abs(model(x).numpy() - hf_logits).max())
            if diff <= TOL:
                print(f"PASS {name}: transformers folder → cnzoo --to torch → torchvision strict, max |Δlogit| {diff:.3g}")
            else:
                fail(name, f"torchvision logits differ from transformers' by {diff:.3g} (> {TOL})")

        name = "hf-to-ms"
        out = os.path.join(tmp, "micro.ckpt")
        r = run([binary, "convert", os.path.join(FIXTURES, "micro"), "--to", "ms", "--convention", "mindcv", "-o", out,
                 "--quiet"])
        if r.returncode != 0:
            fail(name, f"cnzoo convert exited {r.returncode}: {r.stderr.strip()[-500:]}")
        else:
            m = run([sys.executable, "-c", MINDCV_CHILD, out])
            if m.returncode == 0:
                print(f"PASS {name}: transformers folder → cnzoo --to ms → mindcv load_param_into_net(strict_load=True), "
                      "nothing unloaded")
            elif "No module named" in m.stderr:
                print(f"SKIP {name}: mindspore/mindcv not importable")
            else:
                fail(name, f"mindcv strict load: {(m.stdout + m.stderr).strip()[-600:]}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
