// One copy of the AVX-512 kernels from the template file TEMPLATE, its GEMM and depthwise conv exported as
// ab_gemm_SUF / ab_dwconv_SUF (see run.sh; the template's own table is not used, so older revisions fit too).
#include "kernel_tables.h"
#include <stdint.h>
#define CNZ_VL 16
#define CNZ_MR 12
#define CNZ_DW_PX 8
#define CNZ_DW_ROWS2 1
#define CNZ_HAS_FMA 1
#define CNZ_ISA_ID CNZ_ISA_AVX512
#define CNZ_SUFFIX SUF
#define CNZ_RCP(x) ((vf)__builtin_ia32_rcp14ps512_mask((x), (vf){0}, (unsigned short)0xFFFF))
#pragma clang attribute push(__attribute__((target("avx512f,avx512bw,avx512dq,avx512vl,avx2,fma,f16c"))), apply_to = function)
#include TEMPLATE
#pragma clang attribute pop

#define AB_CAT2(a, b) a##_##b
#define AB_CAT(a, b) AB_CAT2(a, b)
/// The GEMM before and after it took layouts (row-major A and C here), whichever the template has.
typedef void gemm_rows_fn(const float *, const float *, float *, int, int, int, int, int, const cnz_epilogue *);
typedef void gemm_layout_fn(const float *, cnz_layout, const float *, float *, cnz_layout, int, int, int, int, int,
                            const cnz_epilogue *);
void AB_CAT(ab_gemm, SUF)(const float *a, const float *packed, float *c, int rows, int n, int k, int p_begin,
                          int p_end, const cnz_epilogue *e) {
    cnz_layout la = {k, CNZ_BLOCK}, lc = {n, CNZ_BLOCK};
    __builtin_choose_expr(__builtin_types_compatible_p(__typeof__(FN(gemm)), gemm_layout_fn),
                          ((gemm_layout_fn *)FN(gemm))(a, la, packed, c, lc, rows, n, k, p_begin, p_end, e),
                          ((gemm_rows_fn *)FN(gemm))(a, packed, c, rows, n, k, p_begin, p_end, e));
}
void AB_CAT(ab_dwconv, SUF)(const float *in, float *out, int h, int w, int c, int k, const float *wt, int y_begin,
                            int y_end, const cnz_epilogue *e) {
    FN(dwconv)(in, out, h, w, c, k, wt, y_begin, y_end, e);
}
