"""Writes the hostile-input corpus under Fixtures/hostile/ and Fixtures/hostile/expected.json.

Run from the package root:  python3 Fixtures/generate_hostile.py      (plain Python: struct, zipfile, pickle)

Every file here is something a stranger could upload as a "checkpoint". cnzoo must refuse each one with a specific
error (expected.json: file -> {code, fragment, what}) in bounded time and memory, and must never run a payload.
Pickle payloads would create a marker file under /tmp if anything ever executed them (expected.json "marker"); the
generator proves that the code-execution payloads are real by loading each bare pickle with Python's own
pickle.loads in a child process (pointed at a different marker) and checking that the marker appeared. Nothing is
executed in this process.

The .pth files are torch.save-shaped zips built by hand (stored entries, "archive/" prefix, version 3) so each
trick is exact: the base state dict is one float32 tensor "w" of shape (4,) in storage "0".
"""
import json
import os
import pickle
import struct
import subprocess
import sys
import zipfile
import zlib

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "hostile")
MARKER = "/tmp/cnzoo_hostile_marker"
expected = {}
os.makedirs(OUT, exist_ok=True)


def put(name, data, code, fragment, what):
    """code/fragment: the CNZooError cnzoo must give, or None/None when the file must be read (in bounded time)."""
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)
    expected[name] = {"code": code, "fragment": fragment, "what": what}


# ---------------------------------------------------------------- pickle assembly (opcodes spelled out)

def uni(s):
    """BINUNICODE."""
    b = s.encode() if isinstance(s, str) else s
    return b"X" + struct.pack("<I", len(b)) + b


def short_uni(s):
    """SHORT_BINUNICODE (protocol 4)."""
    b = s.encode()
    return b"\x8c" + bytes([len(b)]) + b


def glob(module, name):
    """GLOBAL."""
    return b"c" + module.encode() + b"\n" + name.encode() + b"\n"


def k(i):
    """BININT1 / BININT."""
    return b"K" + bytes([i]) if 0 <= i < 256 else b"J" + struct.pack("<i", i)


def tensor_call(storage_key="0", numel=4, offset=0, shape=(4,), stride=(1,), storage_class="FloatStorage"):
    """torch._utils._rebuild_tensor_v2(persistent storage, offset, shape, stride, False, OrderedDict())."""
    def int_tuple(t):
        return b"(" + b"".join(int_any(x) for x in t) + b"t"
    pid = b"(" + uni("storage") + glob("torch", storage_class) + uni(storage_key) + uni("cpu") + int_any(numel) + b"tQ"
    return (glob("torch._utils", "_rebuild_tensor_v2") + b"(" + pid + int_any(offset) + int_tuple(shape)
            + int_tuple(stride) + b"\x89" + glob("collections", "OrderedDict") + b")R" + b"tR")


def int_any(i):
    """The smallest int opcode that holds i (LONG1 for anything beyond 32 bits)."""
    if -(2 ** 31) <= i < 2 ** 31:
        return k(i)
    n = (i.bit_length() + 8) // 8
    return b"\x8a" + bytes([n]) + i.to_bytes(n, "little", signed=True)


def state_dict(items):
    """OrderedDict() then SETITEMS of (name, value-bytes) pairs, STOP."""
    body = b"".join(uni(n) + v for n, v in items)
    return b"\x80\x02" + glob("collections", "OrderedDict") + b")R(" + body + b"u."


GOOD_PICKLE = state_dict([("w", tensor_call())])
STORAGE = struct.pack("<4f", 1.0, 2.0, 3.0, 4.0)


def torch_zip(entries, compress=None):
    """A torch.save-shaped zip of (name, bytes) under archive/ (stored unless compress names entries to deflate)."""
    import io
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for n, b in entries:
            info = zipfile.ZipInfo("archive/" + n if not n.startswith("!") else n[1:], date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED if compress and n in compress else zipfile.ZIP_STORED
            z.writestr(info, b)
    return buf.getvalue()


def pth(pkl, storages=(("0", STORAGE),), extra=(), compress=None):
    return torch_zip([("version", b"3\n"), ("byteorder", b"little"), ("data.pkl", pkl)]
                     + [("data/" + key, b) for key, b in storages] + list(extra), compress=compress)


# ---------------------------------------------------------------- pickle attacks

CMD = f"touch {MARKER}"
executable = {}  # file -> bare pickle that must run CMD under pickle.loads (proved below)


def attack(name, pkl, fragment, what, runs=True, also_pth=True):
    put(name + ".pkl", pkl, "unsafe", fragment, what)
    if runs:
        executable[name + ".pkl"] = pkl
    if also_pth:
        # The same payload as the value of a second state-dict entry next to a real tensor.
        inner = pkl[2:-1] if pkl.startswith(b"\x80") else pkl[:-1]
        proto = pkl[:2] if pkl.startswith(b"\x80") else b"\x80\x02"
        wrapped = proto + glob("collections", "OrderedDict") + b")R(" + uni("w") + tensor_call() + uni("evil") + inner + b"u."
        put(name + ".pth", pth(wrapped), "unsafe", fragment, what + " (inside a torch.save zip)")


attack("reduce_os_system", b"\x80\x02" + glob("os", "system") + uni(CMD) + b"\x85R.", "os.system",
       "GLOBAL os.system + REDUCE")
attack("reduce_posix_system", b"\x80\x02" + glob("posix", "system") + uni(CMD) + b"\x85R.", "posix.system",
       "GLOBAL posix.system + REDUCE")
attack("reduce_builtins_exec", b"\x80\x02" + glob("builtins", "exec") + uni(f"import os; os.system({CMD!r})") + b"\x85R.",
       "builtins.exec", "builtins.exec of Python source")
attack("reduce_builtins_eval", b"\x80\x02" + glob("builtins", "eval")
       + uni(f"__import__('os').system({CMD!r})") + b"\x85R.", "builtins.eval", "builtins.eval of Python source")
attack("reduce_subprocess", b"\x80\x02" + glob("subprocess", "check_call") + b"(" + uni("touch") + uni(MARKER)
       + b"l\x85R.", "subprocess.check_call", "subprocess.check_call([...])")
attack("inst_os_system", b"(" + b"V" + CMD.encode() + b"\n" + b"ios\nsystem\n.", "os.system", "INST os system (protocol 0)")
attack("obj_os_system", b"\x80\x02(" + glob("os", "system") + uni(CMD) + b"o.", "os.system", "MARK GLOBAL os.system arg OBJ")
attack("newobj_subprocess", b"\x80\x02" + glob("subprocess", "Popen") + b"(" + uni("touch") + uni(MARKER) + b"l\x85\x81.",
       "subprocess.Popen", "NEWOBJ subprocess.Popen (cls.__new__ only)", runs=False)
attack("stack_global", b"\x80\x04" + short_uni("os") + short_uni("system") + b"\x93" + short_uni(CMD) + b"\x85R.",
       "os.system", "STACK_GLOBAL os system + REDUCE")
# STACK_GLOBAL whose module and name come from the memo (a scanner reading only GLOBAL lines sees nothing).
attack("stack_global_memo", b"\x80\x04" + short_uni("posix") + b"\x94" + short_uni("system") + b"\x94" + b"0" + b"0"
       + b"h\x00h\x01\x93" + short_uni(CMD) + b"\x85R.", "posix.system", "STACK_GLOBAL with names fetched from the memo")
# Memo confusion: slot 0 first holds a safe global, then is overwritten with a dangerous one; BINGET 0 is called.
attack("memo_swap", b"\x80\x02" + glob("collections", "OrderedDict") + b"q\x000" + glob("os", "system") + b"q\x000"
       + b"h\x00" + uni(CMD) + b"\x85R.", "os.system", "BINPUT slot 0 = OrderedDict, then BINPUT slot 0 = os.system, BINGET 0, REDUCE")
# BUILD: give an argparse.Namespace an instance __setstate__ (os.system), then BUILD it with the command.
attack("build_setstate", b"\x80\x02" + glob("argparse", "Namespace") + b")\x81}" + uni("__setstate__")
       + glob("os", "system") + b"sb" + uni(CMD) + b"b.", "os.system", "BUILD sets __setstate__ = os.system, second BUILD calls it")
# The same __setstate__ injection through BUILD's (state, slotstate) tuple form, with a global that is not on any
# dangerous list: the slot-state setattr must be caught on its own merits.
attack("build_slotstate_setstate", b"\x80\x02" + glob("argparse", "Namespace") + b")\x81" + b"N}" + uni("__setstate__")
       + glob("collections", "Counter") + b"s\x86b" + uni("x") + b"b.", "__setstate__",
       "BUILD (None, {'__setstate__': ...}) slot state: setattr of a dunder", runs=False)
attack("build_dict_dunder", b"\x80\x02" + glob("collections", "OrderedDict") + b")R}" + uni("__class__")
       + glob("collections", "Counter") + b"sb.", "__class__", "BUILD on a dict that sets __class__", runs=False,
       also_pth=False)
# Nested: the dangerous call sits deep inside lists/tuples/dicts of an otherwise plain value.
nested = b"\x80\x02]" + b"(]" * 50 + b"}" + uni("k") + glob("os", "system") + uni(CMD) + b"\x85Rs" + b"e" * 50 + b"."
attack("nested_call", nested, "os.system", "os.system REDUCE nested 50 lists deep", runs=False)
# Repeated globals: 2000 harmless GLOBALs (POPped) hide one builtins.getattr(builtins.__import__('os'), 'system').
repeated = (b"\x80\x02" + (glob("collections", "OrderedDict") + b"0") * 2000 + glob("builtins", "getattr")
            + glob("builtins", "__import__") + uni("os") + b"\x85R" + uni("system") + b"\x86R" + uni(CMD) + b"\x85R.")
attack("repeated_globals", repeated, "builtins.", "2000 repeated safe GLOBALs, then getattr(__import__('os'), 'system')")
# A pickle that imports a pickle scanner (a known trick: make the scanner run itself or monkey-patch it).
attack("imports_picklescan", b"\x80\x02" + glob("picklescan.scanner", "scan_file_path") + uni("/") + b"\x85R.",
       "picklescan.scanner.scan_file_path", "calls picklescan.scanner.scan_file_path", runs=False)
attack("imports_fickling", b"\x80\x02" + glob("fickling", "load") + uni("/dev/null") + b"\x85R.", "fickling.load",
       "calls fickling.load", runs=False)
# torch.load of another file from inside a pickle.
attack("torch_load_chain", b"\x80\x02" + glob("torch.serialization", "load") + uni("/tmp/other.pth") + b"\x85R.",
       "torch.serialization.load", "calls torch.serialization.load on another path", runs=False)

# ---------------------------------------------------------------- zip tricks

good = pth(GOOD_PICKLE)
put("zip_compressed.pth", pth(GOOD_PICKLE, compress={"data.pkl"}), "unsupported", "DEFLATE-compressed",
    "data.pkl DEFLATE-compressed")


def patch(data, offset, fmt, value):
    b = bytearray(data)
    struct.pack_into(fmt, b, offset, value)
    return bytes(b)


def central_offsets(data):
    """(central-directory offset of each entry, name) in order."""
    eocd = data.rfind(b"PK\x05\x06")
    count, _, cd = struct.unpack_from("<HII", data, eocd + 10)
    out = []
    p = cd
    for _ in range(count):
        nl, el, cl = struct.unpack_from("<HHH", data, p + 28)
        out.append((p, data[p + 46:p + 46 + nl].decode()))
        p += 46 + nl + el + cl
    return out


def entry_cd(data, name):
    return next(p for p, n in central_offsets(data) if n == "archive/" + name)


# Zip bomb: a tiny DEFLATE entry that claims to inflate to 4 GiB - 1 (a reader that inflated it would eat memory).
import io as _io
buf = _io.BytesIO()
with zipfile.ZipFile(buf, "w") as z:
    for n, b in [("version", b"3\n"), ("data.pkl", GOOD_PICKLE)]:
        z.writestr(zipfile.ZipInfo("archive/" + n, date_time=(1980, 1, 1, 0, 0, 0)), b)
    zi = zipfile.ZipInfo("archive/data/0", date_time=(1980, 1, 1, 0, 0, 0))
    zi.compress_type = zipfile.ZIP_DEFLATED
    z.writestr(zi, b"\0" * (1 << 20))
bomb = buf.getvalue()
cdp = entry_cd(bomb, "data/0")
bomb = patch(bomb, cdp + 24, "<I", 0xFFFFFFFE)  # central directory: uncompressed size 4 GiB
put("zip_bomb.pth", bomb, "unsupported", "DEFLATE-compressed", "1 MiB of zeros deflated, claiming 4 GiB uncompressed")

# Central directory lies: data/0 claims 1 MiB stored (more than the file holds).
lie = patch(good, entry_cd(good, "data/0") + 20, "<I", 1 << 20)
lie = patch(lie, entry_cd(good, "data/0") + 24, "<I", 1 << 20)
put("zip_cd_size_lie.pth", lie, "malformed", "runs past the central directory", "central directory says data/0 is 1 MiB")
# Compressed size ≠ uncompressed size on a stored entry.
lie2 = patch(good, entry_cd(good, "data/0") + 24, "<I", 8)
put("zip_stored_size_mismatch.pth", lie2, "malformed", "compressed size 16", "stored entry with csize 16, usize 8")
# Local header offset beyond the central directory.
lie3 = patch(good, entry_cd(good, "data/0") + 42, "<I", 0x7FFFFFF0)
put("zip_local_offset_lie.pth", lie3, "malformed", "beyond the file", "local header offset 2 GiB")
# Overlap: data.pkl's central entry points at data/0's local header too (two names, one set of bytes).
ov = patch(good, entry_cd(good, "data/0") + 42, "<I", struct.unpack_from("<I", good, entry_cd(good, "data.pkl") + 42)[0])
put("zip_overlap.pth", ov, "malformed", "overlap", "two central entries share one local header")
# Duplicate names: a second data/0 (a reader that takes the last one would read different bytes than one taking the first).
dup = torch_zip([("version", b"3\n"), ("data.pkl", GOOD_PICKLE), ("data/0", STORAGE),
                 ("data/0", struct.pack("<4f", 9, 9, 9, 9))])
put("zip_duplicate_names.pth", dup, "malformed", "duplicate zip entry name", "data/0 twice")
# Path-like names: the archive folder is "..", or entries are absolute.
put("zip_dotdot_names.pth", torch_zip([("!../version", b"3\n"), ("!../data.pkl", GOOD_PICKLE), ("!../data/0", STORAGE)]),
    "malformed", "has a '..' component", "entries named ../version, ../data.pkl (path traversal names)")
put("zip_absolute_names.pth", torch_zip([("!/archive/version", b"3\n"), ("!/archive/data.pkl", GOOD_PICKLE),
                                         ("!/archive/data/0", STORAGE)]), "malformed", "is absolute",
    "entries named /archive/... (absolute paths)")
put("zip_backslash_names.pth", torch_zip([("!archive\\..\\version", b"3\n"), ("!archive\\..\\data.pkl", GOOD_PICKLE)]),
    "malformed", "has a '..' component", "entries named archive\\..\\x (Windows traversal)")
# Entry count claims a million entries in a 300-byte central directory.
eocd = good.rfind(b"PK\x05\x06")
many = patch(patch(good, eocd + 8, "<H", 0xFFFF), eocd + 10, "<H", 0xFFFF)
put("zip_entry_count_lie.pth", many, "malformed", "cannot hold 65535 entries", "EOCD claims 65535 entries")

# ---------------------------------------------------------------- numeric traps (in .pth)

put("shape_overflow.pth", pth(state_dict([("w", tensor_call(shape=(2 ** 32, 2 ** 32, 2 ** 32), stride=(0, 0, 0)))])),
    "malformed", "overflow", "shape 2^32 x 2^32 x 2^32 (product overflows Int64)")
put("shape_negative.pth", pth(state_dict([("w", tensor_call(shape=(-1, 4), stride=(4, 1)))])), "malformed", "negative",
    "shape (-1, 4)")
put("storage_offset_past_end.pth", pth(state_dict([("w", tensor_call(offset=1000))])), "malformed", "storage",
    "storage offset 1000 in a 4-element storage")
put("numel_beyond_entry.pth", pth(state_dict([("w", tensor_call(numel=1_000_000_000, shape=(1_000_000_000,)))])),
    "malformed", "claims 1000000000", "storage claims 10^9 float32 elements; its record holds 16 bytes")
put("stride_past_storage.pth", pth(state_dict([("w", tensor_call(shape=(2, 2), stride=(1000, 1)))])), "malformed",
    "storage", "stride 1000 walks past a 4-element storage")
put("view_stride0_bomb.pth", pth(state_dict([("w", tensor_call(numel=1, shape=(2 ** 30,), stride=(0,)))]),
                                 storages=(("0", STORAGE[:4]),)), "limit-exceeded", "maxViewAmplification",
    "a 1-element storage viewed with stride 0 as 2^30 elements (4 GiB from 4 bytes when materialised)")
put("huge_rank.pth", pth(state_dict([("w", tensor_call(shape=(1,) * 100, stride=(1,) * 100))])), "limit-exceeded",
    "maxRank", "rank 100")

# ---------------------------------------------------------------- pickle resource traps (bare pickles)

put("deep_marks.pkl", b"\x80\x02" + b"(" * 100_000 + b".", "limit-exceeded", "maxNestingDepth", "100,000 MARKs")
put("deep_tuples.pkl", b"\x80\x02" + b"(" * 100_000 + b"t" * 100_000 + b".", "limit-exceeded", "maxNestingDepth",
    "100,000 nested tuples")
put("deep_lists.pkl", b"\x80\x02" + b"]" * 100_000 + b"a" * 99_999 + b".", "unsupported", "holds a list, not a state dict",
    "100,000 nested lists (EMPTY_LIST ... APPEND): values are arena references, so nothing recurses 100,000 deep")
put("billion_binbytes8.pkl", b"\x80\x04\x8e" + struct.pack("<Q", 1_000_000_000_000) + b"x.", "limit-exceeded",
    "maxPickleStringBytes", "BINBYTES8 claiming 10^12 bytes")
put("billion_binunicode.pkl", b"\x80\x02X" + struct.pack("<I", 0xFFFFFFFF) + b"x.", "limit-exceeded",
    "maxPickleStringBytes", "BINUNICODE claiming 4 GiB")
put("huge_frame.pkl", b"\x80\x04\x95" + struct.pack("<Q", 2 ** 63 - 1) + b"N.", "unsupported", "holds a None, not a state dict",
    "FRAME of 2^63-1 bytes (frames are advisory: nothing is allocated for the claim)")
put("huge_long4.pkl", b"\x80\x02\x8b" + struct.pack("<i", 2 ** 31 - 1) + b"\x00.", "limit-exceeded", "maxPickleStringBytes",
    "LONG4 claiming a 2 GiB integer")
put("memo_get_unset.pkl", b"\x80\x02j\xff\xff\xff\x7f.", "malformed", "memo", "LONG_BINGET of an unset slot")
put("many_items_list.pkl", b"\x80\x02](" + b"N" * 200_000 + b"e.", "unsupported", "holds a list, not a state dict",
    "200,000 None items in one list: a valid pickle the pickle machine must run (limits not too tight)")

# Memo fan-out: one dict of N entries referenced (BINGET) from N keys / N BUILDs. Anything that walks each
# reference separately costs N^2 (12,000^2 here: seconds; a 3 MB file: hours). Each dict must be visited once.
FAN = 12_000
fan_dict = b"}q\x00(" + b"".join(uni("a%d" % i) + b"N" for i in range(FAN)) + b"u0"
put("memo_fanout_dict.pkl", b"\x80\x02" + fan_dict + b"}(" + b"".join(uni("k%d" % i) + b"h\x00" for i in range(FAN))
    + b"u.", None, None, "12,000 top-level keys all pointing at one 12,000-entry dict: read (no tensors) in linear time")
put("memo_fanout_build.pkl", b"\x80\x02" + fan_dict + b"](" + (glob("argparse", "Namespace") + b")\x81h\x00b") * FAN
    + b"e.", "unsupported", "holds a list, not a state dict",
    "12,000 objects BUILT with one shared 12,000-entry state dict: the dunder check must scan it once")

# ---------------------------------------------------------------- safetensors traps

def st(header, data=b""):
    h = json.dumps(header).encode()
    return struct.pack("<Q", len(h)) + h + data


put("st_huge_header_len.safetensors", struct.pack("<Q", 2 ** 63) + b'{"a":1}', "limit-exceeded",
    "maxSafeTensorsHeaderBytes", "header length 2^63")
put("st_header_past_end.safetensors", struct.pack("<Q", 50_000_000) + b'{"a":1}', "truncated", "header",
    "header length 5*10^7 in a 15-byte file")
put("st_shape_overflow.safetensors", st({"w": {"dtype": "F32", "shape": [2 ** 32, 2 ** 32, 2 ** 32],
                                               "data_offsets": [0, 16]}}, STORAGE), "malformed", "overflow",
    "shape product overflows Int64")
put("st_negative_dim.safetensors", st({"w": {"dtype": "F32", "shape": [-4], "data_offsets": [0, 16]}}, STORAGE),
    "malformed", "shape", "negative dimension")
put("st_offsets_past_end.safetensors", st({"w": {"dtype": "F32", "shape": [4], "data_offsets": [0, 1 << 40]}}, STORAGE),
    "malformed", "byte range is 1099511627776 bytes", "data_offsets end at 1 TiB")
put("st_billion_elems.safetensors", st({"w": {"dtype": "F32", "shape": [1_000_000_000], "data_offsets": [0, 16]}},
                                       STORAGE), "malformed", "4000000000", "shape claims 10^9 elements, 16 bytes")
put("st_deep_json.safetensors", struct.pack("<Q", 200_005) + b'{"a":' + b"[" * 100_000 + b"]" * 100_000,
    "limit-exceeded", "maxNestingDepth", "JSON header nested 100,000 deep")
put("st_overlap.safetensors", st({"a": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]},
                                  "b": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]}}, STORAGE),
    "malformed", "overlaps the previous tensor", "two tensors share one byte range")

# ---------------------------------------------------------------- MindSpore .ckpt traps (protobuf records by hand)

def varint(v):
    out = bytearray()
    while True:
        b = v & 0x7F
        v >>= 7
        out.append(b | (0x80 if v else 0))
        if not v:
            return bytes(out)


def field(num, payload):
    return bytes([num << 3 | 2]) + varint(len(payload)) + payload


def ckpt_record(tag, dims, dtype="Float32", content=STORAGE, tensor=None):
    t = tensor if tensor is not None else (b"".join(b"\x08" + varint(d & (2 ** 64 - 1)) for d in dims)
                                          + field(2, dtype.encode()) + field(3, content))
    return field(1, field(1, tag.encode()) + field(2, t))


GOOD_RECORD = ckpt_record("v", [4])
put("ckpt_huge_record_len.ckpt", GOOD_RECORD + b"\x0a" + varint(2 ** 62) + b"\x0a\x01w\x12\x00", "truncated", "declares 4611686018427387904 bytes",
    "a valid record, then a record length varint of 2^62")
put("ckpt_varint_overlong.ckpt", GOOD_RECORD + b"\x0a" + b"\xff" * 11 + b"\x01" + b"\x0a\x01w", "truncated", "record length",
    "a valid record, then an 11-byte varint (more than 64 bits)")
put("ckpt_huge_content_len.ckpt", field(1, field(1, b"w") + b"\x12" + varint(12) + b"\x08\x04" + field(2, b"Float32")[:9]
                                           + b"\x1a" + varint(2 ** 40)), "truncated", "tensor_content length",
    "tensor_content length varint 2^40 inside a 30-byte record")
put("ckpt_shape_overflow.ckpt", ckpt_record("w", [2 ** 32, 2 ** 32, 2 ** 32]), "malformed", "overflow",
    "dims 2^32 x 2^32 x 2^32")
put("ckpt_negative_dim.ckpt", ckpt_record("w", [-1, 4]), "malformed", "negative", "dims (-1, 4) as a 10-byte varint")
put("ckpt_numel_beyond_content.ckpt", ckpt_record("w", [1_000_000_000]), "malformed", "4000000000",
    "dims claim 10^9 float32 elements; tensor_content holds 16 bytes")
put("ckpt_huge_rank.ckpt", ckpt_record("w", [1] * 100), "limit-exceeded", "maxRank", "100 dims")

# ---------------------------------------------------------------- .npy traps

def npy(header, data=b""):
    h = header.encode()
    h += b" " * ((64 - (10 + len(h) + 1) % 64) % 64) + b"\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(h)) + h + data


put("npy_shape_overflow.npy", npy("{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296, 4294967296), }",
                                  STORAGE), "malformed", "overflow", "shape product overflows Int64")
put("npy_negative_dim.npy", npy("{'descr': '<f4', 'fortran_order': False, 'shape': (-1, 4), }", STORAGE), "malformed",
    "negative", "shape (-1, 4)")
put("npy_billion_elems.npy", npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1000000000,), }", STORAGE),
    "truncated", "expected 4000000000", "shape claims 10^9 float32 elements; 16 bytes follow")
put("npy_huge_header_len.npy", b"\x93NUMPY\x02\x00" + struct.pack("<I", 0xFFFFFFF0) + b"{", "limit-exceeded",
    "maxNpyHeaderBytes", "version 2.0 header length 4 GiB")
put("npy_object_dtype.npy", npy("{'descr': '|O', 'fortran_order': False, 'shape': (1,), }", b"\x80\x02cos\nsystem\n."),
    "unsupported", "dtype '|O'", "object dtype (would be unpickled by numpy.load(allow_pickle=True))")

# ---------------------------------------------------------------- protocol 0 (no PROTO opcode) in a file

put("proto0_os_system.pkl", b"cos\nsystem\n(S'" + CMD.encode() + b"'\ntR.", "unsafe", "os.system",
    "protocol-0 pickle (no PROTO opcode): GLOBAL os system, MARK, STRING, TUPLE, REDUCE")
executable["proto0_os_system.pkl"] = b"cos\nsystem\n(S'" + CMD.encode() + b"'\ntR."

# ---------------------------------------------------------------- prove the payloads are real

if __name__ == "__main__":
    proved = {}
    for name, pkl in executable.items():
        # Run against MARKER itself (the tests require it to be absent), removing it right after.
        if os.path.exists(MARKER):
            os.remove(MARKER)
        subprocess.run([sys.executable, "-c", "import pickle,sys; pickle.loads(sys.stdin.buffer.read())"], input=pkl,
                       check=False, capture_output=True, timeout=30)
        proved[name] = os.path.exists(MARKER)
        if os.path.exists(MARKER):
            os.remove(MARKER)
        if not proved[name]:
            raise SystemExit(f"payload {name} did not run under pickle.loads: the fixture proves nothing")
    for name in expected:
        expected[name]["proved_executes_in_python"] = proved.get(name, False)
    with open(os.path.join(OUT, "expected.json"), "w") as f:
        json.dump({"marker": MARKER, "files": expected}, f, indent=1, sort_keys=True)
    print(f"wrote {len(expected)} hostile files; {sum(proved.values())} payloads proved to execute under pickle.loads")
