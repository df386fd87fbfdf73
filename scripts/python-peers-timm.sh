#!/usr/bin/env bash
# Creates .venv-timm/ (git-ignored): timm layered over the shared peers in .venv (made by scripts/python-peers.sh),
# for Fixtures/generate_convmixer.py. The layer pins numpy 1.x itself so MindSpore imports even if .venv's numpy
# moved. Idempotent; exit 0 when timm, torch and MindSpore import, 1 otherwise.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/python-peers.sh || exit 1
VENV=.venv-timm
PY="$VENV/bin/python"
check='import numpy, mindspore, torch, torch.library as L; o = L.register_fake; L.register_fake = lambda *a, **k: (lambda f: f)
import torchvision; L.register_fake = o; import timm; assert numpy.__version__.startswith("1.")'
if [ -x "$PY" ] && "$PY" -c "$check" >/dev/null 2>&1; then
  exit 0
fi
python3 -m venv "$VENV" || { echo "python-peers-timm: python3 -m venv failed" >&2; exit 1; }
site=$("$PY" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
shared=$(.venv/bin/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
echo "$(cd "$shared" && pwd)" > "$site/shared-peers.pth"
"$VENV/bin/pip" install -q --no-deps "timm==1.0.31" "numpy==1.26.4" >&2 || { echo "python-peers-timm: pip failed" >&2; exit 1; }
"$PY" -c "$check" >/dev/null 2>&1 || { echo "python-peers-timm: timm does not import" >&2; exit 1; }
