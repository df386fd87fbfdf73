"""Generates the forward-pass fixtures in Fixtures/forward/ with the REAL torchvision and mindcv models.

Run from the repository root:  .venv/bin/python Fixtures/generate_forward.py [--skip-large]

Deterministic weights (the same algorithm as Swift's `DeterministicWeights` in Sources/CNZooVerify):

* SplitMix64: `state += 0x9E3779B97F4A7C15; z = state; z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EB; out = z ^ (z >> 31)` (all mod 2^64). The k-th output (k = 1, 2, ...)
  of a stream seeded with `seed` therefore depends only on `seed + k * 0x9E3779B97F4A7C15`.
* A value `v = ((out >> 40) - 2^23) * 2^-23`, a float32 in [-1, 1) on a 2^-23 grid (exact in float32).
* One stream runs through every canonical tensor in canonical (torchvision state-dict) order, row-major.
  Each tensor's values are `v` scaled by role, in float32 arithmetic (one multiply, then one add):
    conv / linear weight   v * float32(1 / sqrt(fan_in)),  fan_in = product of shape[1:]
    conv / linear bias     v * float32(0.1)
    LayerNorm weight       v * float32(0.1) + 1
    LayerNorm bias         v * float32(0.1)
    layer scale            v * float32(0.2) + float32(0.3)     (in [0.1, 0.5): blocks stay visible)
* Inputs: a second stream seeded with `seed + 1`, NCHW float32, each value `v * 2`.

Outputs (all small): reference logits (.npy) recorded from torchvision (exact erf GELU) and mindcv (tanh GELU),
`reference.json` (seeds, shapes, top-5, versions), and the micro-config test fixtures (canonical-named
safetensors weights written by the safetensors package, inputs, logits from both frameworks).
"""
import json
import math
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "forward")

GOLDEN = np.uint64(0x9E3779B97F4A7C15)
M1 = np.uint64(0xBF58476D1CE4E5B9)
M2 = np.uint64(0x94D049BB133111EB)


class Stream:
    """SplitMix64 producing float32 values in [-1, 1)."""

    def __init__(self, seed):
        self.seed = np.uint64(seed)
        self.count = 0

    def values(self, n):
        out = np.empty(n, dtype=np.float32)
        chunk = 1 << 22
        for start in range(0, n, chunk):
            m = min(chunk, n - start)
            k = np.arange(self.count + 1, self.count + m + 1, dtype=np.uint64)
            self.count += m
            with np.errstate(over="ignore"):
                z = self.seed + k * GOLDEN
                z = (z ^ (z >> np.uint64(30))) * M1
                z = (z ^ (z >> np.uint64(27))) * M2
                z = z ^ (z >> np.uint64(31))
            top = (z >> np.uint64(40)).astype(np.int64) - (1 << 23)
            out[start:start + m] = top.astype(np.float32) * np.float32(2.0 ** -23)
        return out


def canonical_params(depths, dims, num_classes, in_ch=3, k=7, p=4):
    out = [("stem.conv.weight", (dims[0], in_ch, p, p)), ("stem.conv.bias", (dims[0],)),
           ("stem.norm.weight", (dims[0],)), ("stem.norm.bias", (dims[0],))]
    for s, (d, c) in enumerate(zip(depths, dims)):
        if s > 0:
            prev = dims[s - 1]
            out += [(f"stages.{s}.downsample.norm.weight", (prev,)), (f"stages.{s}.downsample.norm.bias", (prev,)),
                    (f"stages.{s}.downsample.conv.weight", (c, prev, 2, 2)), (f"stages.{s}.downsample.conv.bias", (c,))]
        for b in range(d):
            pre = f"stages.{s}.blocks.{b}."
            out += [(pre + "layer_scale", (c,)), (pre + "dwconv.weight", (c, 1, k, k)), (pre + "dwconv.bias", (c,)),
                    (pre + "norm.weight", (c,)), (pre + "norm.bias", (c,)),
                    (pre + "pwconv1.weight", (4 * c, c)), (pre + "pwconv1.bias", (4 * c,)),
                    (pre + "pwconv2.weight", (c, 4 * c)), (pre + "pwconv2.bias", (c,))]
    out += [("head.norm.weight", (dims[-1],)), ("head.norm.bias", (dims[-1],)),
            ("head.fc.weight", (num_classes, dims[-1])), ("head.fc.bias", (num_classes,))]
    return out


def deterministic_weights(depths, dims, num_classes, seed):
    st = Stream(seed)
    weights = {}
    for name, shape in canonical_params(depths, dims, num_classes):
        n = int(np.prod(shape))
        v = st.values(n).reshape(shape)
        if name.endswith("layer_scale"):
            w = v * np.float32(0.2) + np.float32(0.3)
        elif name.endswith("norm.weight"):
            w = v * np.float32(0.1) + np.float32(1.0)
        elif name.endswith(".bias"):
            w = v * np.float32(0.1)
        else:
            fan_in = int(np.prod(shape[1:]))
            w = v * np.float32(1.0 / math.sqrt(fan_in))
        weights[name] = w.astype(np.float32)
    return weights


def deterministic_inputs(n, h, w, seed):
    return (Stream(seed + 1).values(n * 3 * h * w) * np.float32(2.0)).reshape(n, 3, h, w)


def to_torchvision(name):
    parts = name.split(".")
    if parts[0] == "stem":
        return "features.0." + ("0." if parts[1] == "conv" else "1.") + parts[2]
    if parts[0] == "head":
        return "classifier." + ("0." if parts[1] == "norm" else "2.") + parts[2]
    s = int(parts[1])
    if parts[2] == "downsample":
        return f"features.{2 * s}." + ("0." if parts[3] == "norm" else "1.") + parts[4]
    b = parts[3]
    role = parts[4]
    if role == "layer_scale":
        return f"features.{2 * s + 1}.{b}.layer_scale"
    idx = {"dwconv": 0, "norm": 2, "pwconv1": 3, "pwconv2": 5}[role]
    return f"features.{2 * s + 1}.{b}.block.{idx}.{parts[5]}"


def to_mindcv(name):
    parts = name.split(".")
    ln = {"weight": "gamma", "bias": "beta"}
    if parts[0] == "stem":
        return "feature.0.0." + parts[2] if parts[1] == "conv" else "feature.0.1." + ln[parts[2]]
    if parts[0] == "head":
        return "norm." + ln[parts[2]] if parts[1] == "norm" else "classifier." + parts[2]
    s = int(parts[1])
    if parts[2] == "downsample":
        return f"feature.{2 * s}.0." + ln[parts[4]] if parts[3] == "norm" else f"feature.{2 * s}.1." + parts[4]
    b = parts[3]
    role = parts[4]
    if role == "layer_scale":
        return f"feature.{2 * s + 1}.{b}.gamma_"
    if role == "norm":
        return f"feature.{2 * s + 1}.{b}.norm." + ln[parts[5]]
    return f"feature.{2 * s + 1}.{b}.{role}.{parts[5]}"


def import_torchvision():
    import torch
    import torch.library
    orig = torch.library.register_fake
    torch.library.register_fake = lambda *a, **k: (lambda f: f)
    try:
        import torchvision  # noqa: F401
    finally:
        torch.library.register_fake = orig
    import torchvision
    return torch, torchvision


def torch_logits(depths, dims, num_classes, weights, x):
    torch, torchvision = import_torchvision()
    from torchvision.models.convnext import CNBlockConfig, ConvNeXt
    torch.set_num_threads(2)
    setting = [CNBlockConfig(dims[i], dims[i + 1] if i + 1 < len(dims) else None, depths[i]) for i in range(len(dims))]
    model = ConvNeXt(setting, num_classes=num_classes).eval()
    sd = {}
    for name, w in weights.items():
        t = torch.from_numpy(w.copy())
        if name.endswith("layer_scale"):
            t = t.reshape(-1, 1, 1)
        sd[to_torchvision(name)] = t
    model.load_state_dict(sd, strict=True)
    with torch.inference_mode():
        return model(torch.from_numpy(x)).numpy().astype(np.float32)


def mindcv_logits(depths, dims, num_classes, weights, x):
    import mindspore as ms
    from mindcv.models.convnext import ConvNeXt
    ms.set_context(mode=ms.PYNATIVE_MODE, device_target="CPU")
    net = ConvNeXt(in_channels=3, num_classes=num_classes, depths=depths, dims=dims)
    net.set_train(False)
    params = {to_mindcv(n): ms.Parameter(ms.Tensor(w), name=to_mindcv(n)) for n, w in weights.items()}
    not_loaded, ckpt_not_loaded = ms.load_param_into_net(net, params, strict_load=True)
    assert not not_loaded and not ckpt_not_loaded, (not_loaded, ckpt_not_loaded)
    rows = [net(ms.Tensor(x[i:i + 1])).asnumpy() for i in range(x.shape[0])]
    return np.concatenate(rows).astype(np.float32)


def top5(logits):
    return [list(map(int, np.argsort(-row, kind="stable")[:5])) for row in logits]


VARIANTS = {
    "tiny": ([3, 3, 9, 3], [96, 192, 384, 768]),
    "small": ([3, 3, 27, 3], [96, 192, 384, 768]),
    "base": ([3, 3, 27, 3], [128, 256, 512, 1024]),
    "large": ([3, 3, 27, 3], [192, 384, 768, 1536]),
    "xlarge": ([3, 3, 27, 3], [256, 512, 1024, 2048]),
}
SEED = 2022
MICRO = dict(depths=[1, 1, 2, 1], dims=[8, 16, 32, 64], num_classes=10, seed=7, batch=2, h=64, w=96)


def main():
    os.makedirs(OUT, exist_ok=True)
    skip_large = "--skip-large" in sys.argv
    only = [a for a in sys.argv[1:] if not a.startswith("--")]
    import torch
    import mindspore
    import mindcv
    import safetensors
    from safetensors.numpy import save_file
    ref_path = os.path.join(OUT, "reference.json")
    report = json.load(open(ref_path)) if os.path.exists(ref_path) else {}
    report["generator"] = "Fixtures/generate_forward.py"
    report["versions"] = {"torch": torch.__version__, "mindspore": mindspore.__version__,
                          "mindcv": mindcv.__version__, "numpy": np.__version__,
                          "safetensors": safetensors.__version__}
    report["prng"] = "SplitMix64; see the generator's docstring and docs/verify.md"
    report.setdefault("variants", {})

    # Micro config for the Swift tests.
    if not only or "micro" in only:
        m = MICRO
        w = deterministic_weights(m["depths"], m["dims"], m["num_classes"], m["seed"])
        x = deterministic_inputs(m["batch"], m["h"], m["w"], m["seed"])
        save_file(w, os.path.join(OUT, "micro_weights.safetensors"))
        np.save(os.path.join(OUT, "micro_input.npy"), x)
        lt = torch_logits(m["depths"], m["dims"], m["num_classes"], w, x)
        lm = mindcv_logits(m["depths"], m["dims"], m["num_classes"], w, x)
        np.save(os.path.join(OUT, "micro_logits_torchvision.npy"), lt)
        np.save(os.path.join(OUT, "micro_logits_mindcv.npy"), lm)
        report["micro"] = dict(m, top5_torchvision=top5(lt), top5_mindcv=top5(lm),
                               first_values=[float(v) for v in Stream(m["seed"]).values(8)])
        print("micro: torch vs mindcv max diff", float(np.abs(lt - lm).max()), flush=True)

    for name, (depths, dims) in VARIANTS.items():
        if only and name not in only:
            continue
        if skip_large and name in ("large", "xlarge"):
            continue
        n = 4 if name == "tiny" else 1
        w = deterministic_weights(depths, dims, 1000, SEED)
        x = deterministic_inputs(n, 224, 224, SEED)
        lt = torch_logits(depths, dims, 1000, w, x)
        np.save(os.path.join(OUT, f"{name}_logits_torchvision.npy"), lt)
        entry = dict(depths=depths, dims=dims, num_classes=1000, seed=SEED, batch=n, h=224, w=224,
                     top5_torchvision=top5(lt))
        print(name, "torch top5", entry["top5_torchvision"], flush=True)
        lm = mindcv_logits(depths, dims, 1000, w, x)
        np.save(os.path.join(OUT, f"{name}_logits_mindcv.npy"), lm)
        entry["top5_mindcv"] = top5(lm)
        entry["max_abs_diff_torchvision_vs_mindcv"] = float(np.abs(lt - lm).max())
        print(name, "mindcv top5", entry["top5_mindcv"], "diff", entry["max_abs_diff_torchvision_vs_mindcv"], flush=True)
        report["variants"][name] = entry
        with open(ref_path, "w") as f:
            json.dump(report, f, indent=1, sort_keys=True)
            f.write("\n")
    with open(ref_path, "w") as f:
        json.dump(report, f, indent=1, sort_keys=True)
        f.write("\n")
    sys.stdout.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
