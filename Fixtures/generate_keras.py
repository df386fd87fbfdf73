"""Generates the Keras fixtures in Fixtures/keras/ with the REAL keras (3.x, JAX backend, its own venv).

Run from the repository root:  bash scripts/python-peers-keras.sh && .venv-keras/bin/python Fixtures/generate_keras.py
(`--notop-only` / `--small-only` regenerate only those files).

A micro ConvNeXt is built by keras itself, `keras.src.applications.convnext.ConvNeXt(depths=[1, 1, 2, 1],
projection_dims=[8, 16, 32, 64], classes=10, input_shape=(64, 96, 3), classifier_activation=None)` (the same
structure as `keras.applications.ConvNeXtTiny`, preprocessing layer included, so inputs are 0-255 pixels). Its
weights are overwritten with seeded random values (layer scales in [0.1, 0.5) so every block shows in the logits),
then keras writes it in every file form it has:

* `micro.weights.h5`       Keras 3 `model.save_weights` (class-name-counter paths `layers/dense_3/vars/0`)
* `micro.keras`            Keras 3 `model.save` (zip of config.json, metadata.json, model.weights.h5, stored)
* `micro_legacy_model.h5`  legacy Keras 2 full-model HDF5, `model.save("x.h5")` (keras 3 still writes it through
                           `keras.src.legacy.saving.legacy_h5_format.save_model_to_hdf5`): `model_weights/<layer>/...`
* `micro_legacy_weights.h5` legacy Keras 2 weights-only HDF5: what Keras 2's `model.save_weights("x.h5")` did,
                           `legacy_h5_format.save_weights_to_hdf5_group(h5py.File(...), model)` — the same function
                           Keras 2 called, still shipped in keras 3 (paths `<layer>/<layer>/<weight>`)

and the same model without its top (`notop()`: `micro_notop.weights.h5`, `micro_notop_legacy.h5`, the forms of Keras'
`_notop.h5` ImageNet files, with `micro_notop_features_keras.npy`), plus `micro_input.npy` (NHWC float32, 0-255) and `micro_logits_keras.npy` (model(x), float32), and `expected.json`
listing every dataset (HDF5 path, dtype, shape, sha256 of the raw little-endian bytes, the `vars` group's `name`
attribute) read back with h5py.
"""
import hashlib
import json
import os
import sys
import zipfile

os.environ.setdefault("KERAS_BACKEND", "jax")
import h5py  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402
from keras.src.applications.convnext import ConvNeXt  # noqa: E402
from keras.src.legacy.saving import legacy_h5_format  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "keras")
CONFIG = dict(depths=[1, 1, 2, 1], projection_dims=[8, 16, 32, 64], classes=10, h=64, w=96, batch=2, seed=11)


def build(config=CONFIG, include_top=True):
    """The micro ConvNeXt with seeded random weights. Without its top (`include_top=False, pooling="avg"`, what
    Keras' `_notop.h5` ImageNet files hold) every weight is the same as with it: the layers are visited in the same
    order and the head Dense, the only layer missing, comes last."""
    model = ConvNeXt(depths=config["depths"], projection_dims=config["projection_dims"], classes=config["classes"],
                     input_shape=(config["h"], config["w"], 3), classifier_activation=None, weights=None,
                     name="convnext_micro", include_top=include_top, pooling=None if include_top else "avg")
    rng = np.random.default_rng(config["seed"])
    for layer in model.layers:
        new = []
        for v in layer.weights:
            shape = tuple(v.shape)
            path = v.path
            if "layer_scale" in path:
                val = rng.uniform(0.1, 0.5, shape)
            elif "gamma" in path:
                val = 1 + 0.1 * rng.standard_normal(shape)
            elif "kernel" in path:
                fan_in = int(np.prod(shape[:-1]))
                val = rng.standard_normal(shape) / np.sqrt(fan_in)
            else:
                val = 0.1 * rng.standard_normal(shape)
            new.append(val.astype(np.float32))
        if new:
            layer.set_weights(new)
    return model


def listing(path):
    """Every dataset in an HDF5 file, in visit order."""
    out = []
    with h5py.File(path, "r") as f:
        def visit(name, obj):
            if isinstance(obj, h5py.Dataset):
                a = np.asarray(obj[()])
                parent_name = obj.parent.attrs.get("name")
                out.append(dict(path=name, dtype=str(a.dtype), shape=list(a.shape),
                                sha256=hashlib.sha256(a.astype(a.dtype.newbyteorder("<")).tobytes()).hexdigest(),
                                layer=None if parent_name is None else str(parent_name)))
        f.visititems(visit)
    return out


def main():
    os.makedirs(OUT, exist_ok=True)
    keras.utils.set_random_seed(CONFIG["seed"])
    model = build()
    rng = np.random.default_rng(CONFIG["seed"] + 1)
    x = rng.uniform(0, 255, (CONFIG["batch"], CONFIG["h"], CONFIG["w"], 3)).astype(np.float32)
    logits = np.asarray(model(x, training=False)).astype(np.float32)

    files = {
        "micro.weights.h5": lambda p: model.save_weights(p),
        "micro.keras": lambda p: model.save(p),
        "micro_legacy_model.h5": lambda p: legacy_h5_format.save_model_to_hdf5(model, p, include_optimizer=False),
    }
    for name, save in files.items():
        save(os.path.join(OUT, name))
    with h5py.File(os.path.join(OUT, "micro_legacy_weights.h5"), "w") as f:
        legacy_h5_format.save_weights_to_hdf5_group(f, model)
    np.save(os.path.join(OUT, "micro_input.npy"), x)
    np.save(os.path.join(OUT, "micro_logits_keras.npy"), logits)

    # Each file loads back into a fresh model with identical logits (proves the fixtures are what keras reads).
    for name in ["micro.weights.h5", "micro_legacy_weights.h5", "micro_legacy_model.h5"]:
        fresh = build(dict(CONFIG, seed=CONFIG["seed"] + 100))
        fresh.load_weights(os.path.join(OUT, name))
        assert np.array_equal(np.asarray(fresh(x, training=False)), logits), name
    loaded = keras.saving.load_model(os.path.join(OUT, "micro.keras"), compile=False)
    assert np.array_equal(np.asarray(loaded(x, training=False)), logits)

    with zipfile.ZipFile(os.path.join(OUT, "micro.keras")) as z:
        members = {i.filename: dict(size=i.file_size, compress_type=i.compress_type, header_offset=i.header_offset)
                   for i in z.infolist()}
        z.extract("model.weights.h5", os.path.join(OUT, "_tmp"))
    keras_member = listing(os.path.join(OUT, "_tmp", "model.weights.h5"))
    os.remove(os.path.join(OUT, "_tmp", "model.weights.h5"))
    os.rmdir(os.path.join(OUT, "_tmp"))

    expected = dict(
        config=CONFIG, versions=dict(keras=keras.__version__, h5py=h5py.__version__, hdf5=h5py.version.hdf5_version,
                                     numpy=np.__version__, backend=keras.backend.backend()),
        weights=[dict(path=w.path, shape=list(w.shape)) for w in model.weights],
        files={name: listing(os.path.join(OUT, name))
               for name in ["micro.weights.h5", "micro_legacy_weights.h5", "micro_legacy_model.h5"]},
        keras_archive=dict(members=members, weights=keras_member),
        logits=dict(shape=list(logits.shape), argmax=logits.argmax(axis=1).tolist()),
    )
    with open(os.path.join(OUT, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1, sort_keys=True)
        f.write("\n")
    for name in sorted(os.listdir(OUT)):
        print(f"{name}: {os.path.getsize(os.path.join(OUT, name))} bytes")
    return 0




def notop():
    """`micro_notop.weights.h5` (Keras 3) and `micro_notop_legacy.h5` (legacy weights-only, the form of Keras'
    `convnext_*_notop.h5` ImageNet files): the micro model without its top — the final LayerNorm is an unnamed
    `layer_normalization` — and `micro_notop_features_keras.npy`, its output on `micro_input.npy` (global average
    pool then that LayerNorm: the pooled features)."""
    model = build(include_top=False)
    x = np.load(os.path.join(OUT, "micro_input.npy"))
    features = np.asarray(model(x, training=False)).astype(np.float32)
    model.save_weights(os.path.join(OUT, "micro_notop.weights.h5"))
    with h5py.File(os.path.join(OUT, "micro_notop_legacy.h5"), "w") as f:
        legacy_h5_format.save_weights_to_hdf5_group(f, model)
    np.save(os.path.join(OUT, "micro_notop_features_keras.npy"), features)
    top = build().weights  # the same values, in the same order, as the full model's but for its head Dense
    assert len(top) == len(model.weights) + 2
    for w, twin in zip(model.weights, top):
        assert np.array_equal(np.asarray(w), np.asarray(twin)), (w.path, twin.path)
    for name in ["micro_notop.weights.h5", "micro_notop_legacy.h5"]:
        fresh = build(dict(CONFIG, seed=CONFIG["seed"] + 100), include_top=False)
        fresh.load_weights(os.path.join(OUT, name))
        assert np.array_equal(np.asarray(fresh(x, training=False)), features), name
    for name in ["micro_notop.weights.h5", "micro_notop_legacy.h5", "micro_notop_features_keras.npy"]:
        print(f"{name}: {os.path.getsize(os.path.join(OUT, name))} bytes")


def small_and_hostile():
    """`small.weights.h5` / `small_legacy.h5` (a few KB, for the every-byte truncation sweep and the mutation tests)
    and `hostile/*.h5`: HDF5 features cnzoo refuses, each written by h5py, with `hostile/expected.json` naming the
    refusal expected."""
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2), keras.layers.LayerNormalization()],
                             name="small")
    model.layers[0].set_weights([np.arange(6, dtype=np.float32).reshape(3, 2), np.array([0.5, -0.5], np.float32)])
    model.save_weights(os.path.join(OUT, "small.weights.h5"))
    with h5py.File(os.path.join(OUT, "small_legacy.h5"), "w") as f:
        legacy_h5_format.save_weights_to_hdf5_group(f, model)
    hostile = os.path.join(OUT, "hostile")
    os.makedirs(hostile, exist_ok=True)
    expected = {}

    def make(name, refusal, build):
        path = os.path.join(hostile, name)
        with h5py.File(path, "w", track_order=False) as f:
            build(f)
        expected[name] = refusal

    data = np.arange(4, dtype=np.float32)
    make("external_link.h5", "external links are refused",
         lambda f: f.__setitem__("layers/dense/vars/0", h5py.ExternalLink("/etc/passwd", "/x")))
    make("soft_link.h5", "soft and user-defined links are refused",
         lambda f: (f.create_dataset("a/vars/0", data=data), f.__setitem__("b", h5py.SoftLink("/a"))))
    make("external_storage.h5", "external storage is refused",
         lambda f: f.create_dataset("layers/dense/vars/0", shape=(4,), dtype="f4", external=[("/etc/passwd", 0, 16)]))
    make("lzf_filter.h5", "filter 32000 is refused",
         lambda f: f.create_dataset("layers/dense/vars/0", data=np.zeros((64, 64), np.float32), compression="lzf"))

    def virtual(f):
        f.create_dataset("src", data=data)
        layout = h5py.VirtualLayout(shape=(4,), dtype="f4")
        layout[:] = h5py.VirtualSource(f["src"])
        f.create_virtual_dataset("layers/dense/vars/0", layout)
    make("virtual.h5", "virtual datasets are refused", virtual)

    def deep(f):
        g = f
        for i in range(40):
            g = g.create_group(f"g{i}")
        g.create_dataset("0", data=data)
    make("deep_groups.h5", "groups nested deeper than 16", deep)
    make("string_dataset.h5", "is not numeric",
         lambda f: f.create_dataset("layers/dense/vars/0", data=np.array([b"abc", b"def"])))
    make("sparse_bomb.h5", "a compression bomb",
         lambda f: f.create_dataset("layers/dense/vars/0", shape=(16384, 16384), dtype="f4", chunks=(1024, 1024)))
    with open(os.path.join(hostile, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1, sort_keys=True)
        f.write("\n")
    for name in sorted(os.listdir(hostile)):
        print(f"hostile/{name}: {os.path.getsize(os.path.join(hostile, name))} bytes")
    for name in ["small.weights.h5", "small_legacy.h5"]:
        print(f"{name}: {os.path.getsize(os.path.join(OUT, name))} bytes")


if __name__ == "__main__":
    if sys.argv[1:] == ["--small-only"]:
        small_and_hostile()
        sys.exit(0)
    if sys.argv[1:] == ["--notop-only"]:
        notop()
        sys.exit(0)
    rc = main()
    notop()
    small_and_hostile()
    sys.exit(rc)
