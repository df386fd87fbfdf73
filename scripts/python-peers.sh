#!/usr/bin/env bash
# Creates .venv/ (git-ignored) with the real peer frameworks used to generate fixtures and to run interop checks:
# torch (CPU wheel), torchvision, timm, MindSpore + mindcv (which need numpy<2), safetensors, jsonschema, onnx +
# onnxruntime (onnx pulls ml-dtypes, whose 0.6+ needs numpy 2: pinned below 0.6), transformers 4.x (the last line
# that still writes pytorch_model.bin; 4.57.6 runs with numpy 1.26). One pip call, so pip resolves
# every pin together and never upgrades numpy behind MindSpore's back.
# Idempotent: a venv that already imports everything is reused. Exit 0 when the peers are usable, 1 otherwise
# (callers skip interop checks and say why).
set -uo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/venv.sh
pins=("torch==2.13.0+cpu" "torchvision==0.28.0" "mindspore==2.10.0" "mindcv==0.3.0" "numpy==1.26.4"
      "safetensors==0.8.0" "jsonschema==4.26.0" "timm==1.0.31" "onnx==1.23.2" "onnxruntime==1.32.0" "ml-dtypes<0.6"
      "transformers==4.57.6")
check='import torch, mindspore, mindcv, safetensors, jsonschema, onnx, onnxruntime, transformers, numpy; assert numpy.__version__.startswith("1.")'
ensure_venv python-peers .venv "$check" "${pins[@]}"
