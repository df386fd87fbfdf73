#!/usr/bin/env bash
# Builds cnzoo as one self-contained release binary and installs it:
#   PREFIX/bin/cnzoo                                      (default PREFIX: /usr/local)
#   PREFIX/share/bash-completion/completions/cnzoo        shell completions (argument-parser generates them)
#   PREFIX/share/zsh/site-functions/_cnzoo
#   PREFIX/share/fish/vendor_completions.d/cnzoo.fish
#   PREFIX/share/man/man1/cnzoo.1                         man page (argument-parser's generate-manual, offline)
#
# The Swift runtime and Foundation are linked statically (--static-swift-stdlib): `ldd` shows no libswift* and no
# toolchain Foundation. The zoo manifests and the verify reference logits are embedded at build time, so the binary
# needs nothing beside it. The system C libraries cnzoo reads formats and decodes images with stay shared (Debian
# packages scripts/setup.sh installs): libcrypto, zlib, libjpeg, libpng, libhdf5, libzip, libprotobuf-c, as
# linked; OpenBLAS only for --gemm openblas (loaded with dlopen, not linked).
#
# Usage: bash scripts/install.sh [PREFIX]     uses sudo for the copy when PREFIX is not writable.
set -euo pipefail
cd "$(dirname "$0")/.."
prefix=${1:-/usr/local}

bash scripts/setup.sh
# Every release build here passes the same flags: SwiftPM rebuilds everything when they change between builds.
build=(swift build -c release --static-swift-stdlib)
"${build[@]}" --product cnzoo
bin="$("${build[@]}" --show-bin-path)/cnzoo"

# Refuse to install a binary that still needs the Swift toolchain's shared libraries.
if toolchain_libs=$(ldd "$bin" | grep -E 'libswift|libFoundation|lib_FoundationICU|libdispatch|libBlocksRuntime'); then
  echo "install: $bin still links Swift toolchain libraries:" >&2
  echo "$toolchain_libs" >&2
  exit 1
fi

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/bin" "$stage/share/bash-completion/completions" "$stage/share/zsh/site-functions" \
         "$stage/share/fish/vendor_completions.d" "$stage/share/man/man1"
cp "$bin" "$stage/bin/cnzoo"
# Symbols and debug info are a fifth of the file (83 MB → 62 MB); installed binaries go without, as `install -s`
# does. The build keeps them in .build for debugging.
if command -v strip >/dev/null; then strip "$stage/bin/cnzoo"; fi
"$bin" --generate-completion-script bash > "$stage/share/bash-completion/completions/cnzoo"
"$bin" --generate-completion-script zsh > "$stage/share/zsh/site-functions/_cnzoo"
"$bin" --generate-completion-script fish > "$stage/share/fish/vendor_completions.d/cnzoo.fish"

# The man page: argument-parser's generate-manual tool (built from the already-resolved package checkout, no
# network), dated by the last commit so the page is reproducible.
man_date=$(git log -1 --format=%cs 2>/dev/null || date -u +%F)
if "${build[@]}" --product generate-manual >/dev/null 2>&1; then
  "$("${build[@]}" --show-bin-path)/generate-manual" "$bin" --date "$man_date" \
    --output-directory "$stage/share/man/man1" >/dev/null
else
  echo "install: generate-manual did not build; installing without a man page" >&2
fi

SUDO=""
mkdir -p "$prefix" 2>/dev/null || true
if [ ! -w "$prefix" ] && [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
# Each file goes in under a temporary name and is renamed into place: an interrupted install never leaves a
# half-written cnzoo on PATH.
( cd "$stage" && find . -type f | sort ) | while read -r f; do
  dest="$prefix/${f#./}"
  $SUDO mkdir -p "$(dirname "$dest")"
  $SUDO install -m "$( [ "${f#./bin/}" != "$f" ] && echo 755 || echo 644 )" "$stage/$f" "$dest.tmp-install"
  $SUDO mv -f "$dest.tmp-install" "$dest"
  echo "installed $dest"
done
echo "cnzoo $("$prefix/bin/cnzoo" --version) in $prefix/bin ($(du -h "$prefix/bin/cnzoo" | cut -f1))"
