#!/usr/bin/env bash
# Download benchmark: cnzoo fetch (stream to .part + sha256 + fsync + rename) against the same file served by
# scripts/test-http-server.py on 127.0.0.1, side by side with `curl | sha256sum` and Python urllib + hashlib.
# Usage: scripts/bench/fetch.sh CNZOO_BINARY [MEGABYTES] [RUNS]   (use a release build: swift build -c release)
set -euo pipefail
cd "$(dirname "$0")/../.."
bin="$(realpath "$1")"; mb="${2:-200}"; runs="${3:-3}"
work="$(mktemp -d)"; trap 'kill "$server" 2>/dev/null || true; rm -rf "$work"' EXIT
mkdir -p "$work/served" "$work/zoo"
head -c "$((mb * 1000000))" /dev/urandom > "$work/served/weights.bin"
sha="$(sha256sum "$work/served/weights.bin" | cut -d' ' -f1)"
python3 scripts/test-http-server.py --root "$work/served" --lifetime 900 > "$work/port" &
server=$!
for _ in $(seq 50); do [ -s "$work/port" ] && break; sleep 0.1; done
port="$(awk '{print $2}' "$work/port")"; url="http://127.0.0.1:$port/files/weights.bin"
# A manifest with one entry whose costs are the real convnext_tiny ones (the loader checks them).
python3 - "$work/zoo/bench.json" "$url" "$sha" <<'PY'
import json, sys
path, url, sha = sys.argv[1:]
src = json.load(open("Zoo/convnext.json"))["entries"][0]
src["id"] = "bench_tiny"
src["sources"] = [{"id": "bench", "framework": "pytorch", "convention": "torchvision", "url": url,
                   "file_name": "weights.bin", "sha256": sha, "sha256_prefix": None, "dataset": "in1k",
                   "accuracy": None, "license": None, "preprocessing": None}]
json.dump({"version": 1, "family": "convnext", "entries": [src]}, open(path, "w"))
PY
echo "file: ${mb} MB over loopback, $runs runs each; $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
measure() {  # label, command...
  local label="$1"; shift
  for i in $(seq "$runs"); do
    rm -rf "$work/cache"
    /usr/bin/time -f "$label run $i: %e s wall, %M KB peak RSS" "$@" > /dev/null 2> "$work/time" || { cat "$work/time"; exit 1; }
    tail -1 "$work/time"
  done
}
measure "cnzoo fetch" env CNZOO_HOME="$work/cache" "$bin" fetch bench_tiny --manifest-dir "$work/zoo"
measure "curl | sha256sum" sh -c "curl -s '$url' | sha256sum"
measure "python urllib+hashlib" python3 -c "
import hashlib, urllib.request
h = hashlib.sha256()
with urllib.request.urlopen('$url') as r, open('$work/py.bin', 'wb') as f:
    while chunk := r.read(1 << 20):
        f.write(chunk); h.update(chunk)
assert h.hexdigest() == '$sha'"
