// The kernels for x86-64 with AVX-512 F/BW/DQ/VL: 512-bit vectors, 12×32 GEMM register block.
#if defined(__x86_64__)
#include "kernel_tables.h"
#include <stdint.h>

#define CNZ_VL 16
#define CNZ_MR 12
#define CNZ_DW_PX 8
#define CNZ_DW_ROWS2 1
#define CNZ_HAS_FMA 1
/// Reciprocal estimate: rcp14 (14 bits).
#define CNZ_RCP(x) ((vf)__builtin_ia32_rcp14ps512_mask((x), (vf){0}, (unsigned short)0xFFFF))
#define CNZ_SUFFIX avx512
#define CNZ_ISA_ID CNZ_ISA_AVX512

#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx512f,avx512bw,avx512dq,avx512vl,avx2,fma,f16c"))), apply_to = function)
#include "kernels_template.h"
#pragma clang attribute pop
#else
#pragma GCC push_options
#pragma GCC target("avx512f,avx512bw,avx512dq,avx512vl,avx2,fma,f16c")
#include "kernels_template.h"
#pragma GCC pop_options
#endif
#endif
