// The portable kernels: 128-bit vectors in plain C (SSE2 on baseline x86-64, NEON on arm64), 6×8 GEMM register
// block. Fused multiply-add only where the target has it (arm64, or an x86 build that already enables FMA).
#include "kernel_tables.h"
#include <stdint.h>

#define CNZ_VL 4
#define CNZ_MR 6
#define CNZ_DW_PX 4
#if defined(__aarch64__) || defined(__FMA__)
#define CNZ_HAS_FMA 1
#else
#define CNZ_HAS_FMA 0
#endif
#define CNZ_SUFFIX portable
#define CNZ_ISA_ID CNZ_ISA_PORTABLE

#include "kernels_template.h"
