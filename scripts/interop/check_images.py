"""Interop check: `cnzoo verify --images` on real-size JPEGs gives torch's top-1 for a torchvision convnext_tiny.

Usage:  .venv/bin/python scripts/interop/check_images.py CNZOO_BINARY
Runs scripts/bench/verify_images.py with 16 images (random-init weights; the agreement is the check) and prints one
PASS/FAIL line; exits non-zero on failure.
"""
import os
import subprocess
import sys

here = os.path.dirname(os.path.abspath(__file__))
bench = os.path.join(here, "..", "bench", "verify_images.py")
r = subprocess.run([sys.executable, bench, sys.argv[1], "16", "2"], capture_output=True, text=True)
lines = [l for l in r.stdout.splitlines() if l.startswith(("PASS", "FAIL"))]
if r.returncode == 0 and lines and lines[-1].startswith("PASS"):
    print("PASS images: " + lines[-1][len("PASS: "):])
    sys.exit(0)
print("FAIL images: " + (lines[-1] if lines else (r.stderr.strip().splitlines() or ["no output"])[-1]))
sys.exit(1)
