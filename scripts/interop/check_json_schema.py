#!/usr/bin/env python3
"""Outside-consumer check of cnzoo's --json contract with the real `jsonschema` package (draft 2020-12).

Every docs/json/*.schema.json is a valid draft 2020-12 schema; then the built binary is run for every subcommand on
success and on failure, and its stdout must be exactly one JSON document that validates against the command's schema
(the error schema on failure, whose exit_code must equal the exit status), with README's exit code, and with
snake_case field names (keys of maps, which are data such as tensor names or opcode names, aside). `fetch` runs
against scripts/test-http-server.py on loopback.

Usage: .venv/bin/python scripts/interop/check_json_schema.py CNZOO_BINARY
Prints PASS/FAIL/SKIP per check; exits non-zero on any failure.
"""
import copy
import glob
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SCHEMAS = os.path.join(ROOT, "docs", "json")
FIX = os.path.join(ROOT, "Fixtures")
failed = []


def report(ok, name, detail=""):
    """One PASS/FAIL line; the failed names decide the exit status."""
    suffix = f": {detail}" if detail else ""
    print(("PASS " if ok else "FAIL ") + name + suffix)
    if not ok:
        failed.append(name)


try:
    import jsonschema
    from referencing import Registry, Resource
except ImportError:
    print("FAIL jsonschema (with referencing) is not installed (use .venv/bin/python)")
    sys.exit(1)

if len(sys.argv) < 2 or not os.access(sys.argv[1], os.X_OK):
    print("SKIP json-contract: no cnzoo binary given")
    sys.exit(0)
BIN = os.path.abspath(sys.argv[1])

schemas = {}
for path in sorted(glob.glob(os.path.join(SCHEMAS, "*.schema.json"))):
    with open(path) as f:
        schemas[os.path.basename(path)[: -len(".schema.json")]] = json.load(f)
with open(os.path.join(ROOT, "Zoo", "schema.json")) as f:
    zoo_schema = json.load(f)
registry = Registry().with_resources(
    [(s["$id"], Resource.from_contents(s)) for s in list(schemas.values()) + [zoo_schema]])

for name, s in schemas.items():
    try:
        jsonschema.Draft202012Validator.check_schema(s)
        report(True, f"docs/json/{name}.schema.json is a valid draft 2020-12 schema")
    except jsonschema.SchemaError as e:
        report(False, f"docs/json/{name}.schema.json is a valid draft 2020-12 schema", e.message)

# The schemas must actually reject what the contract forbids (a check that cannot fail proves nothing).
bad = {"error": {"code": "usage", "message": "m", "exitCode": 2}}
n_bad = len(list(jsonschema.Draft202012Validator(schemas["error"], registry=registry).iter_errors(bad)))
report(n_bad >= 2, "a camelCase, incomplete error document is rejected", f"{n_bad} errors")

SNAKE = re.compile(r"^[a-z][a-z0-9_]*$")


def field_names(value, schema, resolver):
    """Keys that name fields: every object key except the keys of maps (schemas with additionalProperties only)."""
    out = []
    if isinstance(schema, dict) and "$ref" in schema:
        r = resolver.lookup(schema["$ref"])
        schema, resolver = r.contents, r.resolver
    if isinstance(schema, dict) and "oneOf" in schema:
        for alt in schema["oneOf"]:
            sub, sub_resolver = alt, resolver
            if "$ref" in alt:
                r = resolver.lookup(alt["$ref"])
                sub, sub_resolver = r.contents, r.resolver
            if jsonschema.Draft202012Validator(sub, registry=registry).is_valid(value):
                schema, resolver = sub, sub_resolver
                break
    schema = schema if isinstance(schema, dict) else {}
    if isinstance(value, list):
        for item in value:
            out += field_names(item, schema.get("items"), resolver)
    elif isinstance(value, dict):
        props = schema.get("properties")
        extra = schema.get("additionalProperties")
        for key, v in value.items():
            if props is not None and key in props:
                out.append(key)
                out += field_names(v, props[key], resolver)
            elif props is None and isinstance(extra, dict):
                out += field_names(v, extra, resolver)
            else:
                out.append(key)
                out += field_names(v, None, resolver)
    return out


def all_keys(value):
    if isinstance(value, dict):
        return [k for k, v in value.items() for k in [k] + all_keys(v)]
    if isinstance(value, list):
        return [k for v in value for k in all_keys(v)]
    return []


def check(label, args, schema, status, env=None):
    """Runs cnzoo ARGS; the document on stdout must validate against `schema` (error.schema.json when None)."""
    run_env = dict(os.environ, **(env or {}))
    p = subprocess.run([BIN] + args, capture_output=True, text=True, env=run_env, timeout=900)
    name = schema or "error"
    problems = []
    if p.returncode != status:
        problems.append(f"exit {p.returncode}, expected {status} ({p.stderr.strip()[-300:]})")
    try:
        doc = json.loads(p.stdout)  # exactly one document: json.loads refuses trailing data
    except json.JSONDecodeError as e:
        report(False, f"{label} -> {name}", f"stdout is not one JSON document: {e}; {' '.join(problems)}")
        return None
    validator = jsonschema.Draft202012Validator(schemas[name], registry=registry)
    errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path))
    problems += [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in errors[:5]]
    resolver = registry.resolver(schemas[name]["$id"])
    problems += [f"field '{k}' is not snake_case" for k in field_names(doc, schemas[name], resolver) if not SNAKE.match(k)]
    problems += [f"internal enum key '{k}'" for k in all_keys(doc) if re.fullmatch(r"_[0-9]+", k)]
    if schema is None and isinstance(doc, dict) and doc.get("error", {}).get("exit_code") != p.returncode:
        problems.append(f"exit_code {doc.get('error', {}).get('exit_code')} but the process exited {p.returncode}")
    report(not problems, f"{label} -> {name} (exit {status})", "; ".join(problems))
    return doc


tmp = tempfile.mkdtemp(prefix="cnzoo-json-")
server = None
try:
    micro = os.path.join(FIX, "pytorch", "torchvision_micro_f32.pth")
    out = os.path.join(tmp, "micro.safetensors")
    half = os.path.join(tmp, "micro_f16.ckpt")
    absent = os.path.join(tmp, "absent.pth")
    cases = [
        ("inspect", ["inspect", micro, "--json"], "inspect", 0),
        ("inspect extras", ["inspect", os.path.join(FIX, "pytorch", "official_wrapped.pth"), "--json"], "inspect", 0),
        ("inspect metadata", ["inspect", os.path.join(FIX, "safetensors", "unicode_metadata.safetensors"), "--json"],
         "inspect", 0),
        ("inspect missing file", ["inspect", absent, "--json"], None, 2),
        ("inspect unsafe pickle", ["inspect", os.path.join(FIX, "pytorch", "evil_reduce.pth"), "--json"], None, 1),
        ("inspect unknown flag", ["inspect", micro, "--json", "--no-such-flag"], None, 2),
        ("scan clean", ["scan", os.path.join(FIX, "pytorch", "views.pth"), "--json"], "scan", 0),
        ("scan unsafe", ["scan", os.path.join(FIX, "pytorch", "evil_reduce.pth"), "--json"], "scan", 1),
        ("scan missing file", ["scan", absent, "--json"], None, 2),
        ("inspect model folder", ["inspect", os.path.join(FIX, "transformers", "micro_sharded"), "--json"], "inspect", 0),
        ("scan model folder", ["scan", os.path.join(FIX, "transformers", "micro_sharded_bin"), "--json"], "scan", 0),
        ("convert to a model folder", ["convert", micro, "--to", "safetensors", "--convention", "transformers",
                                       "--max-shard-size", "40KB", "-o", os.path.join(tmp, "hf"), "--json"], "convert", 0),
        ("convert", ["convert", micro, "--to", "safetensors", "-o", out, "--json"], "convert", 0),
        ("convert --dtype", ["convert", micro, "--to", "ms", "--dtype", "f16", "-o", half, "--json"], "convert", 0),
        ("convert output exists", ["convert", micro, "--to", "safetensors", "-o", out, "--json"], None, 3),
        ("convert unknown convention", ["convert", micro, "--to", "safetensors", "--convention", "no-such-naming",
                                        "-o", os.path.join(tmp, "x.safetensors"), "--json"], None, 2),
        ("inspect keras", ["inspect", os.path.join(FIX, "keras", "micro.keras"), "--json"], "inspect", 0),
        ("inspect keras weights", ["inspect", os.path.join(FIX, "keras", "micro.weights.h5"), "--json"], "inspect", 0),
        ("convert from keras", ["convert", os.path.join(FIX, "keras", "micro.keras"), "--to", "safetensors", "-o",
                                os.path.join(tmp, "from_keras.safetensors"), "--json"], "convert", 0),
        ("diff across keras", ["diff", os.path.join(FIX, "keras", "micro.keras"),
                               os.path.join(tmp, "from_keras.safetensors"), "--json"], "diff", 0),
        ("convert to keras", ["convert", micro, "--to", "keras", "-o", os.path.join(tmp, "micro.weights.h5"), "--json"],
         "convert", 0),
        ("diff torch vs keras", ["diff", micro, os.path.join(tmp, "micro.weights.h5"), "--json"], "diff", 0),
        ("diff identical", ["diff", micro, out, "--json"], "diff", 0),
        ("diff different", ["diff", micro, half, "--json"], "diff", 1),
        ("diff missing file", ["diff", micro, absent, "--json"], None, 2),
        ("forward", ["forward", "--checkpoint", os.path.join(FIX, "forward", "micro_weights.safetensors"), "--input",
                     os.path.join(FIX, "forward", "micro_input.npy"), "--profile", "--json"], "forward", 0),
        ("forward bad input", ["forward", "--checkpoint", os.path.join(FIX, "forward", "micro_weights.safetensors"),
                               "--input", os.path.join(FIX, "forward", "micro_logits_mindcv.npy"), "--json"], None, 2),
        ("verify --checkpoint", ["verify", "--checkpoint", micro, "--json"], "verify", 0),
        ("verify unknown variant", ["verify", "--variant", "enormous", "--json"], None, 2),
        ("verify --images", ["verify", "--checkpoint", micro, "--images", os.path.join(FIX, "images", "folders"),
                             "--resize", "32", "--crop", "32", "--quiet", "--json"], "verify-images", 0),
        ("verify --images below --min-top1", ["verify", "--checkpoint", micro, "--images",
                                              os.path.join(FIX, "images", "folders"), "--resize", "32", "--crop", "32",
                                              "--quiet", "--min-top1", "100.5", "--json"], "verify-images", 1),
        ("list", ["list", "--json"], "list", 0),
        ("list unknown family", ["list", "--family", "no-such-family", "--json"], None, 2),
        ("info", ["info", "convnext_tiny", "--json"], "info", 0),
        ("info convmixer", ["info", "convmixer_768_32", "--json"], "info", 0),
        ("info unknown id", ["info", "convnext_tinyy", "--json"], None, 2),
    ]
    for label, args, schema, status in cases:
        check(label, args, schema, status, env={"CNZOO_HOME": os.path.join(tmp, "home")})

    # verify --variant: another variant's logits under tiny's name make parity fail (passed false, exit 1).
    wrong = os.path.join(tmp, "wrong-references")
    os.makedirs(wrong)
    shutil.copy(os.path.join(FIX, "forward", "reference.json"), wrong)
    for fw in ["torchvision", "mindcv"]:
        shutil.copy(os.path.join(FIX, "forward", f"small_logits_{fw}.npy"), os.path.join(wrong, f"tiny_logits_{fw}.npy"))
    doc = check("verify --variant (wrong references)", ["verify", "--variant", "tiny", "--references", wrong, "--json"],
                "verify", 1)
    report(doc is not None and doc.get("passed") is False, "verify --variant failing run says passed: false")

    # fetch from a loopback server through a one-entry manifest (convnext_tiny's entry, sources replaced).
    served = os.path.join(tmp, "served")
    zoo = os.path.join(tmp, "zoo")
    os.makedirs(served)
    os.makedirs(zoo)
    payload = bytes((i * 7919 + 13) % 251 for i in range(200_000))
    with open(os.path.join(served, "weights.bin"), "wb") as f:
        f.write(payload)
    server = subprocess.Popen([sys.executable, os.path.join(ROOT, "scripts", "test-http-server.py"), "--root", served,
                               "--lifetime", "300"], stdout=subprocess.PIPE, text=True)
    port = int(server.stdout.readline().split()[1])
    with open(os.path.join(ROOT, "Zoo", "convnext.json")) as f:
        manifest = json.load(f)
    entry = next(e for e in manifest["entries"] if e["id"] == "convnext_tiny")
    base = copy.deepcopy(entry["sources"][0])
    sources = []
    for sid, path, sha in [("full", "files/weights.bin", hashlib.sha256(payload).hexdigest()),
                           ("missing", "files/absent.bin", hashlib.sha256(payload).hexdigest()),
                           ("wrong", "files/weights.bin", "0" * 64)]:
        s = copy.deepcopy(base)
        s.update(id=sid, url=f"http://127.0.0.1:{port}/{path}", file_name="weights.bin", sha256=sha,
                 sha256_prefix=None, size_bytes=None, aliases=[])
        sources.append(s)
    entry["sources"] = sources
    manifest["entries"] = [entry]
    with open(os.path.join(zoo, "test.json"), "w") as f:
        json.dump(manifest, f)
    env = {"CNZOO_HOME": os.path.join(tmp, "cache")}
    fetch = ["fetch", "convnext_tiny", "--manifest-dir", zoo, "--json", "--source"]
    check("fetch", fetch + ["full"], "fetch", 0, env)
    check("fetch already present", fetch + ["full"], "fetch", 0, env)
    check("fetch HTTP 404", fetch + ["missing"], None, 4, env)
    check("fetch hash mismatch", fetch + ["wrong"], None, 2, env)
finally:
    if server is not None:
        server.terminate()
        server.wait()
    shutil.rmtree(tmp, ignore_errors=True)

sys.exit(1 if failed else 0)
