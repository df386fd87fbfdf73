#!/usr/bin/env bash
# Runs every interop check in scripts/interop/ with the real Python peers against files cnzoo wrote.
# Usage: scripts/interop/run-all.sh CNZOO_BINARY   (with CNZOO_INTEROP_OUT set by the caller)
# Prints a PASS/FAIL/SKIP line per check and a closing "interop: N passed, N failed, N skipped" line.
set -uo pipefail
cd "$(dirname "$0")/../.."
bin="$1"
passed=0; failed=0; skipped=0
if ! bash scripts/python-peers.sh; then
  echo "SKIP interop: the Python peers (torch, mindspore, safetensors) could not be installed; see messages above"
  echo "interop: 0 passed, 0 failed, 1 skipped"
  exit 0
fi
# Scripts are named check_*.py so that none shadows the package it imports (a safetensors.py would).
for script in scripts/interop/check_*.py; do
  log=$(mktemp)
  .venv/bin/python "$script" "$bin" >"$log" 2>&1
  status=$?
  grep -E '^(PASS|FAIL|SKIP)' "$log" || true
  p=$(grep -c '^PASS' "$log"); f=$(grep -c '^FAIL' "$log"); s=$(grep -c '^SKIP' "$log")
  if [ "$status" -ne 0 ] && [ "$f" -eq 0 ]; then
    echo "FAIL $(basename "$script"): exited $status"; tail -20 "$log"; f=1
  fi
  passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
  rm -f "$log"
done
echo "interop: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
