#!/usr/bin/env bash
# Sets up and runs the whole test suite: system packages, `swift test` (unit, property, fixture and end-to-end CLI
# tests; no Python needed), then the interop checks in which the real torch / MindSpore / safetensors load what
# cnzoo wrote (skipped with a clear message if the Python peers cannot be installed).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export CNZOO_INTEROP_OUT="$PWD/.build/interop-out"
rm -rf "$CNZOO_INTEROP_OUT" && mkdir -p "$CNZOO_INTEROP_OUT"
swift build
swift test
bash scripts/interop/run-all.sh "$(swift build --show-bin-path)/cnzoo"
# The self-contained install: release build, temporary prefix, the binary alone run from / (PASS/FAIL lines).
bash scripts/check-install.sh
# A consumer package depending on the CNZoo library product by version (no unsafeFlags), running docs/library.md.
bash scripts/check-consumer.sh
