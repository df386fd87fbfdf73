"""Interop check: real MindSpore loads the .ckpt files cnzoo writes.

Usage:  .venv/bin/python scripts/interop/check_mindspore.py CNZOO_BINARY [DIR]

DIR holds cnzoo-written .ckpt files named after the fixture in Fixtures/mindspore/ they must equal: either the same
name, or `<variant>__<fixture name>` (e.g. `from_safetensors__micro_mindcv_f32.ckpt`). It defaults to
$CNZOO_INTEROP_OUT/mindspore, which the Swift tests fill when CNZOO_INTEROP_OUT is set (scripts/test.sh does that,
then scripts/interop/run-all.sh runs every check_*.py):
    CNZOO_INTEROP_OUT=/tmp/interop swift test --filter MindSporeWriterTests
For each file: mindspore.load_checkpoint must load it (with crc_check=True when the source had a CRC trailer) and
every entry must equal the source fixture bit for bit; the mindcv-named weight files must load into the matching
mindcv micro ConvNeXt with load_param_into_net(strict_load=True) leaving nothing unloaded, and the training
checkpoint into the matching TrainOneStepCell. Prints PASS / FAIL / SKIP per check; exits 1 on any FAIL.

When CNZOO_BINARY has a `convert` subcommand, the script also makes files with it (into a temporary folder) and checks
them the same way: MindSpore Vision names → MindCV, MindSpore safetensors → .ckpt with --crc, f32 → bf16 / f16
(which must equal MindSpore's own astype), MindCV → MindSpore Vision names.
"""
import os
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIXTURES = os.path.join(ROOT, "Fixtures", "mindspore")
CRC_FILES = {"micro_crc.ckpt", "sliced.ckpt"}
# (output name `<variant>__<fixture it must equal>`, input fixture, extra `cnzoo convert` arguments)
CONVERSIONS = [
    ("convert_mindvision__micro_mindcv_f32.ckpt", "micro_mindvision_f32.ckpt", ["--convention", "mindcv"]),
    ("convert_mssafetensors_crc__micro_crc.ckpt", "micro_mindcv_f32.safetensors", ["--convention", "mindcv", "--crc"]),
    ("convert_bf16__micro_mindcv_bf16.ckpt", "micro_mindcv_f32.safetensors", ["--convention", "mindcv", "--dtype", "bf16"]),
    ("convert_f16__micro_mindcv_f16.ckpt", "micro_mindcv_f32.ckpt", ["--convention", "mindcv", "--dtype", "f16"]),
    ("convert_tomindvision__micro_mindvision_f32.ckpt", "micro_mindcv_f32.ckpt", ["--convention", "mindvision"]),
]
failures = 0


def report(status, name, detail=""):
    global failures
    if status == "FAIL":
        failures += 1
    print("%s mindspore: %s%s" % (status, name, (" — " + detail) if detail else ""), flush=True)


def finish(code):
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def convert_with_binary(binary, work):
    """Makes the CONVERSIONS with `cnzoo convert`; returns [(name, path)] (empty if the binary has no convert)."""
    try:
        if subprocess.run([binary, "convert", "--help"], capture_output=True).returncode != 0:
            return []
    except OSError:
        return []
    made = []
    for name, source, args in CONVERSIONS:
        out = os.path.join(work, name)
        res = subprocess.run([binary, "convert", os.path.join(FIXTURES, source), "--to", "ms", "-o", out, "--quiet"]
                             + args, capture_output=True, text=True)
        if res.returncode != 0:
            report("FAIL", name + " cnzoo convert", (res.stderr.strip().splitlines() or ["exit %d" % res.returncode])[-1])
            continue
        made.append((name, out))
    return made


def main():
    if len(sys.argv) < 2:
        print("usage: check_mindspore.py CNZOO_BINARY [DIR]", file=sys.stderr)
        finish(2)
    binary = sys.argv[1]
    env_out = os.environ.get("CNZOO_INTEROP_OUT", "")
    out_dir = sys.argv[2] if len(sys.argv) > 2 else (os.path.join(env_out, "mindspore") if env_out else "")
    if not os.path.exists(binary):
        report("FAIL", "binary", "%s does not exist" % binary)
        finish(1)
    work = tempfile.mkdtemp(prefix="cnzoo-ms-interop-")
    files = convert_with_binary(binary, work)
    if out_dir and os.path.isdir(out_dir):
        files += [(n, os.path.join(out_dir, n)) for n in sorted(os.listdir(out_dir)) if n.endswith(".ckpt")]
    if not files:
        report("SKIP", "all", "no cnzoo-written .ckpt files: the binary has no convert, and no DIR / "
                              "$CNZOO_INTEROP_OUT/mindspore (run `swift test --filter MindSporeWriterTests` with it set)")
        finish(0)
    try:
        import numpy as np
        import mindspore as ms
        from mindspore import nn
        from mindcv.models.convnext import ConvNeXt
    except Exception as e:  # noqa: BLE001
        report("SKIP", "all", "mindspore/mindcv not importable: %s" % e)
        finish(0)

    def as_bytes(v):
        return v if isinstance(v, str) else (str(v.dtype), tuple(v.shape), bytes(v.get_bytes()))

    def micro(dtype=None):
        net = ConvNeXt(in_channels=3, num_classes=10, depths=[1, 1, 2, 1], dims=[8, 16, 32, 64])
        if dtype is not None:
            for p in net.get_parameters():
                p.set_dtype(dtype)
        return net

    def strict_load(target, params, allowed_leftover=()):
        not_loaded, ckpt_not_loaded = ms.load_param_into_net(target, params, strict_load=True)
        leftover = sorted(set(ckpt_not_loaded) - set(allowed_leftover))
        return not_loaded, leftover

    for name, written in files:
        base = name.split("__", 1)[1] if "__" in name else name
        source = os.path.join(FIXTURES, base)
        if not os.path.exists(source):
            report("SKIP", name, "no source fixture of that name")
            continue
        crc = base in CRC_FILES or name.startswith("slices")
        try:
            got = ms.load_checkpoint(written, crc_check=crc)
        except Exception as e:  # noqa: BLE001
            report("FAIL", name + " load_checkpoint", str(e).splitlines()[0])
            continue
        want = ms.load_checkpoint(source)
        if set(got) != set(want):
            report("FAIL", name + " names", "differ: %s" % sorted(set(got) ^ set(want))[:5])
            continue
        bad = [k for k in want if as_bytes(got[k]) != as_bytes(want[k])]
        if bad:
            report("FAIL", name + " bit-exact", "%d entries differ, first %s" % (len(bad), bad[0]))
        else:
            report("PASS", name + " bit-exact", "%d entries%s" % (len(want), ", crc verified" if crc else ""))

        target, leftover_ok = None, ()
        if base in ("micro_mindcv_f32.ckpt", "micro_crc.ckpt"):
            target = micro()
        elif base == "micro_mindcv_f16.ckpt":
            target = micro(ms.float16)
        elif base == "micro_mindcv_bf16.ckpt":
            target = micro(ms.bfloat16)
        elif base == "train_adamw.ckpt":
            model = micro()
            loss = nn.WithLossCell(model, nn.SoftmaxCrossEntropyWithLogits(sparse=True, reduction="mean"))
            opt = nn.AdamWeightDecay(model.trainable_params(), learning_rate=1e-3, weight_decay=0.05)
            target = nn.TrainOneStepCell(loss, opt)
            leftover_ok = ("epoch_num", "step_num", "loss_scale", "converged", "note")
        if target is None:
            continue
        try:
            not_loaded, leftover = strict_load(target, got, leftover_ok)
        except Exception as e:  # noqa: BLE001
            report("FAIL", name + " strict load", str(e).splitlines()[0])
            continue
        if not_loaded or leftover:
            report("FAIL", name + " strict load", "unloaded params %s, unused entries %s" % (not_loaded[:3], leftover[:3]))
            continue
        mismatched = [p.name for p in target.get_parameters()
                      if p.name in want and bytes(p.get_bytes()) != bytes(want[p.name].get_bytes())]
        if mismatched:
            report("FAIL", name + " strict load", "loaded values differ, first %s" % mismatched[0])
        else:
            report("PASS", name + " strict load", "load_param_into_net(strict_load=True): nothing unloaded, "
                                                  "values bit-exact")
    shutil.rmtree(work, ignore_errors=True)
    finish(1 if failures else 0)


if __name__ == "__main__":
    main()
