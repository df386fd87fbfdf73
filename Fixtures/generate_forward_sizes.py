"""Records logits at input sizes that are not multiples of the model's total stride, with the REAL torchvision
ConvNeXt and the REAL timm ConvMixer (strided convs floor: out = floor((H - k) / s) + 1, the trailing rows and
columns a patch does not cover are ignored).

Run from the repository root:  .venv/bin/python Fixtures/generate_forward_sizes.py

Weights and inputs come from the documented SplitMix64 stream (see Fixtures/generate_forward.py), so only the
logits are stored; the Swift tests rebuild the weights and inputs with `DeterministicWeights`:

  Fixtures/forward/micro_logits_torchvision_<H>x<W>.npy   the micro ConvNeXt of generate_forward.py (seed 7),
                                                          one image of H×W (inputs seeded with 7 + 1)
  Fixtures/forward/convmixer_gelu_logits_timm_<H>x<W>.npy the "gelu" micro ConvMixer of generate_convmixer.py
                                                          (seed 11), one image of H×W
  Fixtures/forward/sizes.json                             sizes, seeds, top-5 and versions
"""
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import generate_convmixer as gc  # noqa: E402
import generate_forward as gf  # noqa: E402

OUT = os.path.join(gf.HERE, "forward")
# 225×225 is what torchvision runs and cnzoo refused before; 97×130 floors differently per side (24→12→6→3 rows,
# 32→16→8→4 columns); 35×50 leaves 3 and 2 uncovered pixels of ConvMixer's patch 4.
CONVNEXT_SIZES = [(225, 225), (97, 130)]
CONVMIXER_SIZES = [(35, 50)]


def main():
    torch, _ = gf.import_torchvision()  # torchvision first, with its fake-kernel workaround, then timm
    import timm
    m = gf.MICRO
    weights = gf.deterministic_weights(m["depths"], m["dims"], m["num_classes"], m["seed"])
    report = {"generator": "Fixtures/generate_forward_sizes.py",
              "versions": {"torch": torch.__version__, "timm": timm.__version__, "numpy": np.__version__},
              "convnext": {"config": {k: m[k] for k in ("depths", "dims", "num_classes", "seed")}, "sizes": {}},
              "convmixer": {"config": gc.MICRO["gelu"], "sizes": {}}}
    for h, w in CONVNEXT_SIZES:
        x = gf.deterministic_inputs(1, h, w, m["seed"])
        logits = gf.torch_logits(m["depths"], m["dims"], m["num_classes"], weights, x)
        np.save(os.path.join(OUT, f"micro_logits_torchvision_{h}x{w}.npy"), logits)
        report["convnext"]["sizes"][f"{h}x{w}"] = {"top5": gf.top5(logits)}
        print(f"convnext micro {h}x{w}: top5 {gf.top5(logits)}", flush=True)
    cfg = gc.MICRO["gelu"]
    model = gc.timm_model(cfg, gc.deterministic_weights(cfg, cfg["seed"]))
    for h, w in CONVMIXER_SIZES:
        x = gc.deterministic_inputs(1, h, w, cfg["seed"])
        logits = gc.timm_logits(model, x)
        np.save(os.path.join(OUT, f"convmixer_gelu_logits_timm_{h}x{w}.npy"), logits)
        report["convmixer"]["sizes"][f"{h}x{w}"] = {"top5": gf.top5(logits)}
        print(f"convmixer gelu {h}x{w}: top5 {gf.top5(logits)}", flush=True)
    with open(os.path.join(OUT, "sizes.json"), "w") as f:
        json.dump(report, f, indent=2, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
