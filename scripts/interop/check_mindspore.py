"""Interop check: real MindSpore loads the .ckpt files cnzoo writes.

Usage:  .venv/bin/python scripts/interop/check_mindspore.py CNZOO_BINARY [DIR]

DIR holds cnzoo-written .ckpt files named after the fixture in Fixtures/mindspore/ they must equal: either the same
name, or `<variant>__<fixture name>` (e.g. `from_safetensors__micro_mindcv_f32.ckpt`). It defaults to
$CNZOO_INTEROP_OUT; the Swift tests fill it when that variable is set:
    CNZOO_INTEROP_OUT=/tmp/ms-interop swift test --filter MindSporeWriterTests
For each file: mindspore.load_checkpoint must load it (with crc_check=True when the source had a CRC trailer) and
every entry must equal the source fixture bit for bit; the mindcv-named weight files must load into the matching
mindcv micro ConvNeXt with load_param_into_net(strict_load=True) leaving nothing unloaded, and the training
checkpoint into the matching TrainOneStepCell. Prints PASS / FAIL / SKIP per check; exits 1 on any FAIL.
CNZOO_BINARY is checked to exist (the lead's CI passes it to every interop script); it is not run.
"""
import os
import sys

# Keep its own folder off the import path so `import mindspore` finds the package.
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != HERE]

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIXTURES = os.path.join(ROOT, "Fixtures", "mindspore")
CRC_FILES = {"micro_crc.ckpt", "sliced.ckpt"}
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


def main():
    if len(sys.argv) < 2:
        print("usage: check_mindspore.py CNZOO_BINARY [DIR]", file=sys.stderr)
        finish(2)
    binary = sys.argv[1]
    out_dir = sys.argv[2] if len(sys.argv) > 2 else os.environ.get("CNZOO_INTEROP_OUT", "")
    if not os.path.exists(binary):
        report("FAIL", "binary", "%s does not exist" % binary)
        finish(1)
    if not out_dir or not os.path.isdir(out_dir):
        report("SKIP", "all", "no directory of cnzoo-written .ckpt files (pass DIR or set CNZOO_INTEROP_OUT and run "
                              "`swift test --filter MindSporeWriterTests`)")
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

    names = sorted(n for n in os.listdir(out_dir) if n.endswith(".ckpt"))
    if not names:
        report("SKIP", "all", "%s holds no .ckpt files" % out_dir)
        finish(0)
    for name in names:
        written = os.path.join(out_dir, name)
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
    finish(1 if failures else 0)


if __name__ == "__main__":
    main()
