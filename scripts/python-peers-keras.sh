#!/usr/bin/env bash
# Creates .venv-keras/ (git-ignored): keras 3 with the JAX backend, which needs numpy>=2 and so cannot share .venv
# with MindSpore (numpy<2). Used by Fixtures/generate_keras.py and scripts/interop/check_keras.py.
# Idempotent: a venv that already imports everything is reused. Exit 0 when keras is usable, 1 otherwise (callers
# skip the Keras interop checks and say why).
set -uo pipefail
cd "$(dirname "$0")/.."
VENV=.venv-keras
PY="$VENV/bin/python"
pins=("keras==3.15.1" "jax[cpu]==0.10.2" "jaxlib==0.10.2" "h5py==3.16.0" "numpy==2.4.6")
check='import os; os.environ["KERAS_BACKEND"] = "jax"; import keras, jax, h5py, numpy; assert keras.__version__ == "3.15.1"'
if [ -x "$PY" ] && "$PY" -c "$check" >/dev/null 2>&1; then
  exit 0
fi
echo "python-peers-keras: creating $VENV with ${pins[*]}" >&2
python3 -m venv "$VENV" || { echo "python-peers-keras: python3 -m venv failed" >&2; exit 1; }
if ! "$VENV/bin/pip" install -q "${pins[@]}" >&2; then
  echo "python-peers-keras: pip install failed" >&2
  exit 1
fi
"$PY" -c "$check" >/dev/null 2>&1 || { echo "python-peers-keras: installed packages do not import" >&2; exit 1; }
