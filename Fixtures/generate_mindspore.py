"""Writes the MindSpore fixtures under Fixtures/mindspore/ with real MindSpore 2.10 + mindcv 0.3.0.

Run from the package root:  .venv/bin/python Fixtures/generate_mindspore.py

Every file here is written by `mindspore.save_checkpoint`; nothing is hand-assembled. The expected values in
`expected.json` come from the in-memory source tensors (`Tensor.get_bytes()`, the raw little-endian bytes), and the
generator cross-checks each plain file with `mindspore.load_checkpoint` so a fixture never disagrees with MindSpore.

Fixtures:
  micro_mindcv_f32.ckpt / _f16 / _bf16   mindcv ConvNeXt(depths [1,1,2,1], dims [8,16,32,64], 10 classes), perturbed
  micro_mindvision_f32.ckpt              the same f32 weights under MindSpore Vision names (backbone./neck./head.)
  train_adamw.ckpt                       TrainOneStepCell(mindcv model + AdamWeightDecay) after one step, saved whole,
                                         with append_dict scalars (int, float, bool) and a str
  dtypes.ckpt                            one small tensor per tensor_type MindSpore writes, plus 0-d scalars
  micro_crc.ckpt                         crc_check=True (17-byte crc_num trailer)
  micro_encrypted.ckpt                   enc_key=b'0123456789abcdef' (AES-GCM)
  sliced.ckpt                            SLICE_SIZE patched to 1 KiB so big parameters span several records
  micro_mindcv_f32.safetensors           format="safetensors" (MindSpore's __metadata__ {"format": "ms"})
"""
import hashlib
import json
import os
import sys

import numpy as np

os.environ.setdefault("GLOG_v", "3")
import mindspore as ms  # noqa: E402
from mindspore import Tensor, nn  # noqa: E402
from mindspore.train import serialization  # noqa: E402
from mindcv.models.convnext import ConvNeXt  # noqa: E402

ROOT = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(ROOT, "mindspore")
DEPTHS, DIMS, CLASSES = [1, 1, 2, 1], [8, 16, 32, 64], 10

DTYPE_NAMES = {  # MindSpore tensor_type -> cnzoo / safetensors spelling
    "Float16": "F16", "Float32": "F32", "Float64": "F64", "BFloat16": "BF16",
    "Int8": "I8", "Int16": "I16", "Int32": "I32", "Int64": "I64",
    "UInt8": "U8", "UInt16": "U16", "UInt32": "U32", "UInt64": "U64", "Bool": "BOOL",
}


def micro_mindcv(seed=0):
    """A mindcv micro ConvNeXt with every parameter replaced by seeded, non-trivial values."""
    net = ConvNeXt(in_channels=3, num_classes=CLASSES, depths=DEPTHS, dims=DIMS)
    rng = np.random.default_rng(seed)
    for _, p in net.parameters_and_names():
        base = p.asnumpy()
        p.set_data(Tensor((base + rng.normal(0, 0.05, base.shape)).astype(np.float32)))
    return net


def tensor_record(name, t):
    """expected.json entry for one tensor: name, dtype, shape, sha256 of the raw little-endian bytes."""
    raw = t.get_bytes() if isinstance(t, Tensor) else np.ascontiguousarray(t).tobytes()
    return {"name": name, "dtype": DTYPE_NAMES[str(t.dtype)], "shape": list(t.shape),
            "sha256": hashlib.sha256(raw).hexdigest()}


def mindvision_name(n):
    """mindcv micro ConvNeXt name -> MindSpore Vision name (formats.md §3.1/§3.5; seed 000)."""
    parts = n.split(".")
    if n.startswith("feature.0.0."):
        return "backbone.start_cell.0." + parts[-1]
    if n.startswith("feature.0.1."):
        return "backbone.start_cell.2." + parts[-1]
    if n.startswith("norm."):
        return "neck.layer_norm." + parts[-1]
    if n.startswith("classifier."):
        return "head.dense." + parts[-1]
    idx = int(parts[1])
    if idx % 2 == 0:  # downsample i = idx/2 (1..3): [0] = LayerNorm, [1] = conv
        ds = "backbone.down_sample_blocks.%d." % (idx - 2)
        return ds + ("layer_norm." if parts[2] == "0" else "conv.") + parts[-1]
    stage = (idx - 1) // 2
    block = parts[2]
    prefix = "backbone.block1.%s." % block if stage == 0 else "backbone.down_sample_blocks.%d.%s." % (2 * stage - 1, block)
    rest = ".".join(parts[3:])
    rest = {"gamma_": "gamma", "norm.gamma": "layer_norm.gamma", "norm.beta": "layer_norm.beta"}.get(rest, rest)
    return prefix + rest


def crosscheck(path, records, strings=None):
    """load_checkpoint must give exactly the expected names, dtypes, shapes and bytes."""
    loaded = ms.load_checkpoint(path)
    strings = strings or {}
    want = {r["name"]: r for r in records}
    assert set(loaded) == set(want) | set(strings), (path, sorted(set(loaded) ^ (set(want) | set(strings))))
    for name, v in loaded.items():
        if name in strings:
            assert v == strings[name], (path, name, v)
            continue
        got = tensor_record(name, v)
        got["shape"] = list(v.shape)
        assert got == want[name], (path, name, got, want[name])


def save(name, obj, **kw):
    path = os.path.join(OUT, name)
    if os.path.exists(path):
        os.chmod(path, 0o600)
        os.remove(path)
    ms.save_checkpoint(obj, path, **kw)
    os.chmod(path, 0o644)  # MindSpore leaves 0400; git and the tests want a normal file
    return path


def main():
    os.makedirs(OUT, exist_ok=True)
    expected = {}
    ms.set_seed(0)  # mindcv's initializers draw from MindSpore's RNG; seeding makes every fixture reproducible
    net = micro_mindcv()
    params = [(n, p) for n, p in net.parameters_and_names()]

    # 1. mindcv naming in f32, f16, bf16.
    path = save("micro_mindcv_f32.ckpt", net)
    recs = [tensor_record(n, p) for n, p in params]
    crosscheck(path, recs)
    expected["micro_mindcv_f32.ckpt"] = {"tensors": recs, "extras": {}, "crc": False}
    for tag, dt in (("f16", ms.float16), ("bf16", ms.bfloat16)):
        items = [{"name": n, "data": Tensor(p.asnumpy()).astype(dt)} for n, p in params]
        path = save("micro_mindcv_%s.ckpt" % tag, items)
        recs = [tensor_record(i["name"], i["data"]) for i in items]
        crosscheck(path, recs)
        expected["micro_mindcv_%s.ckpt" % tag] = {"tensors": recs, "extras": {}, "crc": False}

    # 2. MindSpore Vision naming, written from a parameter list (no package ships that model).
    items = [{"name": mindvision_name(n), "data": Tensor(p.asnumpy())} for n, p in params]
    path = save("micro_mindvision_f32.ckpt", items)
    recs = [tensor_record(i["name"], i["data"]) for i in items]
    crosscheck(path, recs)
    expected["micro_mindvision_f32.ckpt"] = {"tensors": recs, "extras": {}, "crc": False}

    # 3. Training checkpoint: TrainOneStepCell(model + loss, AdamWeightDecay) after one step, saved whole.
    ms.set_seed(1)
    train_model = micro_mindcv(seed=1)
    loss_net = nn.WithLossCell(train_model, nn.SoftmaxCrossEntropyWithLogits(sparse=True, reduction="mean"))
    opt = nn.AdamWeightDecay(train_model.trainable_params(), learning_rate=1e-3, weight_decay=0.05)
    step = nn.TrainOneStepCell(loss_net, opt)
    step.set_train()
    rng = np.random.default_rng(2)
    x = Tensor(rng.normal(0, 1, (2, 3, 32, 32)).astype(np.float32))
    y = Tensor(np.array([1, 7], dtype=np.int32))
    step(x, y)
    appended = {"epoch_num": 3, "step_num": 42, "loss_scale": 1024.0, "converged": False, "note": "micro run é"}
    path = save("train_adamw.ckpt", step, append_dict=appended)
    recs = [tensor_record(p.name, p) for p in step.get_parameters()]  # saved under Parameter.name
    extras = {}
    for k, v in appended.items():
        if isinstance(v, str):
            extras[k] = v
        else:
            t = Tensor(v)
            recs.append(tensor_record(k, t))
    crosscheck(path, recs, strings={k: v for k, v in appended.items() if isinstance(v, str)})
    expected["train_adamw.ckpt"] = {"tensors": recs, "extras": extras, "crc": False}

    # 4. Every tensor_type MindSpore writes, plus 0-d scalars.
    r = np.random.default_rng(3)
    arrays = {
        "f16": r.normal(0, 1, (2, 3)).astype(np.float16), "f32": r.normal(0, 1, (3, 2)).astype(np.float32),
        "f64": r.normal(0, 1, (4,)).astype(np.float64),
        "i8": r.integers(-128, 127, (5,)).astype(np.int8), "i16": r.integers(-3000, 3000, (2, 2)).astype(np.int16),
        "i32": r.integers(-10**9, 10**9, (3,)).astype(np.int32), "i64": r.integers(-10**15, 10**15, (3,)).astype(np.int64),
        "u8": r.integers(0, 255, (6,)).astype(np.uint8), "u16": r.integers(0, 65535, (2, 1)).astype(np.uint16),
        "u32": r.integers(0, 2**32 - 1, (3,)).astype(np.uint32), "u64": r.integers(0, 2**63, (2,)).astype(np.uint64),
        "flag": np.array([True, False, True]),
    }
    items = [{"name": k, "data": Tensor(v)} for k, v in arrays.items()]
    items.append({"name": "bf16", "data": Tensor(r.normal(0, 1, (2, 2)).astype(np.float32)).astype(ms.bfloat16)})
    items.append({"name": "scalar_f32", "data": Tensor(np.float32(2.5))})
    items.append({"name": "scalar_i64", "data": Tensor(np.int64(-7))})
    items.append({"name": "scalar_bool", "data": Tensor(True)})
    path = save("dtypes.ckpt", items, append_dict={"title": "dtype tour"})
    recs = [tensor_record(i["name"], i["data"]) for i in items]
    crosscheck(path, recs, strings={"title": "dtype tour"})
    expected["dtypes.ckpt"] = {"tensors": recs, "extras": {"title": "dtype tour"}, "crc": False}

    # 5. CRC trailer.
    path = save("micro_crc.ckpt", net, crc_check=True)
    recs = [tensor_record(n, p) for n, p in params]
    crosscheck(path, recs)
    expected["micro_crc.ckpt"] = {"tensors": recs, "extras": {}, "crc": True}

    # 6. Encrypted (AES-GCM): cnzoo must refuse it as encrypted.
    save("micro_encrypted.ckpt", net, enc_key=b"0123456789abcdef")
    expected["micro_encrypted.ckpt"] = {"encrypted": True}

    # 7. Sliced parameters: 1 KiB slices, so every tensor over 1 KiB is split into several records.
    original = serialization.SLICE_SIZE
    serialization.SLICE_SIZE = 1
    try:
        big = [(n, p) for n, p in params if n in ("feature.5.0.dwconv.weight", "feature.7.0.pwconv1.weight")]
        sliced = [{"name": n, "data": Tensor(p.asnumpy())} for n, p in params[:12] + big]
        path = save("sliced.ckpt", sliced, crc_check=True)
    finally:
        serialization.SLICE_SIZE = original
    recs = [tensor_record(i["name"], i["data"]) for i in sliced]
    crosscheck(path, recs)
    expected["sliced.ckpt"] = {"tensors": recs, "extras": {}, "crc": True}

    # 8. MindSpore-flavoured safetensors.
    path = os.path.join(OUT, "micro_mindcv_f32.safetensors")
    if os.path.exists(path):
        os.chmod(path, 0o600)
        os.remove(path)
    ms.save_checkpoint(net, path, format="safetensors")
    os.chmod(path, 0o644)
    recs = sorted((tensor_record(n, p) for n, p in params), key=lambda r: r["name"])
    expected["micro_mindcv_f32.safetensors"] = {"tensors": recs, "extras": {}, "crc": False}

    with open(os.path.join(OUT, "expected.json"), "w") as f:
        json.dump({"generator": "Fixtures/generate_mindspore.py", "mindspore": ms.__version__,
                   "fixtures": expected}, f, indent=1, sort_keys=True)
        f.write("\n")
    for name in sorted(os.listdir(OUT)):
        print("%-32s %8d bytes" % (name, os.path.getsize(os.path.join(OUT, name))))


if __name__ == "__main__":
    main()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)
