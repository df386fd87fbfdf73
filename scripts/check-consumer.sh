#!/usr/bin/env bash
# Proves that another package can depend on the CNZoo library product BY VERSION (SwiftPM refuses unsafeFlags in
# such a dependency): clones this repository's HEAD into a temporary folder, tags it, makes a consumer package that
# depends on it through a file:// URL `from:` that tag, imports every module of the product, and runs the example of
# docs/library.md (the consumer's code IS that example) on a fixture. Prints PASS/FAIL lines and
# "consumer: N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
root=$PWD
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0; failed=0
result() { if [ "$1" -eq 0 ]; then echo "PASS $2"; passed=$((passed + 1)); else echo "FAIL $2"; failed=$((failed + 1)); fi; }

git clone -q "$root" "$tmp/cnzoo" && git -C "$tmp/cnzoo" tag 0.2.0
version=$(sed -n 's/.*public static let string = "\(.*\)".*/\1/p' Sources/CNZooCore/JSONContract.swift)
modules=$(sed -n '/\.library(name: "CNZoo", targets: \[/,/\])/p' Package.swift | grep -o '"CNZoo[A-Za-z]*"' | tr -d '"' | grep -v '^CNZoo$')
mkdir -p "$tmp/consumer/Sources/consumer"
cat > "$tmp/consumer/Package.swift" <<SWIFT
// swift-tools-version:6.0
import PackageDescription
let package = Package(
    name: "consumer",
    dependencies: [.package(url: "file://$tmp/cnzoo", from: "0.2.0")],
    targets: [.executableTarget(name: "consumer", dependencies: [.product(name: "CNZoo", package: "cnzoo")])],
    swiftLanguageModes: [.v5]
)
SWIFT
{
  for m in $modules; do echo "import $m"; done
  sed -n '/<!-- example:begin -->/,/<!-- example:end -->/p' docs/library.md | sed '1,2d;$d' | sed '$d'
} > "$tmp/consumer/Sources/consumer/main.swift"
[ "$version" = "0.2.0" ] || echo "note: CNZooVersion.string is $version; the consumer pins from: 0.2.0"

log="$tmp/build.log"
(cd "$tmp/consumer" && swift build >"$log" 2>&1)
status=$?
if grep -q "unsafeFlags" "$log"; then status=1; grep -m3 "unsafeFlags" "$log"; fi
[ $status -eq 0 ] || tail -20 "$log"
result $status "consumer package builds against CNZoo from: 0.2.0 (file:// tag), importing $(echo $modules | wc -w) modules"

if [ $status -eq 0 ]; then
  out="$tmp/out.ckpt"
  (cd "$tmp/consumer" && swift run -q consumer "$root/Fixtures/pytorch/torchvision_micro_f32.pth" "$out") >"$tmp/run.log" 2>&1
  s=$?
  [ $s -eq 0 ] && grep -q '"convention":"mindvision"' "$tmp/run.log" || s=1
  cat "$tmp/run.log"
  result $s "docs/library.md example converts a torchvision fixture to MindSpore Vision .ckpt, diffs it equivalent, runs it"
fi
echo "consumer: $passed passed, $failed failed"
[ $failed -eq 0 ]
