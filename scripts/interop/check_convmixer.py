"""Interop check: ConvMixer timm .pth → cnzoo → MindCV-branch .ckpt → real MindSpore cell (strict) → cnzoo → timm
.pth → real timm (strict), with the BatchNorm step counters (num_batches_tracked) carried through.

Usage:  .venv/bin/python scripts/interop/check_convmixer.py CNZOO_BINARY

For each micro ConvMixer of Fixtures/convmixer (written by the real timm, num_batches_tracked 5004 in every
BatchNorm; see Fixtures/generate_convmixer.py):
1. `cnzoo convert NAME_timm.pth --to ms` writes the MindCV-branch names.
2. In a child process, real MindSpore reads it with load_checkpoint and loads it into the MindCV-branch cell tree of
   Fixtures/generate_convmixer.py with load_param_into_net(strict_load=True): every cell parameter must load, the
   only unused entries must be the `<BatchNorm path>.num_batches_tracked` counters cnzoo carries (int64 scalars,
   5004), the loaded values must equal those of the .ckpt MindSpore itself saved (NAME_mindcv.ckpt) bit for bit, and
   the cell's logits must be the recorded MindSpore logits.
3. `cnzoo convert --to torch` brings it back; timm's ConvMixer loads it with strict=True, every tensor — the
   counters included — equals the original file's bit for bit, and its logits are the recorded timm logits.
Prints PASS / FAIL / SKIP lines; exits 1 on any FAIL.
"""
import json
import os
import subprocess
import sys
import tempfile

from interop_report import FIXTURES, Reporter, cnzoo_binary

MIXERS = os.path.join(FIXTURES, "convmixer")
report = Reporter("convmixer")


MINDSPORE_SIDE = r'''
import json, sys, numpy as np, mindspore as ms
sys.path.insert(0, sys.argv[1])
from generate_convmixer import mindspore_cell, mindspore_logits
ckpt, original, cfg, inputs, logits = sys.argv[2], sys.argv[3], json.loads(sys.argv[4]), sys.argv[5], sys.argv[6]
ms.set_context(mode=ms.PYNATIVE_MODE, device_target="CPU")
params = ms.load_checkpoint(ckpt)
counters = sorted(k for k in params if k.endswith(".num_batches_tracked"))
net = mindspore_cell(cfg)
net.set_train(False)
not_loaded, unused = ms.load_param_into_net(net, params, strict_load=True)
if not_loaded or sorted(unused) != counters or len(counters) != 1 + 2 * cfg["depth"]:
    sys.exit("NOT-LOADED %s UNUSED %s COUNTERS %d" % (not_loaded, sorted(unused)[:4], len(counters)))
values = sorted({int(params[k].asnumpy()) for k in counters})
if values != [5004] or any(str(params[k].dtype) != "Int64" or params[k].shape != () for k in counters):
    sys.exit("COUNTERS %s" % values)
want = ms.load_checkpoint(original)
bad = [p.name for p in net.get_parameters() if bytes(p.get_bytes()) != bytes(want[p.name].get_bytes())]
if bad:
    sys.exit("DIFFER %s" % bad[:3])
diff = 0.0
if cfg["classes"] > 0:
    got = mindspore_logits(net, np.load(inputs))
    diff = float(np.abs(got - np.load(logits)).max())
    if diff > 1e-6:
        sys.exit("LOGITS %g" % diff)
print("OK %d %d %g" % (len(list(net.get_parameters())), len(counters), diff))
'''


def main():
    cnzoo = cnzoo_binary()
    try:
        import numpy as np
        from generate_forward import import_torchvision
        torch, _ = import_torchvision()
        import mindspore  # noqa: F401
        from generate_convmixer import timm_logits
        from timm.models.convmixer import ConvMixer
    except Exception as e:  # noqa: BLE001
        report.skip_all("torch/timm/mindspore not importable: %s" % e)
    with open(os.path.join(MIXERS, "reference.json")) as f:
        configs = json.load(f)["configs"]
    work = tempfile.mkdtemp(prefix="cnzoo-convmixer-")
    for name in ("gelu", "relu", "k9p7", "headless"):
        cfg = configs[name]
        src = os.path.join(MIXERS, name + "_timm.pth")
        ckpt, back = os.path.join(work, name + ".ckpt"), os.path.join(work, name + ".pth")
        r = subprocess.run([cnzoo, "convert", src, "--to", "ms", "-o", ckpt], capture_output=True, text=True)
        if r.returncode != 0:
            report("FAIL", name + " convert --to ms", r.stderr.strip()[-500:])
            continue
        m = subprocess.run([sys.executable, "-c", MINDSPORE_SIDE, FIXTURES, ckpt,
                            os.path.join(MIXERS, name + "_mindcv.ckpt"), json.dumps(cfg),
                            os.path.join(MIXERS, name + "_input.npy"),
                            os.path.join(MIXERS, name + "_logits_mindspore.npy")], capture_output=True, text=True)
        ok = m.returncode == 0 and m.stdout.startswith("OK")
        detail = (m.stdout + m.stderr).strip()[-600:]
        if ok:
            n, counters, diff = m.stdout.split()[1:4]
            detail = (f"load_param_into_net(strict_load=True) loaded all {n} cell parameters bit-exact; unused: exactly "
                      f"the {counters} num_batches_tracked counters (5004)"
                      + (f"; logits = recorded MindSpore logits (max |diff| {diff})" if cfg["classes"] > 0 else ""))
        report("PASS" if ok else "FAIL", name + " mindspore strict load", detail)

        r = subprocess.run([cnzoo, "convert", ckpt, "--to", "torch", "-o", back], capture_output=True, text=True)
        if r.returncode != 0:
            report("FAIL", name + " convert --to torch", r.stderr.strip()[-500:])
            continue
        original = torch.load(src, weights_only=True)
        got = torch.load(back, weights_only=True)
        act = torch.nn.ReLU if cfg["act"] == "relu" else torch.nn.GELU
        model = ConvMixer(dim=cfg["dim"], depth=cfg["depth"], kernel_size=cfg["kernel"], patch_size=cfg["patch"],
                          num_classes=cfg["classes"], act_layer=act).eval()
        try:
            model.load_state_dict(got, strict=True)
        except RuntimeError as e:
            report("FAIL", name + " timm strict load", str(e).splitlines()[0])
            continue
        differ = [k for k in original if k not in got or original[k].dtype != got[k].dtype
                  or original[k].shape != got[k].shape
                  or not torch.equal(original[k].view(torch.uint8) if original[k].dim() else original[k],
                                     got[k].view(torch.uint8) if got[k].dim() else got[k])]
        if list(got) != list(original) or differ:
            report("FAIL", name + " round trip bit-exact", "names or values differ: %s" % differ[:3])
            continue
        detail = "timm load_state_dict(strict=True); %d tensors bit-exact, num_batches_tracked %s" % (
            len(got), sorted({int(v) for k, v in got.items() if k.endswith("num_batches_tracked")}))
        if cfg["classes"] > 0:
            logits = timm_logits(model, np.load(os.path.join(MIXERS, name + "_input.npy")))
            want = np.load(os.path.join(MIXERS, name + "_logits_timm.npy"))
            if not np.array_equal(logits, want):
                report("FAIL", name + " round trip logits", "max |diff| %g" % float(np.abs(logits - want).max()))
                continue
            detail += "; logits identical to the recorded timm logits"
        report("PASS", name + " timm .pth → .ckpt → timm .pth", detail)
    report.finish()


if __name__ == "__main__":
    main()
