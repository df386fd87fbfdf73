#!/usr/bin/env bash
# Checks that cnzoo installs as one self-contained binary (issue 18), printing PASS/FAIL lines:
#   - scripts/install.sh into a temporary prefix installs the binary, completions and the man page;
#   - `ldd` on it names no Swift toolchain library (libswift*, Foundation, ICU, dispatch, BlocksRuntime);
#   - the binary alone, copied into an empty folder, runs `list`, `info convnext_tiny`, `inspect FIXTURE` and
#     `verify --variant tiny` from `/` with an environment of PATH and HOME only.
# Exit status 1 if any check fails. Run by scripts/test.sh (and so by .ci/run).
set -uo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0
pass() { echo "PASS $1"; }
fail() { echo "FAIL $1"; failures=$((failures + 1)); }

prefix=$work/prefix
if bash scripts/install.sh "$prefix" > "$work/install.log" 2>&1; then
  pass "install.sh into a temporary prefix"
else
  fail "install.sh into a temporary prefix (last lines of its log follow)"
  tail -20 "$work/install.log"
  exit 1
fi
for f in bin/cnzoo share/bash-completion/completions/cnzoo share/zsh/site-functions/_cnzoo \
         share/fish/vendor_completions.d/cnzoo.fish share/man/man1/cnzoo.1; do
  if [ -s "$prefix/$f" ]; then pass "installed $f"; else fail "installed $f"; fi
done
if bash -c "source '$prefix/share/bash-completion/completions/cnzoo' && complete -p cnzoo" >/dev/null 2>&1; then
  pass "bash completion script loads and registers cnzoo"
else
  fail "bash completion script loads and registers cnzoo"
fi

alone=$work/alone
mkdir "$alone"
cp "$prefix/bin/cnzoo" "$alone/cnzoo"
toolchain=$(ldd "$alone/cnzoo" | grep -E 'libswift|libFoundation|lib_FoundationICU|libicu|libdispatch|libBlocksRuntime' || true)
if [ -z "$toolchain" ]; then
  pass "ldd names no Swift toolchain library ($(ldd "$alone/cnzoo" | awk '{print $1}' | tr '\n' ' '))"
else
  fail "ldd names Swift toolchain libraries: $(echo "$toolchain" | awk '{print $1}' | tr '\n' ' ')"
fi

# Runs the lone binary from / with PATH and HOME only: $1 is the check's name, the rest its arguments. Output goes
# to $work/out and $work/err; a non-zero exit is reported as a FAIL.
home=$work/home
mkdir "$home"
run_alone() {
  local name=$1 rc=0; shift
  (cd / && env -i PATH=/usr/bin:/bin HOME="$home" "$alone/cnzoo" "$@") > "$work/out" 2> "$work/err" || rc=$?
  [ "$rc" -eq 0 ] && return 0
  fail "$name (exit $rc): $(tail -3 "$work/err")"
  return 1
}
if run_alone "list from / (PATH, HOME only)" list; then
  if grep -q '^convnext_tiny ' "$work/out" && grep -q '^convmixer_768_32 ' "$work/out"; then
    pass "list from / (PATH, HOME only)"
  else
    fail "list from / (PATH, HOME only): convnext_tiny / convmixer_768_32 rows missing"
  fi
fi
if run_alone "info convnext_tiny from /" info convnext_tiny; then
  if grep -q 'convnext_tiny' "$work/out"; then pass "info convnext_tiny from /"; else fail "info convnext_tiny from /"; fi
fi
fixture=$work/torchvision_micro_f32.pth
cp "$repo/Fixtures/pytorch/torchvision_micro_f32.pth" "$fixture"
if run_alone "inspect a fixture from /" inspect "$fixture"; then
  if grep -q 'parameters' "$work/out"; then pass "inspect a fixture from /"; else fail "inspect a fixture from /"; fi
fi
if run_alone "verify --variant tiny from /" verify --variant tiny; then
  if grep -q '^PASS' "$work/out"; then
    pass "verify --variant tiny from / ($(grep '^PASS' "$work/out"))"
  else
    fail "verify --variant tiny from /: no PASS line"
  fi
fi

if [ "$failures" -eq 0 ]; then echo "check-install: all passed"; else echo "check-install: $failures failed"; fi
[ "$failures" -eq 0 ]
