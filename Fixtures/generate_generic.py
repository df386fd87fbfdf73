"""Writes the "any checkpoint" fixtures under Fixtures/generic/ with real torch, torchvision, timm and numpy.

Run from the package root:  .venv/bin/python Fixtures/generate_generic.py
(then  .venv/bin/python Fixtures/generate_generic_mindspore.py  for the MindSpore twins, which reads the .npz
written here).

Files (all a few KB):
  resnet_tiny.pth            torchvision's ResNet (BasicBlock, layers [1,1,1,1]) built by torchvision's own
                             `_make_layer` with widths 4/8/16/32 instead of 64/128/256/512, 10 classes
  resnet_tiny.npz            the same state dict through numpy.savez (stored members)
  resnet_tiny_compressed.npz the same through numpy.savez_compressed (deflated members)
  resnet_tiny_input.npy / resnet_tiny_logits.npy   an input batch and torchvision's logits for it
  layers.pth (+ layers.npz)  a model with Conv1d, BatchNorm1d, LayerNorm, GroupNorm, Embedding, PReLU, Linear
  timm_headless.pth          timm ConvNeXt (depths 1,1,2,1, dims 8..64) with num_classes=0 (no head.fc)
  timm_features.pth          the same through timm's features_only=True wrapper
  torchvision_features.pth   torchvision micro ConvNeXt `model.features.state_dict()`
  backbone_wrapped.pth       the torchvision micro ConvNeXt state dict under a `backbone.` prefix
  timm_train.pth             a timm-style training checkpoint: epoch, arch, state_dict, state_dict_ema (different
                             values), optimizer (AdamW state), args (argparse.Namespace), metric (numpy scalar)
  object_benign.npy          an object-dtype array of Python strings and ints (numpy pickles it)
  object_payload.npy         an object-dtype array whose element's __reduce__ would create MARKER; proven live by
                             numpy.load(allow_pickle=True) in a child process, and the marker removed again
  object_member.npz          an .npz with a numeric member and an object member carrying that payload (proven live)
  expected.json              per file: ordered {name, dtype, shape, sha256} of what cnzoo must read
"""
import argparse
import json
import os
import subprocess
import sys
from collections import OrderedDict

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from generate_forward import import_torchvision  # noqa: E402
from generate_pytorch import describe  # noqa: E402

torch, torchvision = import_torchvision()
import timm  # noqa: E402
from torch import nn  # noqa: E402
from torchvision.models.convnext import CNBlockConfig, ConvNeXt  # noqa: E402
from torchvision.models.resnet import BasicBlock, ResNet  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "generic")
MARKER = "/tmp/cnzoo_npy_object_marker"
expected = {}


def perturb(m, seed):
    torch.manual_seed(seed)
    with torch.no_grad():
        for name, p in m.named_parameters():
            p.add_(torch.randn_like(p) * 0.05)
        for name, b in m.named_buffers():
            if name.endswith("running_mean"):
                b.copy_(torch.randn_like(b) * 0.1)
            elif name.endswith("running_var"):
                b.copy_(torch.rand_like(b) * 0.5 + 0.5)
            elif name.endswith("num_batches_tracked"):
                b.fill_(17)
    return m.eval()


class TinyResNet(ResNet):
    """torchvision ResNet-18's structure (BasicBlock), one block per stage, widths 4/8/16/32."""

    def __init__(self, num_classes=10):
        nn.Module.__init__(self)
        self._norm_layer = nn.BatchNorm2d
        self.inplanes, self.dilation, self.groups, self.base_width = 4, 1, 1, 64
        self.conv1 = nn.Conv2d(3, 4, kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(4)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.layer1 = self._make_layer(BasicBlock, 4, 1)
        self.layer2 = self._make_layer(BasicBlock, 8, 1, stride=2)
        self.layer3 = self._make_layer(BasicBlock, 16, 1, stride=2)
        self.layer4 = self._make_layer(BasicBlock, 32, 1, stride=2)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(32, num_classes)


class Layers(nn.Module):
    """Every torch layer whose MindSpore twin names or shapes its parameters differently."""

    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(12, 6)
        self.conv = nn.Conv1d(6, 8, kernel_size=3, padding=1)
        self.bn = nn.BatchNorm1d(8)
        self.act = nn.PReLU(8)
        self.gn = nn.GroupNorm(2, 8)
        self.ln = nn.LayerNorm(8)
        self.fc = nn.Linear(8, 5)

    def forward(self, ids):
        x = self.embed(ids).transpose(1, 2)          # [B, 6, L]
        x = self.gn(self.act(self.bn(self.conv(x))))  # [B, 8, L]
        return self.fc(self.ln(x.mean(dim=2)))


def micro_torchvision(seed):
    torch.manual_seed(seed)
    dims, depths = [8, 16, 32, 64], [1, 1, 2, 1]
    cfg = [CNBlockConfig(dims[i], dims[i + 1] if i < 3 else None, depths[i]) for i in range(4)]
    return perturb(ConvNeXt(cfg, num_classes=10), seed)


def micro_timm(seed, dims=(8, 16, 32, 64), **kw):
    torch.manual_seed(seed)
    return perturb(timm.create_model("convnext_tiny", pretrained=False, depths=(1, 1, 2, 1), dims=dims, **kw), seed)


def save(name, obj, sd):
    torch.save(obj, os.path.join(OUT, name))
    expected[name] = describe(sd)


def main():
    os.makedirs(OUT, exist_ok=True)

    torch.manual_seed(1)
    resnet = perturb(TinyResNet(), 1)
    sd = resnet.state_dict()
    save("resnet_tiny.pth", sd, sd)
    arrays = OrderedDict((k, v.numpy()) for k, v in sd.items())
    np.savez(os.path.join(OUT, "resnet_tiny.npz"), **arrays)
    np.savez_compressed(os.path.join(OUT, "resnet_tiny_compressed.npz"), **arrays)
    expected["resnet_tiny.npz"] = expected["resnet_tiny.pth"]
    expected["resnet_tiny_compressed.npz"] = expected["resnet_tiny.pth"]
    x = torch.from_numpy(np.random.default_rng(7).standard_normal((2, 3, 16, 16)).astype(np.float32))
    with torch.no_grad():
        logits = resnet(x)
    np.save(os.path.join(OUT, "resnet_tiny_input.npy"), x.numpy())
    np.save(os.path.join(OUT, "resnet_tiny_logits.npy"), logits.numpy())

    torch.manual_seed(2)
    layers = perturb(Layers(), 2)
    save("layers.pth", layers.state_dict(), layers.state_dict())
    np.savez(os.path.join(OUT, "layers.npz"), **{k: v.numpy() for k, v in layers.state_dict().items()})
    expected["layers.npz"] = expected["layers.pth"]
    ids = torch.tensor([[1, 4, 7, 2, 11], [0, 3, 3, 9, 5]])
    with torch.no_grad():
        np.save(os.path.join(OUT, "layers_logits.npy"), layers(ids).numpy())
    np.save(os.path.join(OUT, "layers_input.npy"), ids.numpy())

    headless = micro_timm(3, num_classes=0)
    save("timm_headless.pth", headless.state_dict(), headless.state_dict())
    feats = micro_timm(3, features_only=True)
    save("timm_features.pth", feats.state_dict(), feats.state_dict())
    tv = micro_torchvision(4)
    save("torchvision_features.pth", tv.features.state_dict(), tv.features.state_dict())
    wrapped = OrderedDict(("backbone." + k, v) for k, v in tv.state_dict().items())
    save("backbone_wrapped.pth", wrapped, wrapped)

    raw = micro_timm(5, dims=(4, 8, 12, 16), num_classes=10)
    ema = micro_timm(6, dims=(4, 8, 12, 16), num_classes=10)
    opt = torch.optim.AdamW(raw.parameters(), lr=1e-3)
    raw(torch.randn(1, 3, 32, 32)).sum().backward()
    opt.step()
    args = argparse.Namespace(model="convnext_micro", lr=1e-3, epochs=300, model_ema=True)
    ckpt = {"epoch": 3, "arch": "convnext_micro", "state_dict": raw.state_dict(), "optimizer": opt.state_dict(),
            "version": 2, "args": args, "state_dict_ema": ema.state_dict(), "metric": np.float64(12.5)}
    torch.save(ckpt, os.path.join(OUT, "timm_train.pth"))
    expected["timm_train.pth"] = {"state_dict_ema": describe(ema.state_dict()),
                                  "state_dict": describe(raw.state_dict())}

    np.save(os.path.join(OUT, "object_benign.npy"), np.array(["conv1", 3, "fc"], dtype=object), allow_pickle=True)
    payload = np.empty(1, dtype=object)
    payload[0] = Payload()
    np.save(os.path.join(OUT, "object_payload.npy"), payload, allow_pickle=True)
    prove_live(os.path.join(OUT, "object_payload.npy"), "numpy.load({path!r}, allow_pickle=True)")
    np.savez(os.path.join(OUT, "object_member.npz"), weight=np.arange(6, dtype=np.float32), meta=payload)
    prove_live(os.path.join(OUT, "object_member.npz"), "numpy.load({path!r}, allow_pickle=True)['meta']")

    with open(os.path.join(OUT, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1, sort_keys=True)
        f.write("\n")


class Payload:
    """Unpickling this calls os.system (what a hostile object array does); pickling it runs nothing."""

    def __reduce__(self):
        return (os.system, (f"touch {MARKER}",))


def prove_live(path, load):
    """`load` (numpy.load with allow_pickle=True) in a child process must create the marker: the payload is real."""
    if os.path.exists(MARKER):
        os.remove(MARKER)
    subprocess.run([sys.executable, "-c", "import numpy; " + load.format(path=path)], check=True)
    if not os.path.exists(MARKER):
        raise SystemExit(f"{path}: the payload did not run under numpy.load(allow_pickle=True)")
    os.remove(MARKER)
    print(f"{os.path.basename(path)}: payload proven live in a child process (marker created, then removed)")


if __name__ == "__main__":
    main()
