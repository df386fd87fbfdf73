#!/usr/bin/env python3
"""Writes Zoo/convnext.json and Zoo/convmixer.json from the release facts below.

Every fact comes from shared/reference/formats.md §4-§5, the seeds (001 MindSpore Vision table, 002 torchvision
URLs, 003 paper table, 004 MindSpore ConvMixer card), the facebookresearch/ConvNeXt README and the locuslab/convmixer
README; `published_in` says which. Parameter counts and MACs are computed here from the architecture (an independent
re-statement of ConvNeXtSpec / ConvMixerSpec); the Swift tests check every stored number against the Swift specs.

Usage: python3 scripts/zoo/generate_manifests.py [OUT_DIR]   (stdlib only; OUT_DIR defaults to the repository's Zoo/)
"""
import json
import math
import os
import sys

VERSION = 1
MEAN = [0.485, 0.456, 0.406]
STD = [0.229, 0.224, 0.225]

# --------------------------------------------------------------------------------------------- architecture costs

def convnext_costs(depths, dims, res, k=7, p=4, classes=1000, cin=3, layer_scale=True):
    params = dims[0] * cin * p * p + dims[0] + 2 * dims[0]
    hw = res // p
    macs = hw * hw * dims[0] * cin * p * p
    for s, c in enumerate(dims):
        if s > 0:
            prev = dims[s - 1]
            params += 2 * prev + c * prev * 4 + c
            hw //= 2
            macs += hw * hw * c * prev * 4
        block = (c if layer_scale else 0) + c * k * k + c + 2 * c + 4 * c * c + 4 * c + 4 * c * c + c
        params += depths[s] * block
        macs += depths[s] * (hw * hw * c * k * k + 2 * hw * hw * c * 4 * c)
    params += 2 * dims[-1] + classes * dims[-1] + classes
    macs += dims[-1] * classes
    return params, macs


def convmixer_costs(dim, depth, k, p, res, classes=1000, cin=3):
    params = dim * cin * p * p + dim + 2 * dim
    params += depth * (dim * k * k + dim + 2 * dim + dim * dim + dim + 2 * dim)
    params += classes * dim + classes
    hw = res // p
    macs = hw * hw * dim * cin * p * p + depth * (hw * hw * dim * k * k + hw * hw * dim * dim) + dim * classes
    return params, macs


def gflops(macs):
    return math.floor(macs / 1e7 + 0.5) / 100

# ------------------------------------------------------------------------------------------------------ helpers

def source(id, framework, convention, url, dataset, accuracy=None, license=None, preprocessing=None,
           sha256=None, sha256_prefix=None, state_dict_key=None, size_mb_published=None, aliases=(), notes=()):
    return {
        "id": id, "framework": framework, "convention": convention, "url": url,
        "file_name": url.rsplit("/", 1)[1] if url else None,
        "size_bytes": None, "size_mb_published": size_mb_published,
        "sha256": sha256, "sha256_prefix": sha256_prefix, "state_dict_key": state_dict_key,
        "dataset": dataset, "accuracy": accuracy, "license": license, "preprocessing": preprocessing,
        "aliases": list(aliases), "notes": list(notes),
    }


def acc(top1, top5, where):
    return {"top1": top1, "top5": top5, "published_in": where}


def prep(resize=None, resize_mode=None, crop=None, crop_pct=None, interpolation=None, imagenet_stats=False,
         normalization_in_model=None):
    return {"resize": resize, "resize_mode": resize_mode, "crop": crop, "crop_pct": crop_pct,
            "interpolation": interpolation, "mean": MEAN if imagenet_stats else None,
            "std": STD if imagenet_stats else None, "normalization_in_model": normalization_in_model}

# ------------------------------------------------------------------------------------------------------ ConvNeXt

SIZES = [  # name, letter, depths, dims
    ("tiny", "T", [3, 3, 9, 3], [96, 192, 384, 768]),
    ("small", "S", [3, 3, 27, 3], [96, 192, 384, 768]),
    ("base", "B", [3, 3, 27, 3], [128, 256, 512, 1024]),
    ("large", "L", [3, 3, 27, 3], [192, 384, 768, 1536]),
    ("xlarge", "XL", [3, 3, 27, 3], [256, 512, 1024, 2048]),
]

TV = "torchvision ConvNeXt_{W}_Weights.IMAGENET1K_V1 meta (formats.md §5.1)"
TV_RELEASES = {  # hash prefix, acc@1, acc@5, _weight_size MB, resize before the 224 crop
    "tiny": ("983f1562", 82.520, 96.146, 109.118672, 236),
    "small": ("0c510722", 83.616, 96.650, 191.702775, 230),
    "base": ("6075fbad", 84.062, 96.870, 338.064286, 232),
    "large": ("ea097f82", 84.414, 96.976, 754.537187, 232),
}
FB_URL = "https://dl.fbaipublicfiles.com/convnext/"
FB_1K = "facebookresearch/ConvNeXt README, 'ImageNet-1K trained models' (formats.md §5.2)"
FB_22K = "facebookresearch/ConvNeXt README, 'ImageNet-22K trained models', 1k-model column (formats.md §5.2)"
FB_1K_224 = {"tiny": 82.1, "small": 83.1, "base": 83.8, "large": 84.3}
FB_1K_384 = {"base": 85.1, "large": 85.5}
FB_22K_1K = {  # 224, 384
    "tiny": (82.9, 84.1), "small": (84.6, 85.8), "base": (85.8, 86.8), "large": (86.6, 87.5), "xlarge": (87.0, 87.8)}
FB_PREP_224 = prep(256, "shorter-side", 224, 0.875, "bicubic", True)
FB_PREP_384 = prep(384, "warp", None, None, "bicubic", True)
FB_NOTES = ["state dict under the top-level key 'model'; no hash published (file names carry none)"]
MV_URL = "https://download.mindspore.cn/vision/convnext/"
MV = "MindSpore Vision examples/classification/convnext/README.md (seed 001; formats.md §5.4)"
MV_ACC = {  # (top1, top5) at 224, at 384
    "tiny": ((82.5, 96.5), (83.7, 97.0)), "small": ((84.2, 97.3), (85.4, 97.7)),
    "base": ((85.5, 97.7), (86.5, 98.0)), "large": ((86.3, 97.9), (87.1, 98.2)),
    "xlarge": ((86.8, 98.1), (87.2, 98.3))}
MV_NOTES = ["22k->1k per the file name (apparently the official weights converted); the README's eval example "
            "passes --resize 224 (224 models), the exact eval transform is unverified; no hash published"]
MCV_URL = "https://download.mindspore.cn/toolkits/mindcv/convnext/"
MCV = "MindCV configs/convnext/README.md (formats.md §5.5)"
MCV_RELEASES = {"tiny": ("convnext_tiny-ae5ff8d7.ckpt", 81.91, 95.79),
                "small": ("convnext_small-e23008f3.ckpt", 83.40, 96.36),
                "base": ("convnext_base-ee3544b8.ckpt", 83.32, 96.24)}
MCV_PREP = prep(None, None, 224, 0.95, "bicubic")  # MindCV config: image_resize 224 (the crop), crop_pct 0.95
KERAS_URL = "https://storage.googleapis.com/tensorflow/keras-applications/convnext/"
KERAS = "keras/src/applications/convnext.py (WEIGHTS_HASHES, BASE_WEIGHTS_PATH, docstring)"
KERAS_HASHES = {  # WEIGHTS_HASHES[convnext_<size>]: (include_top file, _notop file), checked by keras' get_file
    "tiny": ("8ae6e78ce2933352b1ef4008e6dd2f17bc40771563877d156bc6426c7cf503ff",
             "d547c096cabd03329d7be5562c5e14798aa39ed24b474157cef5e85ab9e49ef1"),
    "small": ("ce1277d8f1ee5a0ef0e171469089c18f5233860ceaf9b168049cb9263fd7483c",
              "6fc8009faa2f00c1c1dfce59feea9b0745eb260a7dd11bee65c8e20843da6eab"),
    "base": ("52cbb006d3dadd03f6e095a8ca1aca47aecdd75acb4bc74bce1f5c695d0086e6",
             "40a20c5548a5e9202f69735ecc06c990e6b7c9d2de39f0361e27baeb24cb7c45"),
    "large": ("070c5ed9ed289581e477741d3b34beffa920db8cf590899d6d2c67fba2a198a6",
              "96f02b6f0753d4f543261bc9d09bed650f24dd6bc02ddde3066135b63d23a1cd"),
    "xlarge": ("c1f5ccab661354fc3a79a10fa99af82f0fbf10ec65cb894a3ae0815f17a889ee",
               "de3f8a54174130e0cecdc71583354753d557fcf1f4487331558e2a16ba0cfe05"),
}
# The docstring: base/large/xlarge were pre-trained on ImageNet-21k and fine-tuned on ImageNet-1k; the others are
# ImageNet-1k weights; all "assembled from the official repository". Inputs are 0-255 pixels: a Normalization layer
# inside the model applies the ImageNet mean/std (x255). No accuracy or eval resize is published for these files.
KERAS_PREP = prep(None, None, 224, None, None, True, normalization_in_model=True)
KERAS_NOTES = ["legacy Keras-2 HDF5 weights of keras.applications.ConvNeXt*; sha256 as WEIGHTS_HASHES publishes it "
               "(keras' own downloader checks it); converted from the official repository's weights per the "
               "docstring; Keras publishes no accuracy for them"]


def keras_sources(size):
    dataset = "in22k-ft-in1k" if size in ("base", "large", "xlarge") else "in1k"
    top, notop = KERAS_HASHES[size]
    name = f"convnext_{size}"
    return [
        source("keras", "keras", "keras", KERAS_URL + name + ".h5", dataset, None, "Apache-2.0", KERAS_PREP,
               sha256=top, aliases=[f"keras.applications.ConvNeXt{KERAS_CLASS[size]}(weights='imagenet')"],
               notes=KERAS_NOTES),
        source("keras-notop", "keras", "keras", KERAS_URL + name + "_notop.h5", dataset, None, "Apache-2.0",
               KERAS_PREP, sha256=notop,
               aliases=[f"keras.applications.ConvNeXt{KERAS_CLASS[size]}(weights='imagenet', include_top=False)"],
               notes=KERAS_NOTES + ["include_top=False: no classifier (a headless backbone; the final LayerNorm "
                                    "is kept)"]),
    ]


KERAS_CLASS = {"tiny": "Tiny", "small": "Small", "base": "Base", "large": "Large", "xlarge": "XLarge"}
MCV_NOTES = ["MindCV-trained (not converted); the 8-hex suffix in the file name is not documented as a sha256 "
             "prefix and MindCV's downloader does not check it, so cnzoo does not use it; released files may be "
             "whole training-network checkpoints (filter by role)"]


# ------------------------------------------------------------------------------------------- Hugging Face (hf)
# The facebook/convnext-* repositories made by transformers' convert_convnext_to_pytorch.py from the official
# releases (its checkpoint list: tiny/small 1k 224; base/large 1k 224 and 384; base/large/xlarge 22k->1k 224 and 384;
# base/large/xlarge 22k 224). Each is a transformers model folder; the files listed are the ones that upload wrote
# (config.json + pytorch_model.bin). The Hub publishes the LFS sha256 of each weight file in its file listing, but
# cnzoo has not read it from there, so no hash is recorded (fetch needs --allow-unverified). Revision "main".
HF_RELEASES = {  # (size, resolution, head) -> (repo suffix, dataset, the official file it was converted from)
    ("tiny", 224, "1k"): ("224", "in1k", "convnext_tiny_1k_224_ema.pth"),
    ("small", 224, "1k"): ("224", "in1k", "convnext_small_1k_224_ema.pth"),
    ("base", 224, "1k"): ("224", "in1k", "convnext_base_1k_224_ema.pth"),
    ("large", 224, "1k"): ("224", "in1k", "convnext_large_1k_224_ema.pth"),
    ("base", 384, "1k"): ("384", "in1k", "convnext_base_1k_384.pth"),
    ("large", 384, "1k"): ("384", "in1k", "convnext_large_1k_384.pth"),
    ("base", 224, "22k-1k"): ("224-22k-1k", "in22k-ft-in1k", "convnext_base_22k_1k_224.pth"),
    ("large", 224, "22k-1k"): ("224-22k-1k", "in22k-ft-in1k", "convnext_large_22k_1k_224.pth"),
    ("xlarge", 224, "22k-1k"): ("224-22k-1k", "in22k-ft-in1k", "convnext_xlarge_22k_1k_224_ema.pth"),
    ("base", 384, "22k-1k"): ("384-22k-1k", "in22k-ft-in1k", "convnext_base_22k_1k_384.pth"),
    ("large", 384, "22k-1k"): ("384-22k-1k", "in22k-ft-in1k", "convnext_large_22k_1k_384.pth"),
    ("xlarge", 384, "22k-1k"): ("384-22k-1k", "in22k-ft-in1k", "convnext_xlarge_22k_1k_384_ema.pth"),
    ("base", 224, "22k"): ("224-22k", "in22k", "convnext_base_22k_224.pth"),
    ("large", 224, "22k"): ("224-22k", "in22k", "convnext_large_22k_224.pth"),
    ("xlarge", 224, "22k"): ("224-22k", "in22k", "convnext_xlarge_22k_224.pth"),
}
HF_FILES = ["config.json", "pytorch_model.bin"]


def hf_sources(size, res, head):
    """The Hugging Face source of one entry (none when transformers has no such checkpoint)."""
    if (size, res, head) not in HF_RELEASES:
        return []
    suffix, dataset, official = HF_RELEASES[(size, res, head)]
    repo = f"facebook/convnext-{size}-{suffix}"
    s = source("huggingface-" + dataset, "pytorch", "transformers", f"https://huggingface.co/{repo}", dataset, None, None,
               FB_PREP_384 if res == 384 else FB_PREP_224, aliases=[f"transformers ConvNextForImageClassification"
                                                                   f".from_pretrained('{repo}')"],
               notes=[f"transformers model folder converted from the official {official}; no hash recorded "
                      "(fetch --allow-unverified); final LayerNorm eps from config.json (1e-12)"])
    s["huggingface"] = {"repo": repo, "revision": "main", "files": [{"name": n, "sha256": None} for n in HF_FILES]}
    return [s]


def convnext_entry(size, letter, depths, dims, res, classes, sources, suffix=""):
    params, macs = convnext_costs(depths, dims, res, classes=classes)
    arch = {"depths": depths, "dims": dims, "kernel_size": 7, "patch_size": 4, "layer_scale": True,
            "num_classes": classes, "in_channels": 3}
    return {"id": f"convnext_{size}{suffix}", "family": "convnext",
            "title": f"ConvNeXt-{letter}" + (f" {res}" if res != 224 else "") + (" 22k head" if classes != 1000 else ""),
            "resolution": res, "architecture": arch, "parameters": params, "macs": macs, "gflops": gflops(macs),
            "supported": {"convert": True, "verify": True}, "notes": [], "sources": sources}


def convnext_entries():
    out = []
    for size, letter, depths, dims in SIZES:
        # 224, ImageNet-1k head
        src = []
        if size in TV_RELEASES:
            h, a1, a5, mb, resize = TV_RELEASES[size]
            w = size.capitalize()
            src.append(source("torchvision", "pytorch", "torchvision",
                              f"https://download.pytorch.org/models/convnext_{size}-{h}.pth", "in1k",
                              acc(a1, a5, TV.format(W=w)), "BSD-3-Clause",
                              prep(resize, "shorter-side", 224, None, "bilinear", True), sha256_prefix=h,
                              size_mb_published=mb, aliases=[f"torchvision.models.ConvNeXt_{w}_Weights.IMAGENET1K_V1"],
                              notes=["torchvision-trained (own recipe), not the official weights; a plain state dict"]))
        if size in FB_1K_224:
            src.append(source("official-in1k", "pytorch", "official", FB_URL + f"convnext_{size}_1k_224_ema.pth",
                              "in1k", acc(FB_1K_224[size], None, FB_1K), "MIT", FB_PREP_224, state_dict_key="model",
                              aliases=[f"timm convnext_{size}.fb_in1k"], notes=FB_NOTES + ["EMA weights"]))
        ema = "_ema" if size == "xlarge" else ""
        src.append(source("official-in22k-ft-in1k", "pytorch", "official", FB_URL + f"convnext_{size}_22k_1k_224{ema}.pth",
                          "in22k-ft-in1k", acc(FB_22K_1K[size][0], None, FB_22K), "MIT", FB_PREP_224,
                          state_dict_key="model", aliases=[f"timm convnext_{size}.fb_in22k_ft_in1k"], notes=FB_NOTES))
        (m1, m5), _ = MV_ACC[size]
        src.append(source("mindvision", "mindspore", "mindvision", MV_URL + f"convnext_{size}_22k_1k_224{ema}.ckpt",
                          "in22k-ft-in1k", acc(m1, m5, MV), "Apache-2.0", prep(resize=224), notes=MV_NOTES))
        if size in MCV_RELEASES:
            name, a1, a5 = MCV_RELEASES[size]
            src.append(source("mindcv", "mindspore", "mindcv", MCV_URL + name, "in1k", acc(a1, a5, MCV), "Apache-2.0",
                              MCV_PREP, notes=MCV_NOTES))
        if size == "tiny":
            src.append(source("mindcv-910v2", "mindspore", "mindcv",
                              "https://download-mindspore.osinfra.cn/toolkits/mindcv/convnext/convnext_tiny-db11dc82-910v2.ckpt",
                              "in1k", acc(81.28, 95.61, MCV + ", Ascend 910v2 row"), "Apache-2.0", MCV_PREP,
                              notes=MCV_NOTES))
        src += keras_sources(size)
        src += hf_sources(size, 224, "1k") + hf_sources(size, 224, "22k-1k")
        out.append(convnext_entry(size, letter, depths, dims, 224, 1000, src))

        # 384, ImageNet-1k head
        src = []
        if size in FB_1K_384:
            src.append(source("official-in1k", "pytorch", "official", FB_URL + f"convnext_{size}_1k_384.pth", "in1k",
                              acc(FB_1K_384[size], None, FB_1K), "MIT", FB_PREP_384, state_dict_key="model",
                              notes=FB_NOTES))
        src.append(source("official-in22k-ft-in1k", "pytorch", "official", FB_URL + f"convnext_{size}_22k_1k_384{ema}.pth",
                          "in22k-ft-in1k", acc(FB_22K_1K[size][1], None, FB_22K), "MIT", FB_PREP_384,
                          state_dict_key="model", aliases=[f"timm convnext_{size}.fb_in22k_ft_in1k_384"], notes=FB_NOTES))
        _, (m1, m5) = MV_ACC[size]
        src.append(source("mindvision", "mindspore", "mindvision", MV_URL + f"convnext_{size}_22k_1k_384{ema}.ckpt",
                          "in22k-ft-in1k", acc(m1, m5, MV), "Apache-2.0", prep(), notes=MV_NOTES))
        src += hf_sources(size, 384, "1k") + hf_sources(size, 384, "22k-1k")
        out.append(convnext_entry(size, letter, depths, dims, 384, 1000, src, suffix="_384"))

        # 224, ImageNet-22k head (21841 classes)
        src = [source("official-in22k", "pytorch", "official", FB_URL + f"convnext_{size}_22k_224.pth", "in22k",
                      None, "MIT", FB_PREP_224, state_dict_key="model", aliases=[f"timm convnext_{size}.fb_in22k"],
                      notes=FB_NOTES + ["21841-class ImageNet-22k head; no ImageNet-1k accuracy applies"])]
        src += hf_sources(size, 224, "22k")
        out.append(convnext_entry(size, letter, depths, dims, 224, 21841, src, suffix="_in22k"))
    return out

# ----------------------------------------------------------------------------------------------------- ConvMixer

LOCUS = "https://github.com/tmp-iclr/convmixer/releases/download/"
LOCUS_README = "locuslab/convmixer README ('You should get a 81.37% accuracy')"
MCV_CM = "https://storage.googleapis.com/huawei-mindspore-hk/ConvMixer/Converted/"
MCV_CM_README = "MindCV ConvMixer README on the unmerged branch c1b06f8c (formats.md §4.2), evaluated in MindSpore"
TIMM_CM_PREP = prep(None, None, 224, 0.96, "bicubic", True)
CONVMIXERS = [  # id, title, dim, depth, k, p, act, release file, README MB, official top-1, mindcv (top1, top5)
    ("convmixer_1536_20", "ConvMixer-1536/20", 1536, 20, 9, 7, "gelu", "convmixer_1536_20_ks9_p7.pth.tar", 207,
     81.37, (80.98, 95.51)),
    ("convmixer_768_32", "ConvMixer-768/32", 768, 32, 7, 7, "relu", "convmixer_768_32_ks7_p7_relu.pth.tar", 85,
     None, (79.68, 94.92)),
    ("convmixer_1024_20_ks9_p14", "ConvMixer-1024/20", 1024, 20, 9, 14, "gelu", "convmixer_1024_20_ks9_p14.pth.tar",
     98, None, (76.68, 93.3)),
]


ACTIVATION_NOTES = {
    "relu": "activation ReLU (the release was trained with it; no state dict records the activation, so forward and "
            "verify take it from this entry)",
    "gelu": "activation GELU: exact (erf) in timm, MindSpore's nn.GELU() tanh form in MindCV (logits ~1e-4 apart); "
            "no state dict records it",
}


def convmixer_entries():
    out = []
    for cid, title, dim, depth, k, p, act, fname, mb, top1, mcv in CONVMIXERS:
        params, macs = convmixer_costs(dim, depth, k, p, 224)
        official_acc = acc(top1, None, LOCUS_README) if top1 is not None else None
        short = cid[len("convmixer_"):].split("_ks")[0]
        src = [
            source("timm", "pytorch", "timm", LOCUS + "timm-v1.0/" + fname, "in1k", official_acc, "MIT", TIMM_CM_PREP,
                   aliases=[f"timm {cid}"],
                   notes=["the URL timm's original pretrained cfg pointed at (tag timm-v1.0, same file names as v1.0); "
                          + ("the accuracy is the one the README states for the v1.0 file of the same name; "
                             if top1 is not None else "")
                          + "no hash published"]),
            source("official", "pytorch", None, LOCUS + "v1.0/" + fname, "in1k", official_acc, "MIT", TIMM_CM_PREP,
                   size_mb_published=mb,
                   notes=["the authors' release linked from the locuslab/convmixer README; its wrapping and parameter "
                          "naming are unverified; no hash published"]),
            source("mindcv", "mindspore", "mindcv", MCV_CM + f"convmixer_{short}.ckpt", "in1k",
                   acc(mcv[0], mcv[1], MCV_CM_README), "Apache-2.0",
                   prep(None, None, 224, 0.96, "bilinear") if cid == "convmixer_768_32" else None,
                   notes=["converted from the PyTorch release; MindCV names network.* (formats.md §4.2); no hash "
                          "published"]),
        ]
        if cid == "convmixer_1536_20":
            src.append(source("mindspore-models", "mindspore", None, None, "in1k",
                              acc(81.7, 95.7, "MindSpore models ConvMixer README (seed 004), 8x Ascend 910"),
                              "Apache-2.0", prep(None, None, 224, 0.96, "bicubic"),
                              notes=["trained with MindSpore 1.5.1; the model card gives no download link; "
                                     "preprocessing from its convmixer_1536_20.yaml (image_size, crop_pct, interpolation)"]))
        out.append({"id": cid, "family": "convmixer", "title": title, "resolution": 224,
                    "architecture": {"dim": dim, "depth": depth, "kernel_size": k, "patch_size": p, "activation": act,
                                     "num_classes": 1000, "in_channels": 3},
                    "parameters": params, "macs": macs, "gflops": gflops(macs),
                    "supported": {"convert": True, "verify": True},
                    "notes": [ACTIVATION_NOTES[act]], "sources": src})
    return out


def write(path, family, description, entries):
    doc = {"version": VERSION, "family": family, "description": description, "entries": entries}
    with open(path, "w") as f:
        json.dump(doc, f, indent=2, ensure_ascii=False)
        f.write("\n")


if __name__ == "__main__":
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "Zoo")
    write(os.path.join(root, "convnext.json"), "convnext",
          "ConvNeXt (Liu et al., CVPR 2022): T/S/B/L/XL at 224 and 384, ImageNet-1k and ImageNet-22k heads, with "
          "every published release (torchvision, official, MindSpore Vision, MindCV, Keras).", convnext_entries())
    write(os.path.join(root, "convmixer.json"), "convmixer",
          "ConvMixer (Trockman & Kolter, 'Patches Are All You Need?'): the three released variants.",
          convmixer_entries())
    print(f"wrote convnext.json and convmixer.json in {root}")
