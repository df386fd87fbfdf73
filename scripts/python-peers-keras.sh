#!/usr/bin/env bash
# Creates .venv-keras/ (git-ignored): keras 3 with the JAX backend, which needs numpy>=2 and so cannot share .venv
# with MindSpore (numpy<2). Used by Fixtures/generate_keras.py and scripts/interop/check_keras.py.
# Idempotent: a venv that already imports everything is reused. Exit 0 when keras is usable, 1 otherwise (callers
# skip the Keras interop checks and say why).
set -uo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/venv.sh
pins=("keras==3.15.1" "jax[cpu]==0.10.2" "jaxlib==0.10.2" "h5py==3.16.0" "numpy==2.4.6")
check='import os; os.environ["KERAS_BACKEND"] = "jax"; import keras, jax, h5py, numpy; assert keras.__version__ == "3.15.1"'
ensure_venv python-peers-keras .venv-keras "$check" "${pins[@]}"
