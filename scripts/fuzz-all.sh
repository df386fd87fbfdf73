#!/usr/bin/env bash
# Runs every fuzz harness one after another (never in parallel: the machine is shared), each for RUNS executions
# or MAX_SECONDS, whichever comes first, and writes each run's final libFuzzer stats to .build-fuzz/logs/HARNESS.log.
# Usage: scripts/fuzz-all.sh [RUNS] [MAX_SECONDS]   (defaults: 1000000 executions, 600 s per harness)
set -uo pipefail
cd "$(dirname "$0")/.."
runs="${1:-1000000}"; secs="${2:-600}"
harnesses=$(swift run -c debug cnzoo-fuzz 2>&1 | sed -n 's/.*(harnesses: \(.*\)).*/\1/p' | tr -d ',')
mkdir -p .build-fuzz/logs
status=0
for h in $harnesses; do
  echo "== $h"
  if scripts/fuzz.sh "$h" "$runs" "$secs" > ".build-fuzz/logs/$h.log" 2>&1; then
    grep -E 'stat::(number_of_executed_units|average_exec_per_sec|peak_rss_mb)|Done [0-9]+ runs' ".build-fuzz/logs/$h.log"
  else
    echo "FAIL $h (see .build-fuzz/logs/$h.log; crashers in Fixtures/fuzz-crashers/$h/)"; status=1
  fi
done
exit $status
