// The kernels for x86-64 with AVX2 + FMA: 256-bit vectors, 6×16 GEMM register block (16 ymm registers).
#if defined(__x86_64__)
#include "kernel_tables.h"
#include <stdint.h>

#define CNZ_VL 8
#define CNZ_MR 6
#define CNZ_DW_PX 4
#define CNZ_HAS_FMA 1
/// Reciprocal estimate: rcpps (12 bits).
#define CNZ_RCP(x) ((vf)__builtin_ia32_rcpps256((x)))
#define CNZ_SUFFIX avx2
#define CNZ_ISA_ID CNZ_ISA_AVX2

#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx2,fma,f16c"))), apply_to = function)
#include "kernels_template.h"
#pragma clang attribute pop
#else
#pragma GCC push_options
#pragma GCC target("avx2,fma,f16c")
#include "kernels_template.h"
#pragma GCC pop_options
#endif
#endif
