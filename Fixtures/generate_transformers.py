"""Writes the Hugging Face fixtures under Fixtures/transformers/ with the REAL transformers (4.57.6) and timm.

Run from the package root:  .venv/bin/python Fixtures/generate_transformers.py

A micro `ConvNextConfig` (depths 1,1,2,1, hidden sizes 8/16/24/32, 10 labels, image size 32) built by transformers
itself, its weights overwritten with seeded random values (layer scales in [0.1, 0.5) so every block shows), then
written by `save_pretrained` in every folder form transformers 4.x has:

  micro/              ConvNextForImageClassification: config.json + model.safetensors (`convnext.` prefix, classifier)
  micro_bin/          the same through save_pretrained(safe_serialization=False): config.json + pytorch_model.bin
  micro_sharded/      the same with max_shard_size="40KB": model-0000k-of-0000N.safetensors + model.safetensors.index.json
  micro_sharded_bin/  sharded pytorch_model-0000k-of-0000N.bin + pytorch_model.bin.index.json
  backbone/           ConvNextModel (no prefix, no head) with layer_norm_eps=0.01 in config.json, so the final norm's
                      eps from config.json shows in the pooled output
  timm_hub/           timm's Hub folder for a micro timm ConvNeXt (timm.models.push_to_hub.save_for_hf: config.json
                      with `architecture`, `num_classes`, `model_args`, plus model.safetensors in timm naming)

plus micro_input.npy (NCHW float32 [2,3,32,32]), micro_logits_transformers.npy (ConvNextForImageClassification
logits), backbone_pooled_transformers.npy (ConvNextModel pooler_output), timm_hub_logits_timm.npy (timm logits),
and expected.json: per folder the files written and its class; the tensors' {name, dtype, shape, sha256} of the
micro model (the same in every micro* folder), of backbone/ and of timm_hub/.
"""
import json
import os
import shutil
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from generate_forward import import_torchvision  # noqa: E402
from generate_pytorch import describe  # noqa: E402

torch, torchvision = import_torchvision()
import timm  # noqa: E402
import transformers  # noqa: E402
from timm.models._hub import save_for_hf  # noqa: E402
from transformers import ConvNextConfig, ConvNextForImageClassification, ConvNextModel  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "transformers")
DEPTHS, DIMS, LABELS, SIDE = [1, 1, 2, 1], [8, 16, 24, 32], 10, 32


def randomize(model, seed):
    """Seeded weights: layer scales in [0.1, 0.5), norm weights near 1, the rest small."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("layer_scale_parameter") or name.endswith("gamma"):
                p.copy_(torch.rand(p.shape, generator=g) * 0.4 + 0.1)
            elif ("norm" in name) and name.endswith("weight") and p.dim() == 1:
                p.copy_(1 + 0.1 * torch.randn(p.shape, generator=g))
            elif p.dim() > 1:
                fan_in = p[0].numel()
                p.copy_(torch.randn(p.shape, generator=g) / fan_in ** 0.5)
            else:
                p.copy_(0.1 * torch.randn(p.shape, generator=g))
    return model.eval()


def fresh(name):
    path = os.path.join(OUT, name)
    shutil.rmtree(path, ignore_errors=True)
    return path


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.manual_seed(0)
    expected = {"transformers_version": transformers.__version__, "timm_version": timm.__version__, "folders": {}}
    x = torch.from_numpy(np.random.default_rng(5).standard_normal((2, 3, SIDE, SIDE)).astype(np.float32))
    np.save(os.path.join(OUT, "micro_input.npy"), x.numpy())

    config = ConvNextConfig(depths=DEPTHS, hidden_sizes=DIMS, num_labels=LABELS, image_size=SIDE,
                            id2label={i: f"class_{i}" for i in range(LABELS)},
                            label2id={f"class_{i}": i for i in range(LABELS)})
    model = randomize(ConvNextForImageClassification(config), 1)
    with torch.no_grad():
        logits = model(pixel_values=x).logits.numpy()
    np.save(os.path.join(OUT, "micro_logits_transformers.npy"), logits.astype(np.float32))
    sd = model.state_dict()
    for folder, kw in [("micro", {}), ("micro_bin", {"safe_serialization": False}),
                       ("micro_sharded", {"max_shard_size": "40KB"}),
                       ("micro_sharded_bin", {"max_shard_size": "40KB", "safe_serialization": False})]:
        model.save_pretrained(fresh(folder), **kw)
        reloaded = ConvNextForImageClassification.from_pretrained(os.path.join(OUT, folder)).eval()
        with torch.no_grad():
            assert np.array_equal(reloaded(pixel_values=x).logits.numpy(), logits), folder
        expected["folders"][folder] = {"files": sorted(os.listdir(os.path.join(OUT, folder))),
                                       "class": "ConvNextForImageClassification"}
    expected["micro_tensors"] = describe(sd)  # the same tensors in every micro* folder

    bconfig = ConvNextConfig(depths=DEPTHS, hidden_sizes=DIMS, image_size=SIDE, layer_norm_eps=0.01)
    backbone = randomize(ConvNextModel(bconfig), 2)
    with torch.no_grad():
        pooled = backbone(pixel_values=x).pooler_output.numpy()
    np.save(os.path.join(OUT, "backbone_pooled_transformers.npy"), pooled.astype(np.float32))
    backbone.save_pretrained(fresh("backbone"))
    expected["folders"]["backbone"] = {"files": sorted(os.listdir(os.path.join(OUT, "backbone"))),
                                       "class": "ConvNextModel", "tensors": describe(backbone.state_dict())}

    model_args = {"depths": DEPTHS, "dims": DIMS, "num_classes": LABELS}
    tm = randomize(timm.create_model("convnext_tiny", pretrained=False, **model_args), 3)
    with torch.no_grad():
        np.save(os.path.join(OUT, "timm_hub_logits_timm.npy"), tm(x).numpy().astype(np.float32))
    save_for_hf(tm, fresh("timm_hub"), model_args=model_args, safe_serialization="both")
    os.remove(os.path.join(OUT, "timm_hub", "pytorch_model.bin"))  # keep one weight file: two is an error
    expected["folders"]["timm_hub"] = {"files": sorted(os.listdir(os.path.join(OUT, "timm_hub"))),
                                       "class": "timm", "tensors": describe(tm.state_dict())}

    with open(os.path.join(OUT, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1, sort_keys=True)
        f.write("\n")
    total = sum(os.path.getsize(os.path.join(d, n)) for d, _, ns in os.walk(OUT) for n in ns)
    print(f"wrote {OUT} ({total} bytes)")


if __name__ == "__main__":
    main()
