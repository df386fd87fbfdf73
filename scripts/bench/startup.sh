#!/usr/bin/env bash
# Binary size and start-up time of one or more cnzoo binaries, side by side in one run (docs/benchmarks.md,
# "Install: binary size and start-up").
#
#   bash scripts/bench/startup.sh [RUNS] BINARY...
#
# For each binary: its size, the size of the Swift toolchain libraries it loads (a dynamically linked build needs
# them beside it), the number of shared libraries `ldd` lists, and the median / min / max wall time of
# `cnzoo --version` and `cnzoo list` over RUNS runs (default 31) after 3 warm-up runs, each run from / with an
# environment of PATH and HOME only. Prints a Markdown table.
set -euo pipefail
runs=31
if [[ ${1:-} =~ ^[0-9]+$ ]]; then runs=$1; shift; fi
[ $# -ge 1 ] || { echo "usage: startup.sh [RUNS] BINARY..." >&2; exit 2; }

# Prints "median min max" in milliseconds of `$@` run $runs times.
time_ms() {
  local i t0 t1 samples=()
  for i in 1 2 3; do (cd / && env -i PATH=/usr/bin:/bin HOME=/tmp "$@") >/dev/null 2>&1; done
  for ((i = 0; i < runs; i++)); do
    t0=$(date +%s%N)
    (cd / && env -i PATH=/usr/bin:/bin HOME=/tmp "$@") >/dev/null 2>&1
    t1=$(date +%s%N)
    samples+=($(( (t1 - t0) / 1000 )))
  done
  printf '%s\n' "${samples[@]}" | sort -n | awk '{ a[NR] = $1 } END {
    printf "%.1f %.1f %.1f", a[int((NR + 1) / 2)] / 1000, a[1] / 1000, a[NR] / 1000 }'
}

echo "CPU: $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) cores; load average $(cut -d' ' -f1-3 /proc/loadavg); $runs runs each"
echo
echo "| binary | size | + Swift toolchain libs it loads | shared libs | \`--version\` median (min–max) | \`list\` median (min–max) |"
echo "|---|---|---|---|---|---|"
for bin in "$@"; do
  size=$(stat -c %s "$bin")
  toolchain=$(ldd "$bin" | awk '/libswift|libFoundation|lib_FoundationICU|libdispatch|libBlocksRuntime/ { print $3 }')
  toolchain_bytes=0
  for lib in $toolchain; do toolchain_bytes=$((toolchain_bytes + $(stat -L -c %s "$lib"))); done
  libs=$(ldd "$bin" | grep -c '=>')
  read -r vmed vmin vmax <<< "$(time_ms "$bin" --version)"
  read -r lmed lmin lmax <<< "$(time_ms "$bin" list)"
  printf '| %s | %s MB | %s MB | %d | %s ms (%s–%s) | %s ms (%s–%s) |\n' "$bin" \
    "$(awk -v b="$size" 'BEGIN { printf "%.1f", b / 1e6 }')" \
    "$(awk -v b="$toolchain_bytes" 'BEGIN { printf "%.1f", b / 1e6 }')" "$libs" \
    "$vmed" "$vmin" "$vmax" "$lmed" "$lmin" "$lmax"
done
