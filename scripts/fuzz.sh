#!/usr/bin/env bash
# Builds the fuzz harnesses with libFuzzer + AddressSanitizer and runs one for a bounded number of executions.
# Usage: scripts/fuzz.sh HARNESS [RUNS] [MAX_SECONDS]
#   seeds: Fixtures/ files of the matching kind (copied into .build-fuzz/corpus/HARNESS, which grows as it runs);
#   crashers: saved to Fixtures/fuzz-crashers/HARNESS/ (each becomes a regression test in swift test).
#   Runs under `nice -n 10` (the machine is shared). Leak detection is on (ASan's LeakSanitizer at exit and
#   libFuzzer's -detect_leaks per input). The last lines of libFuzzer's output (stat::*) give the numbers.
set -euo pipefail
cd "$(dirname "$0")/.."
harness="$1"; runs="${2:-1000000}"; secs="${3:-900}"
scratch=.build-fuzz
nice -n 10 swift build -c release --scratch-path "$scratch" --product cnzoo-fuzz \
  -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library -Xswiftc -D -Xswiftc CNZOO_FUZZING >&2
bin="$(swift build -c release --scratch-path "$scratch" --show-bin-path)/cnzoo-fuzz"
corpus="$scratch/corpus/$harness"; crashers="Fixtures/fuzz-crashers/$harness"
mkdir -p "$corpus" "$crashers"
small() { find "$@" -type f -size -1M ! -name '*.py' ! -name '*.json' 2>/dev/null || true; }
case "$harness" in
  safetensors|safetensors-read) seeds=$(small Fixtures/safetensors Fixtures/hostile -name '*.safetensors') ;;
  json) seeds=$(find Fixtures -type f -name '*.json' -size -1M) ;;
  detect|checkpoint) seeds=$(small Fixtures/pytorch Fixtures/safetensors Fixtures/mindspore Fixtures/numpy) ;;
  pth|zip) seeds=$(small Fixtures/pytorch Fixtures/hostile \( -name '*.pth' -o -name '*.pt' \)) ;;
  pickle) seeds="$(small Fixtures/pytorch Fixtures/hostile -name '*.pkl')
$(find .build-fuzz/corpus/pickle-seeds -type f 2>/dev/null || true)" ;;
  ckpt) seeds=$(small Fixtures/mindspore Fixtures/hostile -name '*.ckpt') ;;
  npy) seeds=$(small Fixtures/numpy Fixtures/hostile -name '*.npy') ;;
  *) seeds=$(small Fixtures -path "*/$harness/*") ;;
esac
for s in $seeds; do cp -n "$s" "$corpus/" 2>/dev/null || true; done
CNZOO_FUZZ_HARNESS="$harness" nice -n 10 "$bin" "$corpus" -runs="$runs" -max_total_time="$secs" -timeout=5 \
  -rss_limit_mb=2048 -malloc_limit_mb=2048 -max_len=65536 -artifact_prefix="$crashers/" -print_final_stats=1 \
  2>&1 | tail -25
