#!/usr/bin/env python3
"""Writes Zoo/labels/imagenet-1k.json: the ImageNet-1k class names, index i naming class i, as the real torchvision
spells them (`torchvision.models._meta._IMAGENET_CATEGORIES`, the names its weights' `meta["categories"]` carry;
unique, so they can key transformers' `label2id`). cnzoo writes them as `id2label` into the `config.json` of a
Hugging Face model folder made from a 1000-class checkpoint that carries no names of its own.

Usage: .venv/bin/python scripts/zoo/generate_labels.py   (needs torchvision: bash scripts/python-peers.sh)
"""
import json
import os
import sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
sys.path.insert(0, os.path.join(ROOT, "Fixtures"))
from generate_forward import import_torchvision  # noqa: E402


def main():
    _, torchvision = import_torchvision()
    from torchvision.models._meta import _IMAGENET_CATEGORIES
    labels = list(_IMAGENET_CATEGORIES)
    assert len(labels) == 1000 and len(set(labels)) == 1000
    doc = {"dataset": "imagenet-1k",
           "source": f"torchvision {torchvision.__version__.split('+')[0]}: torchvision.models._meta._IMAGENET_CATEGORIES",
           "labels": labels}
    out = os.path.join(ROOT, "Zoo", "labels", "imagenet-1k.json")
    with open(out, "w") as f:
        json.dump(doc, f, indent=0, ensure_ascii=False)
        f.write("\n")
    print(f"wrote {len(labels)} labels to {os.path.normpath(out)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
