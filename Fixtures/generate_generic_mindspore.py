"""Writes the MindSpore twins of Fixtures/generic/resnet_tiny.pth and layers.pth with real MindSpore cells.

Run from the package root after generate_generic.py:  .venv/bin/python Fixtures/generate_generic_mindspore.py

The networks are built from `mindspore.nn` cells with the torch models' structure (the same attribute names), the
torch weights (read back from resnet_tiny.npz and layers.pth through numpy) are set into them with `set_data`, and
`mindspore.save_checkpoint` writes them. The parameter names and shapes in these files are therefore MindSpore's own:
BatchNorm gamma/beta/moving_mean/moving_variance, LayerNorm/GroupNorm gamma/beta, Embedding embedding_table,
PReLU w, Conv1d weight [out, in, 1, k]. The generator also checks that the MindSpore ResNet's logits match
torchvision's (resnet_tiny_logits.npy) and writes layers_logits_ms.npy for the layer zoo (MindSpore LayerNorm eps
is set to torch's 1e-5).

  resnet_tiny_ms.ckpt, layers_ms.ckpt, expected_ms.json (ordered {name, dtype, shape, sha256} as written)
"""
import hashlib
import json
import os

import numpy as np
import mindspore as ms
from mindspore import nn, ops

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "generic")


class Block(nn.Cell):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, pad_mode="pad", padding=1, has_bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.relu = nn.ReLU()
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, pad_mode="pad", padding=1, has_bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.downsample = None
        if stride != 1 or cin != cout:
            self.downsample = nn.SequentialCell([nn.Conv2d(cin, cout, 1, stride, pad_mode="valid", has_bias=False),
                                                 nn.BatchNorm2d(cout)])

    def construct(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + identity)


class TinyResNet(nn.Cell):
    """torchvision's ResNet (BasicBlock, [1,1,1,1], widths 4/8/16/32) as mindspore.nn cells."""

    def __init__(self, num_classes=10):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 4, 7, 2, pad_mode="pad", padding=3, has_bias=False)
        self.bn1 = nn.BatchNorm2d(4)
        self.relu = nn.ReLU()
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, pad_mode="pad", padding=1)
        self.layer1 = nn.SequentialCell([Block(4, 4, 1)])
        self.layer2 = nn.SequentialCell([Block(4, 8, 2)])
        self.layer3 = nn.SequentialCell([Block(8, 16, 2)])
        self.layer4 = nn.SequentialCell([Block(16, 32, 2)])
        self.fc = nn.Dense(32, num_classes)

    def construct(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(ops.mean(x, axis=(2, 3)))


class Layers(nn.Cell):
    """The torch `Layers` model of generate_generic.py as mindspore.nn cells."""

    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(12, 6)
        self.conv = nn.Conv1d(6, 8, 3, pad_mode="pad", padding=1, has_bias=True)
        self.bn = nn.BatchNorm1d(8)
        self.act = nn.PReLU(8)
        self.gn = nn.GroupNorm(2, 8)
        self.ln = nn.LayerNorm((8,), epsilon=1e-5)
        self.fc = nn.Dense(8, 5)

    def construct(self, ids):
        x = self.embed(ids).transpose(0, 2, 1)
        x = self.gn(self.act(self.bn(self.conv(x))))
        return self.fc(self.ln(x.mean(axis=2)))


TORCH_TO_MS = {"weight": "gamma", "bias": "beta", "running_mean": "moving_mean", "running_var": "moving_variance"}


def ms_name(torch_name, norms, renames):
    """The MindSpore parameter name of a torch state-dict entry (None: no MindSpore slot)."""
    module, _, leaf = torch_name.rpartition(".")
    if leaf == "num_batches_tracked":
        return None
    if module in norms:
        return f"{module}.{TORCH_TO_MS[leaf]}"
    if module in renames:
        return f"{module}.{renames[module]}"
    return torch_name


def fill(net, arrays, norms, renames):
    params = dict(net.parameters_and_names())
    used = set()
    for k, v in arrays.items():
        n = ms_name(k, norms, renames)
        if n is None:
            continue
        p = params[n]
        p.set_data(ms.Tensor(v.reshape(p.shape)))
        used.add(n)
    missing = set(params) - used
    assert not missing, missing


def describe(path):
    out = []
    for name, p in ms.load_checkpoint(path).items():
        a = p.asnumpy()
        out.append({"name": name, "dtype": {np.float32: "F32"}[a.dtype.type], "shape": list(a.shape),
                    "sha256": hashlib.sha256(np.ascontiguousarray(a).tobytes()).hexdigest()})
    return out


def main():
    ms.set_context(mode=ms.PYNATIVE_MODE)
    expected = {}

    resnet = TinyResNet()
    arrays = dict(np.load(os.path.join(HERE, "resnet_tiny.npz")))
    norms = {k.rpartition(".")[0] for k in arrays if k.endswith("running_mean")}
    fill(resnet, arrays, norms, {})
    resnet.set_train(False)
    x = np.load(os.path.join(HERE, "resnet_tiny_input.npy"))
    got = resnet(ms.Tensor(x)).asnumpy()
    want = np.load(os.path.join(HERE, "resnet_tiny_logits.npy"))
    diff = float(np.abs(got - want).max())
    assert diff < 1e-4, f"MindSpore ResNet logits differ from torchvision's by {diff}"
    print(f"resnet_tiny_ms: MindSpore logits within {diff:.2e} of torchvision's")
    path = os.path.join(HERE, "resnet_tiny_ms.ckpt")
    ms.save_checkpoint(resnet, path)
    expected["resnet_tiny_ms.ckpt"] = describe(path)

    layers_arrays = dict(np.load(os.path.join(HERE, "layers.npz")))
    layers = Layers()
    fill(layers, layers_arrays, {"bn", "gn", "ln"}, {"embed": "embedding_table", "act": "w"})
    layers.set_train(False)
    ids = np.load(os.path.join(HERE, "layers_input.npy")).astype(np.int32)
    got = layers(ms.Tensor(ids)).asnumpy()
    want = np.load(os.path.join(HERE, "layers_logits.npy"))
    diff = float(np.abs(got - want).max())
    assert diff < 1e-4, f"MindSpore layer zoo logits differ from torch's by {diff}"
    print(f"layers_ms: MindSpore logits within {diff:.2e} of torch's")
    path = os.path.join(HERE, "layers_ms.ckpt")
    ms.save_checkpoint(layers, path)
    expected["layers_ms.ckpt"] = describe(path)

    with open(os.path.join(HERE, "expected_ms.json"), "w") as f:
        json.dump(expected, f, indent=1, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
