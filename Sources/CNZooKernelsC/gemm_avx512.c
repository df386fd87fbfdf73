// AVX-512 SGEMM for C = A · Wᵀ with a pre-packed W. Register block: 8 rows × 32 columns (16 zmm accumulators),
// one broadcast of A and two loads of packed W per k step. K is blocked so a packed chunk stays in L2; later K
// blocks accumulate into C. Compiled for AVX-512 through function attributes and chosen at run time.
#include "cnzoo_gemm.h"
#include <immintrin.h>
#include <string.h>

#define KC 512
#define MB 64

int cnz_gemm_available(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") ? 1 : 0;
}

size_t cnz_packed_count(int n, int k) {
    size_t panels = ((size_t)n + CNZ_PANEL - 1) / CNZ_PANEL;
    return panels * (size_t)k * CNZ_PANEL;
}

void cnz_pack_weight(const float *w, int n, int k, float *packed) {
    int panels = (n + CNZ_PANEL - 1) / CNZ_PANEL;
    for (int p = 0; p < panels; p++) {
        float *dst = packed + (size_t)p * k * CNZ_PANEL;
        for (int kk = 0; kk < k; kk++) {
            for (int j = 0; j < CNZ_PANEL; j++) {
                int col = p * CNZ_PANEL + j;
                dst[(size_t)kk * CNZ_PANEL + j] = col < n ? w[(size_t)col * k + kk] : 0.0f;
            }
        }
    }
}

#define ROW_FMA(r)                                                   \
    {                                                                \
        __m512 av = _mm512_set1_ps(a[(size_t)(r) * lda + kk]);       \
        c##r##0 = _mm512_fmadd_ps(av, b0, c##r##0);                  \
        c##r##1 = _mm512_fmadd_ps(av, b1, c##r##1);                  \
    }

#define ROW_STORE(r)                                                                          \
    {                                                                                         \
        float *cr = c + (size_t)(r) * ldc;                                                    \
        if (accumulate) {                                                                     \
            c##r##0 = _mm512_add_ps(c##r##0, _mm512_maskz_loadu_ps(m0, cr));                  \
            c##r##1 = _mm512_add_ps(c##r##1, _mm512_maskz_loadu_ps(m1, cr + 16));             \
        }                                                                                     \
        _mm512_mask_storeu_ps(cr, m0, c##r##0);                                               \
        _mm512_mask_storeu_ps(cr + 16, m1, c##r##1);                                          \
    }

/// 8 rows × 32 columns over `kn` steps.
__attribute__((target("avx512f"))) static void kernel8(const float *a, int lda, const float *b, int kn, float *c,
                                                       int ldc, __mmask16 m0, __mmask16 m1, int accumulate) {
    __m512 c00 = _mm512_setzero_ps(), c01 = _mm512_setzero_ps(), c10 = _mm512_setzero_ps(), c11 = _mm512_setzero_ps();
    __m512 c20 = _mm512_setzero_ps(), c21 = _mm512_setzero_ps(), c30 = _mm512_setzero_ps(), c31 = _mm512_setzero_ps();
    __m512 c40 = _mm512_setzero_ps(), c41 = _mm512_setzero_ps(), c50 = _mm512_setzero_ps(), c51 = _mm512_setzero_ps();
    __m512 c60 = _mm512_setzero_ps(), c61 = _mm512_setzero_ps(), c70 = _mm512_setzero_ps(), c71 = _mm512_setzero_ps();
    for (int kk = 0; kk < kn; kk++) {
        __m512 b0 = _mm512_loadu_ps(b + (size_t)kk * CNZ_PANEL);
        __m512 b1 = _mm512_loadu_ps(b + (size_t)kk * CNZ_PANEL + 16);
        ROW_FMA(0) ROW_FMA(1) ROW_FMA(2) ROW_FMA(3) ROW_FMA(4) ROW_FMA(5) ROW_FMA(6) ROW_FMA(7)
    }
    ROW_STORE(0) ROW_STORE(1) ROW_STORE(2) ROW_STORE(3) ROW_STORE(4) ROW_STORE(5) ROW_STORE(6) ROW_STORE(7)
}

/// 1 row × 32 columns (row tails).
__attribute__((target("avx512f"))) static void kernel1(const float *a, const float *b, int kn, float *c,
                                                       __mmask16 m0, __mmask16 m1, int accumulate) {
    __m512 c00 = _mm512_setzero_ps(), c01 = _mm512_setzero_ps();
    const int lda = 0;
    for (int kk = 0; kk < kn; kk++) {
        __m512 b0 = _mm512_loadu_ps(b + (size_t)kk * CNZ_PANEL);
        __m512 b1 = _mm512_loadu_ps(b + (size_t)kk * CNZ_PANEL + 16);
        ROW_FMA(0)
    }
    const int ldc = 0;
    ROW_STORE(0)
}

__attribute__((target("avx512f"))) void cnz_gemm_packed(const float *a, const float *packed, float *c, int rows,
                                                        int n, int k) {
    int panels = (n + CNZ_PANEL - 1) / CNZ_PANEL;
    for (int k0 = 0; k0 < k; k0 += KC) {
        int kn = k - k0 < KC ? k - k0 : KC;
        int accumulate = k0 > 0;
        for (int i0 = 0; i0 < rows; i0 += MB) {
            int iEnd = rows - i0 < MB ? rows : i0 + MB;
            for (int p = 0; p < panels; p++) {
                int cols = n - p * CNZ_PANEL;
                __mmask16 m0 = cols >= 16 ? 0xFFFF : (__mmask16)((1u << cols) - 1);
                __mmask16 m1 = cols >= 32 ? 0xFFFF : (cols <= 16 ? 0 : (__mmask16)((1u << (cols - 16)) - 1));
                const float *b = packed + (size_t)p * k * CNZ_PANEL + (size_t)k0 * CNZ_PANEL;
                int i = i0;
                for (; i + 8 <= iEnd; i += 8) {
                    kernel8(a + (size_t)i * k + k0, k, b, kn, c + (size_t)i * n + p * CNZ_PANEL, n, m0, m1, accumulate);
                }
                for (; i < iEnd; i++) {
                    kernel1(a + (size_t)i * k + k0, b, kn, c + (size_t)i * n + p * CNZ_PANEL, m0, m1, accumulate);
                }
            }
        }
    }
}
