#!/usr/bin/env python3
"""Interop check for `cnzoo convert` across frameworks and naming conventions, with the real peers.

  1. A torchvision ConvNeXt (micro config, random weights) saved by torch.save is converted with
     `cnzoo convert --to ms --convention mindcv`; real MindSpore loads it strictly into a real mindcv ConvNeXt
     (`load_param_into_net(strict_load=True)`, nothing left unloaded on either side) and gives the same logits as
     torch: within 1e-4 of torch with tanh GELU (MindSpore nn.GELU's default) and within the erf/tanh GELU gap of
     torch's exact-GELU logits.
  2. Converted back with `cnzoo convert --to torch`, torchvision's model loads it with strict=True and every tensor
     equals the original bit for bit.
  3. The same torchvision file converted `--to ms` (MindSpore Vision names) loads with MindSpore's
     load_checkpoint and holds every weight under the names of the seed's MindSpore Vision model.
Usage: .venv/bin/python scripts/interop/check_mapping.py CNZOO_BINARY
Prints PASS/FAIL/SKIP lines; exits non-zero on any FAIL.
"""
import os
import subprocess
import sys
import tempfile

os.environ.setdefault("GLOG_v", "3")
# Never import a sibling script in place of a package (scripts/interop may hold files named like the peers).
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path = [p for p in sys.path if os.path.abspath(p or ".") != HERE]

failures = 0


def report(ok, what, detail=""):
    global failures
    print(("PASS " if ok else "FAIL ") + what + (": " + detail if detail else ""), flush=True)
    failures += 0 if ok else 1


def main():
    binary = sys.argv[1]
    try:
        import numpy as np
        import torch
        import torch.library
        orig = torch.library.register_fake
        torch.library.register_fake = lambda *a, **k: (lambda f: f)
        try:
            from torchvision.models.convnext import CNBlockConfig, ConvNeXt as TVConvNeXt
        finally:
            torch.library.register_fake = orig
        import mindspore as ms
        from mindcv.models.convnext import ConvNeXt as MCVConvNeXt
    except Exception as e:  # noqa: BLE001
        print("SKIP mapping interop: peers unavailable (%s)" % e)
        return
    depths, dims, classes = [1, 1, 2, 1], [8, 16, 32, 64], 10
    torch.manual_seed(3)
    cfg = [CNBlockConfig(dims[i], dims[i + 1] if i < 3 else None, depths[i]) for i in range(4)]
    tv = TVConvNeXt(cfg, num_classes=classes).eval()
    with torch.no_grad():
        for p in tv.parameters():
            p.add_(torch.randn_like(p) * 0.05)
    tmp = tempfile.mkdtemp(prefix="cnzoo-interop-mapping-")
    src = os.path.join(tmp, "tv.pth")
    torch.save(tv.state_dict(), src)

    def run(*args):
        r = subprocess.run([binary, "convert", *args, "--quiet", "--force"], capture_output=True, text=True)
        if r.returncode != 0 and ("not implemented yet" in r.stderr or "not readable yet" in r.stderr):
            print("SKIP mapping interop: this cnzoo build cannot read/write the format yet (%s)" % r.stderr.strip())
            sys.stdout.flush()
            os._exit(0)
        if r.returncode != 0:
            report(False, "cnzoo convert " + " ".join(args), r.stderr.strip())
        return r.returncode == 0

    # 1. torchvision -> MindCV names in a .ckpt, strict load into mindcv, logits.
    mcv_path = os.path.join(tmp, "mcv.ckpt")
    if run(src, "--to", "ms", "--convention", "mindcv", "-o", mcv_path):
        net = MCVConvNeXt(in_channels=3, num_classes=classes, depths=depths, dims=dims)
        net.set_train(False)
        not_loaded, unused = ms.load_param_into_net(net, ms.load_checkpoint(mcv_path), strict_load=True)
        report(not not_loaded and not unused, "mindcv strict load of cnzoo .ckpt",
               "not loaded %s, unused %s" % (not_loaded, unused))
        x = np.random.default_rng(0).standard_normal((2, 3, 64, 64)).astype(np.float32)
        ms_logits = net(ms.Tensor(x)).asnumpy()
        with torch.no_grad():
            exact = tv(torch.from_numpy(x)).numpy()
            for m in tv.modules():
                if isinstance(m, torch.nn.GELU):
                    m.approximate = "tanh"
            tanh = tv(torch.from_numpy(x)).numpy()
            for m in tv.modules():
                if isinstance(m, torch.nn.GELU):
                    m.approximate = "none"
        d_tanh = float(np.abs(ms_logits - tanh).max())
        d_exact = float(np.abs(ms_logits - exact).max())
        gap = float(np.abs(exact - tanh).max())
        report(d_tanh < 1e-4, "mindcv logits = torch logits with tanh GELU", "max |diff| %.2e" % d_tanh)
        report(d_exact <= gap + 1e-4, "mindcv logits vs torch exact-GELU logits within the GELU gap",
               "max |diff| %.2e, erf/tanh gap %.2e" % (d_exact, gap))

        # 2. back to torchvision names, strict load, bit-exact.
        back = os.path.join(tmp, "back.pth")
        if run(mcv_path, "--to", "torch", "-o", back):
            sd = torch.load(back, weights_only=True)
            fresh = TVConvNeXt(cfg, num_classes=classes)
            try:
                fresh.load_state_dict(sd, strict=True)
                report(True, "torchvision strict load of the round-tripped .pth")
            except RuntimeError as e:
                report(False, "torchvision strict load of the round-tripped .pth", str(e)[:300])
            orig_sd = tv.state_dict()
            same = list(sd) == list(orig_sd) and all(torch.equal(sd[k], orig_sd[k]) for k in orig_sd)
            report(same, "round trip torchvision -> mindcv -> torchvision is bit-exact with the same key order")

    # 3. default --to ms: MindSpore Vision names.
    mv_path = os.path.join(tmp, "mv.ckpt")
    if run(src, "--to", "ms", "-o", mv_path):
        params = ms.load_checkpoint(mv_path)
        names = list(params)
        ok = (names[0] == "backbone.start_cell.0.weight" and "backbone.block1.0.gamma" in params
              and "backbone.down_sample_blocks.4.layer_norm.gamma" in params and names[-1] == "head.dense.bias"
              and len(names) == len(tv.state_dict()))
        ls = params["backbone.block1.0.gamma"].asnumpy()
        ok = ok and ls.shape == (dims[0],) and np.array_equal(ls, tv.state_dict()["features.1.0.layer_scale"].numpy().reshape(-1))
        report(ok, "MindSpore load_checkpoint of the MindSpore Vision-named .ckpt", "%d tensors" % len(names))
    sys.stdout.flush()
    os._exit(1 if failures else 0)


if __name__ == "__main__":
    main()
