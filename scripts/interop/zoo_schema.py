#!/usr/bin/env python3
"""Outside-consumer check of the zoo manifests: every Zoo/*.json validates against Zoo/schema.json with the
`jsonschema` package (JSON Schema draft 2020-12), and the schema itself is a valid draft 2020-12 schema.

Usage: .venv/bin/python scripts/interop/zoo_schema.py [CNZOO_BINARY]
The optional binary (the interop-script convention) is used for one more check: `cnzoo list --json` names exactly the
manifest ids. Prints PASS/FAIL/SKIP per check; exits non-zero on any failure.
"""
import glob
import json
import os
import subprocess
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
ZOO = os.path.join(ROOT, "Zoo")
failures = 0


def report(ok, name, detail=""):
    global failures
    print(f"{'PASS' if ok else 'FAIL'} {name}{(': ' + detail) if detail else ''}")
    if not ok:
        failures += 1


try:
    import jsonschema
except ImportError:
    print("FAIL jsonschema is not installed (use .venv/bin/python)")
    sys.exit(1)

with open(os.path.join(ZOO, "schema.json")) as f:
    schema = json.load(f)
try:
    jsonschema.Draft202012Validator.check_schema(schema)
    report(True, "schema.json is a valid draft 2020-12 schema")
except jsonschema.SchemaError as e:
    report(False, "schema.json is a valid draft 2020-12 schema", e.message)

validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
ids = []
for path in sorted(glob.glob(os.path.join(ZOO, "*.json"))):
    if os.path.basename(path) == "schema.json":
        continue
    with open(path) as f:
        doc = json.load(f)
    errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path))
    detail = "; ".join(f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in errors[:5])
    report(not errors, f"{os.path.relpath(path, ROOT)} validates ({len(doc.get('entries', []))} entries)", detail)
    ids += [e.get("id") for e in doc.get("entries", [])]

# The schema must actually reject bad input (a check that cannot fail proves nothing).
with open(os.path.join(ZOO, "convnext.json")) as f:
    bad = json.load(f)
bad["entries"][0]["sources"][0]["sha256_prefix"] = "XYZ"
del bad["entries"][0]["parameters"]
n_bad = len(list(validator.iter_errors(bad)))
report(n_bad >= 2, "a corrupted manifest is rejected", f"{n_bad} errors")

report(len(ids) == len(set(ids)), "entry ids are unique across manifests")

if len(sys.argv) > 1:
    binary = sys.argv[1]
    try:
        out = subprocess.run([binary, "list", "--json"], capture_output=True, text=True, timeout=60,
                             env={**os.environ, "CNZOO_ZOO_DIR": ZOO})
        listed = [e["id"] for e in json.loads(out.stdout)] if out.returncode == 0 else None
        report(listed == ids, "cnzoo list --json names the manifest ids in order",
               "" if listed == ids else f"exit {out.returncode}: {out.stderr.strip()[:200]}")
    except (OSError, ValueError, subprocess.TimeoutExpired) as e:
        report(False, "cnzoo list --json names the manifest ids in order", str(e))
else:
    print("SKIP cnzoo list --json (no binary given)")

sys.exit(1 if failures else 0)
