#!/usr/bin/env python3
"""Writes Fixtures/onnx/: ONNX models written by the real torch.onnx.export, for cnzoo's .onnx reader.

  torchvision_micro_torch.onnx   Fixtures/pytorch/torchvision_micro_f32.pth (torchvision's ConvNeXt, micro config)
                                 exported by torch.onnx.export (TorchScript exporter, opset 18, constant folding on):
                                 state-dict names for most initializers; the Linear weights become transposed
                                 `onnx::MatMul_*` initializers, which cnzoo restores as `<module>.weight`.

Run with the peers' venv: .venv/bin/python Fixtures/generate_onnx.py
"""
import os
import sys

import torch

ROOT = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, ROOT)
from generate_forward import import_torchvision  # noqa: E402


def main():
    import_torchvision()
    from torchvision.models.convnext import CNBlockConfig, ConvNeXt
    dims, depths = [8, 16, 32, 64], [1, 1, 2, 1]
    net = ConvNeXt([CNBlockConfig(dims[i], dims[i + 1] if i < 3 else None, depths[i]) for i in range(4)],
                   num_classes=10).eval()
    net.load_state_dict(torch.load(os.path.join(ROOT, "pytorch", "torchvision_micro_f32.pth"), weights_only=True))
    os.makedirs(os.path.join(ROOT, "onnx"), exist_ok=True)
    out = os.path.join(ROOT, "onnx", "torchvision_micro_torch.onnx")
    torch.onnx.export(net, (torch.zeros(1, 3, 64, 64),), out, dynamo=False, opset_version=18,
                      input_names=["input"], output_names=["logits"])
    print("wrote", out, os.path.getsize(out), "bytes")


if __name__ == "__main__":
    main()
