#!/bin/bash
# Paired A/B of the AVX-512 kernels (single thread): the kernels_template.h of git revision REV — or a template file
# at path REV — (A) against the working tree's (B),
# on ConvNeXt-tiny's GEMM shapes (epilogue ACT: 0 none, 1 ReLU, 2 GELU erf; default 2), ConvMixer-768's 1×1 conv
# and the depthwise convs. Single thread; needs clang and an AVX-512 CPU.
#   scripts/bench/kernels_ab/run.sh [REV or FILE (default HEAD)] [ACT]
set -euo pipefail
cd "$(dirname "$0")/../../.."
rev=${1:-HEAD}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
if [ -f "$rev" ]; then cp "$rev" "$out/template_a.h"; else git show "$rev:Sources/CNZooKernelsC/kernels_template.h" > "$out/template_a.h"; fi
inc="-ISources/CNZooKernelsC/include -ISources/CNZooKernelsC"
here=scripts/bench/kernels_ab
quiet="-Wno-incompatible-function-pointer-types -Wno-unused-function"
clang -O2 -c $quiet $inc -DSUF=A -DTEMPLATE="\"$out/template_a.h\"" $here/variant.c -o "$out/a.o"
clang -O2 -c $quiet $inc -DSUF=B -DTEMPLATE="\"$PWD/Sources/CNZooKernelsC/kernels_template.h\"" $here/variant.c -o "$out/b.o"
clang -O2 $inc $here/ab.c "$out/a.o" "$out/b.o" Sources/CNZooKernelsC/*.c -o "$out/ab" -lm
echo "A = $rev, B = working tree; CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2)"
"$out/ab" "${2:-2}"
