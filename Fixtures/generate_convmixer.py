"""Generates the ConvMixer fixtures with the REAL timm ConvMixer and a REAL MindSpore ConvMixer cell tree.

Run from the repository root (needs timm, which `bash scripts/python-peers.sh` installs in `.venv`):

    .venv/bin/python Fixtures/generate_convmixer.py            # micro fixtures + full-size references
    .venv/bin/python Fixtures/generate_convmixer.py micro      # only the micro fixtures
    .venv/bin/python Fixtures/generate_convmixer.py 768_32     # only one full-size reference

mindcv 0.3.0 (PyPI) has no ConvMixer, so the MindSpore model is the MindCV-branch cell tree built here from
`mindspore.nn` cells: `network = SequentialCell(Conv2d(stride p, pad_mode 'pad', padding 0), act, BatchNorm2d,
depth × SequentialCell(Residual(SequentialCell(Conv2d(group=dim, pad_mode 'same'), act, BatchNorm2d)),
Conv2d(1×1), act, BatchNorm2d), AdaptiveAvgPool2d((1, 1)), Flatten, Dense)`, whose parameter names are the branch's
(`network.0.weight`, `network.2.gamma`, `network.{3+i}.0.fn.0.weight`, `network.{depth+5}.weight`, ...).
MindSpore's `nn.GELU()` is the tanh form, timm's `nn.GELU` the erf form; ReLU is ReLU on both.

Deterministic weights (the same algorithm as Swift's `DeterministicWeights.checkpoint(_: ConvMixerSpec, seed:)`):
the SplitMix64 stream of Fixtures/generate_forward.py, seeded with `seed`, runs through the canonical (timm)
tensors in `ConvMixerSpec.parameters()` order, row-major. Per role, in float32 (one multiply, then one add):

    conv / linear weight      v * float32(1 / sqrt(fan_in)),  fan_in = product of shape[1:]
    conv / linear bias        v * float32(0.1)
    BatchNorm weight          v * float32(0.1) + 1
    BatchNorm bias            v * float32(0.1)
    BatchNorm running_mean    v * float32(0.1) + float32(0.2)     (GELU/ReLU outputs have a positive mean)
    BatchNorm running_var     v * float32(0.1) + float32(0.3)     (in [0.2, 0.4): BN visibly rescales)

The offsets keep full-size logits O(1) and input-dependent: without the mean offset a 32-block ReLU stack grows to
logits ~170, with variances near 1 every model collapses to input-independent logits.

`num_batches_tracked` (timm only; not a parameter) is 5004 in every BatchNorm. Inputs: the stream seeded with
`seed + 1`, NCHW, each value `v * 2`.

Outputs:
  Fixtures/convmixer/<name>_timm.pth        timm `model.state_dict()` written by torch.save
  Fixtures/convmixer/<name>_mindcv.ckpt     the MindSpore cell written by mindspore.save_checkpoint
  Fixtures/convmixer/<name>_input.npy       the inputs
  Fixtures/convmixer/<name>_logits_{timm,mindspore}.npy
  Fixtures/convmixer/reference.json         configs, seeds, top-5, versions, cross-framework differences
  Fixtures/forward/convmixer_<variant>_logits_{timm,mindspore}.npy and Fixtures/forward/convmixer_reference.json
                                            full-size references for `cnzoo verify --variant` (no weights)
"""
import json
import math
import os
import sys

import numpy as np

os.environ.setdefault("GLOG_v", "3")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from generate_forward import Stream, import_torchvision, top5  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "convmixer")
REF_OUT = os.path.join(HERE, "forward")
NUM_BATCHES_TRACKED = 5004

# Small configs for `swift test`: (dim, depth, kernel, patch, activation, classes, seed, batch, height, width).
MICRO = {
    "gelu": dict(dim=16, depth=3, kernel=5, patch=4, act="gelu", classes=10, seed=11, batch=3, h=32, w=48),
    "relu": dict(dim=20, depth=4, kernel=3, patch=2, act="relu", classes=7, seed=12, batch=3, h=16, w=20),
    "k9p7": dict(dim=16, depth=2, kernel=9, patch=7, act="gelu", classes=10, seed=13, batch=2, h=42, w=56),
    "headless": dict(dim=8, depth=1, kernel=3, patch=2, act="gelu", classes=0, seed=14, batch=1, h=8, w=8),
}
# The released sizes (timm names), seed 2022 as the ConvNeXt references.
FULL = {
    "768_32": dict(dim=768, depth=32, kernel=7, patch=7, act="relu", classes=1000, batch=2, mindspore=True),
    "1024_20_ks9_p14": dict(dim=1024, depth=20, kernel=9, patch=14, act="gelu", classes=1000, batch=1,
                            mindspore=True),
    "1536_20": dict(dim=1536, depth=20, kernel=9, patch=7, act="gelu", classes=1000, batch=1, mindspore=True),
}
SEED = 2022


def canonical_params(dim, depth, kernel, patch, classes, in_ch=3):
    """(name, shape) in `ConvMixerSpec.parameters()` order."""
    def bn(prefix):
        return [(f"{prefix}.{leaf}", (dim,)) for leaf in ("weight", "bias", "running_mean", "running_var")]
    out = [("stem.0.weight", (dim, in_ch, patch, patch)), ("stem.0.bias", (dim,))] + bn("stem.2")
    for i in range(depth):
        out += [(f"blocks.{i}.0.fn.0.weight", (dim, 1, kernel, kernel)), (f"blocks.{i}.0.fn.0.bias", (dim,))]
        out += bn(f"blocks.{i}.0.fn.2")
        out += [(f"blocks.{i}.1.weight", (dim, dim, 1, 1)), (f"blocks.{i}.1.bias", (dim,))]
        out += bn(f"blocks.{i}.3")
    if classes > 0:
        out += [("head.weight", (classes, dim)), ("head.bias", (classes,))]
    return out


def deterministic_weights(cfg, seed):
    st = Stream(seed)
    weights = {}
    for name, shape in canonical_params(cfg["dim"], cfg["depth"], cfg["kernel"], cfg["patch"], cfg["classes"]):
        v = st.values(int(np.prod(shape))).reshape(shape)
        parts = name.split(".")
        bn = parts[:2] == ["stem", "2"] or parts[2:-1] in (["0", "fn", "2"], ["3"])
        if bn and name.endswith(".running_var"):
            w = v * np.float32(0.1) + np.float32(0.3)
        elif bn and name.endswith(".weight"):
            w = v * np.float32(0.1) + np.float32(1.0)
        elif bn and name.endswith(".running_mean"):
            w = v * np.float32(0.1) + np.float32(0.2)
        elif name.endswith(".bias"):
            w = v * np.float32(0.1)
        else:
            w = v * np.float32(1.0 / math.sqrt(int(np.prod(shape[1:]))))
        weights[name] = w.astype(np.float32)
    return weights


def deterministic_inputs(n, h, w, seed):
    return (Stream(seed + 1).values(n * 3 * h * w) * np.float32(2.0)).reshape(n, 3, h, w)


def timm_model(cfg, weights):
    torch, _ = import_torchvision()
    from timm.models.convmixer import ConvMixer
    act = torch.nn.ReLU if cfg["act"] == "relu" else torch.nn.GELU
    model = ConvMixer(dim=cfg["dim"], depth=cfg["depth"], kernel_size=cfg["kernel"], patch_size=cfg["patch"],
                      num_classes=cfg["classes"], act_layer=act).eval()
    sd = {k: torch.from_numpy(v.copy()) for k, v in weights.items()}
    for k in model.state_dict():
        if k.endswith("num_batches_tracked"):
            sd[k] = torch.tensor(NUM_BATCHES_TRACKED, dtype=torch.int64)
    model.load_state_dict(sd, strict=True)
    return model


def timm_logits(model, x):
    import torch
    torch.set_num_threads(2)
    with torch.inference_mode():
        return model(torch.from_numpy(x)).numpy().astype(np.float32)


def to_mindcv(name, depth):
    """timm name -> MindCV-branch name."""
    bn = {"weight": "gamma", "bias": "beta", "running_mean": "moving_mean", "running_var": "moving_variance"}
    parts = name.split(".")
    if parts[0] == "stem":
        return "network.0." + parts[2] if parts[1] == "0" else "network.2." + bn[parts[2]]
    if parts[0] == "head":
        return f"network.{depth + 5}.{parts[1]}"
    i, rest = int(parts[1]), parts[2:]
    leaf = rest[-1]
    if rest[:-1] in (["0", "fn", "2"], ["3"]):
        leaf = bn[leaf]
    return f"network.{3 + i}." + ".".join(rest[:-1] + [leaf])


def mindspore_cell(cfg):
    from mindspore import nn

    class Residual(nn.Cell):
        def __init__(self, fn):
            super().__init__()
            self.fn = fn

        def construct(self, x):
            return self.fn(x) + x

    def act():
        return nn.ReLU() if cfg["act"] == "relu" else nn.GELU()

    dim, k, p = cfg["dim"], cfg["kernel"], cfg["patch"]
    cells = [nn.Conv2d(3, dim, kernel_size=p, stride=p, has_bias=True, pad_mode="pad", padding=0), act(),
             nn.BatchNorm2d(dim)]
    for _ in range(cfg["depth"]):
        cells.append(nn.SequentialCell(
            Residual(nn.SequentialCell(nn.Conv2d(dim, dim, k, group=dim, pad_mode="same", has_bias=True), act(),
                                       nn.BatchNorm2d(dim))),
            nn.Conv2d(dim, dim, kernel_size=1, has_bias=True, pad_mode="pad", padding=0), act(), nn.BatchNorm2d(dim)))
    cells += [nn.AdaptiveAvgPool2d((1, 1)), nn.Flatten()]
    if cfg["classes"] > 0:
        cells.append(nn.Dense(dim, cfg["classes"]))

    class ConvMixer(nn.Cell):
        def __init__(self):
            super().__init__()
            self.network = nn.SequentialCell(*cells)

        def construct(self, x):
            return self.network(x)

    return ConvMixer()


def mindspore_model(cfg, weights):
    import mindspore as ms
    ms.set_context(mode=ms.PYNATIVE_MODE, device_target="CPU")
    net = mindspore_cell(cfg)
    net.set_train(False)
    params = {to_mindcv(n, cfg["depth"]): ms.Parameter(ms.Tensor(w), name=to_mindcv(n, cfg["depth"]))
              for n, w in weights.items()}
    not_loaded, ckpt_not_loaded = ms.load_param_into_net(net, params, strict_load=True)
    assert not not_loaded and not ckpt_not_loaded, (not_loaded, ckpt_not_loaded)
    assert sorted(p.name for p in net.get_parameters()) == sorted(params), "cell names differ from the mapping"
    return net


def mindspore_logits(net, x):
    import mindspore as ms
    rows = [net(ms.Tensor(x[i:i + 1])).asnumpy() for i in range(x.shape[0])]
    return np.concatenate(rows).astype(np.float32)


def write_json(path, obj):
    with open(path, "w") as f:
        json.dump(obj, f, indent=1, sort_keys=True)
        f.write("\n")


def micro(report):
    import mindspore as ms
    import torch
    os.makedirs(OUT, exist_ok=True)
    for name, cfg in MICRO.items():
        w = deterministic_weights(cfg, cfg["seed"])
        x = deterministic_inputs(cfg["batch"], cfg["h"], cfg["w"], cfg["seed"])
        tm = timm_model(cfg, w)
        torch.save(tm.state_dict(), os.path.join(OUT, f"{name}_timm.pth"))
        net = mindspore_model(cfg, w)
        ckpt = os.path.join(OUT, f"{name}_mindcv.ckpt")
        if os.path.exists(ckpt):
            os.chmod(ckpt, 0o600)
            os.remove(ckpt)
        ms.save_checkpoint(net, ckpt)
        os.chmod(ckpt, 0o644)  # MindSpore leaves 0400
        entry = dict(cfg, tensors=len(w), num_batches_tracked=NUM_BATCHES_TRACKED,
                     first_values=[float(v) for v in Stream(cfg["seed"]).values(4)])
        if cfg["classes"] > 0:
            np.save(os.path.join(OUT, f"{name}_input.npy"), x)
            lt, lm = timm_logits(tm, x), mindspore_logits(net, x)
            np.save(os.path.join(OUT, f"{name}_logits_timm.npy"), lt)
            np.save(os.path.join(OUT, f"{name}_logits_mindspore.npy"), lm)
            entry.update(top5_timm=top5(lt), top5_mindspore=top5(lm),
                         max_abs_diff_timm_vs_mindspore=float(np.abs(lt - lm).max()),
                         logit_std_across_rows=float(lt.std(axis=0).mean()))
            print(name, "timm vs mindspore", entry["max_abs_diff_timm_vs_mindspore"], "top1", [r[0] for r in top5(lt)],
                  flush=True)
        report[name] = entry


def full(report, only):
    for name, cfg in FULL.items():
        if only and name not in only:
            continue
        w = deterministic_weights(cfg, SEED)
        x = deterministic_inputs(cfg["batch"], 224, 224, SEED)
        lt = timm_logits(timm_model(cfg, w), x)
        np.save(os.path.join(REF_OUT, f"convmixer_{name}_logits_timm.npy"), lt)
        entry = {k: v for k, v in cfg.items() if k != "mindspore"}
        entry.update(seed=SEED, h=224, w=224, top5_timm=top5(lt))
        print(name, "timm top5", entry["top5_timm"], flush=True)
        if cfg["mindspore"]:
            lm = mindspore_logits(mindspore_model(cfg, w), x)
            np.save(os.path.join(REF_OUT, f"convmixer_{name}_logits_mindspore.npy"), lm)
            entry.update(top5_mindspore=top5(lm), max_abs_diff_timm_vs_mindspore=float(np.abs(lt - lm).max()))
            print(name, "mindspore top5", entry["top5_mindspore"], "diff", entry["max_abs_diff_timm_vs_mindspore"],
                  flush=True)
        report[name] = entry


def versions():
    import mindspore
    torch, _ = import_torchvision()  # the shim first: timm imports torchvision
    import timm
    return {"timm": timm.__version__, "torch": torch.__version__, "mindspore": mindspore.__version__,
            "numpy": np.__version__}


def main():
    only = [a for a in sys.argv[1:] if not a.startswith("--")]
    head = {"generator": "Fixtures/generate_convmixer.py", "versions": versions(),
            "prng": "SplitMix64; see the generator's docstring and docs/verify.md"}
    if not only or "micro" in only:
        report = {}
        micro(report)
        write_json(os.path.join(OUT, "reference.json"), dict(head, configs=report))
    rest = [o for o in only if o != "micro"]
    if not only or rest:
        path = os.path.join(REF_OUT, "convmixer_reference.json")
        old = json.load(open(path)) if os.path.exists(path) else {}
        variants = old.get("variants", {})
        full(variants, rest)
        write_json(path, dict(head, variants=variants))
    sys.stdout.flush()
    os._exit(0)  # MindSpore's threads can hang interpreter shutdown


if __name__ == "__main__":
    main()
