#!/usr/bin/env python3
"""Memory of `cnzoo verify` and `cnzoo forward`: peak anonymous memory (RssAnon, sampled from /proc/PID/status every
few milliseconds) and peak RSS (VmHWM, the kernel's own high-water mark, which also counts mapped file pages), printed
beside the weights' bytes (issue 17: `verify --variant base` ≤ 2.5× the weights in anonymous memory; `verify` of an
xlarge file ≤ 3.5 GB).

Usage (from the repository root, after `swift build -c release`):
    .venv/bin/python scripts/bench/verify_memory.py [.build/release/cnzoo] [--runs 1] -- ARGS...
e.g. `-- verify --variant base` or `-- verify --checkpoint xlarge.pth`. The weights' bytes are taken from `--weights-mb`
when given (a checkpoint's file size is used for `--checkpoint F`; for `--variant` pass the variant's f32 size).
"""
import argparse
import os
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def status_kb(pid, fields):
    out = {}
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                key = line.split(":", 1)[0]
                if key in fields:
                    out[key] = int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError):
        return None
    return out


def measure(cmd, interval):
    """(wall s, peak RssAnon MiB, peak VmHWM MiB, exit code) of one run of `cmd`."""
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    anon = hwm = 0
    while p.poll() is None:
        s = status_kb(p.pid, ("RssAnon", "VmHWM"))
        if s:
            anon = max(anon, s.get("RssAnon", 0))
            hwm = max(hwm, s.get("VmHWM", 0))
        time.sleep(interval)
    err = p.stderr.read().decode(errors="replace")
    if p.returncode != 0:
        sys.stderr.write(err[-2000:])
    return time.monotonic() - t0, anon / 1024, hwm / 1024, p.returncode


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("binary", nargs="?", default=os.path.join(ROOT, ".build/release/cnzoo"))
    ap.add_argument("--runs", type=int, default=1)
    ap.add_argument("--interval", type=float, default=0.005, help="sampling interval in seconds")
    ap.add_argument("--weights-mb", type=float, help="the weights' bytes in MiB (default: --checkpoint's file size)")
    argv = sys.argv[1:]
    if "--" not in argv:
        ap.error("give the cnzoo arguments after --")
    cut = argv.index("--")
    a, args = ap.parse_args(argv[:cut]), argv[cut + 1:]
    weights = a.weights_mb
    if weights is None and "--checkpoint" in args:
        weights = os.path.getsize(args[args.index("--checkpoint") + 1]) / 2 ** 20
    rows = [measure([a.binary] + args, a.interval) for _ in range(a.runs)]
    with open("/proc/cpuinfo") as f:
        cpu = next((l.split(":", 1)[1].strip() for l in f if l.startswith("model name")), "unknown CPU")
    print(f"CPU: {cpu}; load average {os.getloadavg()[0]:.1f}; command: cnzoo {' '.join(args)}")
    print("| run | wall s | peak anonymous MiB | peak RSS (VmHWM) MiB | exit | anonymous ÷ weights |")
    print("|---|---|---|---|---|---|")
    for i, (wall, anon, hwm, rc) in enumerate(rows):
        ratio = f"{anon / weights:.2f}" if weights else "—"
        print(f"| {i + 1} | {wall:.1f} | {anon:.0f} | {hwm:.0f} | {rc} | {ratio} |")
    if len(rows) > 1:
        print(f"median peak anonymous {statistics.median(r[1] for r in rows):.0f} MiB")


if __name__ == "__main__":
    main()
