"""MindSpore .ckpt read/write throughput: cnzoo next to MindSpore (and protobuf parsers) on the same file, same run.

Usage (from the package root):
    swift build -c release --product mindspore-bench && swift build -c release --product cnzoo
    .venv/bin/python scripts/bench/ckpt_rw.py [--model convnext_base] [--runs 5] [--workdir /tmp/cnzoo-bench-ms]

Makes `<workdir>/<model>.ckpt` with real mindcv (random init) + mindspore.save_checkpoint (not committed), then times,
with a warm page cache, medians over --runs:
  * mindspore.save_checkpoint(net) (also + fsync, as cnzoo's atomic writer always fsyncs) /
    mindspore.load_checkpoint(file) (also of a crc_check=True copy, verifying)  (in-process, after `import mindspore`)
  * protobuf (upb, MindSpore's own checkpoint_pb2) Checkpoint.ParseFromString of the whole file (in-process)
  * protobuf-c generated parser (libprotobuf-c, proto/checkpoint.proto via Sources/CMindSporeCheckpointPB): whole message and record by record
  * cnzoo: `cnzoo inspect` (process wall time), mindspore-bench parse / read (copy every tensor into memory) /
    write (stream to a new .ckpt through the atomic writer, fsync included) / write-crc
It also checks that cnzoo's rewrite is byte-identical to MindSpore's file. Prints a markdown table.
"""
import argparse
import os
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def median_ms(xs):
    return "%.0f ms" % (1000 * statistics.median(xs)), "%.0f" % (1000 * min(xs)), "%.0f" % (1000 * max(xs))


def timed(fn, runs):
    out = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return out


def bench_lines(cmd):
    """Runs a driver that prints `<mode> <seconds> <bytes>` per run; returns the seconds."""
    res = subprocess.run(cmd, check=True, capture_output=True, text=True)
    return [float(line.split()[1]) for line in res.stdout.splitlines() if line.strip()]


def process_wall(cmd, runs):
    out = []
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        out.append(time.perf_counter() - t)
    return out


def peak_rss_mb(cmd):
    res = subprocess.run(["/usr/bin/time", "-f", "%M"] + cmd, check=True, stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE, text=True)
    return int(res.stderr.strip().splitlines()[-1]) / 1024


def build_protobuf_c(workdir):
    """pbc_parse over the protoc-c code cnzoo commits for proto/checkpoint.proto (Sources/CMindSporeCheckpointPB)."""
    src = os.path.join(ROOT, "scripts", "bench", "protobuf_c")
    gen = os.path.join(ROOT, "Sources", "CMindSporeCheckpointPB")
    out = os.path.join(workdir, "pbc")
    os.makedirs(out, exist_ok=True)
    binary = os.path.join(out, "pbc_parse")
    subprocess.run(["gcc", "-O2", "-I" + os.path.join(gen, "include"), "-o", binary, os.path.join(src, "pbc_parse.c"),
                    os.path.join(gen, "checkpoint.pb-c.c"), "-lprotobuf-c"], check=True)
    return binary


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="convnext_base")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--workdir", default="/tmp/cnzoo-bench-ms")
    ap.add_argument("--cnzoo", default=os.path.join(ROOT, ".build", "release", "cnzoo"))
    ap.add_argument("--bench", default=os.path.join(ROOT, ".build", "release", "mindspore-bench"))
    a = ap.parse_args()
    os.makedirs(a.workdir, exist_ok=True)
    for b in (a.cnzoo, a.bench):
        if not os.path.exists(b):
            sys.exit("missing %s: build it with swift build -c release --product %s" % (b, os.path.basename(b)))

    import mindspore as ms
    import mindcv
    from mindspore.train.checkpoint_pb2 import Checkpoint

    src = os.path.join(a.workdir, a.model + ".ckpt")
    ms_out = os.path.join(a.workdir, "ms_out.ckpt")
    cz_out = os.path.join(a.workdir, "cnzoo_out.ckpt")
    net = mindcv.create_model(a.model, pretrained=False)

    def ms_save(path):
        def go():
            if os.path.exists(path):
                os.chmod(path, 0o600)
                os.remove(path)
            ms.save_checkpoint(net, path)
        return go

    ms_save(src)()
    size = os.path.getsize(src)
    crc_src = os.path.join(a.workdir, a.model + "_crc.ckpt")
    if os.path.exists(crc_src):
        os.chmod(crc_src, 0o600)
        os.remove(crc_src)
    ms.save_checkpoint(net, crc_src, crc_check=True)

    def ms_save_fsync():
        ms_save(ms_out)()
        fd = os.open(ms_out, os.O_RDONLY)
        os.fsync(fd)
        os.close(fd)

    rows = []
    rows.append(("mindspore.save_checkpoint(net)", timed(ms_save(ms_out), a.runs)))
    rows.append(("mindspore.save_checkpoint(net) + fsync", timed(ms_save_fsync, a.runs)))
    rows.append(("mindspore.load_checkpoint(file)", timed(lambda: ms.load_checkpoint(src), a.runs)))
    rows.append(("mindspore.load_checkpoint(crc file, crc_check=True)",
                 timed(lambda: ms.load_checkpoint(crc_src, crc_check=True), a.runs)))

    def upb_parse():
        with open(src, "rb") as f:
            Checkpoint().ParseFromString(f.read())
    rows.append(("protobuf (upb) ParseFromString, whole file", timed(upb_parse, a.runs)))

    try:
        pbc = build_protobuf_c(a.workdir)
        rows.append(("protobuf-c unpack, whole message", bench_lines([pbc, "whole", src, str(a.runs)])))
        rows.append(("protobuf-c unpack, record by record", bench_lines([pbc, "records", src, str(a.runs)])))
    except (OSError, subprocess.CalledProcessError) as e:
        print("protobuf-c comparison skipped: %s" % e, file=sys.stderr)

    rows.append(("cnzoo inspect (whole process)", process_wall([a.cnzoo, "inspect", src], a.runs)))
    rows.append(("cnzoo parse (mindspore-bench parse)", bench_lines([a.bench, "parse", src, str(a.runs)])))
    rows.append(("cnzoo parse of the crc file, CRC verified", bench_lines([a.bench, "parse", crc_src, str(a.runs)])))
    rows.append(("cnzoo read, all bytes copied (mindspore-bench read)", bench_lines([a.bench, "read", src, str(a.runs)])))
    rows.append(("cnzoo write, streamed + fsync (mindspore-bench write)",
                 bench_lines([a.bench, "write", src, cz_out, str(a.runs)])))
    rows.append(("cnzoo write with CRC trailer (mindspore-bench write-crc)",
                 bench_lines([a.bench, "write-crc", src, cz_out + ".crc.ckpt", str(a.runs)])))
    identical = open(cz_out, "rb").read() == open(src, "rb").read()

    rss = {
        "cnzoo read": peak_rss_mb([a.bench, "read", src, "1"]),
        "cnzoo write": peak_rss_mb([a.bench, "write", src, cz_out, "1"]),
        "cnzoo inspect": peak_rss_mb([a.cnzoo, "inspect", src]),
    }

    print("\nfile: %s, %.1f MB, %d parameters, load average %s" % (
        src, size / 1e6, len(list(net.get_parameters())), open("/proc/loadavg").read().split()[0]))
    print("cnzoo rewrite byte-identical to MindSpore's file: %s\n" % identical)
    print("| what | median | min ms | max ms | MB/s (median) |")
    print("|---|---|---|---|---|")
    for name, xs in rows:
        med, lo, hi = median_ms(xs)
        print("| %s | %s | %s | %s | %.0f |" % (name, med, lo, hi, size / 1e6 / statistics.median(xs)))
    print("\npeak RSS: " + ", ".join("%s %.0f MB" % kv for kv in rss.items()))
    for p in (ms_out, cz_out, cz_out + ".crc.ckpt", crc_src):
        if os.path.exists(p):
            os.chmod(p, 0o600)
            os.remove(p)
    sys.stdout.flush()
    os._exit(0 if identical else 1)


if __name__ == "__main__":
    main()
