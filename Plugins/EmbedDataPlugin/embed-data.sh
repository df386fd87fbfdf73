#!/bin/sh
# The rule for the data built into cnzoo, and the generator the EmbedDataPlugin runs at build time.
#
#   embed-data.sh inputs ROOT           print what the build depends on: every directory the rule searches, then
#                                       every matched file (paths relative to ROOT, the package root)
#   embed-data.sh generate ROOT OUTPUT  write OUTPUT (a Swift source): each matched file's bytes as a base64 string
#                                       literal (a string literal compiles in milliseconds; a large array literal
#                                       does not)
#
# The rule, on paths relative to the package root:
#   Zoo/*.json                  every zoo manifest and the JSON Schema
#   Zoo/labels/*.json           class-name lists (ImageNet-1k) for the id2label of written model folders
#   Fixtures/**/*_logits_*.npy  every reference-logits array anywhere under Fixtures/
# The output is deterministic (sorted by path in the C locale) and rewritten only when its bytes change, so an
# unchanged tree recompiles nothing.
set -eu
export LC_ALL=C
max_file=1048576      # the data is manifests and small arrays; anything bigger is a mistake in the rule
max_total=8388608

matched() {
  { find Zoo -maxdepth 1 -type f -name '*.json'; find Zoo/labels -maxdepth 1 -type f -name '*.json'
    find Fixtures -type f -name '*_logits_*.npy'; } | sort
}

mode=$1
cd "$2"
case $mode in
inputs)
  { echo Zoo; echo Zoo/labels; find Fixtures -type d; } | sort
  matched
  ;;
generate)
  out=$3
  tmp=$out.tmp.$$
  trap 'rm -f "$tmp"' EXIT
  {
    echo "// Generated at build time by Plugins/EmbedDataPlugin/embed-data.sh. Do not edit; edit Zoo/ or Fixtures/."
    echo ""
    echo "extension EmbeddedFiles {"
    echo "    /// Relative path and base64 bytes of every embedded file, sorted by path."
    echo "    static let table: [(path: String, base64: StaticString)] = ["
    total=0
    for f in $(matched); do
      case $f in *[!A-Za-z0-9._/+-]*) echo "embed-data: $f: unsupported characters in the file name" >&2; exit 1;; esac
      size=$(wc -c < "$f")
      if [ "$size" -gt "$max_file" ]; then echo "embed-data: $f: $size bytes, over $max_file" >&2; exit 1; fi
      total=$((total + size))
      if [ "$total" -gt "$max_total" ]; then echo "embed-data: over $max_total bytes in all at $f" >&2; exit 1; fi
      printf '        ("%s", "%s"),\n' "$f" "$(base64 < "$f" | tr -d '\n')"
    done
    echo "    ]"
    echo "}"
  } > "$tmp"
  if cmp -s "$tmp" "$out"; then rm -f "$tmp"; else mv "$tmp" "$out"; fi
  trap - EXIT
  ;;
*)
  echo "usage: embed-data.sh inputs ROOT | generate ROOT OUTPUT" >&2
  exit 2
  ;;
esac
