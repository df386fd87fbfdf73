#!/usr/bin/env bash
# Builds the fuzz harnesses with libFuzzer + AddressSanitizer and runs one for a bounded number of executions.
# Usage: scripts/fuzz.sh HARNESS [RUNS] [MAX_SECONDS]
#   seeds: Fixtures/ files of the matching kind (copied into .build-fuzz/corpus/HARNESS, which grows as it runs);
#   crashers: saved to Fixtures/fuzz-crashers/HARNESS/ (each becomes a regression test in swift test).
#   FUZZ_FLAGS adds libFuzzer flags (hdf5: `-fork=1 -ignore_crashes=1 -ignore_timeouts=1`, since libhdf5 itself
#   crashes on some inputs in-process; cnzoo runs it in a child process, see docs/robustness.md).
#   Runs under `nice -n 10` (the machine is shared). Leak detection is on (ASan's LeakSanitizer at exit and
#   libFuzzer's -detect_leaks per input). The last lines of libFuzzer's output (stat::*) give the numbers.
set -euo pipefail
cd "$(dirname "$0")/.."
harness="$1"; runs="${2:-1000000}"; secs="${3:-900}"
scratch=.build-fuzz
# FUZZ_NO_BUILD=1 reuses the last build (to keep fuzzing one binary while the sources change).
[ -n "${FUZZ_NO_BUILD:-}" ] || nice -n 10 swift build -c release --scratch-path "$scratch" --product cnzoo-fuzz \
  -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library -Xswiftc -D -Xswiftc CNZOO_FUZZING >&2
bin="$(swift build -c release --scratch-path "$scratch" --show-bin-path)/cnzoo-fuzz"
corpus="$scratch/corpus/$harness"; crashers="Fixtures/fuzz-crashers/$harness"
mkdir -p "$corpus" "$crashers"
small() { find "$@" -type f -size -1024k ! -name '*.py' ! -name '*.json' 2>/dev/null || true; }
case "$harness" in
  safetensors|safetensors-read) seeds=$(small Fixtures/safetensors Fixtures/hostile -name '*.safetensors') ;;
  json) seeds=$(find Fixtures -type f -name '*.json' -size -1024k) ;;
  detect|checkpoint) seeds=$(small Fixtures/pytorch Fixtures/safetensors Fixtures/mindspore Fixtures/forward Fixtures/hostile \
                             Fixtures/generic Fixtures/onnx) ;;
  pth|zip) seeds=$(small Fixtures/pytorch Fixtures/hostile \( -name '*.pth' -o -name '*.pt' \)) ;;
  pickle)
    # Bare pickles, plus every data.pkl inside the .pth fixtures.
    mkdir -p "$scratch/pickle-seeds"
    python3 -c 'import sys, zipfile, os
for p in sys.argv[2:]:
    try:
        z = zipfile.ZipFile(p)
    except Exception:
        continue
    for n in z.namelist():
        if n.endswith(".pkl"):
            open(os.path.join(sys.argv[1], os.path.basename(p) + "." + n.replace("/", "_")), "wb").write(z.read(n))' \
      "$scratch/pickle-seeds" $(small Fixtures/pytorch Fixtures/hostile -name '*.pth') || true
    seeds="$(small Fixtures/pytorch Fixtures/hostile -name '*.pkl') $(small "$scratch/pickle-seeds")" ;;
  ckpt|ckpt-diff) seeds=$(small Fixtures/mindspore Fixtures/hostile -name '*.ckpt') ;;
  onnx) seeds=$(small Fixtures/onnx -name '*.onnx') ;;
  npz) seeds=$(small Fixtures/generic Fixtures/hostile -name '*.npz') ;;
  npy) seeds=$(small Fixtures/forward Fixtures/hostile -name '*.npy') ;;
  hdf5) seeds=$(small Fixtures/keras -name '*.h5') ;;
  zip-diff) seeds=$(small Fixtures/pytorch Fixtures/hostile Fixtures/keras \( -name '*.pth' -o -name '*.keras' \)) ;;
  *) seeds=$(small Fixtures -path "*/$harness/*") ;;
esac
for s in $seeds; do cp -n "$s" "$corpus/" 2>/dev/null || true; done
CNZOO_FUZZ_HARNESS="$harness" nice -n 10 "$bin" "$corpus" -runs="$runs" -max_total_time="$secs" -timeout=5 \
  -rss_limit_mb=2048 -malloc_limit_mb=2048 -max_len=65536 -dict=scripts/fuzz.dict -artifact_prefix="$crashers/" -print_final_stats=1 ${FUZZ_FLAGS:-} \
  2>&1 | tail -25
echo "corpus: $(ls "$corpus" | wc -l) files in $corpus; crashers: $(ls "$crashers" | wc -l) files in $crashers"
