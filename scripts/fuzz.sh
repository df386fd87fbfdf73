#!/usr/bin/env bash
# Builds the fuzz harnesses with libFuzzer + AddressSanitizer and runs one for a bounded number of executions.
# Usage: scripts/fuzz.sh HARNESS [RUNS] [MAX_SECONDS]
#   seeds: Fixtures/ files of the matching kind (copied into .build-fuzz/corpus/HARNESS, which grows as it runs);
#   crashers: saved to Fixtures/fuzz-crashers/HARNESS/ (each becomes a regression test in swift test).
set -euo pipefail
cd "$(dirname "$0")/.."
harness="$1"; runs="${2:-1000000}"; secs="${3:-900}"
scratch=.build-fuzz
swift build -c release --scratch-path "$scratch" --product cnzoo-fuzz \
  -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library -Xswiftc -D -Xswiftc CNZOO_FUZZING >&2
bin="$(swift build -c release --scratch-path "$scratch" --show-bin-path)/cnzoo-fuzz"
corpus="$scratch/corpus/$harness"; crashers="Fixtures/fuzz-crashers/$harness"
mkdir -p "$corpus" "$crashers"
case "$harness" in
  safetensors|json|detect) seeds=$(find Fixtures/safetensors -type f -name '*.safetensors') ;;
  *) seeds=$(find Fixtures -type f \( -name "*.$harness" -o -path "*/$harness/*" \) -size -1M) ;;
esac
for s in $seeds; do cp -n "$s" "$corpus/" 2>/dev/null || true; done
CNZOO_FUZZ_HARNESS="$harness" "$bin" "$corpus" -runs="$runs" -max_total_time="$secs" -timeout=5 -rss_limit_mb=2048 \
  -max_len=65536 -artifact_prefix="$crashers/" -print_final_stats=1 2>&1 | tail -25
