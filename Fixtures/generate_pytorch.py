"""Writes the PyTorch fixtures under Fixtures/pytorch/ with real torch, plus expected.json.

Run from the package root:  .venv/bin/python Fixtures/generate_pytorch.py

expected.json maps fixture file -> selection -> ordered list of {name, dtype, shape, sha256}; the selection
"default" is what cnzoo reads without options (timm's wrapper order), other selections name a `--key`.
sha256 is over the tensor's contiguous little-endian bytes. Fixtures that must be refused are listed under
"refused" with the error code cnzoo must give. The malicious pickles would create MARKER if they were ever run.
"""
import argparse
import hashlib
import io
import json
import os
import pickle
import struct
import subprocess
import sys
import zipfile
from collections import OrderedDict

import torch
import torch.library

_orig = torch.library.register_fake
torch.library.register_fake = lambda *a, **k: (lambda f: f)
try:
    import torchvision  # noqa: F401
    from torchvision.models.convnext import CNBlockConfig, ConvNeXt
finally:
    torch.library.register_fake = _orig

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "pytorch")
MARKER = "/tmp/cnzoo_pickle_marker"
DTYPE = {
    torch.float64: "F64", torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16",
    torch.int64: "I64", torch.int32: "I32", torch.int16: "I16", torch.int8: "I8", torch.uint8: "U8",
    torch.bool: "BOOL", torch.uint16: "U16", torch.float8_e4m3fn: "F8_E4M3", torch.float8_e5m2: "F8_E5M2",
}

expected = {}
refused = {}


def describe(sd):
    out = []
    for name, t in sd.items():
        raw = t.detach().contiguous().reshape(-1).view(torch.uint8).numpy().tobytes()
        out.append({"name": name, "dtype": DTYPE[t.dtype], "shape": list(t.shape),
                    "sha256": hashlib.sha256(raw).hexdigest()})
    return out


def micro_convnext(seed):
    torch.manual_seed(seed)
    dims, depths = [8, 16, 32, 64], [1, 1, 2, 1]
    cfg = [CNBlockConfig(dims[i], dims[i + 1] if i < 3 else None, depths[i]) for i in range(4)]
    m = ConvNeXt(cfg, num_classes=10)
    with torch.no_grad():
        for p in m.parameters():
            p.add_(torch.randn_like(p) * 0.01)  # layer scale / biases are constants otherwise
    return m.eval()


def to_official(sd):
    """torchvision names -> facebookresearch/ConvNeXt names (layer scale `gamma` is 1-D there)."""
    out = OrderedDict()
    for k, v in sd.items():
        p = k.split(".")
        if p[0] == "features":
            i = int(p[1])
            if i == 0:
                out[f"downsample_layers.0.{'0' if p[2] == '0' else '1'}.{p[3]}"] = v
            elif i % 2 == 0:  # downsample between stages
                out[f"downsample_layers.{i // 2}.{p[2]}.{p[3]}"] = v
            else:
                s, b = (i - 1) // 2, p[2]
                if p[3] == "layer_scale":
                    out[f"stages.{s}.{b}.gamma"] = v.reshape(-1)
                else:
                    name = {"0": "dwconv", "2": "norm", "3": "pwconv1", "5": "pwconv2"}[p[4]]
                    out[f"stages.{s}.{b}.{name}.{p[5]}"] = v
        else:
            out[f"{'norm' if p[1] == '0' else 'head'}.{p[2]}"] = v
    return out


def to_timm(sd, prefix):
    out = OrderedDict()
    for k, v in to_official(sd).items():
        p = k.split(".")
        if p[0] == "downsample_layers":
            n = f"stem.{p[2]}.{p[3]}" if p[1] == "0" else f"stages.{p[1]}.downsample.{p[2]}.{p[3]}"
        elif p[0] == "stages":
            rest = ".".join(p[3:])
            rest = rest.replace("dwconv", "conv_dw").replace("pwconv1", "mlp.fc1").replace("pwconv2", "mlp.fc2")
            n = f"stages.{p[1]}.blocks.{p[2]}.{rest}"
        elif p[0] == "norm":
            n = f"head.norm.{p[1]}"
        else:
            n = f"head.fc.{p[1]}"
        out[prefix + n] = v
    return out


def save(name, obj, selections, **kw):
    path = os.path.join(OUT, name)
    torch.save(obj, path, **kw)
    expected[name] = selections


def torch_like_zip(name, prefix, records):
    """A stored zip laid out the way torch.save lays it out (used for hand-built error/malicious fixtures)."""
    path = os.path.join(OUT, name)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as z:
        for rec, data in records:
            z.writestr(f"{prefix}/{rec}", data)
    return path


def copy_zip(src, dst, replace=None, compress=None):
    """Re-writes a torch .pth with some records replaced (bytes) and/or DEFLATE-compressed."""
    replace = replace or {}
    with zipfile.ZipFile(os.path.join(OUT, src)) as zi, \
            zipfile.ZipFile(os.path.join(OUT, dst), "w", compression=zipfile.ZIP_STORED) as zo:
        for info in zi.infolist():
            tail = info.filename.split("/", 1)[1]
            data = replace.get(tail, zi.read(info.filename))
            method = zipfile.ZIP_DEFLATED if compress and tail.startswith(compress) else zipfile.ZIP_STORED
            zo.writestr(info.filename, data, compress_type=method)


# ---------------------------------------------------------------- malicious pickles (never loaded by cnzoo)

def payloads(marker):
    cmd = f"touch {marker}".encode()
    def binunicode(b):
        return b"X" + struct.pack("<I", len(b)) + b
    p = {}
    # REDUCE of posix.system (what pickle emits for os.system).
    p["evil_reduce.pkl"] = b"\x80\x02cposix\nsystem\n" + binunicode(cmd) + b"\x85R."
    # Protocol 4: STACK_GLOBAL from two strings, memoized.
    p["evil_stack_global.pkl"] = (b"\x80\x04\x8c\x05posix\x94\x8c\x06system\x94\x93\x94"
                                  + b"\x8c" + bytes([len(cmd)]) + cmd + b"\x94\x85\x94R\x94.")
    # BUILD trick: give an object an instance __setstate__ = os.system, then BUILD it with the command.
    p["evil_build.pkl"] = (b"\x80\x02cargparse\nNamespace\n)R}" + binunicode(b"__setstate__")
                           + b"cposix\nsystem\nsb" + binunicode(cmd) + b"b.")
    # Protocol 0 INST and protocol 1 OBJ.
    p["evil_inst.pkl"] = b"(V" + cmd + b"\niposix\nsystem\n."
    p["evil_obj.pkl"] = b"(cposix\nsystem\nV" + cmd + b"\no."
    return p


def check_payloads_live():
    """Proves each payload really runs a command under pickle.loads (in a child process, another marker)."""
    probe = f"/tmp/cnzoo_generator_probe_{os.getpid()}"
    for name, data in payloads(probe).items():
        if os.path.exists(probe):
            os.remove(probe)
        subprocess.run([sys.executable, "-c", "import pickle,sys; pickle.loads(sys.stdin.buffer.read())"],
                       input=data, check=False, capture_output=True)
        assert os.path.exists(probe), f"payload {name} is not live"
        os.remove(probe)


def main():
    os.makedirs(OUT, exist_ok=True)
    for f in os.listdir(OUT):
        os.remove(os.path.join(OUT, f))

    model = micro_convnext(0)
    sd = model.state_dict()
    for dt, tag in [(torch.float32, "f32"), (torch.float16, "f16"), (torch.bfloat16, "bf16")]:
        m = micro_convnext(0).to(dt)
        s = m.state_dict()
        save(f"torchvision_micro_{tag}.pth", s, {"default": describe(s)})

    # facebookresearch/ConvNeXt main.py: {'model': ..., 'epoch': ..., 'args': Namespace}
    off = to_official(sd)
    args = argparse.Namespace(model="convnext_micro", lr=0.004, drop_path=0.1, input_size=224)
    save("official_wrapped.pth", {"model": off, "epoch": 3, "args": args},
         {"default": describe(off), "model": describe(off)})

    # timm CheckpointSaver-like: DDP-prefixed state_dict plus an EMA copy.
    raw = to_timm(sd, "module.")
    ema = OrderedDict((k, v * 0.5) for k, v in raw.items())
    save("timm_ema.pth", {"epoch": 5, "arch": "convnext_micro", "state_dict": raw, "state_dict_ema": ema,
                          "metric": 71.25},
         {"default": describe(ema), "state_dict": describe(raw), "state_dict_ema": describe(ema)})

    # Views, shared storages, scalars, every plain dtype, a Parameter and a tensor with Python attributes.
    torch.manual_seed(1)
    base = torch.arange(10, dtype=torch.float32)
    matrix = torch.randn(3, 4)
    tied = torch.randn(5)
    attr = torch.randn(2, 2)
    attr.note = "hello"  # forces torch._tensor._rebuild_from_type_v2
    views = OrderedDict([
        ("base", base), ("slice", base[2:6]), ("step", base[1::3]),
        ("matrix", matrix), ("matrix_t", matrix.t()), ("rows", matrix[1:3]), ("cols", matrix[:, 1:3]),
        ("tied_a", tied), ("tied_b", tied),
        ("num_batches_tracked", torch.tensor(7, dtype=torch.int64)),
        ("scalar_f64", torch.tensor(2.5, dtype=torch.float64)),
        ("empty", torch.zeros(0, 3)),
        ("i32", torch.tensor([1, -2, 3], dtype=torch.int32)), ("i16", torch.tensor([-4, 5], dtype=torch.int16)),
        ("i8", torch.tensor([-1, 2], dtype=torch.int8)), ("u8", torch.tensor([250, 3], dtype=torch.uint8)),
        ("flags", torch.tensor([True, False, True])),
        ("param", torch.nn.Parameter(torch.randn(2, 3))),
        ("attr", attr),
    ])
    save("views.pth", views, {"default": describe(views)})

    # dtypes torch saves through UntypedStorage + _rebuild_tensor_v3.
    torch.manual_seed(2)
    v3 = OrderedDict([("f8_e4m3", torch.randn(2, 3).to(torch.float8_e4m3fn)),
                      ("f8_e5m2", torch.randn(4).to(torch.float8_e5m2)),
                      ("u16", torch.tensor([1, 65535, 300], dtype=torch.uint16)),
                      ("f8_view", torch.randn(6).to(torch.float8_e4m3fn)[2:5])])
    save("rebuild_v3.pth", v3, {"default": describe(v3)})

    # Legacy (pre-1.6) container and a TorchScript archive.
    small = OrderedDict([("w", torch.randn(2, 3)), ("b", torch.arange(3, dtype=torch.int64)),
                         ("v", base[3:7]), ("h", torch.randn(4).half())])
    save("legacy.pth", small, {"default": describe(small)}, _use_new_zipfile_serialization=False)

    class Tiny(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = torch.nn.Linear(3, 2)

        def forward(self, x):
            return self.fc(x)
    torch.jit.script(Tiny()).save(os.path.join(OUT, "torchscript.pt"))
    refused["torchscript.pt"] = "unsupported"

    # Containers cnzoo must refuse or handle specially (made from a real torch file).
    tiny = OrderedDict([("a", torch.randn(3)), ("b", torch.arange(4, dtype=torch.int16))])
    save("tiny.pth", tiny, {"default": describe(tiny)})
    copy_zip("tiny.pth", "compressed.pth", compress="data/")
    refused["compressed.pth"] = "unsupported"
    copy_zip("tiny.pth", "version11.pth", replace={"version": b"11\n"})
    refused["version11.pth"] = "unsupported"
    copy_zip("tiny.pth", "bigendian.pth", replace={"byteorder": b"big"})
    big = torch.load(os.path.join(OUT, "bigendian.pth"), weights_only=True)  # torch byte-swaps: match it
    expected["bigendian.pth"] = {"default": describe(big)}

    # Malicious pickles: bare, and one inside a torch-like zip next to a real tensor.
    check_payloads_live()
    for name, data in payloads(MARKER).items():
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(data)
        refused[name] = "unsafe"
    buf = io.BytesIO()
    torch.save(OrderedDict([("ok", torch.ones(2))]), buf)
    with zipfile.ZipFile(buf) as z:
        prefix = z.namelist()[0].split("/")[0]
        good_pkl = z.read(f"{prefix}/data.pkl")
        storage = z.read(f"{prefix}/data/0")
    cmd = f"touch {MARKER}".encode()
    # Splice one more item into the OrderedDict: 'evil': posix.system(cmd) (before the final SETITEMS/STOP).
    assert good_pkl.endswith(b"u.") or good_pkl.endswith(b"s.")
    evil_item = b"X\x04\x00\x00\x00evilcposix\nsystem\nX" + struct.pack("<I", len(cmd)) + cmd + b"\x85Rs"
    evil_pkl = good_pkl[:-1] + evil_item + b"."
    torch_like_zip("evil_reduce.pth", "evil_reduce", [("data.pkl", evil_pkl), ("data/0", storage),
                                                      ("version", b"3\n")])
    refused["evil_reduce.pth"] = "unsafe"

    with open(os.path.join(OUT, "expected.json"), "w") as f:
        json.dump({"torch": torch.__version__, "marker": MARKER, "fixtures": expected, "refused": refused},
                  f, indent=1, sort_keys=True)
        f.write("\n")
    sizes = sum(os.path.getsize(os.path.join(OUT, n)) for n in os.listdir(OUT))
    print(f"wrote {len(os.listdir(OUT))} files, {sizes} bytes, to {OUT}")


if __name__ == "__main__":
    main()
    sys.stdout.flush()
    os._exit(0)
