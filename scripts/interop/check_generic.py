"""Interop check: a model cnzoo has no architecture for goes torch → MindSpore → torch through MindSpore's generic
naming rules, and the real frameworks load every step strictly.

Usage:  .venv/bin/python scripts/interop/check_generic.py CNZOO_BINARY

1. torchvision's ResNet-18 (10 classes, seeded, BatchNorm statistics perturbed so they matter) is saved with
   torch.save and converted with `cnzoo convert --to ms` (format-only: BatchNorm → gamma/beta/moving_mean/
   moving_variance, num_batches_tracked dropped).
2. In a child process, real MindSpore loads the .ckpt into an equivalent network of mindspore.nn cells (the
   BasicBlock of Fixtures/generate_generic_mindspore.py, widths 64..512) with load_param_into_net(strict_load=True):
   nothing may be left unloaded on either side, and its logits must match torchvision's within 1e-4.
3. `cnzoo convert --to torch` brings it back; torchvision's ResNet-18 loads it with strict=True and its logits must be
   identical (bit for bit) to the original's.
Prints PASS / FAIL / SKIP lines; exits 1 on any FAIL.
"""
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "Fixtures"))
failures = 0


def report(status, name, detail=""):
    global failures
    if status == "FAIL":
        failures += 1
    print("%s generic: %s%s" % (status, name, (" — " + detail) if detail else ""), flush=True)


MINDSPORE_SIDE = r'''
import sys, numpy as np, mindspore as ms
from mindspore import nn, ops
sys.path.insert(0, sys.argv[4])
from generate_generic_mindspore import Block

class ResNet18(nn.Cell):
    def __init__(self, num_classes=10):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 64, 7, 2, pad_mode="pad", padding=3, has_bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU()
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, pad_mode="pad", padding=1)
        self.layer1 = nn.SequentialCell([Block(64, 64, 1), Block(64, 64, 1)])
        self.layer2 = nn.SequentialCell([Block(64, 128, 2), Block(128, 128, 1)])
        self.layer3 = nn.SequentialCell([Block(128, 256, 2), Block(256, 256, 1)])
        self.layer4 = nn.SequentialCell([Block(256, 512, 2), Block(512, 512, 1)])
        self.fc = nn.Dense(512, num_classes)
    def construct(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(ops.mean(x, axis=(2, 3)))

ms.set_context(mode=ms.PYNATIVE_MODE)
net = ResNet18()
params = ms.load_checkpoint(sys.argv[1])
not_loaded, unused = ms.load_param_into_net(net, params, strict_load=True)
if not_loaded or unused:
    print("NOT-LOADED", not_loaded, "UNUSED", unused)
    sys.exit(3)
net.set_train(False)
np.save(sys.argv[3], net(ms.Tensor(np.load(sys.argv[2]))).asnumpy())
print("LOADED", len(params))
'''


def main():
    if len(sys.argv) < 2:
        print("usage: check_generic.py CNZOO_BINARY", file=sys.stderr)
        sys.exit(2)
    cnzoo = sys.argv[1]
    try:
        import numpy as np
        from generate_forward import import_torchvision
        torch, torchvision = import_torchvision()
    except Exception as e:  # noqa: BLE001
        report("SKIP", "resnet18 torch→ms→torch", f"torch/torchvision unavailable: {e}")
        return
    torch.manual_seed(0)
    model = torchvision.models.resnet18(num_classes=10)
    with torch.no_grad():
        for name, b in model.named_buffers():
            if name.endswith("running_mean"):
                b.copy_(torch.randn_like(b) * 0.1)
            elif name.endswith("running_var"):
                b.copy_(torch.rand_like(b) * 0.5 + 0.75)
            elif name.endswith("num_batches_tracked"):
                b.fill_(1234)
    model.eval()
    x = torch.from_numpy(np.random.default_rng(3).standard_normal((2, 3, 64, 64)).astype(np.float32))
    with torch.no_grad():
        want = model(x)

    with tempfile.TemporaryDirectory() as tmp:
        src, ckpt, back = (os.path.join(tmp, n) for n in ("resnet18.pth", "resnet18.ckpt", "back.pth"))
        torch.save(model.state_dict(), src)
        np.save(os.path.join(tmp, "x.npy"), x.numpy())
        r = subprocess.run([cnzoo, "convert", src, "--to", "ms", "-o", ckpt], capture_output=True, text=True)
        if r.returncode != 0:
            report("FAIL", "cnzoo convert --to ms", r.stderr.strip())
            return
        if "BatchNorm" not in r.stdout or "×20" not in r.stdout:
            report("FAIL", "cnzoo convert --to ms", "report does not list the BatchNorm rule ×20:\n" + r.stdout)
        logits_ms = os.path.join(tmp, "ms.npy")
        m = subprocess.run([sys.executable, "-c", MINDSPORE_SIDE, ckpt, os.path.join(tmp, "x.npy"), logits_ms,
                            os.path.join(ROOT, "Fixtures")], capture_output=True, text=True)
        if m.returncode != 0 and "No module named 'mindspore'" in m.stderr:
            report("SKIP", "mindspore strict load", "mindspore unavailable")
        elif m.returncode != 0:
            report("FAIL", "mindspore strict load", (m.stdout + m.stderr).strip()[-2000:])
        else:
            diff = float(np.abs(np.load(logits_ms) - want.numpy()).max())
            status = "PASS" if diff < 1e-4 else "FAIL"
            report(status, "mindspore strict load", f"load_param_into_net(strict_load=True) loaded every parameter; "
                   f"logits within {diff:.2e} of torchvision's")

        r = subprocess.run([cnzoo, "convert", ckpt, "--to", "torch", "-o", back], capture_output=True, text=True)
        if r.returncode != 0:
            report("FAIL", "cnzoo convert --to torch", r.stderr.strip())
            return
        again = torchvision.models.resnet18(num_classes=10)
        try:
            again.load_state_dict(torch.load(back, weights_only=True), strict=True)
        except Exception as e:  # noqa: BLE001
            report("FAIL", "torchvision strict load", str(e)[:2000])
            return
        again.eval()
        with torch.no_grad():
            got = again(x)
        if torch.equal(got, want):
            report("PASS", "resnet18 torch→ms→torch", "torchvision load_state_dict(strict=True); logits identical")
        else:
            report("FAIL", "resnet18 torch→ms→torch", f"logits differ by {float((got - want).abs().max()):.3e}")


if __name__ == "__main__":
    main()
    sys.stdout.flush()
    os._exit(1 if failures else 0)
